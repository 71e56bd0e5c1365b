"""RFM scores and groups from a planted history of Saleor orders (known answers)."""

from __future__ import annotations

from decimal import Decimal
from itertools import product

import pytest
from django.db import connection

from saleor_ecrm_plugin.rfm import groups
from saleor_ecrm_plugin.rfm.models import RfmScore
from saleor_ecrm_plugin.rfm.scoring import (
    VipRule,
    group_counts,
    group_of_email,
    is_vip,
    recompute_rfm_scores,
    rfm_of,
)
from tests.factories import make_product
from tests.purchase_history import order_days_ago, orders_over_time


def test_every_score_combination_has_exactly_one_group():
    for recency, fm in product(range(1, 6), range(1, 6)):
        matching = [g for g, rs, fs in groups.RULES if recency in rs and fm in fs]
        assert len(matching) == 1, (recency, fm, matching)
    assert len(groups.GROUPS) == 11
    assert set(groups.LABELS) == set(groups.GROUPS)


@pytest.mark.django_db
def test_the_sql_grid_is_the_python_grid():
    values = ", ".join(f"({r}, {f}, {m})" for r, f, m in product(range(1, 6), repeat=3))
    case = groups.group_case_sql("r", "f", "m")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r, f, m, {case} FROM (VALUES {values}) AS t(r, f, m)")
        rows = cursor.fetchall()
    assert len(rows) == 125
    for r, f, m, group in rows:
        assert group == groups.group_of(r, f, m), (r, f, m)


@pytest.mark.django_db
def test_quintiles_and_groups_of_a_planted_history(shop):
    from saleor.account.models import User

    def item(price: str):
        return make_product(price=price)

    # (last order days ago, orders, price of each): five buyers, every value distinct
    orders_over_time([item("100.00")], "champion@example.org", 5, 1)
    orders_over_time([item("200.00")], "cantlose@example.org", 4, 300)
    orders_over_time([item("10.00")], "promising@example.org", 1, 5)
    attention = orders_over_time([item("50.00")], "attention@example.org", 3, 100)
    orders_over_time([item("30.00")], "sleeper@example.org", 2, 200)
    # not counted: a cancelled order, a draft
    order_days_ago([item("999.00")], "promising@example.org", 2, status="canceled")
    order_days_ago([item("999.00")], "promising@example.org", 2, status="draft")
    # an order whose address is its user's (no user_email): it counts for the user
    user = User.objects.create_user("attention@example.org", "password")
    attention[0].user_email = ""
    attention[0].user = user
    attention[0].save(update_fields=["user_email", "user"])

    result = recompute_rfm_scores()

    assert result.contacts == 5
    scores = {
        row.email: (row.recency, row.frequency, row.monetary, row.group)
        for row in RfmScore.objects.all()
    }
    # totals (orders include 5.00 shipping each): 525, 820, 15, 165, 70
    assert scores == {
        "champion@example.org": (5, 5, 4, groups.CHAMPIONS),
        "cantlose@example.org": (1, 4, 5, groups.CANT_LOSE),
        "promising@example.org": (4, 1, 1, groups.PROMISING),
        "attention@example.org": (3, 3, 3, groups.NEED_ATTENTION),
        "sleeper@example.org": (2, 2, 2, groups.HIBERNATING),
    }
    champion = rfm_of(" Champion@Example.org ")
    assert champion is not None
    assert champion.orders == 5 and champion.revenue == Decimal("525.00")
    assert group_of_email("SLEEPER@example.org") == groups.HIBERNATING
    assert group_of_email("nobody@example.org") is None

    default_vips = VipRule.of(groups.DEFAULT_VIP_GROUPS)
    vips = {email for email in scores if is_vip(email, default_vips)}
    assert vips == {"champion@example.org", "cantlose@example.org"}
    # "R + F + M >= 10" instead: the champion (14), can't-lose (10)... and no one else
    by_score = VipRule.of((), min_score=10)
    assert {email for email in scores if is_vip(email, by_score)} == vips
    assert not is_vip("nobody@example.org", default_vips)

    counts = group_counts()
    assert list(counts) == groups.GROUPS
    assert sum(counts.values()) == 5 and counts[groups.LOST] == 0

    # recomputing replaces the rows: the sleeper orders today and moves up
    order_days_ago([item("30.00")], "sleeper@example.org", 0)
    recompute_rfm_scores()
    assert RfmScore.objects.count() == 5
    assert rfm_of("sleeper@example.org").recency == 5


@pytest.mark.django_db
def test_equal_buyers_get_equal_scores(shop):
    lamp = make_product(price="20.00")
    # two identical one-time buyers, and a better one
    order_days_ago([lamp], "twin1@example.org", 50)
    order_days_ago([lamp], "twin2@example.org", 50)
    orders_over_time([lamp], "best@example.org", 2, 10)

    recompute_rfm_scores()

    twin1, twin2 = rfm_of("twin1@example.org"), rfm_of("twin2@example.org")
    assert (twin1.recency, twin1.frequency, twin1.monetary) == (1, 1, 1)
    assert (twin2.recency, twin2.frequency, twin2.monetary) == (1, 1, 1)
    best = rfm_of("best@example.org")
    # third of three: 1 + 5 * 2 // 3 = 4
    assert (best.recency, best.frequency, best.monetary) == (4, 4, 4)


@pytest.mark.django_db
def test_the_daily_update_scores_as_the_full_recompute_does(shop):
    """The incremental update (new orders added to the totals, everyone scored
    again) leaves the same rows as a full recompute over every order."""
    from saleor_ecrm_plugin.rfm.scoring import update_rfm_scores

    cheap, dear = make_product(price="5.00"), make_product(price="90.00")
    for n in range(6):
        orders_over_time([cheap], f"c{n}@example.org", n + 1, 10 * n + 1)
    recompute_rfm_scores()
    # the day's orders: a known address comes back, a new one buys
    order_days_ago([dear, dear], "c5@example.org", 0)
    order_days_ago([dear], "new@example.org", 0)

    update_rfm_scores()
    updated = {
        row.email: (row.orders, row.revenue, row.recency, row.frequency, row.monetary)
        for row in RfmScore.objects.all()
    }
    recompute_rfm_scores()
    full = {
        row.email: (row.orders, row.revenue, row.recency, row.frequency, row.monetary)
        for row in RfmScore.objects.all()
    }
    assert updated == full and len(full) == 7
    assert full["c5@example.org"][0] == 7
