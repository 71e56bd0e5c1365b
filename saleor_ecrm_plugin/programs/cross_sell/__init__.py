"""Cross-sell in Saleor's order confirmation, from the shop's recommendation model.

The program (:mod:`.program`) answers the ``ecrm`` template tag; its periodic scan
rebuilds the shared recommendation model (:mod:`saleor_ecrm_plugin.recommendations`).
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:CrossSellProgram",),
    scans=(
        PeriodicScan(
            program="cross_sell",
            method="rebuild_recommendations",
            beat_entry="ecrm-rebuild-recommendations",
            every=timedelta(hours=24),
            interval_setting="recommendations_rebuild_interval",
            task="saleor_ecrm_plugin.rebuild_recommendations",
            expires=False,
        ),
    ),
)
