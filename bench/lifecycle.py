#!/usr/bin/env python
"""The daily tick of the lifecycle programs on a shop with years of history.

Run from the repository root::

    python bench/lifecycle.py                        # 100k and 1M customers
    python bench/lifecycle.py --customers 100000     # one size
    python bench/lifecycle.py --customers 1000000 --install   # time the install too

For each size, the shop of :mod:`bench.history` (N customers, about 5 orders each
over three years) is built once into a template database. A daily tick does the
work of one day, so the bench measures a day in the life of an installed plugin:

1. **install** (once per size, into a second template ``ecrm_hist_<N>_installed``):
   the first tick of every program, a day before "now" — the interval learning
   over a year of orders (weekly afterwards), the first catch-up of the
   replenishment history (a year of order lines, once), the launches of the two
   guides (each planning its buyers once), the full RFM recompute (weekly
   afterwards) and the affinity model (weekly). Then one day of new orders (a
   thousandth of the history's orders, created during the day). Its figures are
   kept in the template's comment and printed with the tick's;
2. **the daily tick**, on a fresh clone of that template (``CREATE DATABASE ...
   TEMPLATE``), in a new process: every scan of :data:`TICK` in order, as beat
   would run them a day after the install.

For each phase, side by side: the wall time of each scan and of the whole tick,
peak memory (the Python process's peak RSS, ``ru_maxrss``, and the peak RSS of the
PostgreSQL backend serving it, ``VmHWM`` of its ``/proc`` entry, which counts the
shared buffers it touched; absent when PostgreSQL runs elsewhere), and the emails
planned by each program (the daily tick's: new rows of the day).

Targets (issue 18): <= 60 s for the four programs' daily tick at 1M customers,
<= 500 MB. Prints figures, never fails on them.
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
from datetime import datetime, timedelta
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


#: the comment of a finished installed template (with the install's figures)
INSTALLED_MARK = "ecrm-life-installed v1 complete "
#: the history's orders placed on one day of the daily tick (1 in DAY_SHARE)
DAY_SHARE = 1000


def _scan(program_id: str, method: str, settings, now: datetime) -> Dict[str, object]:  # type: ignore[no-untyped-def]
    from saleor_ecrm_plugin.programs.registry import get_program

    program = get_program(program_id)
    begin = time.perf_counter()
    counts = getattr(program, method)(settings, now=now)
    return {
        "scan": f"{program_id}.{method}",
        "seconds": round(time.perf_counter() - begin, 2),
        "counts": dict(counts),
    }


def _planned(since: datetime) -> Dict[str, int]:
    from saleor_ecrm_plugin.models import ScheduledSend

    planned: Dict[str, int] = {}
    for program_id in sorted({p for p, _ in TICK}):
        planned[program_id] = ScheduledSend.objects.filter(
            program=program_id, created_at__gte=since
        ).count()
    return planned


def add_a_day_of_orders(start: datetime, end: datetime) -> int:
    """Copies of one in :data:`DAY_SHARE` of the history's orders (same customers,
    same lines), created during ``[start, end)``: the orders of the day."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE TEMP TABLE day_orders AS
            SELECT o.id AS old_id,
                   nextval(pg_get_serial_sequence('order_order', 'id')) AS new_id,
                   %(start)s + (%(end)s - %(start)s) * random() AS created
            FROM order_order o WHERE o.id %% %(share)s = 0
            """,
            {"start": start, "end": end, "share": DAY_SHARE},
        )
        cursor.execute(
            """
            INSERT INTO order_order
                (id, created, status, language_code, tracking_client_id, user_id,
                 user_email, currency, shipping_price_net_amount,
                 shipping_price_gross_amount, token, checkout_token,
                 total_net_amount, total_gross_amount, discount_amount,
                 display_gross_prices, customer_note, weight, metadata,
                 private_metadata)
            SELECT d.new_id, d.created, 'unfulfilled', o.language_code, '',
                   o.user_id, o.user_email, o.currency, 0, 0, 'd-' || d.new_id,
                   '', o.total_net_amount, o.total_gross_amount, 0, true, '', 0,
                   '{}', '{}'
            FROM day_orders d JOIN order_order o ON o.id = d.old_id
            """
        )
        orders = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO order_orderline
                (order_id, variant_id, product_name, variant_name,
                 translated_product_name, translated_variant_name, product_sku,
                 is_shipping_required, quantity, quantity_fulfilled, currency,
                 unit_price_net_amount, unit_price_gross_amount, tax_rate)
            SELECT d.new_id, l.variant_id, l.product_name, '', '', '',
                   l.product_sku, true, l.quantity, 0, l.currency,
                   l.unit_price_net_amount, l.unit_price_gross_amount, 0
            FROM day_orders d JOIN order_orderline l ON l.order_id = d.old_id
            """
        )
        cursor.execute("DROP TABLE day_orders")
        cursor.execute("ANALYZE order_order")
        cursor.execute("ANALYZE order_orderline")
    return orders


def seed_mark_diary(now: datetime) -> int:
    """The affinity program's diary of the order mark as a plugin running for
    months would have written it (one page a day: the highest order id placed
    before the day began), so that the daily tick reads a day's orders as in the
    steady state, not the first weeks' scan of every order."""
    from django.db import connection

    from saleor_ecrm_plugin.models import ScanCursor
    from saleor_ecrm_plugin.programs.affinity.program import (
        MARK_DIARY,
        MARK_DIARY_DAYS,
    )

    first = (now - timedelta(days=MARK_DIARY_DAYS)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT date_trunc('day', created), max(id) FROM order_order"
            " WHERE created < %s GROUP BY 1 ORDER BY 1",
            [now],
        )
        days = cursor.fetchall()
    pages = []
    mark, index = 0, 0
    day = first
    while day < now:
        while index < len(days) and days[index][0] < day:
            mark = max(mark, int(days[index][1]))
            index += 1
        pages.append(
            ScanCursor(
                name=f"{MARK_DIARY}{day.date().isoformat()}",
                position=day,
                after_key=str(mark),
            )
        )
        day += timedelta(days=1)
    ScanCursor.objects.bulk_create(pages, ignore_conflicts=True)
    return len(pages)


