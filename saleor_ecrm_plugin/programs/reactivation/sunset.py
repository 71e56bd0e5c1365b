"""Planning reactivation emails and cleaning the list, in set-based SQL.

:func:`plan_reactivations` inserts one ledger row per inactive address (level
``inactive`` of the last engagement recompute) that is not suppressed, opted out of
marketing or of this category, at most ``limit`` a day, the addresses lost most
recently first. Its idempotency key names the address and its last real engagement
(``never`` if none): one reactivation per spell of inactivity.

:func:`sunset_unresponsive` suppresses, as ``sunset``, every address whose
reactivation email was sent at least ``days`` days ago and that had no real open or
click since it (scanners' clicks and privacy proxies' opens do not count), unless
the customer opted in again since. Each suppression keeps its reason in the consent
log (action ``suppressed``, source ``sunset``, the email's id in the detail). A
sunset address gets no marketing email; the customer's own requests (the newsletter
confirmation, back-in-stock alerts) still go, and subscribing again lifts it
(:func:`saleor_ecrm_plugin.preferences.service.lift_sunset`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict

from django.db import connection, transaction

from ...engagement.models import EmailClick, EmailOpen, OpenProxy
from ...models import ScheduledSend, SendStatus
from ...preferences.models import (
    SUNSET,
    ConsentAction,
    ConsentEvent,
    EmailContact,
    NewsletterStatus,
)
from ...segments.levels import INACTIVE
from ...segments.models import ContactEngagement
from .options import PROGRAM_ID

STEP = "offer"


def _q(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


_PLAN_SQL = """
INSERT INTO {ledger} (program, step, recipient, subject_type, subject_id, due_at,
                      status, idempotency_key, payload, attempts, next_attempt_at,
                      lease_token, last_error, skip_reason, message_id,
                      created_at, updated_at)
SELECT %(program)s, %(step)s, k.email, 'contact', k.id::text, %(now)s,
       %(planned)s, k.key, '{{}}'::jsonb, 0, %(now)s, '', '', '', '', %(now)s, %(now)s
FROM (
    SELECT e.id, e.email, e.last_engaged_at,
           %(prefix)s || md5(e.email) || ':'
             || coalesce(to_char(e.last_engaged_at AT TIME ZONE 'UTC',
                                 'YYYYMMDDHH24MISS'), 'never') AS key
    FROM {engagement} e
    WHERE e.level = %(inactive)s
      AND NOT EXISTS (
          SELECT 1 FROM {contacts} c WHERE c.email = e.email
            AND (c.suppressed_at IS NOT NULL OR c.marketing_opt_out
                 OR %(program)s = ANY(c.opted_out_categories)))
) k
WHERE NOT EXISTS (SELECT 1 FROM {ledger} s WHERE s.idempotency_key = k.key)
ORDER BY k.last_engaged_at DESC NULLS LAST, k.id
LIMIT %(limit)s
ON CONFLICT (idempotency_key) DO NOTHING
"""


def plan_reactivations(now: datetime, limit: int) -> int:
    """Plan today's reactivation emails; returns how many rows were created."""
    sql = _PLAN_SQL.format(
        ledger=_q(ScheduledSend),
        engagement=_q(ContactEngagement),
        contacts=_q(EmailContact),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "program": PROGRAM_ID,
                "step": STEP,
                "now": now,
                "planned": str(SendStatus.PLANNED),
                "prefix": f"{PROGRAM_ID}:{STEP}:",
                "inactive": INACTIVE,
                "limit": limit,
            },
        )
        return int(cursor.rowcount)


_CANDIDATES = """
SELECT DISTINCT ON (lower(s.recipient)) lower(s.recipient) AS email,
       s.id AS send_id, s.sent_at
FROM {ledger} s
WHERE s.program = %(program)s AND s.status = %(sent)s AND s.sent_at <= %(cutoff)s
  AND NOT EXISTS (SELECT 1 FROM {clicks} c WHERE c.recipient = lower(s.recipient)
                  AND c.bot_reason = '' AND c.clicked_at >= s.sent_at)
  AND NOT EXISTS (SELECT 1 FROM {opens} o WHERE o.recipient = lower(s.recipient)
                  AND o.proxy <> %(apple)s AND o.opened_at >= s.sent_at)
  AND NOT EXISTS (SELECT 1 FROM {contacts} k WHERE k.email = lower(s.recipient)
                  AND k.suppressed_at IS NOT NULL)
  AND NOT EXISTS (SELECT 1 FROM {contacts} k JOIN {events} ev ON ev.contact_id = k.id
                  WHERE k.email = lower(s.recipient)
                    AND ev.action IN (%(granted)s, %(lifted)s)
                    AND ev.created_at >= s.sent_at)
ORDER BY lower(s.recipient), s.sent_at DESC
"""

_NEW_CONTACTS_SQL = """
INSERT INTO {contacts} (email, marketing_opt_out, opted_out_categories, newsletter,
                        timezone, suppression_reason, created_at, updated_at)
SELECT email, false, '{{}}', %(none)s, '', '', %(now)s, %(now)s
FROM ({candidates}) c
ON CONFLICT (email) DO NOTHING
"""

_SUNSET_SQL = """
WITH candidates AS ({candidates}),
sunset AS (
    UPDATE {contacts} k
    SET suppressed_at = %(now)s, suppression_reason = %(reason)s,
        newsletter = %(none)s, updated_at = %(now)s
    FROM candidates c
    WHERE k.email = c.email AND k.suppressed_at IS NULL
    RETURNING k.id, c.send_id
)
INSERT INTO {events} (contact_id, action, scope, source, detail, created_at)
SELECT id, %(suppressed)s, 'marketing', %(reason)s,
       'no real open or click within ' || CAST(%(days)s AS text)
       || ' days of reactivation email ' || CAST(send_id AS text), %(now)s
FROM sunset
"""


def sunset_unresponsive(now: datetime, days: int) -> int:
    """Suppress the addresses that did not react to their reactivation email;
    returns how many were suppressed."""
    tables = {
        "ledger": _q(ScheduledSend),
        "clicks": _q(EmailClick),
        "opens": _q(EmailOpen),
        "contacts": _q(EmailContact),
        "events": _q(ConsentEvent),
    }
    candidates = _CANDIDATES.format(**tables)
    params: Dict[str, object] = {
        "program": PROGRAM_ID,
        "sent": str(SendStatus.SENT),
        "cutoff": now - timedelta(days=days),
        "apple": str(OpenProxy.APPLE_MPP),
        "granted": str(ConsentAction.GRANTED),
        "lifted": str(ConsentAction.UNSUPPRESSED),
        "none": str(NewsletterStatus.NONE),
        "now": now,
        "reason": SUNSET,
        "suppressed": str(ConsentAction.SUPPRESSED),
        "days": days,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _NEW_CONTACTS_SQL.format(candidates=candidates, **tables), params
        )
        cursor.execute(_SUNSET_SQL.format(candidates=candidates, **tables), params)
        return int(cursor.rowcount)
