#!/usr/bin/env python
"""Benchmark of the send ledger and the dispatcher: prints figures, never fails on time.

Run from the repository root (see bench/README.md)::

    DJANGO_SETTINGS_MODULE=saleor_ecrm_plugin.demo.settings \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench \\
    /tmp/v311/bin/python bench/dispatch.py

A. Throughput: the same N prepared messages (default 2,000) to the same local SMTP
   server (aiosmtpd in its own process, accepting everything), sent by
   1. our ``Dispatcher().run()`` over N due ledger rows (rendered by the dispatcher
      from the ``ecrm/welcome`` template, as in production),
   2. django-post-office's ``send_queued()`` over N queued emails with the same
      pre-rendered subject and bodies,
   3. raw smtplib: one connection, ``sendmail`` of the N pre-rendered messages.
   Separately (not the headline): ``--processes`` dispatcher processes on the same N
   rows at once. Then the cost per email of each stage (render, MIME, SMTP,
   delivery, the ``sent`` mark), timed alone: one email's path, stage after stage.
B. The cost of one ``claim_due_sends(limit=500)`` with 10k, 100k and 1M ledger rows.

The database named by ``DATABASE_URL`` is created and migrated when missing, and its
ledger and post-office tables are emptied: give the bench a database of its own.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import resource
import smtplib
import statistics
import sys
import time
from dataclasses import dataclass
from inspect import signature
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402
from bench.smtp_sink import SmtpSink  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ecrm_bench"
DEFAULT_BASE_SETTINGS = "saleor_ecrm_plugin.demo.settings"
BENCH_PROGRAM_ID = "bench_ping"
# The welcome template's kind of email: not transactional, so the dispatcher runs the
# consent check and the renderer adds unsubscribe headers, but no marketing consent
# is needed (every bench message is sent).
BENCH_CATEGORY = "account"
CLAIM_LIMIT = 500
TARGET_VS_POST_OFFICE = 2.0
TARGET_VS_RAW = 0.5
TARGET_CLAIM_GROWTH = 1.5


# --- process set-up ---------------------------------------------------------------


def configure_environment(smtp_port: int) -> str:
    """Point Django at bench/settings.py on top of the caller's settings module."""
    base = os.environ.get("DJANGO_SETTINGS_MODULE") or DEFAULT_BASE_SETTINGS
    if base == "bench.settings":
        base = os.environ.get("ECRM_BENCH_BASE_SETTINGS", DEFAULT_BASE_SETTINGS)
    os.environ["ECRM_BENCH_BASE_SETTINGS"] = base
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # Measure as a shop runs in production; Saleor then wants its client hosts named.
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    os.environ["ECRM_BENCH_SMTP_PORT"] = str(smtp_port)
    return base


