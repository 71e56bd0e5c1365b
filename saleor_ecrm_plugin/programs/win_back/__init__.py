"""Win-back after 3, 6 and 12 months without an order, with VIP care.

* :mod:`.program`: the daily scan, the re-check, the email, the attribution;
* :mod:`.options`: the typed options (steps and offers, VIP rule and words).

The RFM scores it reads (and its VIP rule) are :mod:`saleor_ecrm_plugin.rfm`'s.
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:WinBackProgram",),
    scans=(
        PeriodicScan(
            program="win_back",
            method="plan_win_backs",
            beat_entry="ecrm-plan-win-backs",
            every=timedelta(hours=24),
            interval_setting="win_back_interval",
        ),
    ),
)
