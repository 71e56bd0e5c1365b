"""What a program package declares about itself, readable at settings time.

A program is one package ``programs/<name>/`` (or any importable package listed in
the ``ECRM_PROGRAMS`` setting). Its ``__init__`` holds only a :data:`MANIFEST`: the
program classes it provides and the periodic scans Celery beat runs for them. The
``__init__`` imports nothing but this module, so ``settings_helper.enable_ecrm``
can read the scans while the settings module is still being executed (no Django
model is importable then); the registry imports the classes later, once Django is
set up.

A leaf module: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Optional, Tuple

#: the programs this plugin ships, in the order the dashboard lists their fields
SHIPPED_PROGRAMS = (
    "saleor_ecrm_plugin.programs.abandoned_checkout",
    "saleor_ecrm_plugin.programs.cross_sell",
    "saleor_ecrm_plugin.programs.order_confirmation",
    "saleor_ecrm_plugin.programs.newsletter",
    "saleor_ecrm_plugin.programs.review_request",
    "saleor_ecrm_plugin.programs.welcome",
    "saleor_ecrm_plugin.programs.back_in_stock",
    "saleor_ecrm_plugin.programs.win_back",
    "saleor_ecrm_plugin.programs.affinity",
    "saleor_ecrm_plugin.programs.reactivation",
    "saleor_ecrm_plugin.programs.replenishment",
    "saleor_ecrm_plugin.programs.new_edition",
)

#: the generic task beat runs a scan with: args ``(program_id, scan_method)``
RUN_SCAN_TASK = "saleor_ecrm_plugin.run_program_scan"
#: the generic task a hook is deferred to: args ``(program_id, hook, *ids)``
RUN_HOOK_TASK = "saleor_ecrm_plugin.run_program_hook"


@dataclass(frozen=True)
class PeriodicScan:
    """A scan Celery beat runs for a program.

    ``method`` names the program's method, called with the parsed settings and
    returning counts (``Mapping[str, int]``). ``every`` is the default interval
    (``None``: the dispatcher's interval); ``interval_setting`` the keyword of
    ``enable_ecrm`` that overrides it. ``task`` is the Celery task beat sends:
    the generic :data:`RUN_SCAN_TASK` unless the scan keeps a historical name
    (merchants' beat schedules and queued tasks name it). ``expires``: a tick
    still queued when the next one is due is dropped rather than piled up.
    """

    program: str
    method: str
    beat_entry: str
    every: Optional[timedelta] = None
    interval_setting: str = ""
    task: str = RUN_SCAN_TASK
    expires: bool = True

    @property
    def args(self) -> Tuple[str, ...]:
        return (self.program, self.method) if self.task == RUN_SCAN_TASK else ()


@dataclass(frozen=True)
class ProgramPackage:
    """A program package's declaration. ``programs`` are ``"module:Class"`` paths,
    the module relative to the package (``".program:WelcomeProgram"``)."""

    programs: Tuple[str, ...]
    scans: Tuple[PeriodicScan, ...] = ()
