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
from functools import lru_cache
from typing import Optional

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from ..clients import client_key
from ..models import ScheduledSend
from .models import BotReason, EmailClick, EmailOpen, OpenProxy
from .scanners import (
    ALL_LINKS_SECONDS,
    TOO_SOON_SECONDS,
    open_proxy,
    request_bot_reason,
)

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


#: a click in one statement, one round trip: the send's row, the scanner rules
#: that need the database (``too_soon``: the delivery time; ``all_links``: the
#: email's other links clicked in the last seconds, read in the statement's
#: snapshot, plus this click's own link), the click's row. ``set_config(...,
#: true)``: this transaction alone commits without waiting for the WAL flush (see
#: :func:`record_click`). A plain INSERT ... SELECT: PostgreSQL plans it in about
#: two thirds of the time a WITH of the same steps takes, and planning is half of
#: the statement's cost.
_CLICK_SQL = """
INSERT INTO {clicks} (send_id, program, recipient, link_index, url, method,
                      user_agent, client_key, bot_reason, clicked_at)
SELECT s.id, s.program, lower(s.recipient), %(link)s, %(url)s, %(method)s,
       %(agent)s, %(client)s,
       CASE WHEN %(reason)s <> '' THEN %(reason)s
            WHEN s.sent_at IS NULL OR s.sent_at > %(too_soon_before)s
            THEN %(too_soon)s
            WHEN %(may_sweep)s AND (
                SELECT count(DISTINCT link_index) FROM (
                    SELECT link_index FROM {clicks}
                    WHERE send_id = %(send)s AND clicked_at BETWEEN %(burst)s AND %(at)s
                      AND bot_reason <> %(honeypot)s
                    UNION ALL SELECT %(link)s
                ) AS burst
            ) >= %(link_count)s
            THEN %(all_links)s
            ELSE '' END,
       %(at)s
FROM {ledger} s WHERE s.id = %(send)s
RETURNING id, program, recipient, bot_reason,
          set_config('synchronous_commit', 'off', true)
"""

#: the earlier clicks of a sweep, flagged when a click completes it (rare: only
#: scanners click every link within seconds)
_SWEEP_SQL = """
UPDATE {clicks} SET bot_reason = %(all_links)s
WHERE send_id = %(send)s AND clicked_at BETWEEN %(burst)s AND %(at)s
  AND bot_reason = ''
RETURNING set_config('synchronous_commit', 'off', true)
"""

#: an open in one statement: the send's row and the open's (see _CLICK_SQL)
_OPEN_SQL = """
INSERT INTO {opens} (send_id, program, recipient, user_agent, client_key, proxy,
                     opened_at)
SELECT id, program, lower(recipient), %(agent)s, %(client)s, %(proxy)s, %(at)s
FROM {ledger} WHERE id = %(send)s
RETURNING id, program, recipient, set_config('synchronous_commit', 'off', true)
"""


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


@lru_cache(maxsize=None)
def _statement(template: str) -> str:
    return template.format(
        ledger=_table(ScheduledSend), clicks=_table(EmailClick), opens=_table(EmailOpen)
    )


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
    apart), to see a sweep of all of them.

    One statement, one round trip to the database (two for the click that
    completes a scanner's sweep of every link). A click is worth less than the
    visitor's wait: its transaction commits without waiting for the WAL flush
    (``synchronous_commit`` off for it alone), so a crash of PostgreSQL or of its
    machine may lose the clicks of the last fraction of a second (at most three
    ``wal_writer_delay``, 0.6 s by default); it never corrupts or half-writes
    anything, and the visitor is redirected either way."""
    clicked_at = now or timezone.now()
    user_agent = user_agent[:_AGENT_LENGTH]
    reason = request_bot_reason(method=method, honeypot=honeypot, user_agent=user_agent)
    params = {
        "send": send_id,
        "reason": str(reason),
        "too_soon": str(BotReason.TOO_SOON),
        "too_soon_before": clicked_at - timedelta(seconds=TOO_SOON_SECONDS),
        "may_sweep": not reason and link_count > 1,
        "burst": clicked_at - timedelta(seconds=ALL_LINKS_SECONDS),
        "at": clicked_at,
        "honeypot": str(BotReason.HONEYPOT),
        "all_links": str(BotReason.ALL_LINKS),
        "link": link_index,
        "link_count": link_count,
        "url": url,
        "method": method,
        "agent": user_agent,
        "client": client_key(CLIENT_SCOPE, client_address),
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(_CLICK_SQL), params)
        row = cursor.fetchone()
        if row is None:
            return None
        click_id, program, recipient, bot_reason, _setting = row
        if bot_reason == BotReason.ALL_LINKS:
            # in a transaction of its own, after the click's: a crash in between
            # leaves the sweep's earlier clicks counted as a person's
            cursor.execute(_statement(_SWEEP_SQL), params)
    return EmailClick(
        id=click_id,
        send_id=send_id,
        program=program,
        recipient=recipient,
        link_index=link_index,
        url=url,
        method=method,
        user_agent=user_agent,
        client_key=params["client"],
        bot_reason=bot_reason,
        clicked_at=clicked_at,
    )


def record_open(
    send_id: int,
    *,
    user_agent: str = "",
    client_address: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Optional[EmailOpen]:
    """Store a fetch of send ``send_id``'s pixel, flagged by the proxy that made it
    (None when the send no longer exists). One statement, committed without
    waiting for the WAL flush, as a click (:func:`record_click`)."""
    user_agent = user_agent[:_AGENT_LENGTH]
    params = {
        "send": send_id,
        "agent": user_agent,
        "client": client_key(CLIENT_SCOPE, client_address),
        "proxy": str(open_proxy(user_agent, client_address)),
        "at": now or timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_statement(_OPEN_SQL), params)
        row = cursor.fetchone()
    if row is None:
        return None
    open_id, program, recipient, _setting = row
    return EmailOpen(
        id=open_id,
        send_id=send_id,
        program=program,
        recipient=recipient,
        user_agent=user_agent,
        client_key=params["client"],
        proxy=params["proxy"],
        opened_at=params["at"],
    )
