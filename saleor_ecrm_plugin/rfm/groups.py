"""The named RFM groups: a standard map from recency and frequency-monetary scores.

A leaf module (standard library only): the scoring writes it as SQL, the dashboard
lists its slugs, the segments read it.

Each contact has three scores from 1 to 5 (quintiles among the shop's buyers, 5
best): **R**ecency of the last order, **F**requency (number of orders), **M**onetary
(total spent). The group is read off R and FM = ``(F + M + 1) // 2`` (their
average, rounded half up), on the usual R x FM grid of RFM write-ups, over
Hughes' quintile scores (555 best, 111 worst)::

    FM\\R  1          2            3               4               5
    5     cant_lose  cant_lose    loyal           loyal           champions
    4     at_risk    at_risk      loyal           loyal           champions
    3     at_risk    at_risk      need_attention  potential_loy.  potential_loy.
    2     lost       hibernating  about_to_sleep  potential_loy.  potential_loy.
    1     lost       hibernating  about_to_sleep  promising       new

(``potential_loy.``: potential loyalists.) Every (R, FM) pair has exactly one
group (a test checks all 25).
"""

from __future__ import annotations

from typing import Dict, List, Tuple

CHAMPIONS = "champions"
LOYAL = "loyal"
POTENTIAL_LOYALISTS = "potential_loyalists"
NEW = "new"
PROMISING = "promising"
NEED_ATTENTION = "need_attention"
ABOUT_TO_SLEEP = "about_to_sleep"
AT_RISK = "at_risk"
CANT_LOSE = "cant_lose"
HIBERNATING = "hibernating"
LOST = "lost"

#: (group, recency scores, FM scores): the grid above, one rule per group
RULES: Tuple[Tuple[str, Tuple[int, ...], Tuple[int, ...]], ...] = (
    (CHAMPIONS, (5,), (4, 5)),
    (LOYAL, (3, 4), (4, 5)),
    (POTENTIAL_LOYALISTS, (4, 5), (2, 3)),
    (NEW, (5,), (1,)),
    (PROMISING, (4,), (1,)),
    (NEED_ATTENTION, (3,), (3,)),
    (ABOUT_TO_SLEEP, (3,), (1, 2)),
    (CANT_LOSE, (1, 2), (5,)),
    (AT_RISK, (1, 2), (3, 4)),
    (HIBERNATING, (2,), (1, 2)),
    (LOST, (1,), (1, 2)),
)

#: every group, best first (the order the report lists them in)
GROUPS: List[str] = [rule[0] for rule in RULES]

#: the groups VIP care is for by default
DEFAULT_VIP_GROUPS = (CHAMPIONS, CANT_LOSE)


def fm_score(frequency: int, monetary: int) -> int:
    """The frequency-monetary score the grid reads (average, half up)."""
    return (frequency + monetary + 1) // 2


def group_of(recency: int, frequency: int, monetary: int) -> str:
    """The group of a contact with these scores (each 1 to 5)."""
    fm = fm_score(frequency, monetary)
    for group, recencies, fms in RULES:
        if recency in recencies and fm in fms:
            return group
    raise ValueError(f"scores out of range: {recency}, {frequency}, {monetary}")


def group_case_sql(recency: str, frequency: str, monetary: str) -> str:
    """The grid as a SQL ``CASE`` over three integer columns (the same rules)."""
    fm = f"(({frequency} + {monetary} + 1) / 2)"
    branches = [
        f"WHEN {recency} IN ({', '.join(map(str, rs))})"
        f" AND {fm} IN ({', '.join(map(str, fs))}) THEN '{group}'"
        for group, rs, fs in RULES
    ]
    return "CASE " + " ".join(branches) + " END"


#: the labels a merchant reads (translated where shown)
LABELS: Dict[str, str] = {
    CHAMPIONS: "Champions",
    LOYAL: "Loyal",
    POTENTIAL_LOYALISTS: "Potential loyalists",
    NEW: "New customers",
    PROMISING: "Promising",
    NEED_ATTENTION: "Need attention",
    ABOUT_TO_SLEEP: "About to sleep",
    AT_RISK: "At risk",
    CANT_LOSE: "Can't lose",
    HIBERNATING: "Hibernating",
    LOST: "Lost",
}
