#!/usr/bin/env python
"""Provider-latency bench: ours, django-post-office and the concurrency limit, side by
side, against an SMTP server that answers like a real provider. Prints figures and
verdicts; never fails on a timing.

Run from the repository root (``make bench`` runs it; see bench/README.md)::

    DJANGO_SETTINGS_MODULE=saleor_ecrm_plugin.demo.settings \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecrm_bench \\
    .venv/bin/python bench/provider.py

The provider is the shared SMTP sink (``saleor_ecrm_plugin.testing.smtp``) in a
process of its own: it waits ``--reply-delay`` (default 25 ms, one round trip to a
provider a city away) before each SMTP reply and accepts at most
``--max-connections`` sessions at once (default 16; one more is refused with ``421``
and closed, as Microsoft 365 does). One email on an open connection costs four
replies (MAIL, RCPT, DATA's 354, the final 250), so a provider that close cannot take
more than ``connections / per-email latency`` emails a second from anybody: the
**concurrency limit**, computed from the provider's connection limit and the latency
of one email measured on a single connection (raw smtplib, pre-rendered bytes).

On that provider, in one run, the same N messages are sent by
1. ours: the real ``Dispatcher().run()`` over N due ledger rows, with its default
   claim loops (``ECRM_DISPATCH_THREADS``, default 16: set it to the provider's
   connection limit), rendering each email from its template as in production;
2. django-post-office at its default settings (``send_queued()`` until the queue is
   empty: BATCH_SIZE 100, THREADS_PER_PROCESS 5) over N queued, pre-rendered emails.
The CPU-bound local-sink line follows: the same two methods against a sink that
answers at once (what ``bench/dispatch.py`` measures at length). CPU per email is
the sending process's own CPU time (post-office's forked workers included when it
forks); the SMTP server's is not counted.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import smtplib
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.database import ensure_database  # noqa: E402
from bench.dispatch import (  # noqa: E402
    Prepared,
    Run,
    configure_environment,
    load_average,
    prepare_messages,
    prepare_shop,
    register_bench_program,
    run_ours,
    run_post_office,
    setup_django,
)
from bench.smtp_sink import SmtpSink  # noqa: E402

TARGET_VS_LIMIT = 0.8
TARGET_VS_POST_OFFICE = 2.0
#: SMTP replies per email on an open connection: MAIL, RCPT, DATA (354), end (250)
REPLIES_PER_EMAIL = 4


@dataclass
class Latency:
    """One connection sending ``count`` emails back to back (after its EHLO)."""

    count: int
    seconds: float
    cpu: float

    @property
    def per_email(self) -> float:
        return self.seconds / self.count

    @property
    def cpu_per_email(self) -> float:
        return self.cpu / self.count


def single_connection_latency(
    messages: Sequence[Prepared], sink: SmtpSink, count: int
) -> Latency:
    sample = list(messages[:count])
    smtp = smtplib.SMTP("127.0.0.1", sink.port, timeout=30)
    try:
        smtp.ehlo()
        started, cpu = time.perf_counter(), time.process_time()
        for message in sample:
            smtp.sendmail(message.from_email, message.to, message.raw)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        smtp.quit()
    return Latency(len(sample), seconds, cpu)


def use_smtp_server(sink: SmtpSink) -> None:
    """Point Django's SMTP backend (ours and post-office alike) at ``sink``."""
    from django.conf import settings

    settings.EMAIL_PORT = sink.port


def post_office_as_a_new_process() -> None:
    """Give post-office the connection handler a new sending process starts with.

    post-office prepares every email of a batch in the calling thread, with that
    thread's backend (``connections["default"]``, read from the settings once), and
    keeps that backend for the process's life: its ``connections.close()`` closes the
    SMTP session but keeps the object, so each later email opens and closes a
    session of its own. Each measured post-office run starts as a fresh
    ``send_queued_mail_until_done`` process would, and on the server it is meant for.
    """
    import post_office.mail
    import post_office.models
    from post_office.connections import ConnectionHandler

    post_office.models.connections.close()
    fresh = ConnectionHandler()
    post_office.mail.connections = fresh  # type: ignore[attr-defined]
    post_office.models.connections = fresh  # type: ignore[attr-defined]


def run_post_office_fresh(messages: Sequence[Prepared], sink: SmtpSink) -> Run:
    post_office_as_a_new_process()
    return run_post_office(messages, sink)


@dataclass
class Measured:
    run: Run
    refused: int  # connections the provider refused during the run


def measure(name: str, sink: SmtpSink, method: Callable[[], Run]) -> Measured:
    refused = sink.refused_connections
    run = method()
    measured = Measured(run, sink.refused_connections - refused)
    print(
        f"  {name:<24} {run.seconds:7.2f} s {run.rate:7.0f} emails/s  "
        f"delivered {run.delivered:,}, refused connections {measured.refused}; "
        f"{run.note}"
    )
    return measured


@dataclass
class Summary:
    """A method's rounds in one line: medians of rate and CPU, the fewest emails
    delivered and the most connections refused in any round."""

    sent: int
    rate: float
    cpu_per_email: float
    delivered: int
    refused: int