def setup_django() -> float:
    """django.setup(), then migrate when needed. Returns the seconds that took."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    started = time.perf_counter()
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        call_command("migrate", interactive=False, verbosity=0)
    return time.perf_counter() - started


def prepare_shop() -> None:
    """The shop identity and an active plugin, as the dashboard would store them."""
    from django.contrib.sites.models import Site
    from saleor.plugins.models import PluginConfiguration
    from saleor.site.models import SiteSettings

    from saleor_ecrm_plugin.config import default_configuration
    from saleor_ecrm_plugin.constants import PLUGIN_ID

    site, _ = Site.objects.update_or_create(
        pk=1, defaults={"name": "Bench Shop", "domain": "shop.example.com"}
    )
    SiteSettings.objects.update_or_create(
        site=site,
        defaults={
            "default_mail_sender_name": "Bench Shop",
            "default_mail_sender_address": "hello@shop.example.com",
        },
    )
    Site.objects.clear_cache()
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        defaults={
            "name": "e-CRM",
            "active": True,
            "configuration": default_configuration(),
        },
    )


def register_bench_program() -> Any:
    """A bench-only program (like tests/programs.py's PingProgram): always sends the
    welcome template, personalised from the row's payload."""
    from saleor_ecrm_plugin.programs.base import EmailSpec, Program
    from saleor_ecrm_plugin.programs.registry import register

    @register
    class BenchProgram(Program):
        id = BENCH_PROGRAM_ID
        category = BENCH_CATEGORY

        def skip_reason(self, send, settings) -> Optional[str]:
            return None

        def message(self, send, settings) -> EmailSpec:
            return EmailSpec(
                template="ecrm/welcome",
                context={
                    "first_name": send.payload.get("name", ""),
                    "shop_url": settings.storefront_url,
                },
            )

    return BenchProgram()


def truncate(*models: Any) -> None:
    from django.db import connection

    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


# --- A. throughput ------------------------------------------------------------------


@dataclass
class Prepared:
    """One message rendered once, in the forms each method sends it."""

    from_email: str
    to: List[str]
    subject: str
    text: str
    html: str
    headers: Dict[str, str]
    raw: bytes


def planned_sends(count: int) -> List[Any]:
    from django.utils import timezone

    from saleor_ecrm_plugin.ledger import PlannedSend

    due_at = timezone.now() - timezone.timedelta(minutes=1)
    return [
        PlannedSend(
            program=BENCH_PROGRAM_ID,
            step="ping",
            recipient=f"customer{index}@example.org",
            subject_type="bench",
            subject_id=str(index),
            due_at=due_at,
            payload={"name": f"Customer {index}"},
        )
        for index in range(count)
    ]


def prepare_messages(count: int, program: Any) -> List[Prepared]:
    """Render the same messages the dispatcher will render, through the same code."""
    from saleor_ecrm_plugin.dispatcher import load_context
    from saleor_ecrm_plugin.rendering import render_send

    context = load_context()
    # render_send gained a ``program`` argument (unsubscribe headers by category)
    extra = (
        {"program": program} if "program" in signature(render_send).parameters else {}
    )
    prepared = []
    for index, planned in enumerate(planned_sends(count), start=1):
        send = planned.to_row()
        send.pk = send.id = index
        message = render_send(
            send,
            program.message(send, context.settings),
            context.settings,
            context.shop,
            **extra,
        )
        prepared.append(
            Prepared(
                from_email=message.from_email,
                to=list(message.to),
                subject=message.subject,
                text=message.body,
                html=message.alternatives[0][0],
                headers=dict(message.extra_headers),
                raw=message.message().as_bytes(linesep="\r\n"),
            )
        )
    return prepared


@dataclass
class Run:
    seconds: float
    sent: int
    delivered: int  # as counted by the SMTP server
    note: str = ""
    cpu: float = 0.0  # CPU seconds of the sending process(es) (see each method)

    @property
    def cpu_per_email(self) -> float:
        return self.cpu / self.sent if self.sent else 0.0

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def run_ours(count: int, sink: SmtpSink) -> Run:
    from saleor_ecrm_plugin.dispatcher import Dispatcher
    from saleor_ecrm_plugin.ledger import plan_sends
    from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt

    truncate(ScheduledSend, SendAttempt)
    plan_sends(planned_sends(count))
    before = sink.count
    started, cpu = time.perf_counter(), time.process_time()
    report = Dispatcher().run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    # this process's own CPU: the rest of the time it waits (SMTP, PostgreSQL, CPU)
    note = f"CPU {cpu * 1000 / max(report.sent, 1):.2f} ms an email"
    if report.sent != count:
        note += f", report {vars(report)}"
    return Run(seconds, report.sent, sink.count - before, note, cpu)


def run_ours_prepared(messages: Sequence[Prepared], sink: SmtpSink) -> Run:
    """What-if, not the headline: ``run_ours`` with ``render_send`` handing out the
    prepared bodies (what post-office is given) instead of rendering. Everything
    else is the dispatcher's own work: claim, consent check, re-check, MIME,
    delivery, the sent mark, the attempt rows."""
    from django.core.mail import EmailMultiAlternatives

    from saleor_ecrm_plugin import rendering

    by_recipient = {message.to[0]: message for message in messages}

    def prepared(send: Any, *args: Any, **kwargs: Any) -> Any:
        message = by_recipient[send.recipient]
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=message.from_email,
            to=list(message.to),
            headers=dict(message.headers),
        )
        email.attach_alternative(message.html, "text/html")
        return email

    render_send = rendering.render_send
    rendering.render_send = prepared  # type: ignore[assignment]
    try:
        run = run_ours(len(messages), sink)
    finally:
        rendering.render_send = render_send  # type: ignore[assignment]
    return run


def _dispatcher_process(commands: Any, results: Any) -> None:
    """A spawned dispatcher process (environment inherited from the bench): on each
    command, ``Dispatcher().run()`` once and report the outcome."""
    import django

    django.setup()
    register_bench_program()
    from django.db import connection

    from saleor_ecrm_plugin.dispatcher import Dispatcher

    results.put(("ready", os.getpid()))
    try:
        while commands.get() == "run":
            started, cpu = time.perf_counter(), time.process_time()
            report = Dispatcher().run()
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            results.put(("done", (report.sent, seconds, cpu)))
    finally:
        connection.close()


