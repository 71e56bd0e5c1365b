"""The Saleor 3.21 adapter against Saleor 3.21's own models: UUID checkouts and
orders, channel listings, allocated and reserved stock, voucher codes, gift lines,
and the send guard's row lock that checkout completion also takes."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from saleor_ecrm_plugin.host import port
from tests.factories import (
    allocate,
    fulfill,
    make_checkout,
    make_order,
    make_product,
    set_product,
    variant_of,
)

pytestmark = pytest.mark.saleor321(reason="Saleor 3.21's models")


@pytest.mark.django_db
def test_checkouts_come_back_by_uuid_with_their_non_gift_lines():
    from saleor.checkout.models import CheckoutLine

    tent, lamp = make_product("Tent"), make_product("Lamp")
    checkout = make_checkout([tent], email="ann@example.org", quantity=2)
    token = str(checkout.token)
    state = port.checkout_state(token)
    assert state is not None
    assert (state.token, state.email, state.line_count) == (token, "ann@example.org", 1)
    # a gift added by a promotion is not the customer's: no new line, no new state
    CheckoutLine.objects.create(
        checkout=checkout,
        variant=variant_of(lamp),
        quantity=1,
        is_gift=True,
        currency="USD",
    )
    again = port.checkout_state(token)
    assert again is not None
    assert (again.line_count, again.fingerprint) == (1, state.fingerprint)
    assert port.checkout_state("not-a-uuid") is None
    changed = port.checkouts_changed_since(timezone.now() - timedelta(days=1), "", 10)
    assert [row[0] for row in changed] == [token]


@pytest.mark.django_db
def test_a_checkout_of_gifts_only_is_not_remindable():
    from saleor.checkout.models import CheckoutLine

    gift = make_product("Gift")
    checkout = make_checkout([], email="gift@example.org")
    CheckoutLine.objects.create(
        checkout=checkout,
        variant=variant_of(gift),
        quantity=1,
        is_gift=True,
        currency="USD",
    )
    assert (
        port.checkouts_changed_since(timezone.now() - timedelta(days=1), "", 10) == []
    )


@pytest.mark.django_db
def test_the_cart_is_priced_in_the_checkout_channel(shop):
    tent = make_product("Tent", price="120.00")
    checkout = make_checkout([tent], quantity=2)
    cart = port.checkout_cart(str(checkout.token), "https://shop.example.com")
    assert cart is not None
    [line] = cart.lines
    assert (line.product_name, line.quantity) == ("Tent", 2)
    assert line.unit_price.amount == Decimal("120.00")
    assert cart.subtotal.amount == Decimal("240.00")
    assert cart.subtotal.currency == "USD"
    assert line.product_url == f"https://shop.example.com/product/{tent.slug}/"


@pytest.mark.django_db
def test_orders_are_found_by_checkout_token_and_counted_by_number(shop):
    tent = make_product("Tent", price="30.00")
    checkout = make_checkout([tent])
    order = make_order([tent], checkout_token=str(checkout.token))
    assert port.order_for_checkout(str(checkout.token)) == str(order.pk)
    facts = port.order_facts(str(order.pk))
    assert facts is not None
    assert facts.checkout_token == str(checkout.token)
    assert facts.total.amount == Decimal("35.00")  # with shipping
    assert port.counted_orders_high_water_mark() == order.number
    assert port.email_ordered_since("BUYER@example.org", order.created_at)


@pytest.mark.django_db
def test_shipped_lines_are_reviewable_and_gifts_are_not(shop):
    tent, gift = make_product("Tent"), make_product("Gift")
    order = make_order([tent, gift])
    order.lines.filter(variant__product=gift).update(is_gift=True)
    assert port.fulfilled_lines(str(order.pk)) == []
    fulfill(order)
    [line] = port.fulfilled_lines(str(order.pk))
    assert (line.product_id, line.order_id) == (tent.pk, str(order.pk))
    assert port.fulfilled_lines(str(order.pk), line.id) == [line]
    review = port.order_for_review(str(order.pk))
    assert review is not None and not review.canceled and not review.refunded
    assert port.order_product_ids(str(order.pk)) == [tent.pk]


@pytest.mark.django_db
def test_stock_counts_allocations_and_running_reservations():
    from saleor.warehouse.models import Reservation, Stock

    tent = make_product("Tent", stock=5)
    variant = variant_of(tent)
    assert port.variant_stock([variant.pk])[variant.pk].units == 5
    allocate(tent, 2)
    assert port.variant_stock([variant.pk])[variant.pk].units == 3
    checkout = make_checkout([tent])
    stock = Stock.objects.get(product_variant=variant)
    line = checkout.lines.get()
    Reservation.objects.create(
        checkout_line=line,
        stock=stock,
        quantity_reserved=3,
        reserved_until=timezone.now() + timedelta(minutes=10),
    )
    state = port.variant_stock([variant.pk])[variant.pk]
    assert state.units == 0 and not state.in_stock
    Reservation.objects.update(reserved_until=timezone.now() - timedelta(minutes=1))
    assert port.variant_stock([variant.pk])[variant.pk].in_stock  # expired


@pytest.mark.django_db
def test_visibility_and_prices_come_from_the_channel_listings(shop):
    tent, stove = make_product("Tent", price="60.00"), make_product("Stove")
    cards = port.available_product_cards([tent.pk, stove.pk])
    assert set(cards) == {tent.pk, stove.pk}
    assert cards[tent.pk].price.amount == Decimal("60.00")
    set_product(tent, is_published=False)
    assert set(port.available_product_cards([tent.pk, stove.pk])) == {stove.pk}
    assert not port.variant_stock([variant_of(tent).pk])[variant_of(tent).pk].visible
    set_product(
        tent, is_published=True, published_at=timezone.now() + timedelta(days=2)
    )
    assert set(port.available_product_cards([tent.pk, stove.pk])) == {stove.pk}
    card = port.variant_card(variant_of(stove).pk)
    assert card is not None and card.product_name == "Stove"


@pytest.mark.django_db
def test_single_use_vouchers_have_a_code_and_a_value_in_each_channel():
    from saleor.discount.models import Voucher

    make_product("Tent")  # the channel
    now = timezone.now()
    issued = port.issue_single_use_voucher("send:1", "back", 10, 7, now)
    voucher = Voucher.objects.get()
    assert voucher.single_use and voucher.usage_limit == 1
    assert list(voucher.codes.values_list("code", flat=True)) == [issued.code]
    assert issued.code.startswith("BACK") and len(issued.code) == 12
    [listing] = voucher.channel_listings.all()
    assert listing.discount_value == 10 and listing.currency == "USD"
    # the same reference: the same voucher, nothing new
    assert port.issue_single_use_voucher("send:1", "back", 10, 7, now) == issued
    assert Voucher.objects.count() == 1


@pytest.mark.django_db
def test_the_global_plugin_configuration_is_read(shop):
    from tests.configuration import configure_plugin

    assert port.stored_plugin_configuration("saleor_ecrm_plugin.ecrm") == (False, None)
    configure_plugin(abandoned_enabled=True)
    active, items = port.stored_plugin_configuration("saleor_ecrm_plugin.ecrm")
    assert active and items


@pytest.mark.django_db(transaction=True)
def test_the_send_guard_holds_the_row_checkout_completion_locks():
    """Saleor's completion takes ``select_for_update`` on the checkout row: while a
    reminder's guard holds it, completion cannot start; once the guard's
    transaction ends, it can."""
    from saleor.checkout.models import Checkout

    checkout = make_checkout([make_product("Tent")], email="race@example.org")
    token = str(checkout.token)
    held, release, outcome = threading.Event(), threading.Event(), {}

    def reminder() -> None:
        try:
            with transaction.atomic():
                port.lock_checkout_and_email(token, "race@example.org")
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def completion(key: str) -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                try:
                    list(Checkout.objects.select_for_update().filter(pk=token))
                    outcome[key] = "locked"
                except OperationalError:
                    outcome[key] = "waited"
        finally:
            connection.close()

    guard = threading.Thread(target=reminder)
    guard.start()
    assert held.wait(10)
    during = threading.Thread(target=completion, args=("during",))
    during.start()
    during.join()
    release.set()
    guard.join()
    after = threading.Thread(target=completion, args=("after",))
    after.start()
    after.join()
    assert outcome == {"during": "waited", "after": "locked"}


@pytest.mark.django_db
def test_the_guard_on_a_completed_checkout_holds_nothing_and_fails_nothing():
    with transaction.atomic():
        port.lock_checkout_and_email("3f2504e0-4f89-11d3-9a0c-0305e82c3301", "a@b.org")
        port.lock_checkout_and_email("not-a-uuid", "")