def summarise(runs: List[Measured]) -> Summary:
    return Summary(
        sent=min(m.run.sent for m in runs),
        rate=statistics.median(m.run.rate for m in runs),
        cpu_per_email=statistics.median(m.run.cpu_per_email for m in runs),
        delivered=min(m.run.delivered for m in runs),
        refused=max(m.refused for m in runs),
    )


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--messages", type=int, default=2000, help="messages per method and round"
    )
    parser.add_argument(
        "--post-office-messages",
        type=int,
        default=300,
        metavar="N",
        help="messages of post-office's provider run (it sends about 5 a second "
        "there; 0: --messages)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds; medians are shown"
    )
    parser.add_argument(
        "--reply-delay",
        type=float,
        default=0.025,
        metavar="SECONDS",
        help="the provider's wait before each SMTP reply (default 0.025)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=16,
        metavar="N",
        help="the provider's limit of concurrent connections (default 16)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="the dispatcher's claim loops (ECRM_DISPATCH_THREADS); " "0: its default",
    )
    parser.add_argument(
        "--latency-sample",
        type=int,
        default=40,
        metavar="N",
        help="emails sent on one connection to measure the per-email latency",
    )
    parser.add_argument(
        "--warmup", type=int, default=50, help="messages of the unreported warm-up"
    )
    parser.add_argument(
        "--skip-local", action="store_true", help="skip the local-sink line"
    )
    args = parser.parse_args(argv)
    if args.messages < 1 or args.repeat < 1 or args.latency_sample < 1:
        parser.error("--messages, --repeat and --latency-sample must be at least 1")
    if args.max_connections < 1 or args.reply_delay < 0:
        parser.error("--max-connections must be >= 1 and --reply-delay >= 0")
    return args


def options_line(args: argparse.Namespace) -> str:
    return " ".join(
        f"--{name.replace('_', '-')} {value}"
        for name, value in vars(args).items()
        if not isinstance(value, bool)
    ) + (" --skip-local" if args.skip_local else "")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads:
        os.environ["ECRM_BENCH_THREADS"] = str(args.threads)
    wall = time.perf_counter()
    provider = SmtpSink(
        reply_delay=args.reply_delay, max_connections=args.max_connections
    )
    local = SmtpSink()
    with provider, local:
        base = configure_environment(provider.port)
        created = ensure_database(os.environ["DATABASE_URL"])
        migrate_seconds = setup_django()

        import django
        import post_office
        from django.conf import settings
        from django.db import connection
        from post_office.settings import get_batch_size, get_threads_per_process

        from saleor_ecrm_plugin.dispatcher import Dispatcher

        logging.getLogger("post_office").setLevel(logging.WARNING)
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (pg_version,) = cursor.fetchone()
        dispatcher = Dispatcher()
        po_version = ".".join(map(str, post_office.VERSION))
        print(
            "saleor-ecrm-plugin provider-latency bench  "
            f"(Python {platform.python_version()}, Django {django.get_version()}, "
            f"django-post-office {po_version}, PostgreSQL {pg_version}, "
            f"{os.cpu_count()} CPUs)\n"
            f"options: {options_line(args)}\n"
            f"settings {base} + bench.settings, DEBUG={os.environ['DEBUG']}, "
            f"database {connection.settings_dict['NAME']}"
            f"{' (created)' if created else ''}, migrate {migrate_seconds:.1f} s, "
            f"load average at start {load_average()}\n"
            f"provider: SMTP sink in process {provider.pid}, each reply after "
            f"{args.reply_delay * 1000:g} ms, at most {args.max_connections} "
            "connections at once (one more gets 421 and is closed, as Microsoft 365 "
            "does)\n"
            f"ours: Dispatcher(), one process, {dispatcher.threads} claim loops "
            f"(ECRM_DISPATCH_THREADS{'; --threads' if args.threads else ''}: set it "
            f"to the provider's connection limit), batch_size "
            f"{dispatcher.batch_size}, EMAIL_TIMEOUT {settings.EMAIL_TIMEOUT}\n"
            f"post-office {po_version} at its defaults: BATCH_SIZE "
            f"{get_batch_size()}, THREADS_PER_PROCESS {get_threads_per_process()}, "
            "send_queued(processes=1) until the queue is empty"
        )

        program = register_bench_program()
        prepare_shop()
        started = time.perf_counter()
        messages = prepare_messages(
            max(args.messages, args.latency_sample, args.warmup), program
        )
        print(
            f"prepared {len(messages):,} messages ({len(messages[0].raw):,} bytes "
            f"each) in {time.perf_counter() - started:.1f} s"
        )
        batch = messages[: args.messages]
        po_batch = messages[: args.post_office_messages or args.messages]

        use_smtp_server(provider)
        warm = messages[: args.warmup]
        run_ours(len(warm), provider)
        run_post_office_fresh(warm, provider)
        latency = single_connection_latency(messages, provider, args.latency_sample)
        limit = args.max_connections / latency.per_email
        print(
            f"\none connection: {latency.count} emails in {latency.seconds:.2f} s = "
            f"{latency.per_email * 1000:.1f} ms an email ({REPLIES_PER_EMAIL} replies "
            f"x {args.reply_delay * 1000:g} ms = "
            f"{REPLIES_PER_EMAIL * args.reply_delay * 1000:g} ms of it waiting)\n"
            f"concurrency limit = {args.max_connections} connections / "
            f"{latency.per_email * 1000:.1f} ms = {limit:.0f} emails/s"
        )

        on_provider: Dict[str, List[Measured]] = {"ours": [], "post-office": []}
        on_local: Dict[str, List[Measured]] = {"ours": [], "post-office": []}
        for round_number in range(1, args.repeat + 1):
            use_smtp_server(provider)
            on_provider["ours"].append(
                measure(
                    "provider: ours", provider, lambda: run_ours(len(batch), provider)
                )
            )
            on_provider["post-office"].append(
                measure(
                    "provider: post-office",
                    provider,
                    lambda: run_post_office_fresh(po_batch, provider),
                )
            )
            if not args.skip_local:
                use_smtp_server(local)
                if round_number == 1:
                    run_ours(len(warm), local)
                    run_post_office_fresh(warm, local)
                on_local["ours"].append(
                    measure(
                        "local sink: ours", local, lambda: run_ours(len(batch), local)
                    )
                )
                on_local["post-office"].append(
                    measure(
                        "local sink: post-office",
                        local,
                        lambda: run_post_office_fresh(batch, local),
                    )
                )
        peak = provider.peak_connections

    print_table(args, latency, limit, on_provider, on_local, peak)
    print(
        f"\nTotal {time.perf_counter() - wall:.0f} s, load average at end "
        f"{load_average()}"
    )
    return 0


