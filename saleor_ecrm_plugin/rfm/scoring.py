"""RFM scores: the daily recompute (set-based SQL) and the questions programs ask.

:func:`recompute_rfm_scores` asks the host to write one row of purchase totals
per address into a temporary table (``host.write_purchase_totals``),
then scores every address in one ``INSERT ... SELECT`` with window functions:

* the score of a dimension is its quintile among the shop's buyers,
  ``1 + 5 * (rank - 1) // buyers`` with ``rank`` = ``RANK()`` ascending (older
  last order, fewer orders, less spent first), capped at 5. It is ``NTILE(5)`` when
  all values differ; equal values get the same score (``NTILE`` would split two
  identical one-time buyers into different quintiles), the lower one. Recency
  counts in days (UTC): two last orders of the same day are equally recent;
* the group is the grid of :mod:`.groups`, written as a SQL ``CASE``.

The rows are replaced in one transaction: readers see the previous scores until it
commits. Nothing loops over the customers in Python.

That full recompute reads every order of the shop: :func:`ensure_fresh` (the daily
call) runs it weekly (:data:`FULL_MAX_AGE`) and on the first day. The other days
:func:`update_rfm_scores` adds the orders placed since the last pass (the host's
order mark: ``write_new_order_totals``, a day's orders) to each address's totals,
then scores every address again in one pass over the plugin's own table (the same
window functions) and writes only the rows whose scores changed. What only the
weekly recompute sees: an order cancelled after it was counted, a draft order
confirmed later (its number is below the mark already passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Dict, FrozenSet, Iterable, Optional

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from ..host import port as host
from ..models import ScanCursor
from .groups import GROUPS, group_case_sql, group_of
from .models import RfmScore

#: the temporary table the host writes the purchase totals into
TOTALS_TABLE = "ecrm_purchase_totals"
#: the host's order mark the scores are caught up to (``after_key``), and when
#: they were last scored (``position``)
ORDERS_CURSOR = "rfm.orders"
#: when every order was last read (the full recompute)
FULL_CURSOR = "rfm.full"
#: the full recompute runs this often; incremental updates in between
FULL_MAX_AGE = timedelta(days=7) - timedelta(hours=4)
#: sort memory of the scoring pass: its three window sorts of every address stay
#: in memory (PostgreSQL's default, 4 MB, spills 100k addresses to disk)
SCORING_WORK_MEM = "64MB"


@dataclass(frozen=True)
class RecomputeResult:
    contacts: int
    computed_at: datetime


def _quintile(column: str) -> str:
    return (
        f"LEAST(5, 1 + (5 * (RANK() OVER (ORDER BY {column}) - 1))"
        " / COUNT(*) OVER ())"
    )


def _scores_sql(source: str, key: str) -> str:
    """Every row of ``source`` (its ``key`` and totals) with its scores."""
    return f"""
        SELECT {key}, last_order_at, orders, revenue,
               {_quintile("date_trunc('day', last_order_at)")} AS recency,
               {_quintile("orders")} AS frequency,
               {_quintile("revenue")} AS monetary
        FROM {source}
    """


def _create_totals_table(cursor) -> None:  # type: ignore[no-untyped-def]
    # inside an outer transaction (a test's), ON COMMIT has not dropped the
    # previous run's table yet
    cursor.execute(f"DROP TABLE IF EXISTS {TOTALS_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {TOTALS_TABLE} (email varchar(254),"
        " last_order_at timestamptz, orders integer, revenue numeric)"
        " ON COMMIT DROP"
    )


def _mark_scored(mark: int, computed_at: datetime, full: bool) -> None:
    ScanCursor.objects.update_or_create(
        name=ORDERS_CURSOR, defaults={"position": computed_at, "after_key": str(mark)}
    )
    if full:
        ScanCursor.objects.update_or_create(
            name=FULL_CURSOR, defaults={"position": computed_at}
        )


def recompute_rfm_scores(now: Optional[datetime] = None) -> RecomputeResult:
    """Replace every contact's scores with those of the orders as they are now."""
    computed_at = now or timezone.now()
    table = connection.ops.quote_name(RfmScore._meta.db_table)
    mark = host.counted_orders_high_water_mark()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SCORING_WORK_MEM}'")
        _create_totals_table(cursor)
        host.write_new_order_totals(TOTALS_TABLE, 0, mark)
        cursor.execute(f"DELETE FROM {table}")
        group = group_case_sql("s.recency", "s.frequency", "s.monetary")
        cursor.execute(
            f"""
            INSERT INTO {table} (email, last_order_at, orders, revenue, recency,
                                 frequency, monetary, "group", computed_at)
            SELECT s.email, s.last_order_at, s.orders, s.revenue, s.recency,
                   s.frequency, s.monetary, {group}, %s
            FROM ({_scores_sql(TOTALS_TABLE, "email")}) AS s
            """,
            [computed_at],
        )
        contacts = cursor.rowcount
        cursor.execute(f"DROP TABLE {TOTALS_TABLE}")
        _mark_scored(mark, computed_at, full=True)
    return RecomputeResult(contacts=contacts, computed_at=computed_at)


