"""The customer timeline: everything the plugin did or saw with one address.

:func:`address_timeline` returns :class:`TimelineEvent` items in time order (oldest
first; the newest ``first`` of them when there are more). Kinds:

* ``planned`` (a ledger row created: program, step, due time), then its outcome:
  ``sent``, ``skipped`` / ``cancelled`` (with the reason), ``failed`` (the error);
* ``opened`` (``flag``: the privacy proxy that fetched, e.g. ``apple_mpp``: not a
  real open), ``clicked`` (``flag``: why it was taken for a scanner, "" for a
  person);
* ``order``: an order the plugin credited to the address's emails (``detail``:
  ``click`` when credited by a real click, else ``influenced``; amount and
  currency);
* ``consent``: a preference or consent change from the consent log (action,
  scope, source; bounces and complaints are ``suppressed``).

Orders the plugin never credited are not here: the timeline reads the plugin's
tables only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Dict, List, Optional

from django.db.models import Q

from ..engagement.models import ClickConversion, EmailClick, EmailOpen
from ..models import Conversion, ScheduledSend, SendStatus
from ..preferences.models import ConsentEvent
from .inputs import checked_email, checked_first

#: the outcome of a closed ledger row, as a timeline kind
_OUTCOME_KINDS = {
    SendStatus.SENT: "sent",
    SendStatus.SKIPPED: "skipped",
    SendStatus.CANCELLED: "cancelled",
    SendStatus.FAILED: "failed",
}
KINDS = (
    "planned",
    "sent",
    "skipped",
    "cancelled",
    "failed",
    "opened",
    "clicked",
    "order",
    "consent",
)


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    kind: str
    program: str = ""
    step: str = ""
    #: the reason of a skip or cancellation, an error, a URL clicked, an order's
    #: credit ("click" / "influenced"), a consent change's "action scope"
    detail: str = ""
    #: a proxy open's or a scanner click's flag; a consent change's source
    flag: str = ""
    send_id: Optional[int] = None
    order_id: str = ""
    amount: Optional[Decimal] = None
    currency: str = ""


def address_timeline(
    email: object, first: Optional[object] = None
) -> List[TimelineEvent]:
    """The address's events in time order (the newest ``first``, default 100).

    Raises :class:`~.inputs.ReportInputError` for a malformed address or count."""
    address = checked_email(email)
    limit = checked_first(first)
    events: List[TimelineEvent] = []
    sends = ScheduledSend.objects.filter(recipient__iexact=address)
    for send in sends.order_by("-created_at", "-id")[:limit].values(
        "id", "program", "step", "due_at", "created_at"
    ):
        events.append(
            TimelineEvent(
                send["created_at"],
                "planned",
                send["program"],
                send["step"],
                detail=send["due_at"].isoformat(),
                send_id=send["id"],
            )
        )
    closed = sends.filter(status__in=list(_OUTCOME_KINDS))
    for send in closed.order_by("-updated_at", "-id")[:limit].values(
        "id",
        "program",
        "step",
        "status",
        "skip_reason",
        "last_error",
        "sent_at",
        "updated_at",
    ):
        status = send["status"]
        events.append(
            TimelineEvent(
                send["sent_at"] if status == SendStatus.SENT else send["updated_at"],
                _OUTCOME_KINDS[status],
                send["program"],
                send["step"],
                detail=send["last_error"][:200]
                if status == SendStatus.FAILED
                else send["skip_reason"],
                send_id=send["id"],
            )
        )
    for opened in (
        EmailOpen.objects.filter(recipient=address)
        .select_related("send")
        .order_by("-opened_at", "-id")[:limit]
    ):
        events.append(
            TimelineEvent(
                opened.opened_at,
                "opened",
                opened.program,
                opened.send.step,
                flag=opened.proxy,
                send_id=opened.send_id,
            )
        )
    for click in (
        EmailClick.objects.filter(recipient=address)
        .select_related("send")
        .order_by("-clicked_at", "-id")[:limit]
    ):
        events.append(
            TimelineEvent(
                click.clicked_at,
                "clicked",
                click.program,
                click.send.step,
                detail=click.url,
                flag=click.bot_reason,
                send_id=click.send_id,
            )
        )
    events.extend(_orders(address, limit))
    for change in ConsentEvent.objects.filter(contact__email=address).order_by(
        "-created_at", "-id"
    )[:limit]:
        events.append(
            TimelineEvent(
                change.created_at,
                "consent",
                detail=f"{change.action} {change.scope}",
                flag=change.source,
            )
        )
    events.sort(key=lambda event: (event.at, KINDS.index(event.kind)))
    return events[-limit:]


def _orders(address: str, limit: int) -> List[TimelineEvent]:
    """One event per order credited to the address's emails: by click when an
    email of theirs won it by a real click, else influenced."""
    orders: Dict[str, TimelineEvent] = {}
    mine = Q(send__recipient__iexact=address)
    for credit in (
        ClickConversion.objects.filter(mine)
        .select_related("send")
        .order_by("-converted_at")[:limit]
    ):
        orders[credit.order_id] = TimelineEvent(
            credit.converted_at,
            "order",
            credit.program,
            credit.send.step,
            detail="click",
            send_id=credit.send_id,
            order_id=credit.order_id,
            amount=credit.revenue,
            currency=credit.currency,
        )
    for credit in (
        Conversion.objects.filter(mine)
        .select_related("send")
        .order_by("-converted_at", "-id")[: limit * 4]
    ):
        if credit.order_id in orders:
            continue
        orders[credit.order_id] = TimelineEvent(
            credit.converted_at,
            "order",
            credit.program,
            credit.send.step,
            detail="influenced",
            send_id=credit.send_id,
            order_id=credit.order_id,
            amount=credit.revenue,
            currency=credit.currency,
        )
    return list(orders.values())