def print_table(
    args: argparse.Namespace,
    latency: Latency,
    limit: float,
    on_provider: Dict[str, List[Measured]],
    on_local: Dict[str, List[Measured]],
    peak: int,
) -> None:
    rounds = len(on_provider["ours"])
    which = "one round" if rounds == 1 else f"medians of {rounds} rounds"
    print(
        f"\nSide by side ({which}):\n"
        f"  {'':<30}{'emails':>7}{'emails/s':>10}{'x limit':>9}{'CPU ms/email':>14}"
        f"{'delivered':>11}{'refused':>9}"
    )
    print(
        f"  provider ({args.reply_delay * 1000:g} ms a reply, "
        f"{args.max_connections} connections at most)"
    )
    print(
        f"    {'concurrency limit':<28}{'':>7}{limit:>10.0f}{1:>9.2f}"
        f"{latency.cpu_per_email * 1000:>14.2f}"
        f"   = {args.max_connections} / {latency.per_email * 1000:.1f} ms "
        "(CPU: raw smtplib's)"
    )
    for name, runs in on_provider.items():
        line = summarise(runs)
        print(
            f"    {name:<28}{line.sent:>7,}{line.rate:>10.0f}{line.rate / limit:>9.2f}"
            f"{line.cpu_per_email * 1000:>14.2f}{line.delivered:>11,}{line.refused:>9}"
        )
    if on_local["ours"]:
        print("  local sink (answers at once: CPU-bound)")
        for name, runs in on_local.items():
            line = summarise(runs)
            print(
                f"    {name:<28}{line.sent:>7,}{line.rate:>10.0f}{'':>9}"
                f"{line.cpu_per_email * 1000:>14.2f}{line.delivered:>11,}"
            )
    ours = [m.run for m in on_provider["ours"]]
    theirs = [m.run for m in on_provider["post-office"]]
    vs_limit = statistics.median(run.rate / limit for run in ours)
    vs_post_office = statistics.median(a.rate / b.rate for a, b in zip(ours, theirs))
    print(
        f"\n  ours / concurrency limit = {vs_limit:.2f}x   (target >= "
        f"{TARGET_VS_LIMIT}x: {'met' if vs_limit >= TARGET_VS_LIMIT else 'MISSED'})\n"
        f"  ours / post-office       = {vs_post_office:.2f}x   (target >= "
        f"{TARGET_VS_POST_OFFICE}x: "
        f"{'met' if vs_post_office >= TARGET_VS_POST_OFFICE else 'MISSED'})\n"
        f"  most connections open at once on the provider: {peak} "
        f"(limit {args.max_connections})"
    )
    if on_local["ours"]:
        local_ours = statistics.median(m.run.rate for m in on_local["ours"])
        local_po = statistics.median(m.run.rate for m in on_local["post-office"])
        print(f"  local sink: ours / post-office = {local_ours / local_po:.2f}x")
    if any(
        m.run.sent < args.messages or m.run.delivered != m.run.sent
        for m in on_provider["ours"]
    ):
        print(
            f"  !! ours did not deliver all {args.messages:,} emails in the run (its "
            "rate counts only those it did): the rest wait for a retry; with more "
            "claim loops than the provider's connections, set ECRM_DISPATCH_THREADS "
            "to the provider's limit"
        )


if __name__ == "__main__":
    sys.exit(main())
