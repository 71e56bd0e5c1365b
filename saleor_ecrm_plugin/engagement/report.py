"""Engagement per program, for reports: opens, clicks, orders by click.

Counted in SQL over the events of the emails planned since a moment. Opens by
privacy proxies and clicks by scanners are counted apart; orders are credited by
click (:mod:`.attribution`, one email per order) and, apart, "influenced" (every
email a program credits for having been sent before the order, the ledger's
``Conversion``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Dict, List

from django.db.models import Count, Q, Sum

from ..models import Conversion
from .models import ClickConversion, EmailClick, EmailOpen, OpenProxy


@dataclass
class ProgramEngagement:
    program: str
    #: distinct emails opened by their reader / only by a privacy proxy's fetch
    opened: int = 0
    opened_by_proxy: int = 0
    #: clicks by people / flagged as scanners'
    clicks: int = 0
    bot_clicks: int = 0
    #: distinct emails really clicked
    clicked_emails: int = 0
    click_orders: int = 0
    click_revenue: Decimal = Decimal("0")
    influenced_orders: int = 0
    influenced_revenue: Decimal = Decimal("0")
    currency: str = ""


def engagement_by_program(since: datetime) -> Dict[str, ProgramEngagement]:
    """Engagement of the emails planned since ``since``, per program."""
    rows: Dict[str, ProgramEngagement] = {}

    def row(program: str) -> ProgramEngagement:
        return rows.setdefault(program, ProgramEngagement(program))

    real_open = ~Q(proxy=OpenProxy.APPLE_MPP)
    for entry in (
        EmailOpen.objects.filter(send__created_at__gte=since)
        .values("program")
        .annotate(
            opened=Count("send_id", distinct=True, filter=real_open),
            any_open=Count("send_id", distinct=True),
        )
        .order_by()
    ):
        item = row(entry["program"])
        item.opened = entry["opened"]
        item.opened_by_proxy = entry["any_open"] - entry["opened"]
    for entry in (
        EmailClick.objects.filter(send__created_at__gte=since)
        .values("program")
        .annotate(
            clicks=Count("id", filter=Q(bot_reason="")),
            bots=Count("id", filter=~Q(bot_reason="")),
            emails=Count("send_id", distinct=True, filter=Q(bot_reason="")),
        )
        .order_by()
    ):
        item = row(entry["program"])
        item.clicks, item.bot_clicks = entry["clicks"], entry["bots"]
        item.clicked_emails = entry["emails"]
    for entry in (
        ClickConversion.objects.filter(send__created_at__gte=since)
        .values("program", "currency")
        .annotate(orders=Count("order_id"), revenue=Sum("revenue"))
        .order_by()
    ):
        item = row(entry["program"])
        item.click_orders += entry["orders"]
        item.click_revenue += entry["revenue"] or Decimal("0")
        item.currency = entry["currency"]
    influenced = (
        Conversion.objects.filter(send__created_at__gte=since)
        .values_list("program", "order_id", "revenue", "currency")
        .distinct()
    )
    for program, _order, revenue, currency in influenced:
        item = row(program)
        item.influenced_orders += 1
        item.influenced_revenue += revenue
        item.currency = item.currency or currency
    return dict(sorted(rows.items()))


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}".strip() if amount else "-"


def format_engagement(rows: Dict[str, ProgramEngagement]) -> List[str]:
    """A plain-text table of :func:`engagement_by_program`."""
    header = (
        "program",
        "opened",
        "(privacy proxy)",
        "clicks",
        "(bots)",
        "orders by click",
        "revenue by click",
        "influenced",
        "revenue influenced",
    )
    table = [
        (
            r.program,
            str(r.opened),
            str(r.opened_by_proxy),
            str(r.clicks),
            str(r.bot_clicks),
            str(r.click_orders),
            _money(r.click_revenue, r.currency),
            str(r.influenced_orders),
            _money(r.influenced_revenue, r.currency),
        )
        for r in rows.values()
    ] or [("(none)", "0", "0", "0", "0", "0", "-", "0", "-")]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths))
        ).rstrip()
        for cells in [header, *table]
    ]
