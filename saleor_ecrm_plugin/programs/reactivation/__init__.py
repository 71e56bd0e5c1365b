"""Reactivation and list cleaning (:mod:`.program`, :mod:`.sunset`)."""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:ReactivationProgram",),
    scans=(
        PeriodicScan(
            program="reactivation",
            method="daily_run",
            beat_entry="ecrm-reactivation-daily",
            every=timedelta(days=1),
            interval_setting="reactivation_interval",
        ),
    ),
)
