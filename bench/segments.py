#!/usr/bin/env python
"""Benchmark of the daily engagement recompute (issue 19). Prints figures, never fails.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench_segments \\
    .venv/bin/python bench/segments.py            # 100k then 1M contacts

The ledger is filled in SQL (``generate_series``) with ``--sends`` sent marketing
emails per contact (default 3), spread over the last 365 days; each contact has an
engagement propensity (its number mod 5: 0 %, 20 % ... 80 %) that decides which of
its emails are opened (a tenth of those opens by Apple Mail Privacy Protection), 30 %
of the opened ones are clicked (a tenth of the clicks by a link scanner), and 10 % of
the real clicks bring an order credited to the click. At each size it times
``recompute_engagement`` twice, as the daily task runs it: the first run (every row
inserted) and a steady-state run (every row updated, most levels unchanged), with
the peak memory of this process (``ru_maxrss``, the SQL runs in PostgreSQL) and the
bytes PostgreSQL wrote to temporary files during the run (its sorts and hashes that
did not fit in ``work_mem``). The last lines compare the sizes side by side: the
time's growth against the rows' growth. Target: <= 60 s at 1M contacts.

The database named by ``DATABASE_URL`` (default ``ecrm_bench_segments``) is created
and migrated when missing; its ledger, engagement and segment tables are emptied:
give the bench a database of its own.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench_segments"


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE saleor_ecrm_contactengagement, saleor_ecrm_abassignment,"
            " saleor_ecrm_clickconversion, saleor_ecrm_emailclick,"
            " saleor_ecrm_emailopen, saleor_ecrm_conversion, saleor_ecrm_sendattempt,"
            " saleor_ecrm_scheduledsend CASCADE"
        )


def grow_to(size: int, sends: int) -> float:
    """Add contacts (with their emails and events) up to ``size``; seconds."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        have = contacts()
        if have >= size:
            return 0.0
        cursor.execute(
            """
            INSERT INTO saleor_ecrm_scheduledsend (program, step, recipient,
                subject_type, subject_id, due_at, status, idempotency_key, payload,
                attempts, next_attempt_at, lease_token, last_error, skip_reason,
                message_id, sent_at, created_at, updated_at)
            SELECT 'welcome', 'welcome', 'c' || n || '@example.com', 'bench', n::text,
                   t, 'sent', 'bench:' || n || ':' || k, '{}', 1, NULL, '', '', '',
                   '', t, t, t
            FROM (SELECT n, k, now() - random() * interval '365 days' AS t
                  FROM generate_series(%(start)s, %(stop)s) AS n,
                       generate_series(1, %(sends)s) AS k) AS source
            """,
            {"start": have, "stop": size - 1, "sends": sends},
        )
        new_sends = """
            SELECT id, program, recipient, sent_at FROM saleor_ecrm_scheduledsend
            WHERE subject_type = 'bench' AND subject_id::int >= %(start)s
              AND random() < (subject_id::int %% 5) / 5.0
        """
        cursor.execute(
            f"""
            INSERT INTO saleor_ecrm_emailopen (send_id, program, recipient,
                user_agent, client_key, proxy, opened_at)
            SELECT id, program, recipient, '', '',
                   CASE WHEN random() < 0.1 THEN 'apple_mpp' ELSE '' END,
                   sent_at + interval '2 hours'
            FROM ({new_sends}) AS s
            """,
            {"start": have},
        )
        cursor.execute(
            """
            INSERT INTO saleor_ecrm_emailclick (send_id, program, recipient,
                link_index, url, method, user_agent, client_key, bot_reason,
                clicked_at)
            SELECT o.send_id, o.program, o.recipient, 0, 'https://shop.example/',
                   'GET', '', '',
                   CASE WHEN random() < 0.1 THEN 'scanner_agent' ELSE '' END,
                   o.opened_at + interval '1 minute'
            FROM saleor_ecrm_emailopen o
            JOIN saleor_ecrm_scheduledsend s ON s.id = o.send_id
            WHERE s.subject_id::int >= %(start)s AND random() < 0.3
            """,
            {"start": have},
        )
        cursor.execute(
            """
            INSERT INTO saleor_ecrm_clickconversion (order_id, send_id, click_id,
                program, revenue, currency, converted_at)
            SELECT 'bench-' || c.id, c.send_id, c.id, c.program, 50, 'USD',
                   c.clicked_at + interval '1 hour'
            FROM saleor_ecrm_emailclick c
            JOIN saleor_ecrm_scheduledsend s ON s.id = c.send_id
            WHERE s.subject_id::int >= %(start)s AND c.bot_reason = ''
              AND random() < 0.1
            """,
            {"start": have},
        )
        cursor.execute(
            "ANALYZE saleor_ecrm_scheduledsend, saleor_ecrm_emailopen,"
            " saleor_ecrm_emailclick, saleor_ecrm_clickconversion"
        )
    return time.perf_counter() - started


