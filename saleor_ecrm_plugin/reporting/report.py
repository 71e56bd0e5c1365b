"""The merchant's report: what became of the emails planned in a period.

One :class:`ReportRow` per program, step and A/B variant ("" outside a test), for
the emails *planned* (ledger rows created) in ``[since, until)``, with what
followed them whenever it happened:

* ``planned``, ``sent``, ``skipped``, ``cancelled``, ``failed``, ``pending``: the
  ledger's outcome of each row;
* ``opened``: emails opened by their reader; ``opened_by_proxy``: emails whose
  only opens are Apple Mail Privacy Protection's fetches (not counted as opened);
* ``clicked``: emails with a click by a person; ``clicks`` / ``bot_clicks``: the
  clicks themselves, scanners' apart (:mod:`..engagement.scanners`);
* ``bounced``: sent emails followed, within :data:`BOUNCE_WINDOW`, by the
  provider's hard bounce or rejection of the address (the last email sent to
  the address before the event takes it); ``unsubscribed``: likewise for a
  withdrawal of consent (one-click, preference page, provider) within
  :data:`UNSUBSCRIBE_WINDOW`. Each email counts once however many followed it;
* ``click_orders`` / ``click_revenue``: orders credited to the email by the last
  real click (one email per order, :mod:`..engagement.attribution`);
  ``influenced_orders`` / ``influenced_revenue``: orders the program credits to
  the email for having been sent before them (each order once per row).

Everything is counted in SQL; the totals of :class:`Report` add the rows up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Dict, List, Tuple

from django.db import connection

from ..engagement.models import ClickConversion, EmailClick, EmailOpen, OpenProxy
from ..models import Conversion, ScheduledSend, SendStatus
from ..preferences.models import ConsentAction, ConsentEvent, EmailContact
from ..segments.models import AbAssignment
from .inputs import Period, checked_period

#: a bounce is laid at the door of the last email sent this long before it
BOUNCE_WINDOW = timedelta(days=3)
#: an unsubscribe is laid at the door of the last email sent this long before it
UNSUBSCRIBE_WINDOW = timedelta(days=7)
#: the provider's suppression reasons that are bounces (not complaints)
BOUNCE_REASONS = ("hard_bounce", "rejected")

COUNTS = (
    "planned",
    "sent",
    "skipped",
    "cancelled",
    "failed",
    "pending",
    "bounced",
    "opened",
    "opened_by_proxy",
    "clicked",
    "clicks",
    "bot_clicks",
    "unsubscribed",
    "click_orders",
    "influenced_orders",
)


@dataclass
class ReportRow:
    program: str
    step: str
    variant: str = ""
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    cancelled: int = 0
    failed: int = 0
    pending: int = 0
    bounced: int = 0
    opened: int = 0
    opened_by_proxy: int = 0
    clicked: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    unsubscribed: int = 0
    click_orders: int = 0
    click_revenue: Decimal = Decimal("0")
    influenced_orders: int = 0
    influenced_revenue: Decimal = Decimal("0")
    currency: str = ""


@dataclass
class Report:
    since: datetime
    until: datetime
    rows: List[ReportRow] = field(default_factory=list)

    def total(self) -> ReportRow:
        """The rows added up (revenue in the rows' currency; "" when they differ).
        An order credited to emails of several rows counts in each of them."""
        total = ReportRow(program="", step="")
        for row in self.rows:
            for name in COUNTS:
                setattr(total, name, getattr(total, name) + getattr(row, name))
            total.click_revenue += row.click_revenue
            total.influenced_revenue += row.influenced_revenue
        currencies = {row.currency for row in self.rows if row.currency}
        total.currency = currencies.pop() if len(currencies) == 1 else ""
        return total

    def by_program(self) -> Dict[str, ReportRow]:
        """The rows added up per program (steps and variants together)."""
        programs: Dict[str, Report] = {}
        for row in self.rows:
            programs.setdefault(
                row.program, Report(self.since, self.until)
            ).rows.append(row)
        result = {}
        for program, report in sorted(programs.items()):
            total = report.total()
            total.program = program
            result[program] = total
        return result


Key = Tuple[str, str, str]


def _tables() -> Dict[str, str]:
    return {
        "send": ScheduledSend._meta.db_table,
        "ab": AbAssignment._meta.db_table,
        "open": EmailOpen._meta.db_table,
        "click": EmailClick._meta.db_table,
        "click_conversion": ClickConversion._meta.db_table,
        "conversion": Conversion._meta.db_table,
        "consent": ConsentEvent._meta.db_table,
        "contact": EmailContact._meta.db_table,
    }


# the emails planned in the period, each with its A/B variant ("" when none)
_SENDS = """
    WITH sends AS (
        SELECT s.id, s.program, s.step, COALESCE(a.variant, '') AS variant,
               s.status, s.recipient, s.sent_at
        FROM {send} s LEFT JOIN {ab} a ON a.send_id = s.id
        WHERE s.created_at >= %(since)s AND s.created_at < %(until)s
    )
"""

_OUTCOMES = """
    SELECT program, step, variant,
        count(*),
        count(*) FILTER (WHERE status = %(sent)s),
        count(*) FILTER (WHERE status = %(skipped)s),
        count(*) FILTER (WHERE status = %(cancelled)s),
        count(*) FILTER (WHERE status = %(failed)s),
        count(*) FILTER (WHERE status IN (%(planned)s, %(sending)s)),
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM {open} o WHERE o.send_id = sends.id AND o.proxy <> %(mpp)s)),
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM {open} o WHERE o.send_id = sends.id AND o.proxy = %(mpp)s)
            AND NOT EXISTS (
            SELECT 1 FROM {open} o WHERE o.send_id = sends.id AND o.proxy <> %(mpp)s)),
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM {click} c WHERE c.send_id = sends.id AND c.bot_reason = ''))
    FROM sends GROUP BY program, step, variant
