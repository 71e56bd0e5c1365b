"""The merchant's report and the customer timeline over GraphQL, for staff only.

* ``ecrmReport(since, until)``: per program, step and A/B variant, what became of
  the emails planned in the period (:mod:`saleor_ecrm_plugin.reporting.report`).
  Requires MANAGE_ORDERS: it holds orders and revenue, which Saleor shows only to
  staff who manage orders.
* ``ecrmTimeline(email, first)``: every email planned / sent / skipped, open,
  click, credited order and consent change of one address, in time order
  (:mod:`saleor_ecrm_plugin.reporting.timeline`). Requires MANAGE_USERS: it is a
  customer's personal data, which Saleor shows only to staff who manage customers.

Anonymous visitors, customers and staff without the permission get Saleor's own
permission error and no data. Input the services refuse (a reversed or too long
period, a malformed address, a ``first`` out of range) comes back as
``errors { field message code }`` with no report; nothing is ever written.
"""

from __future__ import annotations

from typing import Any, Callable, List, Optional

import graphene

from ..reporting.inputs import MAX_PERIOD_DAYS, MAX_TIMELINE_EVENTS, ReportInputError
from ..reporting.report import Report, ReportRow, email_report
from ..reporting.timeline import TimelineEvent, address_timeline
from .host_types import MANAGE_ORDERS, MANAGE_USERS, DateTime, permission_required


class EcrmReportErrorCode(graphene.Enum):
    INVALID = "invalid"
    PERIOD_REVERSED = "period_reversed"
    PERIOD_TOO_LONG = "period_too_long"


class EcrmReportError(graphene.ObjectType):
    field = graphene.String(description="The argument at fault.")
    message = graphene.String(required=True)
    code = EcrmReportErrorCode(required=True)


class EcrmReportRow(graphene.ObjectType):
    program = graphene.String(required=True, description="Empty in the total.")
    step = graphene.String(required=True, description="Empty in totals.")
    variant = graphene.String(
        required=True, description="The A/B test variant; empty outside a test."
    )
    planned = graphene.Int(required=True)
    sent = graphene.Int(required=True)
    skipped = graphene.Int(required=True)
    cancelled = graphene.Int(required=True)
    failed = graphene.Int(required=True)
    pending = graphene.Int(required=True)
    bounced = graphene.Int(
        required=True, description="Sent emails followed by a hard bounce."
    )
    opened = graphene.Int(
        required=True, description="Emails opened by their reader (privacy apart)."
    )
    opened_by_proxy = graphene.Int(
        required=True,
        description="Emails only fetched by Apple Mail Privacy Protection.",
    )
    clicked = graphene.Int(required=True, description="Emails clicked by a person.")
    clicks = graphene.Int(required=True, description="Clicks by people.")
    bot_clicks = graphene.Int(required=True, description="Clicks by link scanners.")
    unsubscribed = graphene.Int(
        required=True, description="Sent emails followed by a withdrawal of consent."
    )
    click_orders = graphene.Int(required=True, description="Orders by last click.")
    click_revenue = graphene.Float(required=True)
    influenced_orders = graphene.Int(
        required=True, description="Orders placed after the email was sent."
    )
    influenced_revenue = graphene.Float(required=True)
    currency = graphene.String(required=True)


class EcrmReport(graphene.ObjectType):
    since = DateTime()
    until = DateTime()
    rows = graphene.List(graphene.NonNull(EcrmReportRow), required=True)
    programs = graphene.List(
        graphene.NonNull(EcrmReportRow),
        required=True,
        description="The rows added up per program.",
    )
    total = graphene.Field(EcrmReportRow)
    errors = graphene.List(graphene.NonNull(EcrmReportError), required=True)


class EcrmTimelineEvent(graphene.ObjectType):
    at = DateTime(required=True)
    kind = graphene.String(
        required=True,
        description="planned, sent, skipped, cancelled, failed, opened, clicked,"
        " order or consent.",
    )
    program = graphene.String(required=True)
    step = graphene.String(required=True)
    detail = graphene.String(
        required=True,
        description="Skip reason, error, URL, order credit (click/influenced),"
        " consent action and scope.",
    )
    flag = graphene.String(
        required=True,
        description="Privacy proxy of an open, scanner reason of a click, source of"
        " a consent change; empty for a person's open or click.",
    )
    order_id = graphene.String(required=True)
    amount = graphene.Float()
    currency = graphene.String(required=True)


class EcrmTimeline(graphene.ObjectType):
    email = graphene.String()
    events = graphene.List(graphene.NonNull(EcrmTimelineEvent), required=True)
    errors = graphene.List(graphene.NonNull(EcrmReportError), required=True)


def _row(row: ReportRow) -> EcrmReportRow:
    values = dict(vars(row))
    values["click_revenue"] = float(row.click_revenue)
    values["influenced_revenue"] = float(row.influenced_revenue)
    return EcrmReportRow(**values)


def _report(report: Report) -> EcrmReport:
    return EcrmReport(
        since=report.since,
        until=report.until,
        rows=[_row(row) for row in report.rows],
        programs=[_row(row) for row in report.by_program().values()],
        total=_row(report.total()),
        errors=[],
    )


def _event(event: TimelineEvent) -> EcrmTimelineEvent:
    return EcrmTimelineEvent(
        at=event.at,
        kind=event.kind,
        program=event.program,
        step=event.step,
        detail=event.detail,
        flag=event.flag,
        order_id=event.order_id,
        amount=None if event.amount is None else float(event.amount),
        currency=event.currency,
    )


def _refused(exc: ReportInputError) -> List[EcrmReportError]:
    return [EcrmReportError(field=exc.field, message=str(exc), code=exc.code)]


def _answer(
    build: Callable[[], Any], refused: Callable[[ReportInputError], Any]
) -> Any:
    try:
        return build()
    except ReportInputError as exc:
        return refused(exc)


class ReportingQueries(graphene.ObjectType):
    ecrm_report = graphene.Field(
        graphene.NonNull(EcrmReport),
        since=DateTime(required=True, description="Start of the period (included)."),
        until=DateTime(required=True, description="End of the period (excluded)."),
        description="What became of the emails planned in the period, per program,"
        f" step and variant (at most {MAX_PERIOD_DAYS} days). Requires MANAGE_ORDERS.",
    )
    ecrm_timeline = graphene.Field(
        graphene.NonNull(EcrmTimeline),
        email=graphene.String(required=True),
        first=graphene.Int(
            description="How many events, the newest (default 100, at most"
            f" {MAX_TIMELINE_EVENTS})."
        ),
        description="Every email, open, click, credited order and consent change of"
        " one address, oldest first. Requires MANAGE_USERS.",
    )

    @permission_required(MANAGE_ORDERS)
    def resolve_ecrm_report(self, info: Any, since: Any, until: Any) -> EcrmReport:
        return _answer(
            lambda: _report(email_report(since, until)),
            lambda exc: EcrmReport(rows=[], programs=[], errors=_refused(exc)),
        )

    @permission_required(MANAGE_USERS)
    def resolve_ecrm_timeline(
        self, info: Any, email: str, first: Optional[int] = None
    ) -> EcrmTimeline:
        return _answer(
            lambda: EcrmTimeline(
                email=email.strip().lower(),
                events=[_event(e) for e in address_timeline(email, first)],
                errors=[],
            ),
            lambda exc: EcrmTimeline(events=[], errors=_refused(exc)),
        )
