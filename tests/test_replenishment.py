"""Reorder reminders, through Saleor's real models, the real "order again" endpoint
and a real SMTP server.

Histories are Saleor orders (``Order.created`` set in the past); the interval is
learned by the program's own scan over them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import List

import pytest
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.registry import get_program
from saleor_ecrm_plugin.programs.replenishment.models import ReorderInterval
from tests.configuration import configure_plugin
from tests.factories import make_order, make_product, set_product, variant_of

ON = {"replenishment_enabled": True, "quiet_hours": "", "consent_mode": "everyone"}


def program():
    return get_program("replenishment")


def settings():
    return load_context().settings


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def order_history(product, email: str, ages: List[float], quantity: int = 1):
    """Orders of ``product`` by ``email``, ``ages`` days ago (oldest first)."""
    return [
        make_order([product], email=email, quantity=quantity, created=days_ago(age))
        for age in ages
    ]


def learned(product) -> ReorderInterval:
    program().learn_intervals(settings())
    return ReorderInterval.objects.get(product_id=product.pk)


@pytest.fixture
def dog_food(shop):
    return make_product("Dog food", price="30.00", stock=50, image="products/dog.jpg")


def test_the_interval_is_the_median_gap_per_unit_once_there_are_enough_repeats(
    dog_food,
):
    configure_plugin(**ON)
    # four customers reorder after 40, 40, 50 and 30 days: 4 repeats
    for number, gap in enumerate((40, 40, 50, 30)):
        order_history(dog_food, f"c{number}@example.org", [300, 300 - gap])
    # two units last 80 days: 40 days a unit
    order_history(dog_food, "big@example.org", [200, 120], quantity=2)

    interval = learned(dog_food)
    assert (interval.source, interval.repeats) == ("learned", 5)
    assert interval.days_per_unit == pytest.approx(40.0)

    # with six repeats needed, nothing is learned (and no lifetime is set)
    configure_plugin(**ON, replenishment_min_repeats="6")
    program().learn_intervals(settings())
    assert not ReorderInterval.objects.filter(product_id=dog_food.pk).exists()


def test_without_enough_repeats_the_lifetime_set_by_the_merchant_is_used(shop):
    from saleor.product.models import ProductType

    configure_plugin(**ON)
    filters = make_product("Water filter")
    filters.store_value_in_metadata({"ecrm.lifetime_days": "90"})
    filters.save(update_fields=["metadata"])
    bulbs_type = ProductType.objects.create(
        name="Bulbs", slug="bulbs", metadata={"ecrm.lifetime_days": "365"}
    )
    bulb = make_product("Bulb", product_type=bulbs_type)
    typo = make_product("Soap")
    typo.store_value_in_metadata({"ecrm.lifetime_days": "soon"})
    typo.save(update_fields=["metadata"])
    order_history(filters, "one@example.org", [200, 110])  # one repeat: not enough

    assert (learned(filters).source, learned(filters).days_per_unit) == (
        "lifetime",
        90.0,
    )
    assert learned(bulb).days_per_unit == 365.0
    assert not ReorderInterval.objects.filter(product_id=typo.pk).exists()


def reminder_history(product) -> None:
    """Five repeat purchases of 40 days: a 40-day interval, due after 30 days."""
    for number in range(5):
        order_history(product, f"past{number}@example.org", [100, 60])


@pytest.mark.django_db(transaction=True)
def test_a_reminder_goes_and_its_link_fills_a_cart_with_the_same_line(
    dog_food, smtp_server
):
    from saleor.checkout.models import Checkout

    configure_plugin(**ON)
    reminder_history(dog_food)
    [order] = order_history(dog_food, "ada@example.org", [30.5], quantity=1)
    program().learn_intervals(settings())

    counts = program().plan_reminders(settings())
    assert counts == {"due": 1, "planned": 1}
    assert program().plan_reminders(settings())["planned"] == 0  # once per line
    send = ScheduledSend.objects.get(program="replenishment")
    assert send.subject_id == str(order.lines.get().pk)
    assert send.due_at <= timezone.now()

    assert Dispatcher().run().sent == 1
    [received] = smtp_server.messages
    headers = received.message
    assert received.rcpt_tos == ["ada@example.org"]
    assert headers["Subject"] == "Time to reorder Dog food?"
    assert headers["X-Ecrm-Program"] == "replenishment/reminder"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Dog food" in received.text and "$30.00" in received.text
    assert 'src="http://shop.example.com/media/products/dog.jpg"' in received.html

    [link] = re.findall(r"https?://\S+/ecrm/order-again/[^/\s]+/", received.text)
    path = link.split("shop.example.com", 1)[1]
    response = Client().get(path)
    assert response.status_code == 302
    token = re.search(r"/cart/([0-9a-f-]{36})/", response["Location"])
    assert token, response["Location"]
    checkout = Checkout.objects.get(token=token.group(1))
    assert checkout.email == "ada@example.org"
    assert [(line.variant_id, line.quantity) for line in checkout.lines.all()] == [
        (variant_of(dog_food).pk, 1)
    ]

    # the customer orders it again: the order is credited to the reminder
    from saleor_ecrm_plugin.models import Conversion

    again = make_order([dog_food], email="ada@example.org")
    assert program().order_placed(settings(), again.pk) == 1
    assert Conversion.objects.get().order_id == str(again.pk)

    # a tampered link creates nothing
    before = Checkout.objects.count()
    assert (
        Client().get(path.replace("order-again/", "order-again/x")).status_code == 400
    )
    assert Checkout.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_customer_who_reordered_gets_nothing(dog_food, smtp_server):
    configure_plugin(**ON)
    reminder_history(dog_food)
    order_history(dog_food, "bob@example.org", [30.5])
    program().learn_intervals(settings())
    assert program().plan_reminders(settings())["planned"] == 1

    make_order([dog_food], email="Bob@Example.org")  # re-ordered before the send
    assert Dispatcher().run().sent == 0
    send = ScheduledSend.objects.get(program="replenishment")
    assert (send.status, send.skip_reason) == (SendStatus.SKIPPED, "reordered")
    assert smtp_server.messages == []


def test_a_customer_buying_on_schedule_never_gets_one(dog_food):
    configure_plugin(**ON)
    reminder_history(dog_food)
    # every 38 days, the last order 10 days ago: each order was followed by the
    # next one before its reminder (30 days) fell due, the last one is not due yet
    order_history(dog_food, "steady@example.org", [124, 86, 48, 10])
    program().learn_intervals(settings())
    assert program().plan_reminders(settings()) == {"due": 0, "planned": 0}


def test_out_of_stock_or_unpublished_products_are_not_reminded(dog_food):
    from saleor.warehouse.models import Stock

    configure_plugin(**ON)
    reminder_history(dog_food)
    order_history(dog_food, "cy@example.org", [30.5])
    program().learn_intervals(settings())
    program().plan_reminders(settings())
    send = ScheduledSend.objects.get(program="replenishment")

    Stock.objects.filter(product_variant__product=dog_food).update(quantity=0)
    assert program().recheck(send, settings()).skip_reason == "out_of_stock"
    set_product(dog_food, is_published=False)
    assert program().recheck(send, settings()).skip_reason == "not_sold"
