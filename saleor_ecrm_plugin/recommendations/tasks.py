"""The Celery task that keeps the recommendation model current after each order.

It lives with the shared service so that the cross-sell program can enqueue it
without importing the plugin's task module (which imports the dispatcher and the
registry); :mod:`saleor_ecrm_plugin.tasks` re-exports it for Celery's autodiscovery.
"""

from __future__ import annotations

from typing import Dict

from celery import shared_task

from .building import update_model


@shared_task(name="saleor_ecrm_plugin.update_recommendations", ignore_result=True)
def update_recommendations() -> Dict[str, int]:
    """After an order: count the orders placed since the model's last count."""
    return vars(update_model())
