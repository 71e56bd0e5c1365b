#!/usr/bin/env python
"""Benchmark of the abandoned-checkout scan (issue 4). Prints figures, never fails.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench4 \\
    .venv/bin/python bench/checkout_scan.py

Saleor's ``checkout_checkout`` is filled with 100,000 and then 1,000,000 checkouts,
most of them not abandoned in a way that matters: spread over the last 30 days, a
third without an email, half without lines. At each size it times, with the scan's
cursor where the previous tick left it (steady state, one tick every 5 minutes):

- an idle tick: nothing changed since the last one;
- a busy tick: 1,000 checkouts changed since the last tick (half of them with an
  email and lines: those are planned, 3 reminders each);
- the page query alone, with its plan (it must read the ``last_change`` index).

and prints the growth of each from 100k to 1M as a ratio. The database named by
``DATABASE_URL`` (default ``ecrm_bench4``) is created and migrated when missing;
its checkout tables and the ledger are emptied: give the bench a database of its own.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Dict, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench4"
CHANGED_PER_TICK = 1000


def reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE checkout_checkoutline, checkout_checkout, saleor_ecrm_conversion,"
            " saleor_ecrm_sendattempt, saleor_ecrm_scheduledsend,"
            " saleor_ecrm_scancursor CASCADE"
        )


def grow_to(total: int, variant_id: int) -> None:
    """Add checkouts until there are ``total``; all older than the scan's cursor."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM checkout_checkout")
        have = cursor.fetchone()[0]
        missing = total - have
        if missing <= 0:
            return
        # last_change between 30 days and 10 minutes ago
        cursor.execute(
            """
            INSERT INTO checkout_checkout (created, last_change, email, token, quantity,
                discount_amount, note, currency, country, metadata, private_metadata)
            SELECT t, t,
                   CASE WHEN n %% 3 = 0 THEN '' ELSE 'c' || n || '@example.com' END,
                   gen_random_uuid(), 0, 0, '', 'USD', 'US', '{}', '{}'
            FROM (
              SELECT n, now() - interval '10 minutes'
                        - (random() * interval '30 days') AS t
              FROM generate_series(%(start)s, %(stop)s) AS n
            ) AS source
            """,
            {"start": have, "stop": total - 1},
        )
        cursor.execute(
            """
            INSERT INTO checkout_checkoutline (quantity, checkout_id, variant_id, data)
            SELECT 1, token, %(variant)s, '{}' FROM checkout_checkout AS c
            WHERE random() < 0.5 AND NOT EXISTS (
              SELECT 1 FROM checkout_checkoutline AS l WHERE l.checkout_id = c.token)
            """,
            {"variant": variant_id},
        )
        cursor.execute("ANALYZE checkout_checkout")
        cursor.execute("ANALYZE checkout_checkoutline")