def contacts() -> int:
    """The bench's contacts already in the ledger."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(max(subject_id::int) + 1, 0) FROM"
            " saleor_ecrm_scheduledsend WHERE subject_type = 'bench'"
        )
        return int(cursor.fetchone()[0])


def forget_levels() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE saleor_ecrm_contactengagement")
        cursor.execute("VACUUM ANALYZE saleor_ecrm_contactengagement")


def counts() -> Dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for name in ("scheduledsend", "emailopen", "emailclick", "clickconversion"):
            cursor.execute(f"SELECT count(*) FROM saleor_ecrm_{name}")
            out[name] = cursor.fetchone()[0]
    return out


def temp_bytes() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT temp_bytes FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(cursor.fetchone()[0])


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_recompute() -> Dict[str, float]:
    from saleor_ecrm_plugin.programs.registry import all_programs
    from saleor_ecrm_plugin.segments.engagement import recompute_engagement
    from saleor_ecrm_plugin.segments.levels import EngagementThresholds

    programs = [program.id for program in all_programs()]
    before = temp_bytes()
    started = time.perf_counter()
    levels = recompute_engagement(programs, EngagementThresholds())
    seconds = time.perf_counter() - started
    time.sleep(0.6)  # the statistics collector reports temp files with a delay
    return {
        "seconds": seconds,
        "temp_mb": (temp_bytes() - before) / 2**20,
        "rss_mb": peak_rss_mb(),
        **levels,
    }


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--sends", type=int, default=3)
    parser.add_argument(
        "--rebuild",
        action="store_true",
        help="empty the tables and build the rows again (else the rows of an"
        " earlier run are reused when there are no more contacts than the first size)",
    )
    parser.add_argument(
        "--steady-only",
        action="store_true",
        help="keep the stored levels and time only the steady run (the rows of an"
        " earlier run at the same size; about 2 minutes at 1M on a quiet machine)",
    )
    args = parser.parse_args(argv)
    sizes: List[int] = [int(size) for size in args.sizes.split(",")]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"segment recompute bench; load average at start: {load}", flush=True)
    setup_django(DEFAULT_DATABASE_URL)
    from saleor_ecrm_plugin.segments.engagement import WORK_MEM as work_mem

    if args.rebuild or contacts() > sizes[0]:
        reset()
    results = {}
    for size in sizes:
        built = grow_to(size, args.sends)
        if not args.steady_only:
            forget_levels()  # the first run writes every row
        rows = counts()
        print(
            f"\n{size:,} contacts: {rows['scheduledsend']:,} sent emails,"
            f" {rows['emailopen']:,} opens, {rows['emailclick']:,} clicks,"
            f" {rows['clickconversion']:,} orders by click (built in {built:.1f} s)",
            flush=True,
        )
        first = timed_recompute()
        steady = first if args.steady_only else timed_recompute()
        results[size] = (rows, first, steady)
        runs = [("first run", first), ("steady run", steady)]
        for name, run in runs[1:] if args.steady_only else runs:
            print(
                f"  {name:10s}: {run['seconds']:6.2f} s,"
                f" peak RSS {run['rss_mb']:.0f} MB"
                f" (this process), PostgreSQL temp files {run['temp_mb']:.0f} MB"
                f" (the run's work_mem {work_mem})",
                flush=True,
            )
        levels = {
            k: int(v)
            for k, v in steady.items()
            if k.isidentifier() and k not in ("seconds", "temp_mb", "rss_mb")
        }
        print(f"  levels: {levels}", flush=True)
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        rows_ratio = (
            results[large][0]["scheduledsend"] / results[small][0]["scheduledsend"]
        )
        for index, name in ((1, "first run"), (2, "steady run")):
            ratio = results[large][index]["seconds"] / results[small][index]["seconds"]
            print(
                f"\n{name}: {large:,} / {small:,} contacts = x{ratio:.1f} time"
                f" for x{rows_ratio:.1f} rows"
            )
        print(
            f"target: <= 60 s at {large:,} contacts; steady run"
            f" {results[large][2]['seconds']:.1f} s"
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at end: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
