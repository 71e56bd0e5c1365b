"""``make demo``: a Saleor 2.10.1 shop with the plugin, driven through its real API.

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
import contextlib
import io
import logging
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

from .embedded_db import DemoSetupError, ensure_database_exists, start_embedded_postgres
from .gallery import EmailGallery
from .shop_api import ApiError
from .smtp_sink import ReceivedEmail, SmtpSink

SETTINGS_MODULE = "saleor_ecrm_plugin.demo.settings"
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
        description="Run a Saleor 2.10.1 demo shop with the e-CRM plugin.",
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


class Console:
    """The demo's printed lines: numbered steps, indented details, timings."""

    def __init__(self) -> None:
        self.step_number = 0
        self.step_started = time.monotonic()

    def step(self, title: str) -> None:
        self.step_number += 1
        self.step_started = time.monotonic()
        print(f"[{self.step_number}/{STEPS}] {title}", flush=True)

    def detail(self, text: str) -> None:
        print(f"      {text}", flush=True)

    def elapsed(self) -> str:
        return f"{time.monotonic() - self.step_started:.1f} s"


class _PopulateLog(io.TextIOBase):
    """populatedb's output: all of it to a log file, its milestones to the console."""

    MILESTONES = ("Created warehouses", "Created products", "Superuser")

    def __init__(self, path: Path, console: Console) -> None:
        self._file = path.open("w", encoding="utf-8")
        self._console = console
        self.lines = 0

    def write(self, text: str) -> int:
        self._file.write(text)
        for line in text.splitlines():
            self.lines += 1
            if line.startswith(self.MILESTONES):
                self._console.detail(f"{line.strip()} ({self._console.elapsed()})")
        return len(text)

    def close(self) -> None:
        self._file.close()
        super().close()


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    output = Path(args.output).resolve()
    output.mkdir(parents=True, exist_ok=True)
    console = Console()
    started = time.monotonic()
    print(
        f"e-CRM demo: Saleor 2.10.1 + saleor_ecrm_plugin on Python "
        f"{sys.version.split()[0]}; output in {_shown(output)}",
        flush=True,
    )

    gallery = EmailGallery(output / "emails")
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
        env = _prepare_environment(args, output, sink, console)
        ok = _run_story(console, output, sink, gallery, env)
        print(f"\nDone in {time.monotonic() - started:.1f} s.", flush=True)
        if args.serve:
            serving["on"] = True
            _serve(args, env, output)
        else:
            _print_what_to_try(env, args.port, serving=False)
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
    args: argparse.Namespace, output: Path, sink: SmtpSink, console: Console
) -> Dict[str, Any]:
    """Set what Django's settings read, before they load. Returns facts for later."""
    console.step("Database")
    env: Dict[str, Any] = {"psql": None}
    given = os.environ.get("DATABASE_URL")
    if given:
        env["database"] = "DATABASE_URL (" + _redact(given) + ")"
        console.detail(f"using {env['database']}")
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

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
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
) -> bool:
    import django

    django.setup()
    import warnings

    from django.conf import settings
    from django.db import connection

    # Saleor's logging shows every eager Celery task at INFO: keep the demo readable
    for name in ("celery", "embedded_postgres", "django.server"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message="The debug toolbar was not installed")

    # Saleor's MEDIA_ROOT is inside site-packages; the demo's images go beside it
    settings.MEDIA_ROOT = os.environ["MEDIA_ROOT"]
    if ensure_database_exists(connection.settings_dict):
        console.detail(f"created database {connection.settings_dict['NAME']!r}")

    _migrate(console)
    _populate(console, output)
    _configure_plugin(console, sink)
    since = _live_fortnight(console, sink)
    return _report(since, sink, gallery)


def _migrate(console: Console) -> None:
    import subprocess

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    console.step("Schema: migrate")
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if not plan:
        console.detail(f"up to date ({console.elapsed()})")
        return
    console.detail(f"applying {len(plan)} migrations (first run only, about a minute)")
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