def touch_recent(count: int) -> None:
    """``count`` random checkouts change now (as a customer editing them would)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE checkout_checkout SET last_change = now()
            WHERE token IN (
              SELECT token FROM checkout_checkout
              WHERE email <> '' AND last_change < now() - interval '5 minutes'
              ORDER BY random() LIMIT %(half)s)
            """,
            {"half": count // 2},
        )
        # the other half: changed, but no email, so never planned
        cursor.execute(
            """
            UPDATE checkout_checkout SET last_change = now()
            WHERE token IN (
              SELECT token FROM checkout_checkout
              WHERE email = '' AND last_change < now() - interval '5 minutes'
              ORDER BY random() LIMIT %(half)s)
            """,
            {"half": count - count // 2},
        )
        cursor.execute(
            """
            INSERT INTO checkout_checkoutline (quantity, checkout_id, variant_id, data)
            SELECT 1, c.token, (SELECT min(id) FROM product_productvariant), '{}'
            FROM checkout_checkout AS c
            WHERE c.last_change > now() - interval '1 minute' AND NOT EXISTS (
              SELECT 1 FROM checkout_checkoutline AS l WHERE l.checkout_id = c.token)
            """
        )


def settle_cursor(settings) -> None:
    """A tick that reads everything up to now: later ticks are steady-state ones.

    Checkouts changed in the last minutes (by the previous size's busy ticks) are
    first moved 10 minutes back, as if the time between two scans had passed.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE checkout_checkout SET last_change = last_change"
            " - interval '10 minutes' WHERE last_change > now() - interval '10 minutes'"
        )
    from saleor_ecrm_plugin.models import ScanCursor
    from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
        SCAN_CURSOR,
        scan_checkouts,
    )

    ScanCursor.objects.filter(name=SCAN_CURSOR).delete()
    scan_checkouts(settings)


def timed_tick(settings) -> Dict[str, float]:
    from saleor_ecrm_plugin.programs.abandoned_checkout.program import scan_checkouts

    started = time.perf_counter()
    stats = scan_checkouts(settings)
    return {"seconds": time.perf_counter() - started, **stats}


def page_query_plan() -> str:
    from django.db import connection
    from django.utils import timezone

    from saleor_ecrm_plugin.host.port import checkouts_changed_since

    position = timezone.now() - timedelta(minutes=5)
    started = time.perf_counter()
    checkouts_changed_since(position, "", 500)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(
            """EXPLAIN SELECT c.token FROM checkout_checkout AS c
               WHERE (c.last_change, c.token::text) > (%s, '')
               ORDER BY c.last_change, c.token::text LIMIT 500""",
            [position],
        )
        plan = " / ".join(row[0].strip() for row in cursor.fetchall()[:3])
    return f"{elapsed * 1000:.1f} ms; plan: {plan}"


def bench(sizes: Sequence[int], repeat: int) -> None:
    from saleor_ecrm_plugin.config import default_configuration, parse_configuration
    from saleor_ecrm_plugin.dispatcher import load_context
    from tests.factories import make_product, variant_of

    items = default_configuration()
    for item in items:
        if item["name"] == "abandoned_enabled":
            item["value"] = True
    settings, errors = parse_configuration(items)
    assert not errors, errors
    load_context()  # warm the imports

    from saleor.product.models import ProductVariant

    variant = ProductVariant.objects.order_by("id").first()
    variant_id = (variant or variant_of(make_product("Bench lamp"))).pk
    reset()
    results: Dict[int, Dict[str, float]] = {}
    for size in sizes:
        started = time.perf_counter()
        grow_to(size, variant_id)
        print(f"\n{size:,} checkouts written in {time.perf_counter() - started:.0f} s")
        settle_cursor(settings)
        idle = statistics.median(timed_tick(settings)["seconds"] for _ in range(repeat))
        busy_runs = []
        for _ in range(repeat):
            touch_recent(CHANGED_PER_TICK)
            busy_runs.append(timed_tick(settings))
        busy = statistics.median(run["seconds"] for run in busy_runs)
        print(f"  idle tick (nothing changed): {idle * 1000:8.1f} ms")
        last = busy_runs[-1]
        print(
            f"  busy tick ({CHANGED_PER_TICK:,} changed):  {busy * 1000:8.1f} ms"
            f"  (seen {last['seen']:.0f}, planned {last['planned']:.0f} reminders)"
        )
        print(f"  page query of 500: {page_query_plan()}")
        results[size] = {"idle": idle, "busy": busy}
    if len(sizes) >= 2:
        low, high = results[sizes[0]], results[sizes[-1]]
        print(
            f"\ngrowth {sizes[0]:,} -> {sizes[-1]:,} checkouts:"
            f" idle tick {high['idle'] / low['idle']:.2f}x,"
            f" busy tick {high['busy'] / low['busy']:.2f}x"
            f" (the table grew {sizes[-1] / sizes[0]:.0f}x)"
        )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes", type=lambda text: [int(x) for x in text.split(",")],
        default=[100_000, 1_000_000],
    )  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    setup_django(DEFAULT_DATABASE_URL)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"checkout scan bench; load average at start: {load}")
    bench(args.sizes, args.repeat)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at end: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