class DispatcherProcesses:
    """N dispatcher processes, started once (Django set up, not timed), each running
    ``Dispatcher().run()`` on the same ledger at the same time, as N Celery worker
    processes do: they share the due rows through ``SKIP LOCKED``."""

    def __init__(self, count: int) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.results = context.Queue()
        self.commands = [context.Queue() for _ in range(count)]
        self.processes = [
            context.Process(
                target=_dispatcher_process,
                args=(commands, self.results),
                name=f"bench-dispatcher-{index}",
                daemon=True,
            )
            for index, commands in enumerate(self.commands)
        ]
        for process in self.processes:
            process.start()
        for _ in self.processes:
            kind, _pid = self.results.get(timeout=120)
            assert kind == "ready", kind

    def run(self, count: int, sink: SmtpSink) -> Run:
        from saleor_ecrm_plugin.ledger import plan_sends
        from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt

        truncate(ScheduledSend, SendAttempt)
        plan_sends(planned_sends(count))
        before = sink.count
        started = time.perf_counter()
        for commands in self.commands:
            commands.put("run")
        done = [self.results.get(timeout=600)[1] for _ in self.commands]
        seconds = time.perf_counter() - started
        sent = sum(count for count, _, _ in done)
        note = "per process: " + ", ".join(
            f"{count} sent in {spent:.2f} s, CPU {cpu * 1000 / max(count, 1):.2f} ms "
            "an email"
            for count, spent, cpu in done
        )
        return Run(seconds, sent, sink.count - before, note)

    def close(self) -> None:
        for commands in self.commands:
            commands.put("stop")
        for process in self.processes:
            process.join(30)
            if process.is_alive():
                process.terminate()
                process.join(5)


def run_post_office(
    messages: Sequence[Prepared], sink: SmtpSink, processes: int = 1
) -> Run:
    from django.db import connection
    from post_office import mail
    from post_office.models import Email, Log

    truncate(Email, Log)
    for message in messages:
        mail.send(
            recipients=message.to,
            sender=message.from_email,
            subject=message.subject,
            message=message.text,
            html_message=message.html,
            headers=message.headers,
            priority="medium",  # queued, not sent now
        )
    before = sink.count
    sent = failed = calls = 0
    started, cpu = time.perf_counter(), _cpu_with_reaped_children()
    # send_queued() takes one batch (BATCH_SIZE) per call: call it until the queue is
    # empty, as post-office's send_queued_mail command does (without its file lock).
    while sent + failed < len(messages):
        batch_sent, batch_failed, _requeued = mail.send_queued(processes=processes)
        calls += 1
        if processes > 1:
            # its forked workers close the connection they inherited: reconnect,
            # as send_queued_mail_until_done does after every call
            connection.close()
        if not batch_sent and not batch_failed:
            break
        sent += batch_sent
        failed += batch_failed
    seconds = time.perf_counter() - started
    cpu = _cpu_with_reaped_children() - cpu
    note = (
        f"CPU {cpu * 1000 / max(sent, 1):.2f} ms an email"
        f"{' (its forked workers included)' if processes > 1 else ''}, "
        f"{calls} send_queued() calls" + (f", {failed} failed" if failed else "")
    )
    return Run(seconds, sent, sink.count - before, note, cpu)


