"""Planting an engagement history: sent emails, opens, clicks, orders by click.

Rows are written through the plugin's own models (the ledger and the engagement
events), as the dispatcher and the click redirect would leave them."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Optional

from django.utils import timezone

from saleor_ecrm_plugin.engagement.models import (
    BotReason,
    ClickConversion,
    EmailClick,
    EmailOpen,
    OpenProxy,
)
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus

_numbers = count(1)


def days_ago(days: float, now: Optional[datetime] = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def sent_email(
    email: str,
    at: datetime,
    program: str = "welcome",
    step: str = "welcome",
) -> ScheduledSend:
    """A sent ledger row to ``email`` at ``at``."""
    number = next(_numbers)
    return ScheduledSend.objects.create(
        program=program,
        step=step,
        recipient=email,
        subject_type="history",
        subject_id=str(number),
        due_at=at,
        status=SendStatus.SENT,
        idempotency_key=f"history:{number}:{email}",
        sent_at=at,
        message_id=f"<history.{number}@example.com>",
        created_at=at,
    )


def opened(
    send: ScheduledSend,
    after: timedelta = timedelta(hours=2),
    proxy: str = OpenProxy.NONE,
) -> EmailOpen:
    return EmailOpen.objects.create(
        send=send,
        program=send.program,
        recipient=send.recipient.lower(),
        proxy=proxy,
        opened_at=send.sent_at + after,
    )


def clicked(
    send: ScheduledSend, after: timedelta = timedelta(hours=3), bot_reason: str = ""
) -> EmailClick:
    return EmailClick.objects.create(
        send=send,
        program=send.program,
        recipient=send.recipient.lower(),
        link_index=0,
        url="https://shop.example.com/",
        bot_reason=bot_reason,
        clicked_at=send.sent_at + after,
    )


def bought_after(click: EmailClick, revenue: str = "50.00") -> ClickConversion:
    return ClickConversion.objects.create(
        order_id=f"order-{next(_numbers)}",
        send=click.send,
        click=click,
        program=click.program,
        revenue=Decimal(revenue),
        currency="USD",
        converted_at=click.clicked_at + timedelta(hours=1),
    )


SCANNER = BotReason.SCANNER_AGENT
APPLE = OpenProxy.APPLE_MPP
GOOGLE = OpenProxy.GOOGLE
