"""Cart reminders: a series of emails after a checkout is left, never after the order.

The program (:mod:`.program`): its options, the hook (``note_activity``), the
periodic scan of changed checkouts (``scan_checkouts``), the re-check, the voucher
of the last step and its templates (``ecrm/abandoned_checkout``,
``ecrm/abandoned_checkout_last``).
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:AbandonedCheckoutProgram",),
    scans=(
        PeriodicScan(
            program="abandoned_checkout",
            method="scan_checkouts",
            beat_entry="ecrm-scan-abandoned-checkouts",
            every=timedelta(minutes=5),
            interval_setting="checkout_scan_interval",
            task="saleor_ecrm_plugin.scan_abandoned_checkouts",
        ),
    ),
)