def _cpu_with_reaped_children() -> float:
    """This process's CPU seconds plus those of its children that have ended and
    been waited for (post-office's pool workers; the SMTP server and the
    dispatcher processes run until the end and are not counted)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run_raw(messages: Sequence[Prepared], sink: SmtpSink) -> Run:
    before = sink.count
    started, cpu = time.perf_counter(), time.process_time()
    smtp = smtplib.SMTP("127.0.0.1", sink.port, timeout=10)
    try:
        for message in messages:
            smtp.sendmail(message.from_email, message.to, message.raw)
    finally:
        smtp.quit()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    note = f"CPU {cpu * 1000 / len(messages):.2f} ms an email"
    return Run(seconds, len(messages), sink.count - before, note, cpu)


def bench_throughput(args: argparse.Namespace, sink: SmtpSink) -> Dict[str, List[Run]]:
    import post_office
    from django.conf import settings

    program = register_bench_program()
    prepare_shop()
    started = time.perf_counter()
    messages = prepare_messages(args.messages, program)
    print(
        f"  prepared {len(messages):,} messages ({len(messages[0].raw):,} bytes each "
        f"as sent, multipart text+html) in {time.perf_counter() - started:.1f} s"
    )
    config = dict(getattr(settings, "POST_OFFICE", {}))
    from post_office.settings import (
        get_batch_size,
        get_log_level,
        get_threads_per_process,
    )

    from saleor_ecrm_plugin.dispatcher import Dispatcher

    defaults = Dispatcher()
    print(
        f"  ours: Dispatcher(), one process: batch_size {defaults.batch_size}, "
        f"lease {defaults.lease_seconds} s, {defaults.threads} threads"
        f"{' (--threads)' if args.threads else ''}\n"
        f"  post-office {'.'.join(map(str, post_office.VERSION))}: "
        f"POST_OFFICE={config} -> BATCH_SIZE {get_batch_size()}, "
        f"THREADS_PER_PROCESS {get_threads_per_process()}, "
        f"LOG_LEVEL {get_log_level()}; send_queued(processes=1)\n"
        f"  raw: smtplib, one connection, sendmail() of the pre-rendered bytes\n"
        f"  SMTP server: aiosmtpd in process {sink.pid}, port {sink.port}, accepts all"
    )
    print(
        f"  {PREPARED_NAME}: what-if, not the headline: ours with render_send handing "
        "out the prepared bodies post-office is given (no templates, links or CSS "
        "inlining; the rest of the dispatcher's work as in ours)"
    )
    parallel = None
    if args.processes > 1:
        parallel = DispatcherProcesses(args.processes)
        print(
            f"  {parallel_name(args.processes)}: {args.processes} dispatcher processes "
            "(started beforehand), each Dispatcher().run() with its defaults, on "
            "the same ledger at once; not the headline\n"
            f"  {parallel_name(args.processes, 'post-office')}: "
            f"send_queued(processes={args.processes}) (a pool forked for each "
            "batch); not the headline"
        )
    try:
        return _throughput_rounds(args, sink, messages, parallel)
    finally:
        if parallel is not None:
            parallel.close()


PREPARED_NAME = "ours, prepared"


def parallel_name(processes: int, method: str = "ours") -> str:
    return f"{method} x{processes}"


def _throughput_rounds(
    args: argparse.Namespace,
    sink: SmtpSink,
    messages: List[Prepared],
    parallel: Optional[DispatcherProcesses],
) -> Dict[str, List[Run]]:
    methods: List[Tuple[str, Callable[[], Run]]] = [
        ("ours", lambda: run_ours(len(messages), sink)),
        ("post-office", lambda: run_post_office(messages, sink)),
        ("raw smtplib", lambda: run_raw(messages, sink)),
        (PREPARED_NAME, lambda: run_ours_prepared(messages, sink)),
    ]
    processes = args.processes
    if parallel is not None:
        methods += [
            (
                parallel_name(processes),
                lambda: parallel.run(len(messages), sink),  # type: ignore[union-attr]
            ),
            (
                parallel_name(processes, "post-office"),
                lambda: run_post_office(messages, sink, processes),
            ),
        ]
    # Warm-up (imports, first connections, template and query caches): not reported.
    warm = messages[: args.warmup]
    run_ours(len(warm), sink)
    run_ours_prepared(warm, sink)
    if parallel is not None:
        parallel.run(len(warm), sink)
        run_post_office(warm, sink, processes)
    run_post_office(warm, sink)
    run_raw(warm, sink)

    runs: Dict[str, List[Run]] = {name: [] for name, _ in methods}
    for round_number in range(1, args.repeat + 1):
        for name, method in methods:  # interleaved, so drift hits every method alike
            run = method()
            runs[name].append(run)
            problem = ""
            if run.delivered != len(messages) or run.sent != len(messages):
                problem = f"  !! sent {run.sent}, server received {run.delivered}"
            print(
                f"  round {round_number} {name:<16} {run.seconds:7.2f} s "
                f"{run.rate:8.0f} msg/s  {run.note}{problem}"
            )
    return runs


def print_throughput(runs: Dict[str, List[Run]], count: int) -> None:
    rates = {
        name: statistics.median(r.rate for r in method_runs)
        for name, method_runs in runs.items()
    }
    print(f"\n  Throughput, {count:,} messages, median of {len(runs['ours'])} rounds:")
    for name, method_runs in runs.items():
        low = min(r.rate for r in method_runs)
        high = max(r.rate for r in method_runs)
        print(f"    {name:<16} {rates[name]:8.0f} msg/s   (range {low:.0f}-{high:.0f})")
    # The machine's speed drifts from one minute to the next: a round's methods run
    # one after the other, so the ratio within each round is the drift-proof figure
    # and the verdict is on the median of those; the ratio of the medians is shown too.
    for other, target in (
        ("post-office", TARGET_VS_POST_OFFICE),
        ("raw smtplib", TARGET_VS_RAW),
    ):
        paired = [
            ours.rate / theirs.rate for ours, theirs in zip(runs["ours"], runs[other])
        ]
        ratio = statistics.median(paired)
        print(
            f"    ours / {other:<11} = {ratio:6.3f}x   (target >= {target}x: "
            f"{'met' if ratio >= target else 'MISSED'})   median of the rounds' "
            f"ratios {' '.join(f'{r:.2f}' for r in paired)}; "
            f"ratio of the medians {rates['ours'] / rates[other]:.2f}x"
        )
    print(
        f"    what-if, not the headline: {PREPARED_NAME} / post-office = "
        f"{_paired(runs, PREPARED_NAME, 'post-office'):5.2f}x, / raw smtplib = "
        f"{_paired(runs, PREPARED_NAME, 'raw smtplib'):5.2f}x (what rendering "
        "costs ours: ours / ours, prepared = "
        f"{_paired(runs, 'ours', PREPARED_NAME):4.2f}x)"
    )
    for name in [name for name in rates if name.startswith("ours x")]:
        theirs = "post-office" + name[len("ours") :]
        print(
            f"    scale-out, not the headline: {name} / {theirs} (the same processes) "
            f"= {_paired(runs, name, theirs):5.2f}x, / post-office (one process) = "
            f"{_paired(runs, name, 'post-office'):5.2f}x, / raw smtplib = "
            f"{_paired(runs, name, 'raw smtplib'):5.2f}x, / ours = "
            f"{_paired(runs, name, 'ours'):4.2f}x"
        )


def _paired(runs: Dict[str, List[Run]], ours: str, theirs: str) -> float:
    """The median of each round's own ratio (see print_throughput)."""
    return statistics.median(a.rate / b.rate for a, b in zip(runs[ours], runs[theirs]))


