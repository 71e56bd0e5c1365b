"""Affinity: products from the categories customers buy with the one just bought.

* :mod:`.program`: the daily scan, the re-check, the email, the attribution;
* :mod:`.options`: the typed options;
* :mod:`.models` and :mod:`.model`: the category affinity model, learned in SQL.
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:AffinityProgram",),
    scans=(
        PeriodicScan(
            program="affinity",
            method="plan_suggestions",
            beat_entry="ecrm-plan-affinity",
            every=timedelta(hours=24),
            interval_setting="affinity_interval",
        ),
    ),
)
