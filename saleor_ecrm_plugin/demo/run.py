"""``make demo``: a Saleor shop with the plugin, driven through its real API.

The Saleor is the one installed: 2.10.1 from PyPI (``make demo``) or a 3.21 source
tree (``make demo HOST=saleor3``); what differs between them is in :mod:`.hosts`.
Steps: database (``DATABASE_URL`` or an embedded PostgreSQL) -> migrate -> Saleor's
demo catalogue (``populatedb``, first run only) -> the plugin configured through
``pluginUpdate`` with a local SMTP sink -> a simulated fortnight of customers
through ``/graphql/`` and the plugin's pages, with the real scans and dispatcher
(``story.py``) -> a report from the ledger, checked against the SMTP sink message by
message, and an email gallery. ``--serve`` then keeps the API, a Celery worker and
beat running.

Re-runs reuse the database and the catalogue and replay the same story (the
previous run's demo customers, their orders and the plugin's rows are removed).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

from .embedded_db import DemoSetupError, ensure_database_exists, start_embedded_postgres
from .gallery import EmailGallery
from .hosts import DemoShop, for_installed_saleor
from .shop_api import ApiError
from .smtp_sink import ReceivedEmail, SmtpSink

DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"
DEMO_DISPATCH_INTERVAL = "5"
STEPS = 5

PLUGIN_SETTINGS = {
    "storefront_url": "http://localhost:3000/",
    "welcome_enabled": "true",
    "welcome_delay_minutes": "10",
    "abandoned_enabled": "true",
    # the shop sells outside the EU: any checkout with an email gets reminders
    # (the plugin's default is soft opt-in)
    "abandoned_consent_mode": "everyone",
    "review_request_enabled": "true",
    "review_incentive_enabled": "true",
    "back_in_stock_enabled": "true",
    # engagement: clicks are tracked by default; opens are a merchant's choice
    "track_opens": "true",
    # an A/B test on the first cart reminder's subject (segments/abconfig.py)
    "ab_tests": (
        '[{"id": "cart-subject", "program": "abandoned_checkout", "step": "step1",'
        ' "variants": [{"name": "A"}, {"name": "B", "subject":'
        ' "Still thinking it over? Your cart at {{ shop_name }} is saved"}]}]'
    ),
    "replenishment_enabled": "true",
    "new_edition_enabled": "true",
    "new_edition_voucher_percent": "10",
    "win_back_enabled": "true",
    "win_back_vip_min_score": "13",
    "win_back_vip_message": "As one of our best customers, you are invited to"
    " preview the new collection before anyone else.",
    "affinity_enabled": "true",
}


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m saleor_ecrm_plugin.demo",
        description="Run a demo shop on the installed Saleor (2.10.1 or 3.21) with "
        "the e-CRM plugin.",
    )
    parser.add_argument(
        "--serve",
        action="store_true",
        help="afterwards keep Saleor's GraphQL API, a Celery worker and beat running "
        "until Ctrl-C",
    )
    parser.add_argument(
        "--output",
        default="demo-output",
        help="folder for the embedded database and the email gallery "
        "(default: ./demo-output)",
    )
    parser.add_argument("--port", type=int, default=8000, help="--serve: API port")
    return parser.parse_args(argv)


#: the wall clock, out of the simulated clock's reach (freezegun >= 1 also freezes
#: ``time.monotonic``, but replaces module attributes only)
_WALL_CLOCK = (time.monotonic,)


class Console:
    """The demo's printed lines: numbered steps, indented details, timings."""

    def __init__(self) -> None:
        self.step_number = 0
        self.step_started = _WALL_CLOCK[0]()

    def step(self, title: str) -> None:
        self.step_number += 1
        self.step_started = _WALL_CLOCK[0]()
        print(f"[{self.step_number}/{STEPS}] {title}", flush=True)

    def detail(self, text: str) -> None:
        print(f"      {text}", flush=True)

    def elapsed(self) -> str:
        return f"{_WALL_CLOCK[0]() - self.step_started:.1f} s"


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    console = Console()
    started = time.monotonic()
    try:
        shop = for_installed_saleor()
    except ValueError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2
    print(
        f"e-CRM demo: {shop.label} + saleor_ecrm_plugin on Python "
        f"{sys.version.split()[0]}; output in {_shown(output)}",
        flush=True,
    )

    gallery = EmailGallery(
        output / "emails",
        staff_page_url=f"http://127.0.0.1:{args.port}/ecrm/staff/"
        if args.serve
        else None,
    )
    gallery.reset()
    serving = {"on": False}

    def on_email(received: ReceivedEmail) -> None:
        gallery.add(received)
        if serving["on"]:  # the fortnight prints a summary per day instead
            print(
                f"[smtp] received #{received.number}: {received.subject!r} "
                f"-> {', '.join(received.rcpt_tos)}",
                flush=True,
            )

    sink = SmtpSink(on_message=on_email).start()
    try:
        env = _prepare_environment(args, output, sink, console, shop)
        ok = _run_story(console, output, sink, gallery, env, shop)
        print(f"\nDone in {time.monotonic() - started:.1f} s.", flush=True)
        if args.serve:
            serving["on"] = True
            _serve(args, env, output, shop)
        else:
            _print_what_to_try(env, args.port, shop, serving=False)
        return 0 if ok else 1
    except (DemoSetupError, ApiError) as exc:
        print(f"\ndemo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ndemo: interrupted", file=sys.stderr)
        return 130
    finally:
        sink.stop()