def update_rfm_scores(now: Optional[datetime] = None) -> RecomputeResult:
    """Add the orders placed since the last pass to the totals, score every
    address again, write the rows whose scores changed. ``contacts``: the rows
    written (new addresses and changed scores)."""
    computed_at = now or timezone.now()
    cursor_row = ScanCursor.objects.filter(name=ORDERS_CURSOR).first()
    if cursor_row is None or not cursor_row.after_key.isdigit():
        return recompute_rfm_scores(computed_at)
    after = int(cursor_row.after_key)
    mark = host.counted_orders_high_water_mark()
    table = connection.ops.quote_name(RfmScore._meta.db_table)
    group = group_case_sql("s.recency", "s.frequency", "s.monetary")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SCORING_WORK_MEM}'")
        written = 0
        if mark > after:
            _create_totals_table(cursor)
            host.write_new_order_totals(TOTALS_TABLE, after, mark)
            # scores of a new address are set by the pass below (111 is "lost")
            cursor.execute(
                f"""
                INSERT INTO {table} AS r (email, last_order_at, orders, revenue,
                    recency, frequency, monetary, "group", computed_at)
                SELECT email, last_order_at, orders, revenue, 1, 1, 1, %s, %s
                FROM {TOTALS_TABLE}
                ON CONFLICT (email) DO UPDATE SET
                    last_order_at = greatest(r.last_order_at,
                                             EXCLUDED.last_order_at),
                    orders = r.orders + EXCLUDED.orders,
                    revenue = r.revenue + EXCLUDED.revenue
                """,
                [group_of(1, 1, 1), computed_at],
            )
            written += cursor.rowcount
            cursor.execute(f"DROP TABLE {TOTALS_TABLE}")
        cursor.execute(
            f"""
            UPDATE {table} AS r
            SET recency = s.recency, frequency = s.frequency,
                monetary = s.monetary, "group" = {group}, computed_at = %s
            FROM ({_scores_sql(table, "id")}) AS s
            WHERE s.id = r.id
              AND (r.recency, r.frequency, r.monetary)
                  IS DISTINCT FROM (s.recency, s.frequency, s.monetary)
            """,
            [computed_at],
        )
        written += cursor.rowcount
        _mark_scored(mark, computed_at, full=False)
    return RecomputeResult(contacts=written, computed_at=computed_at)


def last_computed_at() -> Optional[datetime]:
    """When the scores were last computed (None: never, or no buyer yet)."""
    scored = (
        ScanCursor.objects.filter(name=ORDERS_CURSOR)
        .values_list("position", flat=True)
        .first()
    )
    if scored is not None:
        return scored
    return (
        RfmScore.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )


def ensure_fresh(max_age_hours: float, now: Optional[datetime] = None) -> bool:
    """Score again when the scores are older than ``max_age_hours`` (or absent):
    the full recompute when the last one is older than :data:`FULL_MAX_AGE`, else
    the update from the new orders. Returns True when it scored."""
    now = now or timezone.now()
    last = last_computed_at()
    if last is not None and (now - last).total_seconds() < max_age_hours * 3600:
        return False
    full = (
        ScanCursor.objects.filter(name=FULL_CURSOR)
        .values_list("position", flat=True)
        .first()
    )
    if full is None or now - full >= FULL_MAX_AGE:
        recompute_rfm_scores(now)
    else:
        update_rfm_scores(now)
    return True


# --- what programs ask ----------------------------------------------------------


def _normal(email: str) -> str:
    return email.strip().lower()


def rfm_of(email: str) -> Optional[RfmScore]:
    """The scores of an address (None: it never bought, or not scored yet)."""
    return RfmScore.objects.filter(email=_normal(email)).first()


def group_of_email(email: str) -> Optional[str]:
    """The RFM group of an address (a slug of :data:`.groups.GROUPS`), or None."""
    return (
        RfmScore.objects.filter(email=_normal(email))
        .values_list("group", flat=True)
        .first()
    )


@dataclass(frozen=True)
class VipRule:
    """Who counts as a VIP: a contact in one of ``groups``, or (when
    ``min_score`` is above 0) whose R + F + M is at least ``min_score``."""

    groups: FrozenSet[str]
    min_score: int = 0

    @classmethod
    def of(cls, groups: Iterable[str], min_score: int = 0) -> VipRule:
        return cls(frozenset(groups), min_score)

    def matches(self, score: RfmScore) -> bool:
        if score.group in self.groups:
            return True
        return bool(self.min_score) and score.score >= self.min_score


def is_vip(email: str, rule: VipRule) -> bool:
    """Is this address a VIP under ``rule`` (by its last computed scores)?"""
    score = rfm_of(email)
    return score is not None and rule.matches(score)


def group_counts() -> Dict[str, int]:
    """Contacts per group, every group listed (0 when empty), best group first."""
    counts = dict(
        RfmScore.objects.order_by().values_list("group").annotate(n=Count("id"))
    )
    return {group: int(counts.get(group, 0)) for group in GROUPS}