def run_phase(phase: str) -> Dict[str, object]:
    """In a child process bound to a database: ``install`` (the first tick a day
    ago, then a day of orders) or ``daily`` (the tick of today)."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    # a template built before a newer migration of the plugin
    call_command("migrate", interactive=False, verbosity=0)

    from saleor_ecrm_plugin.context import load_context
    from saleor_ecrm_plugin.programs.registry import all_programs
    from tests.configuration import configure_plugin

    configure_plugin(**CONFIG)
    settings = load_context().settings
    known = {program.id for program in all_programs()}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    # the daily tick runs exactly a day after the install, whenever it is run
    fixed = os.environ.get("ECRM_BENCH_TODAY")
    today = datetime.fromisoformat(fixed) if fixed else timezone.now()
    now = today - timedelta(days=1) if phase == "install" else today
    if phase == "install":
        seed_mark_diary(now)
    began = timezone.now()
    scans: List[Dict[str, object]] = []
    started = time.perf_counter()
    for program_id, method in TICK:
        if program_id in known:
            scans.append(_scan(program_id, method, settings, now))
    total = time.perf_counter() - started
    report: Dict[str, object] = {
        "seconds": round(total, 2),
        "scans": scans,
        "planned": _planned(began),
        "python_peak_mib": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "backend_peak_mib": (
            None
            if _backend_peak_kib(backend) is None
            else round(_backend_peak_kib(backend) / 1024, 1)
        ),
    }
    report["today"] = today.isoformat()
    if phase == "install":
        report["day_orders"] = add_a_day_of_orders(now, today - timedelta(minutes=5))
    return report


def _child(phase: str, url: str, today: str = "") -> Dict[str, object]:
    env = dict(os.environ, DATABASE_URL=url)
    if today:
        env["ECRM_BENCH_TODAY"] = today
    env.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
    env.setdefault("DEBUG", "False")
    env.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    result = subprocess.run(
        [sys.executable, str(Path(__file__)), "--child", phase],
        env=env,
        cwd=str(REPO),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    report: Dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def installed_template(customers: int, again: bool = False) -> Tuple[str, dict]:
    """The template of the installed plugin a day ago (built when missing or when
    ``again``), and the install's figures."""
    name = f"{history.template_name(customers)}_installed"
    comment = history._database_comment(name) or ""
    if comment.startswith(INSTALLED_MARK) and not again:
        return name, json.loads(comment[len(INSTALLED_MARK) :])
    source = history.ensure_template(customers)
    url = history.clone(source, name)
    report = _child("install", url)
    connection = history._connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f'COMMENT ON DATABASE "{name}" IS %s',
                [INSTALLED_MARK + json.dumps(report)],
            )
    finally:
        connection.close()
    return name, report


def measure(customers: int, install: bool = False) -> Dict[str, object]:
    template, installed = installed_template(customers, again=install)
    # ECRM_BENCH_RUN_PREFIX: two checkouts benchmarking at once use their own clones
    prefix = os.environ.get("ECRM_BENCH_RUN_PREFIX", "ecrm_life_run")
    target = f"{prefix}_{customers}"
    began = time.perf_counter()
    url = history.clone(template, target)
    cloned = time.perf_counter() - began
    report = _child("daily", url, str(installed["today"]))
    report["customers"] = customers
    report["install"] = installed
    report["clone_seconds"] = round(cloned, 1)
    return report


def _print_phase(title: str, report: Dict[str, object]) -> None:
    print(
        f"  {title}: {report['seconds']} s; peak RSS python"
        f" {report['python_peak_mib']} MiB, PostgreSQL backend"
        f" {report['backend_peak_mib']} MiB (shared buffers included)"
    )
    for scan in report["scans"]:  # type: ignore[union-attr]
        print(f"    {scan['scan']:<32} {scan['seconds']:>7} s  {scan['counts']}")
    print(f"    emails planned: {report['planned']}")


def print_report(reports: Sequence[Dict[str, object]]) -> None:
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    for report in reports:
        print(
            f"\n{report['customers']:,} customers (clone {report['clone_seconds']} s):"
        )
        install = report["install"]
        _print_phase("install (first tick, a day ago; once)", install)  # type: ignore[arg-type]
        print(f"    then a day of orders: {install.get('day_orders')}")  # type: ignore[union-attr]
        _print_phase("DAILY TICK (a day later)", report)
    if len(reports) == 2:
        small, large = reports
        ratio = float(large["seconds"]) / max(float(small["seconds"]), 1e-3)  # type: ignore[arg-type]
        size = int(large["customers"]) / int(small["customers"])  # type: ignore[call-overload]
        print(f"\ndaily tick: time ratio {ratio:.1f}x for {size:.0f}x the customers")


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
    parser.add_argument(
        "--install",
        action="store_true",
        help="build the installed template again (times the install phase)",
    )
    parser.add_argument("--child", choices=("install", "daily"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_phase(args.child)))
        return 0
    print(f"load average at start: {os.getloadavg()[0]:.1f}", flush=True)
    heartbeat = _Heartbeat()
    heartbeat.start()
    reports = [measure(customers, args.install) for customers in args.customers]
    heartbeat.stopped.set()
    print_report(reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
