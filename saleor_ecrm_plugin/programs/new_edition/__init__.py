"""New edition: "FIFA 15 is out; you played FIFA 14".

* :mod:`.program`: the launch scan, the re-check before each send, the email;
* :mod:`.options`: the typed options and dashboard fields;
* :mod:`.models`: the launches planned so far (one per edition).
"""

from datetime import timedelta

from ..manifest import PeriodicScan, ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:NewEditionProgram",),
    scans=(
        PeriodicScan(
            program="new_edition",
            method="plan_launches",
            beat_entry="ecrm-new-edition-launches",
            every=timedelta(hours=1),
            interval_setting="new_edition_interval",
        ),
    ),
)
