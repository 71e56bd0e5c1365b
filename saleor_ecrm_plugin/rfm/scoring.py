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
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Dict, FrozenSet, Iterable, Optional

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from ..host import port as host
from .groups import GROUPS, group_case_sql
from .models import RfmScore

#: the temporary table the host writes the purchase totals into
TOTALS_TABLE = "ecrm_purchase_totals"


@dataclass(frozen=True)
class RecomputeResult:
    contacts: int
    computed_at: datetime


def _quintile(column: str) -> str:
    return (
        f"LEAST(5, 1 + (5 * (RANK() OVER (ORDER BY {column}) - 1))"
        " / COUNT(*) OVER ())"
    )


def recompute_rfm_scores(now: Optional[datetime] = None) -> RecomputeResult:
    """Replace every contact's scores with those of the orders as they are now."""
    computed_at = now or timezone.now()
    table = connection.ops.quote_name(RfmScore._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        # inside an outer transaction (a test's), ON COMMIT has not dropped the
        # previous run's table yet
        cursor.execute(f"DROP TABLE IF EXISTS {TOTALS_TABLE}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TOTALS_TABLE} (email varchar(254),"
            " last_order_at timestamptz, orders integer, revenue numeric)"
            " ON COMMIT DROP"
        )
        host.write_purchase_totals(TOTALS_TABLE)
        cursor.execute(f"DELETE FROM {table}")
        group = group_case_sql("s.recency", "s.frequency", "s.monetary")
        cursor.execute(
            f"""
            INSERT INTO {table} (email, last_order_at, orders, revenue, recency,
                                 frequency, monetary, "group", computed_at)
            SELECT s.email, s.last_order_at, s.orders, s.revenue, s.recency,
                   s.frequency, s.monetary, {group}, %s
            FROM (
                SELECT email, last_order_at, orders, revenue,
                       {_quintile("date_trunc('day', last_order_at)")} AS recency,
                       {_quintile("orders")} AS frequency,
                       {_quintile("revenue")} AS monetary
                FROM {TOTALS_TABLE}
            ) AS s
            """,
            [computed_at],
        )
        contacts = cursor.rowcount
        cursor.execute(f"DROP TABLE {TOTALS_TABLE}")
    return RecomputeResult(contacts=contacts, computed_at=computed_at)


def last_computed_at() -> Optional[datetime]:
    """When the scores were last recomputed (None: never, or no buyer yet)."""
    return (
        RfmScore.objects.order_by("-computed_at")
        .values_list("computed_at", flat=True)
        .first()
    )


def ensure_fresh(max_age_hours: float, now: Optional[datetime] = None) -> bool:
    """Recompute when the scores are older than ``max_age_hours`` (or absent).
    Returns True when it recomputed."""
    now = now or timezone.now()
    last = last_computed_at()
    if last is not None and (now - last).total_seconds() < max_age_hours * 3600:
        return False
    recompute_rfm_scores(now)
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
