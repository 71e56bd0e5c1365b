"""Back-in-stock alerts: subscriptions, detection of restocked variants, waves.

* :mod:`.program`: the re-check before each send, the email, the attribution;
* :mod:`.options`: the typed options and dashboard fields;
* :mod:`.models`: subscriptions and watched variants;
* :mod:`.service`: the flows (subscribe, the detection tick, planning a wave) that
  the GraphQL mutation and the periodic scan call.
"""

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:BackInStockProgram",),
    scans=(
        PeriodicScan(
            program="back_in_stock",
            method="detect_restocks",
            beat_entry="ecrm-detect-back-in-stock",
            # the dispatcher's interval: a check reads only the watched variants
            every=None,
            interval_setting="back_in_stock_interval",
            task="saleor_ecrm_plugin.detect_back_in_stock",
        ),
    ),
)
