"""The end-of-run report: what the ledger says happened, per program.

Numbers come from the ledger (:class:`~saleor_ecrm_plugin.models.ScheduledSend`)
and the conversions credited to its rows (:class:`~saleor_ecrm_plugin.models.
Conversion`); :func:`check_against_sink` compares them with what the SMTP sink
received, message by message (the ``X-Ecrm-Program`` header and the Message-ID).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Dict, List, Sequence

from .smtp_sink import ReceivedEmail


@dataclass
class ProgramTally:
    program: str
    planned: int = 0
    sent: int = 0
    skipped: Counter = field(default_factory=Counter)
    failed: int = 0
    cancelled: Counter = field(default_factory=Counter)
    pending: int = 0
    #: emails held back at least once by quiet hours or the frequency cap
    delayed: int = 0
    converted: int = 0  # distinct orders credited to this program's emails
    revenue: Decimal = Decimal("0")
    currency: str = ""
    #: the VIP variant's share (steps named ``*_vip``, win-back's VIP care):
    #: planned, sent, converted orders
    vip: Counter = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _with_reasons(reasons: Counter) -> str:
    """``"12 (a 10, b 2)"``: a total and its reasons, most frequent first."""
    total = sum(reasons.values())
    if not total:
        return "0"
    shown = ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
    return f"{total} ({shown})"


def tally_ledger(since: datetime) -> Dict[str, ProgramTally]:
    """Count the ledger rows planned since ``since``, by program and outcome."""
    from django.db.models import Count

    from ..models import ScheduledSend, SendStatus

    tallies: Dict[str, ProgramTally] = {}
    rows = (
        ScheduledSend.objects.filter(created_at__gte=since)
        .values("program", "status", "skip_reason")
        .annotate(count=Count("id"))
        .order_by()
    )
    for row in rows:
        tally = tallies.setdefault(row["program"], ProgramTally(row["program"]))
        count = row["count"]
        tally.planned += count
        status = row["status"]
        if status == SendStatus.SENT:
            tally.sent += count
        elif status == SendStatus.SKIPPED:
            tally.skipped[row["skip_reason"] or "unknown"] += count
        elif status == SendStatus.FAILED:
            tally.failed += count
        elif status == SendStatus.CANCELLED:
            tally.cancelled[row["skip_reason"] or "unknown"] += count
        else:
            tally.pending += count
    _add_delays(tallies, since)
    _add_conversions(tallies, since)
    _add_vip(tallies, since)
    return dict(sorted(tallies.items()))


#: the step suffix of a program's VIP variant (win-back's VIP care)
VIP_STEP_SUFFIX = "_vip"


def _add_vip(tallies: Dict[str, ProgramTally], since: datetime) -> None:
    """The VIP variants apart: planned, sent and converted orders per program."""
    from django.db.models import Count, Q

    from ..models import Conversion, ScheduledSend, SendStatus

    rows = (
        ScheduledSend.objects.filter(
            created_at__gte=since, step__endswith=VIP_STEP_SUFFIX
        )
        .values("program")
        .annotate(
            planned=Count("id"),
            sent=Count("id", filter=Q(status=SendStatus.SENT)),
        )
        .order_by()
    )
    for row in rows:
        tally = tallies.setdefault(row["program"], ProgramTally(row["program"]))
        tally.vip["planned"] += row["planned"]
        tally.vip["sent"] += row["sent"]
    converted = (
        Conversion.objects.filter(
            send__created_at__gte=since, send__step__endswith=VIP_STEP_SUFFIX
        )
        .values_list("program", "order_id")
        .distinct()
    )
    for program, _order_id in converted:
        tallies.setdefault(program, ProgramTally(program)).vip["converted"] += 1


def _add_delays(tallies: Dict[str, ProgramTally], since: datetime) -> None:
    """Emails the sending policy held back (their attempt log has a deferral)."""
    from django.db.models import Count

    from ..models import AttemptOutcome, SendAttempt

    rows = (
        SendAttempt.objects.filter(
            outcome=AttemptOutcome.DEFERRED, send__created_at__gte=since
        )
        .values("send__program")
        .annotate(count=Count("send_id", distinct=True))
        .order_by()
    )
    for row in rows:
        program = row["send__program"]
        tallies.setdefault(program, ProgramTally(program)).delayed += row["count"]


def _add_conversions(tallies: Dict[str, ProgramTally], since: datetime) -> None:
    """Orders credited per program, each order (and its revenue) counted once."""
    from ..models import Conversion

    orders = (
        Conversion.objects.filter(send__created_at__gte=since)
        .values_list("program", "order_id", "revenue", "currency")
        .distinct()
    )
    for program, _order_id, revenue, currency in orders:
        tally = tallies.setdefault(program, ProgramTally(program))
        tally.converted += 1
        tally.revenue += revenue
        tally.currency = currency


def check_against_sink(
    tallies: Dict[str, ProgramTally],
    messages: Sequence[ReceivedEmail],
    since: datetime,
) -> List[str]:
    """Disagreements between the ledger and the sink; empty when they agree.

    Every e-CRM message received must be a ``sent`` ledger row (same Message-ID)
    of the program its header names, and every ``sent`` row must have arrived once.
    """
    from ..models import ScheduledSend, SendStatus

    sent = {
        row.message_id: row.program
        for row in ScheduledSend.objects.filter(
            created_at__gte=since, status=SendStatus.SENT
        ).only("message_id", "program")
    }
    problems: List[str] = []
    received: Counter = Counter()
    for message in messages:
        program = message.program
        if not program:
            continue  # Saleor's own emails (order confirmation, shipping)
        message_id = str(message.message["Message-ID"])
        received[message_id] += 1
        if sent.get(message_id) != program.split("/")[0]:
            problems.append(f"received {message_id} ({program}): no such sent row")
    for message_id, program in sent.items():
        if received[message_id] != 1:
            problems.append(
                f"{program} row {message_id} arrived {received[message_id]} times"
            )
    for tally in tallies.values():
        arrived = sum(
            1 for message in messages if message.program.split("/")[0] == tally.program
        )
        if arrived != tally.sent:
            problems.append(
                f"{tally.program}: ledger says {tally.sent} sent, sink got {arrived}"
            )
    return problems


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}".strip() if amount else "-"


def format_table(tallies: Dict[str, ProgramTally]) -> List[str]:
    header = (
        "program",
        "planned",
        "sent",
        "delayed",
        "skipped",
        "cancelled",
        "failed",
        "pending",
        "converted",
        "revenue",
    )
    rows = [
        (
            t.program,
            str(t.planned),
            str(t.sent),
            str(t.delayed),
            str(t.skipped_total),
            str(sum(t.cancelled.values())),
            str(t.failed),
            str(t.pending),
            str(t.converted),
            _money(t.revenue, t.currency),
        )
        for t in tallies.values()
    ]
    if len(rows) > 1:
        currencies = {t.currency for t in tallies.values() if t.currency}
        rows.append(
            (
                "all",
                str(sum(t.planned for t in tallies.values())),
                str(sum(t.sent for t in tallies.values())),
                str(sum(t.delayed for t in tallies.values())),
                str(sum(t.skipped_total for t in tallies.values())),
                str(sum(sum(t.cancelled.values()) for t in tallies.values())),
                str(sum(t.failed for t in tallies.values())),
                str(sum(t.pending for t in tallies.values())),
                str(sum(t.converted for t in tallies.values())),
                _money(
                    sum((t.revenue for t in tallies.values()), Decimal("0")),
                    currencies.pop() if len(currencies) == 1 else "",
                ),
            )
        )
    if not rows:
        rows.append(("(none)", "0", "0", "0", "0", "0", "0", "0", "0", "-"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple) -> str:
        first = cells[0].ljust(widths[0])
        rest = [
            cell.rjust(w) if cell[:1].isdigit() or cell == "-" else cell.ljust(w)
            for cell, w in zip(cells[1:], widths[1:])
        ]
        return "  ".join([first, *rest]).rstrip()

    reasons = [
        f"{t.program} {what} {_with_reasons(counter)}"
        for t in tallies.values()
        for what, counter in (("skipped", t.skipped), ("cancelled", t.cancelled))
        if counter
    ]
    vips = [
        f"  {t.program}: planned {t.vip['planned']}, sent {t.vip['sent']},"
        f" converted {t.vip['converted']}"
        for t in tallies.values()
        if t.vip
    ]
    return [
        line(header),
        *(line(r) for r in rows),
        *(["why:"] + [f"  {reason}" for reason in reasons] if reasons else []),
        *(["VIP variants (counted in the rows above):"] + vips if vips else []),
    ]