def _shown(path: Path) -> str:
    try:
        return "./" + str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _prepare_environment(
    args: argparse.Namespace,
    output: Path,
    sink: SmtpSink,
    console: Console,
    shop: DemoShop,
) -> Dict[str, Any]:
    """Set what Django's settings read, before they load. Returns facts for later."""
    console.step("Database")
    env: Dict[str, Any] = {"psql": None}
    given = os.environ.get("DATABASE_URL")
    if given:
        env["database"] = "DATABASE_URL (" + _redact(given) + ")"
        console.detail(f"using {env['database']}")
        shop.prepare_database(given, console)
    else:
        console.detail("DATABASE_URL is not set: starting an embedded PostgreSQL")
        database = start_embedded_postgres(output / "pgdata")
        os.environ["DATABASE_URL"] = database.url
        env["database"] = (
            f"embedded {database.version} in {_shown(database.data_dir)} "
            f"(unix socket only)"
        )
        env["psql"] = (
            f'{database.psql} "{database.url.replace("postgres://", "postgresql://")}"'
        )
        console.detail(f"{env['database']}: up ({console.elapsed()})")
        shop.prepare_database(database.url, console)

    os.environ["DJANGO_SETTINGS_MODULE"] = shop.settings_module
    os.environ["EMAIL_URL"] = sink.url
    os.environ.setdefault("MEDIA_ROOT", str(output / "media"))
    os.environ.setdefault("ECRM_DISPATCH_INTERVAL", DEMO_DISPATCH_INTERVAL)
    # This process runs Celery tasks eagerly; only --serve's children use a broker.
    env["broker_given"] = os.environ.pop("CELERY_BROKER_URL", None)
    return env


def _redact(url: str) -> str:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@", 1)
    return url


def _run_story(
    console: Console,
    output: Path,
    sink: SmtpSink,
    gallery: EmailGallery,
    env: Dict[str, Any],
    shop: DemoShop,
) -> bool:
    import warnings

    import django

    # Saleor 3.21's JWT module imports authlib.jose, deprecated since authlib 1.6:
    # Saleor's to update, nothing a merchant trying the demo can act on
    warnings.filterwarnings("ignore", message="authlib.jose module is deprecated")
    django.setup()

    from django.conf import settings
    from django.db import connection

    # Saleor's logging shows every eager Celery task at INFO: keep the demo readable
    # (3.21's settings give Celery's task loggers their own INFO level)
    for name in (
        "celery",
        "celery.app.trace",
        "celery.task",
        "embedded_postgres",
        "django.server",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="The debug toolbar was not installed")

    # Saleor's MEDIA_ROOT is inside site-packages; the demo's images go beside it
    settings.MEDIA_ROOT = os.environ["MEDIA_ROOT"]
    if ensure_database_exists(connection.settings_dict):
        console.detail(f"created database {connection.settings_dict['NAME']!r}")

    _migrate(console, shop)
    console.step("Catalogue: Saleor's populatedb")
    shop.populate(console, output)
    _configure_plugin(console, sink, shop)
    since = _live_fortnight(console, sink, shop)
    return _report(since, sink, gallery)


def _migrate(console: Console, shop: DemoShop) -> None:
    import subprocess

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    console.step("Schema: migrate")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        console.detail(f"up to date ({console.elapsed()})")
        return
    estimate = shop.migration_estimate(len(plan))
    console.detail(f"applying {len(plan)} migrations ({estimate})")
    # In a child process: after an in-process migrate, Saleor's populatedb fails
    # ("SiteSettings.top_menu must be a Menu instance") in Django 3.0.
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "migrate", "--no-input"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    applied = 0
    tail: List[str] = []
    for line in process.stdout:
        tail = (tail + [line.rstrip()])[-20:]
        if line.lstrip().startswith("Applying "):
            applied += 1
            if applied % 100 == 0:
                console.detail(f"{applied}/{len(plan)} ({console.elapsed()})")
    if process.wait() != 0:
        raise DemoSetupError("migrate failed:\n" + "\n".join(tail))
    console.detail(f"applied {applied} migrations in {console.elapsed()}")


