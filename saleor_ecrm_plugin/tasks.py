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
