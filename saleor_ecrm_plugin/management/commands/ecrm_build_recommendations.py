"""``python -m django ecrm_build_recommendations``: build the recommendations now.

The beat schedule rebuilds the "frequently bought together" model once a day, the
first time a day after the worker starts; until then cross-sell emails fall back to
bestsellers. This command runs that rebuild task
(``saleor_ecrm_plugin.rebuild_recommendations``) in this process, without Celery, and
prints what it counted.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from ...tasks import rebuild_recommendations


class Command(BaseCommand):
    help = (
        "Build the product recommendations from every order now (what the daily "
        "rebuild task does), instead of waiting for Celery beat."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # calling the task object runs its body here, as the worker would
        stats = rebuild_recommendations()
        self.stdout.write(
            "Recommendations built from {orders_counted} orders: {products} products,"
            " {pairs} ranked pairs (A then B, B then A).".format(**stats)
        )
