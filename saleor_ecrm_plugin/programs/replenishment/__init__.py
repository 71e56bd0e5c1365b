"""Replenishment: "your dog food should run out soon, order again in one click".

* :mod:`.program`: the scans, the re-check before each send, the email, attribution;
* :mod:`.options`: the typed options and dashboard fields;
* :mod:`.models`: the reorder interval of each product, learned or set;
* :mod:`.views`: the signed "order again" link.
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:ReplenishmentProgram",),
    scans=(
        PeriodicScan(
            program="replenishment",
            method="learn_intervals",
            beat_entry="ecrm-replenishment-learn",
            every=timedelta(days=1),
            interval_setting="replenishment_learn_interval",
        ),
        PeriodicScan(
            program="replenishment",
            method="plan_reminders",
            beat_entry="ecrm-replenishment-plan",
            # a pass reads a year of orders: daily, planning a day ahead
            every=timedelta(days=1),
            interval_setting="replenishment_plan_interval",
        ),
    ),
)