def profile_ours(count: int, sink: SmtpSink) -> None:
    """cProfile of one ``run_ours`` (after a warm-up): where the time per email goes."""
    import cProfile
    import io
    import pstats

    register_bench_program()
    prepare_shop()
    run_ours(min(count, 100), sink)  # warm-up, not profiled
    profiler = cProfile.Profile()
    profiler.enable()
    run = run_ours(count, sink)
    profiler.disable()
    print(
        f"\nProfile of ours, {count:,} messages: {run.seconds:.2f} s under cProfile "
        f"({run.rate:.0f} msg/s; the profiler slows Python code down)"
    )
    for order, restriction in (
        ("tottime", [30]),
        ("cumulative", [30]),
        ("cumulative", ["saleor_ecrm_plugin", 20]),  # the plugin's own functions
    ):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(*restriction)
        print(out.getvalue())


STAGE_SAMPLE = 500


def stage_costs(count: int, sink: SmtpSink) -> Dict[str, float]:
    """Milliseconds per email of the stages every sent email goes through, each
    timed alone over the same sends, in this process: one email's path, stage after
    stage (the dispatcher's threads overlap the stages' waits)."""
    from saleor_ecrm_plugin import inlining
    from saleor_ecrm_plugin.delivery import Courier
    from saleor_ecrm_plugin.dispatcher import claim_due_sends, finish_sent, load_context
    from saleor_ecrm_plugin.inlining import inline_css
    from saleor_ecrm_plugin.ledger import plan_sends
    from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt
    from saleor_ecrm_plugin.preferences.links import unsubscribe_headers_and_context
    from saleor_ecrm_plugin.programs.registry import get_program
    from saleor_ecrm_plugin.rendering import render_send

    program = get_program(BENCH_PROGRAM_ID)
    context = load_context()
    truncate(ScheduledSend, SendAttempt)
    plan_sends(planned_sends(count))
    claim = claim_due_sends(limit=count)
    sends = claim.sends
    costs: Dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = work()
        costs[name] = (time.perf_counter() - started) * 1000 / len(sends)
        return result

    settings, shop = context.settings, context.shop
    timed(
        "signed links",
        lambda: [
            unsubscribe_headers_and_context(settings, shop, s.recipient, "account")
            for s in sends
        ],
    )
    messages = timed(
        "render",
        lambda: [
            render_send(s, program.message(s, settings), settings, shop, program)
            for s in sends
        ],
    )
    # the HTML as rendered, before inlining: render once more with inlining off
    try:
        inlining.inline_css = lambda html: html  # type: ignore[assignment]
        html = [
            render_send(
                s, program.message(s, settings), settings, shop, program
            ).alternatives[0][0]
            for s in sends
        ]
    finally:
        inlining.inline_css = inline_css
    timed("CSS inlining", lambda: [inline_css(h) for h in html])
    raw = timed(
        "MIME",
        lambda: [m.message().as_bytes(linesep="\r\n") for m in messages],
    )
    smtp = smtplib.SMTP("127.0.0.1", sink.port, timeout=10)
    try:
        timed(
            "SMTP",
            lambda: [
                smtp.sendmail(m.from_email, m.to, data)
                for m, data in zip(messages, raw)
            ],
        )
    finally:
        smtp.quit()
    with Courier() as courier:
        timed("delivery", lambda: [courier.deliver(m) for m in messages])
    timed(
        "sent mark",
        lambda: [finish_sent(s, claim.token, "<bench@example.com>") for s in sends],
    )
    return costs