def _populate(console: Console, output: Path) -> None:
    from django.core.management import call_command
    from saleor.core.management.commands import populatedb
    from saleor.product.models import Product

    console.step("Catalogue: Saleor's populatedb")
    count = Product.objects.count()
    if count:
        console.detail(
            f"already loaded ({count} products): skipped ({console.elapsed()})"
        )
        return
    console.detail("loading Saleor's demo catalogue (first run only)")
    command = populatedb.Command()
    # the command looks for its images relative to the working directory
    saleor_dir = Path(populatedb.__file__).resolve().parents[3]
    command.placeholders_dir = str(saleor_dir / "static" / "placeholders") + os.sep
    log = _PopulateLog(output / "populatedb.log", console)
    saleor_logger = logging.getLogger("saleor")
    level = saleor_logger.level
    # thumbnails are logged per object, sqlsequencereset writes to stderr: to the log
    saleor_logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stderr(log):  # type: ignore[type-var]
            call_command(command, createsuperuser=True, withoutimages=True, stdout=log)
    finally:
        saleor_logger.setLevel(level)
        log.close()
    console.detail(
        f"loaded {Product.objects.count()} products, customers, orders in "
        f"{console.elapsed()} (log: {_shown(output / 'populatedb.log')})"
    )


def _configure_plugin(console: Console, sink: SmtpSink) -> Any:
    from django.conf import settings

    from ..constants import PLUGIN_ID
    from . import shop_api

    console.step("Plugin and mail")
    staff = shop_api.staff_client()
    stored = shop_api.configure_plugin(staff, PLUGIN_ID, True, PLUGIN_SETTINGS)
    shown = ", ".join(f"{name}={stored.get(name)}" for name in PLUGIN_SETTINGS)
    console.detail(f"pluginUpdate {PLUGIN_ID}: active={stored['active']}, {shown}")
    console.detail(
        f"email: {settings.EMAIL_BACKEND.rsplit('.', 2)[-2]} -> demo SMTP sink on "
        f"{sink.host}:{sink.port}"
    )
    return staff


def _live_fortnight(console: Console, sink: SmtpSink) -> datetime:
    from datetime import timedelta

    from django.utils import timezone

    from . import story

    console.step(f"A fortnight of customers ({story.DAYS} simulated days)")
    removed = story.forget_previous_run()
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
        stats = story.Story(sink, clock, on_day).run(start)
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
    return start


def _report(since: datetime, sink: SmtpSink, gallery: EmailGallery) -> bool:
    from .report import check_against_sink, format_table, tally_ledger

    tallies = tally_ledger(since)
    print("\nReport (tables saleor_ecrm_scheduledsend and saleor_ecrm_conversion):")
    for line in format_table(tallies):
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


def _print_what_to_try(env: Dict[str, Any], port: int, serving: bool) -> None:
    from . import shop_api

    endpoint = f"http://127.0.0.1:{port}/graphql/"
    query = shop_api.SAMPLE_QUERY.replace('"', '\\"')
    interval = os.environ.get("ECRM_DISPATCH_INTERVAL", "30")
    indent = " " * 26
    lines = ["", "What to try" + ("" if serving else " (with --serve)") + ":"]
    if not serving:
        lines += [
            "  keep the shop running:  make demo ARGS=--serve",
            f"{indent}(python -m saleor_ecrm_plugin.demo --serve)",
        ]
    lines += [
        f"  GraphQL endpoint:       {endpoint}",
        f"{indent}(open it in a browser for a small query form)",
        f"  sample query:           curl -s {endpoint} \\",
        f"{indent}  -H 'Content-Type: application/json' \\",
        f'{indent}  -d \'{{"query": "{query}"}}\'',
        "  register a customer:    mutation { accountRegister(input: "
        '{email: "you@example.com",',
        f'{indent}  password: "try-it-123"}}) {{ accountErrors {{ message }} }} }}',
        f"{indent}-> its welcome email reaches the SMTP sink "
        f"{PLUGIN_SETTINGS['welcome_delay_minutes']} minutes later",
        f"{indent}   (the dispatcher runs every {interval} s)",
        '  staff login:            mutation { tokenCreate(email: "admin@example.com",',
        f'{indent}  password: "admin") {{ token }} }}',
        f"{indent}then, with header 'Authorization: JWT <token>':",
        f'{indent}{{ plugin(id: "saleor_ecrm_plugin.ecrm") '
        "{ active configuration { name value } } }",
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


def _serve(args: argparse.Namespace, env: Dict[str, Any], output: Path) -> None:
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
        _print_what_to_try(env, port, serving=True)

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
