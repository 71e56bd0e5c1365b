"""The end-of-run report: what the ledger says happened, per program.

Numbers come from the ledger (:class:`~saleor_ecrm_plugin.models.ScheduledSend`)
only; the demo compares its ``sent`` total with what the SMTP sink received.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List


@dataclass
class ProgramTally:
    program: str
    planned: int = 0
    sent: int = 0
    skipped: Counter = field(default_factory=Counter)
    failed: int = 0
    cancelled: int = 0
    pending: int = 0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def skipped_text(self) -> str:
        if not self.skipped:
            return "0"
        reasons = ", ".join(
            f"{reason} {n}" for reason, n in sorted(self.skipped.items())
        )
        return f"{self.skipped_total} ({reasons})"


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
            tally.cancelled += count
        else:
            tally.pending += count
    return dict(sorted(tallies.items()))


def format_table(tallies: Dict[str, ProgramTally]) -> List[str]:
    header = ("program", "planned", "sent", "skipped (by reason)", "failed", "pending")
    rows = [
        (
            t.program,
            str(t.planned),
            str(t.sent),
            t.skipped_text(),
            str(t.failed),
            str(t.pending + t.cancelled),
        )
        for t in tallies.values()
    ]
    if len(rows) > 1:
        rows.append(
            (
                "all",
                str(sum(t.planned for t in tallies.values())),
                str(sum(t.sent for t in tallies.values())),
                str(sum(t.skipped_total for t in tallies.values())),
                str(sum(t.failed for t in tallies.values())),
                str(sum(t.pending + t.cancelled for t in tallies.values())),
            )
        )
    if not rows:
        rows.append(("(none)", "0", "0", "0", "0", "0"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple) -> str:
        first = cells[0].ljust(widths[0])
        rest = [
            cell.rjust(w) if cell.isdigit() else cell.ljust(w)
            for cell, w in zip(cells[1:], widths[1:])
        ]
        return "  ".join([first, *rest]).rstrip()

    return [line(header), *(line(r) for r in rows)]