def print_stage_costs(costs: Dict[str, float], runs: Dict[str, List[Run]]) -> None:
    rates = {
        name: statistics.median(r.rate for r in method_runs)
        for name, method_runs in runs.items()
    }
    print(
        f"\n  Cost per email by stage, each timed alone over {STAGE_SAMPLE} sends, ms "
        "(render includes the links and the inlining; delivery, the dispatcher's "
        "Courier on Django's SMTP backend, includes MIME and SMTP):\n    "
        + ", ".join(f"{name} {ms:.3f}" for name, ms in costs.items())
    )
    floor = costs["render"] + costs["delivery"] + costs["sent mark"]
    ours = 1000 / rates["ours"]
    print(
        f"    render + delivery + sent mark = {floor:.2f} ms one after the other "
        f"({1000 / floor:.0f} msg/s); ours took {ours:.2f} ms an email with its "
        "threads overlapping the waits."
        f"\n    The targets need <= "
        f"{1000 / (TARGET_VS_POST_OFFICE * rates['post-office']):.2f} ms "
        f"({TARGET_VS_POST_OFFICE}x post-office) and <= "
        f"{1000 / (TARGET_VS_RAW * rates['raw smtplib']):.2f} ms "
        f"({TARGET_VS_RAW}x raw smtplib) an email."
    )


# --- B. claim cost ------------------------------------------------------------------

# Sizes the ledger like a shop's history: mostly sent (75 %) and skipped (20 %),
# 5 % planned for later, and exactly %(due)s rows due now, spread evenly over the
# table (ids stride, 2*stride, ...) so that they sit on different heap pages.
FILL_SQL = """
INSERT INTO {table} (program, step, recipient, subject_type, subject_id, due_at,
    status, idempotency_key, payload, attempts, next_attempt_at, lease_token,
    last_error, skip_reason, message_id, sent_at, created_at, updated_at)
SELECT %(program)s, 'ping', 'customer' || g || '@example.org', 'bench', g::text,
    r.due_at, r.status, 'bench:ping:' || g, '{{}}'::jsonb,
    CASE WHEN r.status = 'planned' THEN 0 ELSE 1 END,
    CASE WHEN r.status = 'planned' THEN r.due_at END, '', '',
    CASE WHEN r.status = 'skipped' THEN 'checkout_converted' ELSE '' END,
    CASE WHEN r.status = 'sent' THEN '<ecrm.' || g || '@shop.example.com>' ELSE '' END,
    CASE WHEN r.status = 'sent' THEN r.due_at END,
    r.due_at - interval '1 hour', r.due_at
FROM generate_series(1, %(size)s) AS g
CROSS JOIN LATERAL (
    SELECT
        CASE
            WHEN g %% %(stride)s = 0 AND g / %(stride)s <= %(due)s THEN 'planned'
            WHEN g %% 20 = 1 THEN 'planned'
            WHEN g %% 5 = 2 THEN 'skipped'
            ELSE 'sent'
        END AS status,
        CASE
            WHEN g %% %(stride)s = 0 AND g / %(stride)s <= %(due)s
                THEN now() - interval '1 hour' + g * interval '1 millisecond'
            WHEN g %% 20 = 1 THEN now() + interval '1 hour' + g * interval '1 second'
            ELSE now() - interval '2 hours' - (%(size)s - g) * interval '5 seconds'
        END AS due_at
) AS r
"""

