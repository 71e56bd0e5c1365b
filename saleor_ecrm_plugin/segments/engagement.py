"""The daily recompute of every address's engagement level: one SQL statement.

:func:`recompute_engagement` aggregates the ledger's sent emails and the real opens
and clicks recorded for them (:mod:`saleor_ecrm_plugin.engagement`: Apple Mail
Privacy Protection's opens and scanners' clicks left out) per address, applies the
thresholds of :mod:`.levels` in a ``CASE``, and upserts the result into
:class:`~.models.ContactEngagement` (``INSERT ... ON CONFLICT DO UPDATE``); rows of
addresses no longer in the ledger are removed. No Python loop over the contacts:
PostgreSQL does the whole base in one pass (``bench/segments.py``: 1M contacts).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Dict, Iterable, Optional

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from ..engagement.models import ClickConversion, EmailClick, EmailOpen, OpenProxy
from ..models import ScheduledSend, SendStatus
from .levels import INACTIVE, LEVELS, NEW, EngagementThresholds
from .models import ContactEngagement, EngagementRun

_SQL = """
WITH events AS (
    SELECT send_id, opened_at AS at, 'o' AS kind FROM {opens}
    WHERE proxy <> %(apple)s
    UNION ALL
    SELECT send_id, clicked_at, 'c' FROM {clicks} WHERE bot_reason = ''
    UNION ALL
    SELECT send_id, converted_at, 'b' FROM {conversions}
    WHERE converted_at >= %(since)s
),
per_send AS (
    SELECT send_id,
           max(at) FILTER (WHERE kind <> 'b') AS last_at,
           bool_or(kind <> 'b') AS engaged,
           bool_or(kind = 'c') AS clicked,
           bool_or(kind = 'b') AS bought
    FROM events GROUP BY send_id
),
per_email AS (
    SELECT lower(s.recipient) AS email,
           min(s.sent_at) AS first_sent_at,
           count(*) FILTER (WHERE s.sent_at >= %(since)s) AS received,
           count(*) FILTER (WHERE s.sent_at >= %(since)s AND p.engaged) AS opened,
           count(*) FILTER (WHERE s.sent_at >= %(since)s AND p.clicked) AS clicked,
           max(p.last_at) AS last_engaged_at,
           coalesce(bool_or(p.bought), false) AS bought
    FROM {ledger} s LEFT JOIN per_send p ON p.send_id = s.id
    WHERE s.status = %(sent)s AND s.program = ANY(%(programs)s)
    GROUP BY lower(s.recipient)
),
scored AS (
    SELECT *,
           CASE
             WHEN received >= %(min_emails)s AND opened >= %(super_rate)s * received
                  AND clicked >= 1 AND bought
               THEN 'super_active'
             WHEN received >= %(min_emails)s AND opened >= %(active_rate)s * received
                  AND clicked >= 1
               THEN 'active'
             WHEN last_engaged_at >= %(since)s THEN 'semi_active'
             WHEN first_sent_at <= %(since)s THEN 'inactive'
             ELSE 'new'
           END AS level
    FROM per_email
),
compared AS (
    -- one hash full join with the stored rows: new addresses, rows whose figures
    -- changed (most do not, from one day to the next) and rows of addresses no
    -- longer in the ledger (``gone``)
    SELECT s.*, t.id AS old_id, s.email IS NULL AS gone
    FROM scored s FULL JOIN {table} t ON t.email = s.email
    WHERE s.email IS NULL OR t.id IS NULL
       OR (t.level, t.received, t.opened, t.clicked, t.bought_after_click,
           t.first_sent_at, t.last_engaged_at)
          IS DISTINCT FROM
          (s.level, s.received, s.opened, s.clicked, s.bought, s.first_sent_at,
           s.last_engaged_at)
),
upserted AS (
    INSERT INTO {table} AS t (email, level, received, opened, clicked,
                              bought_after_click, first_sent_at, last_engaged_at,
                              computed_on, level_since)
    SELECT email, level, received, opened, clicked, bought, first_sent_at,
           last_engaged_at, %(today)s, %(today)s
    FROM compared WHERE NOT gone
    ON CONFLICT (email) DO UPDATE SET
        level = EXCLUDED.level,
        received = EXCLUDED.received,
        opened = EXCLUDED.opened,
        clicked = EXCLUDED.clicked,
        bought_after_click = EXCLUDED.bought_after_click,
        first_sent_at = EXCLUDED.first_sent_at,
        last_engaged_at = EXCLUDED.last_engaged_at,
        computed_on = EXCLUDED.computed_on,
        level_since = CASE WHEN t.level = EXCLUDED.level THEN t.level_since
                           ELSE EXCLUDED.level_since END
    RETURNING 1
),
removed AS (
    DELETE FROM {table} AS t USING compared c
    WHERE c.gone AND t.id = c.old_id
    RETURNING 1
)
SELECT (SELECT count(*) FROM upserted), (SELECT count(*) FROM removed)
"""

#: memory PostgreSQL may use per sort or hash of the recompute (``SET LOCAL``, this
#: transaction only; hashes may use twice as much, ``hash_mem_multiplier``). At 1M
#: addresses the per-address aggregate needs about 230 MB: with 64MB it spilled
#: 93 MB to temporary files in 5 batches (EXPLAIN ANALYZE, bench/segments.py).
#: One daily statement in one backend: the memory is worth it.
WORK_MEM = "256MB"


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def recompute_engagement(
    programs: Iterable[str],
    thresholds: EngagementThresholds,
    now: Optional[datetime] = None,
) -> Dict[str, int]:
    """Recompute and store every address's level from the emails of ``programs``
    (the non-transactional ones). Returns the number of addresses per level."""
    now = now or timezone.now()
    today: date = timezone.localdate(now)
    params = {
        "sent": str(SendStatus.SENT),
        "programs": sorted(set(programs)),
        "since": now - timedelta(days=thresholds.window_days),
        "apple": str(OpenProxy.APPLE_MPP),
        "min_emails": thresholds.min_emails,
        "super_rate": thresholds.super_open_rate,
        "active_rate": thresholds.active_open_rate,
        "today": today,
    }
    sql = _SQL.format(
        ledger=_table(ScheduledSend),
        opens=_table(EmailOpen),
        clicks=_table(EmailClick),
        conversions=_table(ClickConversion),
        table=_table(ContactEngagement),
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        # JIT compiled this statement's 80-odd expressions for 10.8 s of a 88 s
        # run at 1M addresses (EXPLAIN ANALYZE): more than it saved
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        written, removed = cursor.fetchone()
        counts = level_counts()
        EngagementRun.objects.create(
            computed_at=now, written=written, removed=removed, levels=counts
        )
    return counts


def level_counts() -> Dict[str, int]:
    """The number of addresses per level (every level, 0 included)."""
    counts = dict.fromkeys(LEVELS, 0)
    rows = (
        ContactEngagement.objects.order_by()
        .values_list("level")
        .annotate(count=Count("id"))
    )
    for level, count in rows:
        counts[level] = count
    return counts


def level_of(email: str) -> str:
    """The stored level of ``email``; an address never computed is ``new``."""
    level = (
        ContactEngagement.objects.filter(email=email.strip().lower())
        .values_list("level", flat=True)
        .first()
    )
    return level or NEW


__all__ = ["INACTIVE", "level_counts", "level_of", "recompute_engagement"]
