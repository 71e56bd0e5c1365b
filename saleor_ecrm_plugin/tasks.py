"""Celery entry points: a few lines each, calling the services that do the work.

Saleor's Celery app autodiscovers this module because the plugin is in ``PLUGINS``.
"""

from __future__ import annotations

from typing import Dict

from celery import shared_task
from django.conf import settings


@shared_task(name="saleor_ecrm_plugin.dispatch_due_sends", ignore_result=True)
def dispatch_due_sends() -> Dict[str, int]:
    """Beat tick: send what is due, for at most about one tick interval."""
    from .dispatcher import Dispatcher

    budget = float(getattr(settings, "ECRM_DISPATCH_INTERVAL", 30))
    return vars(Dispatcher().run(max_seconds=budget))


@shared_task(name="saleor_ecrm_plugin.update_recommendations", ignore_result=True)
def update_recommendations() -> Dict[str, int]:
    """After an order: count the orders placed since the model's last count."""
    from .recommendations import update_model

    return vars(update_model())


@shared_task(name="saleor_ecrm_plugin.rebuild_recommendations", ignore_result=True)
def rebuild_recommendations() -> Dict[str, int]:
    """Beat: recount the recommendation model from every order, then catch up."""
    from .recommendations import rebuild_model, update_model

    stats = rebuild_model()
    update_model()
    return vars(stats)


@shared_task(name="saleor_ecrm_plugin.detect_back_in_stock", ignore_result=True)
def detect_back_in_stock() -> Dict[str, int]:
    """Beat: plan back-in-stock waves for watched variants whose stock came back."""
    from .back_in_stock.service import run_detection

    return vars(run_detection())


@shared_task(name="saleor_ecrm_plugin.note_checkout_activity", ignore_result=True)
def note_checkout_activity(token: str, seen_at: str) -> int:
    """A checkout's lines changed: (re)plan its cart reminders."""
    from django.utils.dateparse import parse_datetime

    from .dispatcher import load_context
    from .programs.abandoned_checkout import abandoned_checkout_program

    context = load_context()
    if not context.active:
        return 0
    program = abandoned_checkout_program()
    return program.note_activity(context.settings, token, parse_datetime(seen_at))


@shared_task(name="saleor_ecrm_plugin.order_placed", ignore_result=True)
def order_placed(order_id: int) -> int:
    """An order committed: programs stop what it made pointless, credit emails."""
    from .dispatcher import load_context
    from .programs.registry import all_programs

    settings = load_context().settings
    return sum(program.order_placed(settings, order_id) for program in all_programs())


@shared_task(name="saleor_ecrm_plugin.scan_abandoned_checkouts", ignore_result=True)
def scan_abandoned_checkouts() -> Dict[str, int]:
    """Beat: plan reminders for checkouts changed since the last scan."""
    from .dispatcher import load_context
    from .programs.abandoned_checkout import scan_checkouts

    context = load_context()
    if not context.active:
        return {"seen": 0, "planned": 0}
    return scan_checkouts(context.settings)