# the partial index the claim's SELECT should read (models.ScheduledSend.Meta)
DUE_INDEX = "ecrm_send_due_idx"

# Hands the claimed rows back as they were: planned and due.
RESET_SQL = """
UPDATE {table} SET status = 'planned', lease_token = '', lease_expires_at = NULL,
    next_attempt_at = due_at, attempts = 0
WHERE lease_token = %s
"""


def fill_ledger(size: int, due: int) -> Dict[str, Any]:
    from django.db import connection

    from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt

    table = connection.ops.quote_name(ScheduledSend._meta.db_table)
    truncate(ScheduledSend, SendAttempt)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            FILL_SQL.format(table=table),
            {
                "program": BENCH_PROGRAM_ID,
                "size": size,
                "stride": size // due,
                "due": due,
            },
        )
        # autovacuum may be off (it is on this machine's server): vacuum and analyze now
        cursor.execute(f"VACUUM (ANALYZE) {table}")
        cursor.execute(
            "SELECT status, count(*), count(*) FILTER (WHERE next_attempt_at <= now()) "
            f"FROM {table} GROUP BY status ORDER BY status"
        )
        counts = {
            status: (total, due_now) for status, total, due_now in cursor.fetchall()
        }
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [table])
        (size_text,) = cursor.fetchone()
    return {
        "seconds": time.perf_counter() - started,
        "counts": counts,
        "size": size_text,
    }


