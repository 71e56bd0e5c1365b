"""Affinity: categories learned from a planted co-purchase history of Saleor orders,
the email some weeks after an order (read from a real SMTP server), the cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.affinity.model import (
    build_category_affinity,
    related_categories,
)
from saleor_ecrm_plugin.programs.affinity.models import CategoryAffinity
from saleor_ecrm_plugin.programs.registry import get_program
from tests.configuration import configure_plugin
from tests.factories import make_category, make_product
from tests.purchase_history import order_days_ago

CONFIG = {
    "affinity_enabled": True,
    "affinity_min_customers": "2",
    "affinity_min_lift": "1.5",
    "quiet_hours": "",
}


class Shop:
    """Garden furniture goes with garden tools; books and kitchen do not pair."""

    def __init__(self) -> None:
        self.furniture = make_category("Garden furniture")
        self.tools = make_category("Garden tools")
        self.books = make_category("Books")
        self.kitchen = make_category("Kitchen")
        self.chair = make_product("Garden Chair", category=self.furniture)
        self.table = make_product("Garden Table", category=self.furniture)
        self.spade = make_product(
            "Spade", category=self.tools, image="products/spade.jpg"
        )
        self.rake = make_product("Rake", category=self.tools)
        self.novel = make_product("Novel", category=self.books)
        self.pan = make_product("Pan", category=self.kitchen)
        # four gardeners: furniture one month, tools the next
        for n in range(4):
            order_days_ago([self.chair], f"gardener{n}@example.org", 200)
            order_days_ago([self.spade], f"gardener{n}@example.org", 170)
        for n in range(3):
            order_days_ago([self.novel], f"reader{n}@example.org", 150)
        order_days_ago([self.novel], "cook@example.org", 150)
        order_days_ago([self.pan], "cook@example.org", 140)
        order_days_ago([self.pan], "chef@example.org", 140)


def scan(now=None):
    program = get_program("affinity")
    return program.plan_suggestions(load_context().settings, now=now)


@pytest.mark.django_db
def test_the_categories_bought_together_are_learned_with_support_and_lift(shop):
    planted = Shop()
    # the customer of the test: a rake long ago, a table 21 days ago
    order_days_ago([planted.rake], "tess@example.org", 100)
    order_days_ago([planted.table], "tess@example.org", 21.1)

    build = build_category_affinity(min_customers=2, min_lift=1.5)

    # 10 buyers; furniture 5, tools 5, both 5: lift 5 * 10 / (5 * 5) = 2
    # books 4, kitchen 2, both 1: under the support threshold
    assert build.buyers == 10
    pairs = {
        (row.category_a, row.category_b): (row.customers, row.lift, row.support)
        for row in CategoryAffinity.objects.all()
    }
    furniture, tools = planted.furniture.pk, planted.tools.pk
    assert pairs == {
        (furniture, tools): (5, pytest.approx(2.0), pytest.approx(0.5)),
        (tools, furniture): (5, pytest.approx(2.0), pytest.approx(0.5)),
    }
    assert related_categories([furniture], 3) == [tools]
    assert related_categories([planted.books.pk], 3) == []
    # a stricter lift keeps nothing
    assert build_category_affinity(min_customers=2, min_lift=2.5).pairs == 0


@pytest.mark.django_db(transaction=True)
def test_the_email_suggests_the_related_category_minus_what_was_bought(
    shop, smtp_server
):
    configure_plugin(**CONFIG)
    planted = Shop()
    order_days_ago([planted.rake], "tess@example.org", 100)
    table_order = order_days_ago([planted.table], "tess@example.org", 21.1)
    # too recent for its email yet
    order_days_ago([planted.novel], "newbie@example.org", 3)

    counts = scan()

    assert counts["planned"] == 1 and counts["model_rebuilt"] == 1
    send = ScheduledSend.objects.get(program="affinity")
    assert (send.recipient, send.subject_id) == (
        "tess@example.org",
        str(table_order.pk),
    )
    assert scan()["planned"] == 0  # the cursor moved on

    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["tess@example.org"]
    assert received.message["Subject"] == "Ada, these go well with your last order"
    assert received.message["X-Ecrm-Program"] == "affinity/suggestions"
    assert "List-Unsubscribe" in received.message
    assert "Spade" in received.text
    assert "products/spade.jpg" in received.html
    # not what she bought (rake, table), not the table's own category (chair)
    for name in ("Rake", "Garden Table", "Garden Chair", "Novel"):
        assert name not in received.text


@pytest.mark.django_db(transaction=True)
def test_at_most_one_affinity_email_per_customer_per_period(shop, smtp_server):
    configure_plugin(**CONFIG)
    planted = Shop()
    now = timezone.now()
    order_days_ago([planted.table], "tess@example.org", 21.1, now=now)
    assert scan(now)["planned"] == 1
    assert Dispatcher().run().sent == 1

    # a week later, another order reaches its 21 days: within the 30-day period
    later = now + timedelta(days=7)
    order_days_ago([planted.chair], "tess@example.org", 21.1, now=later)
    counts = scan(later)
    assert counts["planned"] == 0 and counts["capped"] == 1

    # a row planned anyway (another host, an older plan) is refused at send time
    ScheduledSend.objects.create(
        program="affinity",
        step="suggestions",
        recipient="tess@example.org",
        subject_type="order",
        subject_id=str(
            order_days_ago([planted.chair], "tess@example.org", 21.5, now=now).pk
        ),
        due_at=now,
        next_attempt_at=now,
        idempotency_key="affinity:extra",
    )
    Dispatcher().run()
    extra = ScheduledSend.objects.get(idempotency_key="affinity:extra")
    assert (extra.status, extra.skip_reason) == (SendStatus.SKIPPED, "recently_sent")
    assert len(smtp_server.messages) == 1

    # 31 days later the customer may hear from us again
    much_later = now + timedelta(days=31)
    order_days_ago([planted.chair], "tess@example.org", 21.1, now=much_later)
    assert scan(much_later)["planned"] == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_to_suggest_skips_the_email(shop, smtp_server):
    configure_plugin(**CONFIG)
    planted = Shop()
    # a reader: books pair with nothing
    order_days_ago([planted.novel], "solo@example.org", 21.1)
    assert scan()["planned"] == 1
    Dispatcher().run()
    send = ScheduledSend.objects.get(program="affinity")
    assert (send.status, send.skip_reason) == (SendStatus.SKIPPED, "nothing_to_suggest")
    assert smtp_server.messages == []