"""

_CLICKS = """
    SELECT sends.program, sends.step, sends.variant,
        count(*) FILTER (WHERE c.bot_reason = ''),
        count(*) FILTER (WHERE c.bot_reason <> '')
    FROM sends JOIN {click} c ON c.send_id = sends.id
    GROUP BY sends.program, sends.step, sends.variant
"""

_CLICK_ORDERS = """
    SELECT sends.program, sends.step, sends.variant,
        count(*), sum(k.revenue), max(k.currency)
    FROM sends JOIN {click_conversion} k ON k.send_id = sends.id
    GROUP BY sends.program, sends.step, sends.variant
"""

# each order once per row, whatever the number of the row's emails it credits
_INFLUENCED = """
    SELECT program, step, variant, count(*), sum(revenue), max(currency) FROM (
        SELECT DISTINCT ON (sends.program, sends.step, sends.variant, v.order_id)
            sends.program, sends.step, sends.variant, v.revenue, v.currency
        FROM sends JOIN {conversion} v ON v.send_id = sends.id
        ORDER BY sends.program, sends.step, sends.variant, v.order_id
    ) orders GROUP BY program, step, variant
"""

# each consent event laid at the door of the last email sent to the address
# within the window before it (the partial index on UPPER(recipient), sent_at of
# sent rows serves the lookup); then each email of the period counted once
_FOLLOWED_BY = """
    SELECT sends.program, sends.step, sends.variant, count(DISTINCT blamed.id)
    FROM (
        SELECT (
            SELECT s.id FROM {send} s
            WHERE s.status = %(sent)s AND UPPER(s.recipient) = UPPER(ct.email)
              AND s.sent_at <= e.created_at AND s.sent_at > e.created_at - %(window)s
            ORDER BY s.sent_at DESC, s.id DESC LIMIT 1
        ) AS id
        FROM {consent} e JOIN {contact} ct ON ct.id = e.contact_id
        WHERE e.created_at >= %(since)s AND e.created_at < %(until)s + %(window)s
          AND {condition}
    ) blamed JOIN sends ON sends.id = blamed.id
    GROUP BY sends.program, sends.step, sends.variant
"""


def email_report(since: object, until: object) -> Report:
    """The report on the emails planned in ``[since, until)`` (see the module).

    Raises :class:`~.inputs.ReportInputError` for a period it refuses."""
    period = checked_period(since, until)
    return _report(period)


def _report(period: Period) -> Report:
    tables = _tables()
    params = {
        "since": period.since,
        "until": period.until,
        "planned": SendStatus.PLANNED,
        "sending": SendStatus.SENDING,
        "sent": SendStatus.SENT,
        "skipped": SendStatus.SKIPPED,
        "cancelled": SendStatus.CANCELLED,
        "failed": SendStatus.FAILED,
        "mpp": OpenProxy.APPLE_MPP,
    }
    rows: Dict[Key, ReportRow] = {}

    def query(sql: str, **extra: object) -> List[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                (_SENDS + sql).format(**tables, condition=extra.pop("condition", "")),
                {**params, **extra},
            )
            return cursor.fetchall()

    def row(key: Tuple) -> ReportRow:
        program, step, variant = key
        return rows.setdefault(
            (program, step, variant), ReportRow(program, step, variant)
        )

    for (
        *key,
        planned,
        sent,
        skipped,
        cancelled,
        failed,
        pending,
        opened,
        proxy,
        clicked,
    ) in query(_OUTCOMES):
        item = row(tuple(key))
        item.planned, item.sent, item.skipped = planned, sent, skipped
        item.cancelled, item.failed, item.pending = cancelled, failed, pending
        item.opened, item.opened_by_proxy, item.clicked = opened, proxy, clicked
    for *key, clicks, bots in query(_CLICKS):
        item = row(tuple(key))
        item.clicks, item.bot_clicks = clicks, bots
    for *key, orders, revenue, currency in query(_CLICK_ORDERS):
        item = row(tuple(key))
        item.click_orders, item.click_revenue = orders, revenue or Decimal("0")
        item.currency = currency or item.currency
    for *key, orders, revenue, currency in query(_INFLUENCED):
        item = row(tuple(key))
        item.influenced_orders = orders
        item.influenced_revenue = revenue or Decimal("0")
        item.currency = item.currency or currency
    bounce = "e.action = '{}' AND e.detail IN ({})".format(
        ConsentAction.SUPPRESSED, ", ".join(f"'{r}'" for r in BOUNCE_REASONS)
    )
    for *key, count in query(_FOLLOWED_BY, window=BOUNCE_WINDOW, condition=bounce):
        row(tuple(key)).bounced = count
    withdrawn = f"e.action = '{ConsentAction.WITHDRAWN}'"
    for *key, count in query(
        _FOLLOWED_BY, window=UNSUBSCRIBE_WINDOW, condition=withdrawn
    ):
        row(tuple(key)).unsubscribed = count
    return Report(period.since, period.until, [rows[key] for key in sorted(rows)])
