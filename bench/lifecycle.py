#!/usr/bin/env python
"""The daily tick of the lifecycle programs on a shop with years of history.

Run from the repository root::

    python bench/lifecycle.py                        # 100k and 1M customers
    python bench/lifecycle.py --customers 100000     # one size

For each size, the shop of :mod:`bench.history` (N customers, about 5 orders each
over three years) is built once into a template database and cloned fresh
(``CREATE DATABASE ... TEMPLATE``); then a child process bound to the clone runs
the daily tick of every lifecycle program registered (:data:`TICK`: each program's
scans in order, as beat would run them in a day) and reports, side by side:

* the wall time of each scan and of the whole tick,
* peak memory: the Python process's peak RSS (``ru_maxrss``) and the peak RSS of
  the PostgreSQL backend serving it (``VmHWM`` of its ``/proc`` entry, which counts
  the shared buffers it touched; absent when PostgreSQL runs elsewhere),
* the emails planned by each program.

Targets (issue 18): <= 60 s for the four programs at 1M customers, <= 500 MB.
Prints figures, never fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import history  # noqa: E402

#: the scans of the daily tick, in order: (program id, scan method). Programs
#: that are not registered in this checkout are left out.
TICK: Tuple[Tuple[str, str], ...] = (
    ("replenishment", "learn_intervals"),
    ("replenishment", "plan_reminders"),
    ("new_edition", "plan_launches"),
    # the RFM recompute runs inside the first win-back scan of the day
    ("win_back", "plan_win_backs"),
    ("affinity", "plan_suggestions"),
)
#: dashboard values switching the lifecycle programs on
CONFIG: Dict[str, object] = {
    "replenishment_enabled": True,
    "new_edition_enabled": True,
    "win_back_enabled": True,
    "affinity_enabled": True,
    "consent_mode": "everyone",
}


def _backend_peak_kib(pid: int) -> Optional[int]:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_tick() -> Dict[str, object]:
    """In the child process bound to the cloned shop: the tick, measured."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    # a template built before a newer migration of the plugin
    call_command("migrate", interactive=False, verbosity=0)

    from saleor_ecrm_plugin.context import load_context
    from saleor_ecrm_plugin.models import ScheduledSend
    from saleor_ecrm_plugin.programs.registry import all_programs, get_program
    from tests.configuration import configure_plugin

    configure_plugin(**CONFIG)
    settings = load_context().settings
    known = {program.id for program in all_programs()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    scans: List[Dict[str, object]] = []
    started = time.perf_counter()
    for program_id, method in TICK:
        if program_id not in known:
            continue
        begin = time.perf_counter()
        counts = get_program(program_id).run_scan(method, settings)
        scans.append(
            {
                "scan": f"{program_id}.{method}",
                "seconds": round(time.perf_counter() - begin, 2),
                "counts": dict(counts),
            }
        )
    total = time.perf_counter() - started
    planned: Dict[str, int] = {}
    for program_id in sorted({p for p, _ in TICK} & known):
        planned[program_id] = ScheduledSend.objects.filter(program=program_id).count()
    return {
        "seconds": round(total, 2),
        "scans": scans,
        "planned": planned,
        "python_peak_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "backend_peak_mib": (
            None
            if _backend_peak_kib(backend) is None
            else round(_backend_peak_kib(backend) / 1024, 1)
        ),
    }


def measure(customers: int) -> Dict[str, object]:
    template = history.ensure_template(customers)
    # ECRM_BENCH_RUN_PREFIX: two checkouts benchmarking at once use their own clones
    prefix = os.environ.get("ECRM_BENCH_RUN_PREFIX", "ecrm_life_run")
    target = f"{prefix}_{customers}"
    url = history.clone(template, target)
    env = dict(os.environ, DATABASE_URL=url)
    env.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
    env.setdefault("DEBUG", "False")
    env.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    result = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child"],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    report: Dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    report["customers"] = customers
    return report


def print_report(reports: Sequence[Dict[str, object]]) -> None:
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for report in reports:
        print(
            f"\n{report['customers']:,} customers: daily tick {report['seconds']} s;"
            f" peak RSS python {report['python_peak_mib']} MiB, PostgreSQL backend"
            f" {report['backend_peak_mib']} MiB (shared buffers included)"
        )
        for scan in report["scans"]:  # type: ignore[union-attr]
            print(f"  {scan['scan']:<32} {scan['seconds']:>7} s  {scan['counts']}")
        print(f"  emails planned: {report['planned']}")
    if len(reports) == 2:
        small, large = reports
        ratio = float(large["seconds"]) / max(float(small["seconds"]), 1e-3)  # type: ignore[arg-type]
        size = int(large["customers"]) / int(small["customers"])  # type: ignore[call-overload]
        print(f"\ntime ratio {ratio:.1f}x for {size:.0f}x the customers")


class _Heartbeat(threading.Thread):
    """Prints a dot a minute while a long build runs (a bench is not hung)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(60):
            print(".", end="", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--customers", type=int, nargs="*", default=[100_000, 1_000_000]
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_tick()))
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    heartbeat = _Heartbeat()
    heartbeat.start()
    reports = [measure(customers) for customers in args.customers]
    heartbeat.stopped.set()
    print_report(reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
