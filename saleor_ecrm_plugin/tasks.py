"""Celery entry points: a few lines each, calling the services that do the work.

Saleor's Celery app autodiscovers this module because the plugin is in ``PLUGINS``.

Programs' scans and hooks run through two generic tasks, by program id:
:func:`run_program_scan` (what Celery beat sends for a scan declared in a program's
manifest) and :func:`run_program_hook`. The older per-event task names stay
registered, as aliases of those, because merchants' beat schedules and tasks
already queued name them.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

from celery import shared_task
from django.conf import settings

from .context import load_context
from .dispatcher import Dispatcher
from .programs.manifest import RUN_HOOK_TASK, RUN_SCAN_TASK
from .programs.registry import all_programs, get_program
from .recommendations.tasks import update_recommendations
from .rfm.scoring import recompute_rfm_scores as recompute_scores

__all__ = [
    "detect_back_in_stock",
    "dispatch_due_sends",
    "note_checkout_activity",
    "order_placed",
    "rebuild_recommendations",
    "recompute_rfm_scores",
    "run_program_hook",
    "run_program_scan",
    "scan_abandoned_checkouts",
    "update_recommendations",  # defined beside the recommendation service
]


@shared_task(name="saleor_ecrm_plugin.dispatch_due_sends", ignore_result=True)
def dispatch_due_sends() -> Dict[str, int]:
    """Beat tick: send what is due, for at most about one tick interval."""
    budget = float(getattr(settings, "ECRM_DISPATCH_INTERVAL", 30))
    return vars(Dispatcher().run(max_seconds=budget))


@shared_task(name=RUN_SCAN_TASK, ignore_result=True)
def run_program_scan(program_id: str, method: str) -> Mapping[str, int]:
    """Beat: run one program's periodic scan, if the plugin is active."""
    context = load_context()
    if not context.active:
        return {}
    return get_program(program_id).run_scan(method, context.settings)


@shared_task(name=RUN_HOOK_TASK, ignore_result=True)
def run_program_hook(program_id: str, hook: str, *args: Any) -> Any:
    """An event deferred to a worker: one program's hook, with plain values."""
    context = load_context()
    if not context.active:
        return None
    return get_program(program_id).run_hook(hook, context.settings, *args)


@shared_task(name="saleor_ecrm_plugin.order_placed", ignore_result=True)
def order_placed(order_id: int) -> int:
    """An order committed: programs stop what it made pointless, credit emails."""
    settings = load_context().settings
    return sum(program.order_placed(settings, order_id) for program in all_programs())


# --- the historical names (aliases of the generic tasks) --------------------------


@shared_task(name="saleor_ecrm_plugin.note_checkout_activity", ignore_result=True)
def note_checkout_activity(token: str, seen_at: str) -> int:
    """A checkout's lines changed: (re)plan its cart reminders."""
    return run_program_hook("abandoned_checkout", "note_activity", token, seen_at) or 0


@shared_task(name="saleor_ecrm_plugin.scan_abandoned_checkouts", ignore_result=True)
def scan_abandoned_checkouts() -> Mapping[str, int]:
    """Beat: plan reminders for checkouts changed since the last scan."""
    return run_program_scan("abandoned_checkout", "scan_checkouts") or {
        "seen": 0,
        "planned": 0,
    }


@shared_task(name="saleor_ecrm_plugin.detect_back_in_stock", ignore_result=True)
def detect_back_in_stock() -> Mapping[str, int]:
    """Beat: plan back-in-stock waves for watched variants whose stock came back."""
    return run_program_scan("back_in_stock", "detect_restocks")


@shared_task(name="saleor_ecrm_plugin.rebuild_recommendations", ignore_result=True)
def rebuild_recommendations() -> Mapping[str, int]:
    """Beat: recount the recommendation model from every order, then catch up."""
    return get_program("cross_sell").run_scan(
        "rebuild_recommendations", load_context().settings
    )


@shared_task(name="saleor_ecrm_plugin.recompute_rfm_scores", ignore_result=True)
def recompute_rfm_scores() -> Mapping[str, int]:
    """Beat, daily: every contact's RFM scores and group, from the orders."""
    if not load_context().active:
        return {}
    return {"contacts": recompute_scores().contacts}
