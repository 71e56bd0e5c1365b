#!/usr/bin/env python
"""Benchmark of the click redirect (issue 19). Prints figures, never fails.

Run from the repository root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench_clicks \\
    .venv/bin/python bench/click_redirect.py

The ledger gets 100,000 sent emails and ``saleor_ecrm_emailclick`` 1,000,000
clicks on them (set-based SQL, once; reruns reuse them). Then, interleaved one for
one so that both see the same machine, it times N requests (default 2,000) of:

- **click**: ``GET /ecrm/c/<token>`` of a random sent email's random link, with a
  browser's user agent, through Django's whole request path (the real URLconf and
  middleware, Django's test client: no socket): signature check, the send's row,
  the sweep check, the click's row, the 302;
- **static**: ``GET /bench-static-redirect/``, Django's ``RedirectView`` to a
  fixed address, through the same stack: the baseline of a redirect that does
  nothing.

It prints p50/p95/p99 of each (server time, in ms), their ratio, and the target
(click p95 <= 5 ms). The database named by ``DATABASE_URL`` (default
``ecrm_bench_clicks``) is created and migrated when missing; its ledger and
engagement tables are emptied when their sizes differ: give it a database of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import setup_django  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench_clicks"
SENDS = 100_000
CLICKS = 1_000_000
LINKS = 6
STATIC_PATH = "/bench-static-redirect/"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    " (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)

# the bench's URLconf: the plugin's real one plus the static baseline
urlpatterns: List[object] = []


def _urlconf() -> None:
    from django.urls import path
    from django.views.generic import RedirectView

    from saleor_ecrm_plugin.urls import urlpatterns as real

    urlpatterns[:] = [
        path(
            STATIC_PATH.strip("/") + "/",
            RedirectView.as_view(url="https://shop.example.com/", permanent=False),
        ),
        *real,
    ]


def count(table: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - our names
        return int(cursor.fetchone()[0])


def fill() -> None:
    """100k sent emails, 1M clicks on them, unless they are there already."""
    from django.db import connection

    if (
        count("saleor_ecrm_scheduledsend") == SENDS
        and count("saleor_ecrm_emailclick") >= CLICKS
    ):
        return
    print(f"filling: {SENDS:,} sent emails, {CLICKS:,} clicks...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE saleor_ecrm_clickconversion, saleor_ecrm_emailclick,"
            " saleor_ecrm_emailopen, saleor_ecrm_conversion,"
            " saleor_ecrm_sendattempt, saleor_ecrm_scheduledsend RESTART IDENTITY"
            " CASCADE"
        )
        cursor.execute(
            """
            INSERT INTO saleor_ecrm_scheduledsend (program, step, recipient,
                subject_type, subject_id, due_at, status, idempotency_key, payload,
                attempts, lease_token, last_error, skip_reason, message_id, sent_at,
                created_at, updated_at)
            SELECT 'abandoned_checkout', 'step1', 'c' || n || '@example.com',
                   'checkout', n::text, t, 'sent', 'bench:' || n, '{}', 1, '', '',
                   '', '<bench.' || n || '@example.com>', t, t, t
            FROM (SELECT n, now() - interval '1 hour' - (n %% 30) * interval '1 day'
                  AS t FROM generate_series(1, %(sends)s) AS n) AS source
            """,
            {"sends": SENDS},
        )
        cursor.execute(
            """
            INSERT INTO saleor_ecrm_emailclick (send_id, program, recipient,
                link_index, url, method, user_agent, client_key, bot_reason,
                clicked_at)
            SELECT s.id, s.program, s.recipient, n %% %(links)s,
                   'https://shop.example.com/p/' || (n %% %(links)s) || '/',
                   CASE WHEN n %% 20 = 0 THEN 'HEAD' ELSE 'GET' END,
                   %(agent)s, md5(n::text) || md5(s.id::text),
                   CASE WHEN n %% 10 = 0 THEN 'scanner_agent' ELSE '' END,
                   s.sent_at + (n %% 1000) * interval '1 minute'
            FROM generate_series(1, %(clicks)s) AS n
            JOIN saleor_ecrm_scheduledsend s
              ON s.id = 1 + (n::bigint * 7919) %% %(sends)s
            """,
            {"links": LINKS, "agent": BROWSER, "clicks": CLICKS, "sends": SENDS},
        )
        cursor.execute("ANALYZE saleor_ecrm_scheduledsend")
        cursor.execute("ANALYZE saleor_ecrm_emailclick")
    print(f"  filled in {time.perf_counter() - started:.0f} s", flush=True)


def tokens(n: int, rng: random.Random) -> List[str]:
    from saleor_ecrm_plugin.engagement.tracking import ClickClaims, make_click_token

    out = []
    for _ in range(n):
        send_id = rng.randint(1, SENDS)
        link = rng.randrange(LINKS)
        out.append(
            make_click_token(
                ClickClaims(send_id, link, LINKS, f"https://shop.example.com/p/{link}/")
            )
        )
    return out


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Statements:
    """Counts the SQL statements a request sends (Django's execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        return execute(sql, params, many, context)


def run(requests: int) -> Dict[str, List[float]]:
    """Wall-clock ms (``click``, ``static``), this thread's CPU ms
    (``click cpu``, ``static cpu``) and SQL statements (``click sql``) per request."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    rng = random.Random(19)
    client = Client(HTTP_USER_AGENT=BROWSER, HTTP_HOST="localhost")
    made = tokens(requests, rng)
    times: Dict[str, List[float]] = {
        "click": [],
        "static": [],
        "click cpu": [],
        "static cpu": [],
        "click sql": [],
    }
    statements = Statements()
    with override_settings(ROOT_URLCONF=__name__), connection.execute_wrapper(
        statements
    ):
        for warm in made[:50]:  # warm the caches, the connection, the plans
            client.get(f"/ecrm/c/{warm}")
            client.get(STATIC_PATH)
        for token in made:
            for kind, path in (("click", f"/ecrm/c/{token}"), ("static", STATIC_PATH)):
                statements.count = 0
                cpu = time.thread_time()
                started = time.perf_counter()
                response = client.get(path)
                times[kind].append((time.perf_counter() - started) * 1000)
                times[f"{kind} cpu"].append((time.thread_time() - cpu) * 1000)
                assert response.status_code == 302, (path, response.status_code)
                if kind == "click":
                    times["click sql"].append(statements.count)
    return times


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args(argv)
    setup_django(DEFAULT_DATABASE_URL)
    _urlconf()
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"click redirect bench; load average at start: {load}", flush=True)
    fill()
    before = count("saleor_ecrm_emailclick")
    times = run(args.requests)
    after = count("saleor_ecrm_emailclick")
    print(
        f"\nclick redirect vs a static redirect, {args.requests} requests each,"
        f" interleaved; saleor_ecrm_emailclick holds {before:,} rows"
        f" (+{after - before:,} written by the run)"
    )
    print(f"{'':8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}{'CPU ms':>9}")
    for kind in ("click", "static"):
        values = times[kind]
        print(
            f"{kind:8}{percentile(values, 0.5):9.2f}{percentile(values, 0.95):9.2f}"
            f"{percentile(values, 0.99):9.2f}{statistics.mean(values):9.2f}"
            f"{statistics.mean(times[kind + ' cpu']):9.2f}"
        )
    print(
        "(CPU ms: this process's own CPU time per request, mean; the rest of the"
        " wall time is PostgreSQL's work and waiting for a CPU)"
    )
    sql = times["click sql"]
    print(
        f"SQL statements per click request: {min(sql):.0f}-{max(sql):.0f}"
        f" (mean {statistics.mean(sql):.2f}): each is a round trip to PostgreSQL"
    )
    click95, static95 = (percentile(times[k], 0.95) for k in ("click", "static"))
    click50, static50 = (percentile(times[k], 0.5) for k in ("click", "static"))
    print(
        f"ratio click/static: p50 x{click50 / static50:.1f},"
        f" p95 x{click95 / static95:.1f}"
    )
    print(
        f"target click p95 <= 5 ms: {'met' if click95 <= 5 else 'NOT met'}"
        f" ({click95:.2f} ms)"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average at end: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