def _configure_plugin(console: Console, sink: SmtpSink, shop: DemoShop) -> Any:
    from django.conf import settings

    from ..constants import PLUGIN_ID

    console.step("Plugin and mail")
    staff = shop.staff_client()
    stored = shop.configure_plugin(staff, PLUGIN_ID, True, PLUGIN_SETTINGS)
    shown = ", ".join(f"{name}={stored.get(name)}" for name in PLUGIN_SETTINGS)
    console.detail(f"pluginUpdate {PLUGIN_ID}: active={stored['active']}, {shown}")
    console.detail(
        f"email: {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} -> demo SMTP sink on "
        f"{sink.host}:{sink.port}"
    )
    return staff


def _live_fortnight(console: Console, sink: SmtpSink, shop: DemoShop) -> datetime:
    from datetime import timedelta

    from django.utils import timezone

    from . import story

    console.step(f"A fortnight of customers ({story.DAYS} simulated days)")
    removed = story.forget_previous_run(shop)
    if any(removed.values()):
        shown = ", ".join(f"{n} {what}" for what, n in removed.items() if n)
        console.detail(f"removed the previous run's {shown}")
    now = timezone.now()
    start = (now - timedelta(days=story.DAYS)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    def on_day(day: int, moment: datetime, emails: Dict[str, int]) -> None:
        shown = ", ".join(f"{name} {n}" for name, n in sorted(emails.items()))
        console.detail(
            f"day {day + 1:2} {moment:%a %d %b}: {sum(emails.values()):3} emails"
            f"{' (' + shown + ')' if shown else ''}  [{console.elapsed()}]"
        )

    with story.SimulatedClock(start) as clock:
        stats = story.Story(sink, clock, on_day, shop).run(start)
    console.detail(
        f"{stats.shoppers} shoppers ({stats.accounts} opened an account), "
        f"{stats.checkouts} checkouts, {stats.orders} orders "
        f"({stats.recovered_orders} after a cart reminder, {stats.vouchers_used} "
        f"with its voucher; {stats.alert_orders} after a back-in-stock alert, "
        f"{stats.alert_too_late} alerted too late: sold out again)"
    )
    console.detail(
        f"{stats.fulfilled} orders shipped, {stats.reviews} reviews "
        f"({stats.reviews_approved} approved), {stats.alerts_subscribed} back-in-stock"
        f" sign-ups, {stats.restocks} restocks, {stats.newsletter_confirmed} "
        f"newsletter confirmations, {stats.unsubscribed} one-click unsubscribes"
    )
    if stats.refused:
        console.detail(
            f"Saleor refused to complete {len(stats.refused)} checkout(s) "
            "(their shoppers left):"
        )
        for refusal in stats.refused:
            console.detail(f"  {refusal}")
    return start


def _report(since: datetime, sink: SmtpSink, gallery: EmailGallery) -> bool:
    from .report import check_against_sink, format_table, tally_ledger

    tallies = tally_ledger(since)
    print("\nReport (tables saleor_ecrm_scheduledsend and saleor_ecrm_conversion):")
    for line in format_table(tallies):
        print(f"  {line}")
    from ..engagement.report import engagement_by_program, format_engagement

    print(
        "\nEngagement (saleor_ecrm_emailopen, _emailclick, _clickconversion): opens"
        " by privacy proxies and clicks by link scanners apart; orders by click"
        " (last email clicked within 5 days) apart from influenced (sent before)"
    )
    for line in format_engagement(engagement_by_program(since)):
        print(f"  {line}")
    from ..context import load_context
    from ..segments.report import format_segments

    print(
        "\nSegments (saleor_ecrm_contactengagement, recomputed now as the daily task"
        " does) and A/B tests (winner: >= 500 emails per variant and >= 95 %)"
    )
    for line in format_segments(load_context().settings):
        print(f"  {line}")
    ecrm = [message for message in sink.messages if message.program]
    problems = check_against_sink(tallies, sink.messages, since)
    if problems:
        print("  The SMTP sink DOES NOT AGREE with the ledger:")
        for problem in problems[:20]:
            print(f"    {problem}")
    else:
        print(
            f"  SMTP sink: {len(ecrm)} e-CRM emails, each one a sent ledger row "
            f"(same program, same Message-ID), and every sent row arrived once; "
            f"plus {len(sink.messages) - len(ecrm)} of Saleor's own emails."
        )
    print(
        f"\nEmails: {_shown(gallery.index)} ({len(sink.messages)} email(s), "
        ".eml files beside it)"
    )
    print(f"  open {gallery.index.as_uri()}")
    taken = gallery.screenshots()
    if taken is None:
        print("  no Chromium installed: no PNG screenshots (apt install chromium)")
    else:
        print(f"  {taken} PNG screenshots, one per kind of email (headless Chromium)")
    return not problems


def _print_what_to_try(
    env: Dict[str, Any], port: int, shop: DemoShop, serving: bool
) -> None:
    endpoint = f"http://127.0.0.1:{port}/graphql/"
    query = shop.sample_query.replace('"', '\\"')
    interval = os.environ.get("ECRM_DISPATCH_INTERVAL", "30")
    indent = " " * 26
    lines = ["", "What to try" + ("" if serving else " (with --serve)") + ":"]
    if not serving:
        lines += [
            f"  keep the shop running:  {shop.serve_command}",
            f"{indent}(python -m saleor_ecrm_plugin.demo --serve)",
        ]
    register = shop.register_mutation
    cut = register.index(", password")
    lines += [
        f"  GraphQL endpoint:       {endpoint}",
        f"{indent}(open it in a browser for a small query form)",
        f"  sample query:           curl -s {endpoint} \\",
        f"{indent}  -H 'Content-Type: application/json' \\",
        f'{indent}  -d \'{{"query": "{query}"}}\'',
        f"  register a customer:    {register[:cut + 1]}",
        f"{indent}  {register[cut + 2:]}",
        f"{indent}-> its welcome email reaches the SMTP sink "
        f"{PLUGIN_SETTINGS['welcome_delay_minutes']} minutes later",
        f"{indent}   (the dispatcher runs every {interval} s)",
        '  staff login:            mutation { tokenCreate(email: "admin@example.com",',
        f'{indent}  password: "admin") {{ token }} }}',
        f"{indent}then, with header 'Authorization: JWT <token>':",
        f"{indent}{shop.plugin_query}",
        f"  staff page:             http://127.0.0.1:{port}/ecrm/staff/",
        f"{indent}(report with charts, customer timeline; demo staff sign-in:",
        f"{indent} admin@example.com / admin)",
    ]
    if env.get("psql"):
        when = "" if serving else " (while --serve runs)"
        lines += [
            f"  the ledger{when}:",
            f"    {env['psql']} \\",
            "      -c 'select program, status, skip_reason, recipient "
            "from saleor_ecrm_scheduledsend'",
        ]
    print("\n".join(lines), flush=True)


def _serve(
    args: argparse.Namespace, env: Dict[str, Any], output: Path, shop: DemoShop
) -> None:
    from django.db import close_old_connections

    from ..dispatcher import Dispatcher
    from . import serve

    serve.install_stop_handlers()
    children: List[serve.Child] = []
    child_env = dict(os.environ, PYTHONUNBUFFERED="1")
    host, port = "127.0.0.1", args.port
    in_process_dispatch = False
    try:
        if not serve.port_is_free(host, port):
            raise DemoSetupError(
                f"port {port} on {host} is in use: stop what uses it or pass --port N"
            )
        broker = env.get("broker_given") or DEFAULT_BROKER_URL
        print("\nServing (Ctrl-C stops everything):", flush=True)
        if serve.broker_answers(broker):
            child_env["CELERY_BROKER_URL"] = broker
            children.append(
                serve.start_child(
                    "celery",
                    serve.celery_argv(output / "celerybeat-schedule"),
                    child_env,
                )
            )
            print(f"  Celery worker + beat on {_redact(broker)}", flush=True)
        else:
            in_process_dispatch = True
            every = os.environ["ECRM_DISPATCH_INTERVAL"]
            print(
                f"  Redis is not answering at {_redact(broker)}: no Celery worker or "
                "beat. Start Redis (redis-server) or set CELERY_BROKER_URL; until "
                f"then this process runs the dispatcher every {every} s.",
                flush=True,
            )
        web = serve.start_child("web", serve.runserver_argv(host, port), child_env)
        children.append(web)
        endpoint = f"http://{host}:{port}/graphql/"
        if not serve.wait_for_graphql(endpoint, timeout=90, alive=web.running):
            raise DemoSetupError(f"Saleor's API did not come up at {endpoint}")
        print(f"  Saleor GraphQL API at {endpoint}", flush=True)
        _print_what_to_try(env, port, shop, serving=True)

        interval = float(os.environ["ECRM_DISPATCH_INTERVAL"])
        next_dispatch = time.monotonic() + interval
        while True:
            for child in children:
                if not child.running():
                    raise DemoSetupError(
                        f"{child.name} exited with code {child.process.returncode}"
                    )
            if in_process_dispatch and time.monotonic() >= next_dispatch:
                close_old_connections()
                Dispatcher().run(max_seconds=interval)
                next_dispatch = time.monotonic() + interval
            time.sleep(0.5)
    except serve.StopRequested as exc:
        print(f"\n{exc}: stopping the API, worker and beat ...", flush=True)
    finally:
        # a second Ctrl-C must not cut the orderly stop short
        import signal

        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        serve.stop_children(children)
        close_old_connections()
        print("Stopped.", flush=True)
