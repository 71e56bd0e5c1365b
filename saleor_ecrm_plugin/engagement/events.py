"""The engagement events' API: record a click or an open, read the real ones.

What other parts of the plugin (reports, segments, A/B tests) may rely on:

* :func:`record_click` / :func:`record_open` store one event for a sent email and
  flag it (:mod:`.scanners`); they never change preferences or consent.
* :func:`real_clicks` / :func:`real_opens`: querysets of the events that count as a
  person's engagement (scanner clicks and privacy-proxy opens left out). Both have
  ``send_id``, ``program``, ``recipient`` (lower case) and a time column
  (``clicked_at`` / ``opened_at``); filter and aggregate them in SQL.
* :func:`all_clicks` / :func:`all_opens`: every event, flagged ones included.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..clients import client_key
from ..models import ScheduledSend
from .models import BotReason, EmailClick, EmailOpen, OpenProxy
from .scanners import ALL_LINKS_SECONDS, click_bot_reason, open_proxy

#: the scope of the keyed hash of a client's address in engagement events
CLIENT_SCOPE = "engagement"
_AGENT_LENGTH = EmailClick._meta.get_field("user_agent").max_length or 512


def all_clicks() -> QuerySet:
    return EmailClick.objects.all()


def real_clicks() -> QuerySet:
    """Clicks by people: every click not flagged as a scanner's."""
    return EmailClick.objects.filter(bot_reason="")


def all_opens() -> QuerySet:
    return EmailOpen.objects.all()


def real_opens() -> QuerySet:
    """Opens by readers: Apple Mail Privacy Protection's fetches left out (Gmail's
    image proxy fetches on a real open and counts)."""
    return EmailOpen.objects.exclude(proxy=OpenProxy.APPLE_MPP)


def record_click(
    send_id: int,
    link_index: int,
    url: str,
    *,
    link_count: int,
    honeypot: bool = False,
    method: str = "GET",
    user_agent: str = "",
    client_address: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Optional[EmailClick]:
    """Store a click on link ``link_index`` of send ``send_id`` (None when the send
    no longer exists). ``link_count``: the email's tracked links (the honeypot
    apart), to see a sweep of all of them."""
    clicked_at = now or timezone.now()
    send = (
        ScheduledSend.objects.filter(pk=send_id)
        .values("program", "recipient", "sent_at")
        .first()
    )
    if send is None:
        return None
    user_agent = user_agent[:_AGENT_LENGTH]
    reason = click_bot_reason(
        method=method,
        honeypot=honeypot,
        user_agent=user_agent,
        sent_at=send["sent_at"],
        clicked_at=clicked_at,
    )
    with transaction.atomic():
        # a click is worth less than the visitor's wait: commit without waiting
        # for the WAL flush (a crash may lose the last clicks, never corrupts)
        _asynchronous_commit()
        click = EmailClick.objects.create(
            send_id=send_id,
            program=send["program"],
            recipient=send["recipient"].lower(),
            link_index=link_index,
            url=url,
            method=method,
            user_agent=user_agent,
            client_key=client_key(CLIENT_SCOPE, client_address),
            bot_reason=reason,
            clicked_at=clicked_at,
        )
        if not reason and not honeypot and link_count > 1:
            _flag_sweep(click, link_count)
    return click


def _asynchronous_commit() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _flag_sweep(click: EmailClick, link_count: int) -> None:
    """Every link of the email clicked within a few seconds: the burst's clicks
    (this one included) are a scanner's."""
    burst = EmailClick.objects.filter(
        send_id=click.send_id,
        clicked_at__gte=click.clicked_at - timedelta(seconds=ALL_LINKS_SECONDS),
        clicked_at__lte=click.clicked_at,
    ).exclude(bot_reason=BotReason.HONEYPOT)
    links = burst.values("link_index").distinct().count()
    if links >= link_count:
        burst.filter(bot_reason="").update(bot_reason=BotReason.ALL_LINKS)
        click.bot_reason = BotReason.ALL_LINKS


def record_open(
    send_id: int,
    *,
    user_agent: str = "",
    client_address: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Optional[EmailOpen]:
    """Store a fetch of send ``send_id``'s pixel, flagged by the proxy that made it
    (None when the send no longer exists)."""
    send = (
        ScheduledSend.objects.filter(pk=send_id).values("program", "recipient").first()
    )
    if send is None:
        return None
    user_agent = user_agent[:_AGENT_LENGTH]
    with transaction.atomic():
        _asynchronous_commit()
        return EmailOpen.objects.create(
            send_id=send_id,
            program=send["program"],
            recipient=send["recipient"].lower(),
            user_agent=user_agent,
            client_key=client_key(CLIENT_SCOPE, client_address),
            proxy=open_proxy(user_agent, client_address),
            opened_at=now or timezone.now(),
        )
