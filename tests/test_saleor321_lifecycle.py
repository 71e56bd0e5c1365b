"""What the lifecycle programs' host questions answer on Saleor 3.21 alone: gift
lines and orders not placed (unconfirmed, expired) teach nothing, and an "order
again" checkout is made in the order's channel by Saleor's own line service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.host import port as host
from tests.factories import make_order, make_product, variant_of

pytestmark = pytest.mark.saleor321(
    reason="Saleor 3.21's gift lines, order statuses and channels"
)


def test_gift_lines_and_orders_not_placed_are_no_purchase(shop):
    from saleor.order.models import OrderLine

    food = make_product("Dog food")
    now = timezone.now()
    for number in range(3):  # three repeats of 40 days
        for age in (100, 60):
            make_order(
                [food], email=f"p{number}@example.org", created=now - timedelta(age)
            )
    for status in ("unconfirmed", "expired", "draft"):
        for age in (90, 85):  # 5 days apart: would pull the median down
            make_order(
                [food],
                email=f"{status}@example.org",
                status=status,
                created=now - timedelta(age),
            )
    for age in (90, 85):
        make_order([food], email="gift@example.org", created=now - timedelta(age))
    OrderLine.objects.filter(order__user_email="gift@example.org").update(is_gift=True)

    [interval] = host.repeat_purchase_intervals(1)
    assert (interval.product_id, interval.repeats) == (food.pk, 3)
    assert interval.days_per_unit == pytest.approx(40.0)
    for email in ("gift", "unconfirmed", "expired", "draft"):
        assert host.email_product_ids(f"{email}@example.org") == []
    assert host.email_product_ids("p0@example.org") == [food.pk]


def test_order_again_makes_a_checkout_in_the_orders_channel_cut_to_the_stock(shop):
    from saleor.checkout.models import Checkout

    food = make_product("Dog food", price="30.00", stock=2)
    order = make_order([food], email="ada@example.org", quantity=5)

    token = host.create_checkout_with_lines(
        "Ada@example.org", [(variant_of(food).pk, 5)]
    )

    checkout = Checkout.objects.get(token=token)
    assert checkout.channel_id == order.channel_id
    assert checkout.currency == order.channel.currency_code
    [line] = checkout.lines.all()
    assert (line.variant_id, line.quantity) == (variant_of(food).pk, 2)
    assert line.undiscounted_unit_price_amount == 30

    # nothing buyable: no checkout
    from saleor.warehouse.models import Stock

    Stock.objects.filter(product_variant__product=food).update(quantity=0)
    before = Checkout.objects.count()
    assert (
        host.create_checkout_with_lines("ada@example.org", [(variant_of(food).pk, 1)])
        is None
    )
    assert Checkout.objects.count() == before