def hand_back(token: str) -> None:
    """Make the claimed rows due again; vacuum, so every timed claim starts alike."""
    from django.db import connection

    from saleor_ecrm_plugin.models import ScheduledSend

    table = connection.ops.quote_name(ScheduledSend._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(RESET_SQL.format(table=table), [token])
        cursor.execute(f"VACUUM {table}")


class StatementTimer:
    """A Django execute wrapper: how long each SQL statement of a claim took."""

    def __init__(self) -> None:
        self.seconds: List[float] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds.append(time.perf_counter() - started)


# the statements of claim_due_sends, in order; the rest is commit and Python
CLAIM_STEPS = ("select+lock", "update", "read rows")


def time_claims(times: int) -> Tuple[List[float], Dict[str, List[float]]]:
    from django.db import connection

    from saleor_ecrm_plugin.dispatcher import claim_due_sends

    seconds: List[float] = []
    steps: Dict[str, List[float]] = {name: [] for name in (*CLAIM_STEPS, "rest")}
    for _ in range(times):
        timer = StatementTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            claim = claim_due_sends(limit=CLAIM_LIMIT)
            seconds.append(time.perf_counter() - started)
        if len(claim.sends) != CLAIM_LIMIT:
            print(f"    !! claimed {len(claim.sends)} rows, expected {CLAIM_LIMIT}")
        if len(timer.seconds) == len(CLAIM_STEPS):
            for name, spent in zip(CLAIM_STEPS, timer.seconds):
                steps[name].append(spent)
            steps["rest"].append(seconds[-1] - sum(timer.seconds))
        hand_back(claim.token)
    return seconds, steps


def explain_claim() -> List[str]:
    """EXPLAIN ANALYZE the SELECT that claim_due_sends really sends (captured)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from saleor_ecrm_plugin.dispatcher import claim_due_sends

    with CaptureQueriesContext(connection) as captured:
        claim = claim_due_sends(limit=CLAIM_LIMIT)
    hand_back(claim.token)
    select = next(
        q["sql"] for q in captured.captured_queries if "SKIP LOCKED" in q["sql"]
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + select)
            plan = [row[0] for row in cursor.fetchall()]
        transaction.set_rollback(True)  # release the row locks the ANALYZE run took
    return [select] + plan


def bench_claims(args: argparse.Namespace) -> None:
    from saleor_ecrm_plugin.dispatcher import claim_due_sends

    medians: Dict[int, float] = {}
    plan: List[str] = []
    for size in args.sizes:
        filled = fill_ledger(size, CLAIM_LIMIT)
        counts = ", ".join(f"{s} {n:,}" for s, (n, _) in filled["counts"].items())
        due_now = sum(d for s, (_, d) in filled["counts"].items() if s == "planned")
        hand_back(claim_due_sends(limit=CLAIM_LIMIT).token)  # warm-up claim
        seconds, steps = time_claims(args.claims)
        medians[size] = statistics.median(seconds)
        breakdown = ", ".join(
            f"{name} {statistics.median(spent) * 1000:.1f}"
            for name, spent in steps.items()
            if spent
        )
        print(
            f"  {size:>9,} rows ({filled['size']}; {counts}; due now {due_now}; "
            f"filled in {filled['seconds']:.1f} s)\n"
            f"            claim of {CLAIM_LIMIT}: "
            f"median {medians[size] * 1000:6.2f} ms  "
            f"(min {min(seconds) * 1000:.2f}, max {max(seconds) * 1000:.2f}, "
            f"{len(seconds)} claims)\n"
            f"            median ms by statement: {breakdown} (commit + Python)"
        )
        if size == max(args.sizes):
            plan = explain_claim()
    smallest, largest = min(medians), max(medians)
    growth = medians[largest] / medians[smallest]
    print(
        f"\n  growth {largest:,} / {smallest:,} rows = {growth:.2f}x   "
        f"(target <= {TARGET_CLAIM_GROWTH}x: "
        f"{'met' if growth <= TARGET_CLAIM_GROWTH else 'MISSED'})"
    )
    if plan:
        uses = any(DUE_INDEX in line for line in plan[1:])
        print(
            f"\n  EXPLAIN (ANALYZE, BUFFERS) of the claim's SELECT at {largest:,} rows:"
        )
        print(f"    {plan[0]}")
        for line in plan[1:]:
            print(f"    {line}")
        print(f"  uses the partial index {DUE_INDEX}: {'yes' if uses else 'NO'}")
    if not args.keep:
        from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt

        truncate(ScheduledSend, SendAttempt)


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# --- main ---------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=2000, help="messages per method (A)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of A; medians are shown"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        metavar="N",
        help="also time N dispatcher processes at once, a separate figure (A); "
        "0 or 1: skip",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="claim loops of each dispatcher (ECRM_DISPATCH_THREADS); "
        "0: the dispatcher's default",
    )
    parser.add_argument(
        "--warmup", type=int, default=100, help="messages of the unreported warm-up"
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(part) for part in text.split(",")],
        default=[10_000, 100_000, 1_000_000],
        help="ledger sizes of B, comma-separated",
    )
    parser.add_argument(
        "--claims", type=int, default=5, help="timed claims per size (B)"
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="only profile ours (cProfile) over N messages and print the top costs",
    )
    parser.add_argument("--skip-throughput", action="store_true", help="skip A")
    parser.add_argument("--skip-claims", action="store_true", help="skip B")
    parser.add_argument(
        "--keep", action="store_true", help="leave B's largest ledger in place"
    )
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads:
        os.environ["ECRM_BENCH_THREADS"] = str(args.threads)
    wall = time.perf_counter()
    with SmtpSink() as sink:
        base = configure_environment(sink.port)
        created = ensure_database(os.environ["DATABASE_URL"])
        migrate_seconds = setup_django()

        import django
        import post_office
        from django.db import connection

        logging.getLogger("post_office").setLevel(logging.WARNING)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (pg_version,) = cursor.fetchone()
            cursor.execute("SHOW synchronous_commit")
            (sync_commit,) = cursor.fetchone()
        database = connection.settings_dict["NAME"]
        print(
            "saleor-ecrm-plugin dispatcher bench  "
            f"(Python {platform.python_version()}, "
            f"Django {django.get_version()}, django-post-office "
            f"{'.'.join(map(str, post_office.VERSION))}, PostgreSQL {pg_version}, "
            f"{os.cpu_count()} CPUs)\n"
            f"settings {base} + bench.settings, DEBUG={os.environ['DEBUG']}, "
            f"database {database}{' (created)' if created else ''}, "
            f"migrate {migrate_seconds:.1f} s, synchronous_commit={sync_commit}\n"
            f"load average at start {load_average()} "
            "(other work on the machine skews the figures)"
        )
        if args.profile:
            profile_ours(args.profile, sink)
            return 0
        if not args.skip_throughput:
            print(f"\nA. Throughput: {args.messages:,} messages to a local SMTP server")
            runs = bench_throughput(args, sink)
            print_throughput(runs, args.messages)
            print_stage_costs(stage_costs(STAGE_SAMPLE, sink), runs)
    if not args.skip_claims:
        print(f"\nB. One claim_due_sends(limit={CLAIM_LIMIT}) by ledger size")
        bench_claims(args)
    print(
        f"\nTotal bench time {time.perf_counter() - wall:.0f} s, "
        f"load average at end {load_average()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
