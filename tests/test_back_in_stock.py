"""Back-in-stock alerts, end to end through Saleor's GraphQL API and a real SMTP server.

Stock is changed the way a merchant changes it: Saleor's own
``productVariantStocksUpdate`` (``bulk_update``, no signal; on 3.21 it fires no
back-in-stock hook either), as staff with MANAGE_PRODUCTS (the ``product_manager``
fixture, :func:`tests.graphql.set_stock` on either host); "sold" units are
allocations of Saleor's order lines. Detection is the plugin's polling tick.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any, Dict, List, Optional
from urllib.parse import urlparse

import graphene
import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences.models import EmailContact
from saleor_ecrm_plugin.programs.back_in_stock.models import (
    BackInStockSubscription,
    SubscriptionStatus,
    VariantWatch,
)
from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection, wave_size
from tests.configuration import configure_plugin
from tests.factories import allocate, make_product, variant_of
from tests.graphql import ApiClient, set_stock

SUBSCRIBE = """
mutation Subscribe($variantId: ID!, $email: String) {
  backInStockSubscribe(variantId: $variantId, email: $email) {
    ecrmErrors { field message code }
    subscription { variantId email createdAt }
  }
}
"""


class BrowserClient(ApiClient):
    """An API client seen from a given network address (REMOTE_ADDR)."""

    def __init__(self, user: Optional[Any] = None, address: str = "203.0.113.7"):
        super().__init__(user, address, statuses=(200,))


def variant_gid(product) -> str:
    return graphene.Node.to_global_id("ProductVariant", variant_of(product).pk)


def subscribe(client: ApiClient, product, email: Optional[str]) -> Dict:
    result = client.post(SUBSCRIBE, {"variantId": variant_gid(product), "email": email})
    assert "errors" not in result, result  # never a GraphQL-level error
    return result["data"]["backInStockSubscribe"]


def error_of(payload: Dict) -> Dict:
    [error] = payload["ecrmErrors"]
    assert payload["subscription"] is None
    return error


def subscribers(count: int, prefix: str = "fan") -> List[str]:
    return [f"{prefix}{index:02d}@example.org" for index in range(count)]


def next_wave_is_due() -> None:
    """The wave interval has passed (as the welcome test moves a due time)."""
    VariantWatch.objects.update(next_wave_at=timezone.now() - timedelta(seconds=1))


def sent_to(smtp_server) -> List[str]:
    return [received.rcpt_tos[0] for received in smtp_server.messages]


@pytest.fixture
def tent(shop):
    return make_product(
        "Tent", price="120.00", stock=0, image="products/tent.jpg", slug="tent"
    )


# --- the whole story --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_waves_follow_the_stock_that_came_back(tent, product_manager, smtp_server):
    configure_plugin(back_in_stock_alerts_per_unit="2")
    guest = BrowserClient()
    fans = subscribers(15)
    for email in fans:
        payload = subscribe(guest, tent, email)
        assert payload["ecrmErrors"] == []
        assert payload["subscription"]["email"] == email

    # no stock: a tick watches the variant and plans nothing
    assert run_detection().watched == 1
    assert not ScheduledSend.objects.exists()

    # the merchant receives 3 units: the first wave is 3 x 2 = 6 alerts
    assert set_stock(product_manager, tent, 3) == 3
    report = run_detection()
    assert (report.back_in_stock, report.waves, report.notified) == (1, 1, 6)
    assert Dispatcher().run().sent == 6
    assert sent_to(smtp_server) == fans[:6]  # first come, first served

    received = smtp_server.messages[0]
    headers = received.message
    assert headers["To"] == fans[0]
    assert headers["From"] == "Test Shop <hello@shop.example.com>"
    assert headers["Subject"] == "Tent is back in stock"
    assert headers["X-Ecrm-Program"] == "back_in_stock/alert"
    assert str(headers["List-Unsubscribe"]).strip().startswith("<https://")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    product_url = f"http://localhost:3000/product/tent/{tent.pk}/"
    text, html = received.text, received.html
    assert "Tent is back in stock at Test Shop" in text
    assert "Tent, $120.00" in text and product_url in text
    assert f'href="{product_url}"' in html and "$120.00" in html
    assert 'src="http://shop.example.com/media/products/tent.jpg"' in html
    assert "Order now" in html
    # the product card styled by includes/tables.css, inlined
    assert re.search(r'class="products"[^>]*style="[^"]*border-collapse', html)

    # the same tick again, or before the interval: no second wave
    assert run_detection().waves == 0
    assert len(smtp_server.messages) == 6

    # a customer's order holds one unit; after the interval the wave is 2 x 2
    allocate(tent, 1)
    next_wave_is_due()
    assert run_detection().notified == 4
    assert Dispatcher().run().sent == 4
    assert sent_to(smtp_server) == fans[:10]

    # the stock is gone: no wave, whatever the interval; the rest keep waiting
    assert set_stock(product_manager, tent, 1) == 0  # 1 unit, 1 allocated
    next_wave_is_due()
    report = run_detection()
    assert (report.back_in_stock, report.waves) == (0, 0)
    assert Dispatcher().run().claimed == 0
    assert len(smtp_server.messages) == 10

    subscriptions = BackInStockSubscription.objects.order_by("created_at", "id")
    assert [s.wave for s in subscriptions] == [1] * 6 + [2] * 4 + [None] * 5
    assert [s.status for s in subscriptions] == ["notified"] * 10 + ["open"] * 5
    assert ScheduledSend.objects.filter(status=SendStatus.SENT).count() == 10

    # a restock after the sell-out is announced at once (no interval to wait)
    set_stock(product_manager, tent, 3)  # 2 available
    assert run_detection().notified == 4
    assert Dispatcher().run().sent == 4
    assert sent_to(smtp_server) == fans[:14]


@pytest.mark.django_db(transaction=True)
def test_stock_gone_before_sending_skips_and_reopens_in_place(
    tent, product_manager, smtp_server
):
    configure_plugin(back_in_stock_alerts_per_unit="1")
    guest = BrowserClient()
    fans = subscribers(4)
    for email in fans:
        assert subscribe(guest, tent, email)["ecrmErrors"] == []
    set_stock(product_manager, tent, 2)
    assert run_detection().notified == 2

    # sold elsewhere (the merchant counted again) before the dispatcher ran
    set_stock(product_manager, tent, 0)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (0, 2)
    assert set(ScheduledSend.objects.values_list("skip_reason", flat=True)) == {
        "out_of_stock_again"
    }
    assert smtp_server.messages == []
    # both went back to the queue, before the others
    assert BackInStockSubscription.objects.filter(status="open").count() == 4

    set_stock(product_manager, tent, 2)
    assert run_detection().notified == 2
    assert Dispatcher().run().sent == 2
    assert sent_to(smtp_server) == fans[:2]


@pytest.mark.django_db(transaction=True)
def test_one_click_unsubscribe_from_an_alert_cancels_the_other_alerts(
    shop, product_manager, smtp_server
):
    configure_plugin()
    tent = make_product("Tent", stock=0)
    stove = make_product("Stove", stock=0)
    guest = BrowserClient()
    for product in (tent, stove):
        subscribe(guest, product, "ada@example.org")
        subscribe(guest, product, "bob@example.org")
    set_stock(product_manager, tent, 5)
    run_detection()
    assert Dispatcher().run().sent == 2
    received = next(
        m for m in smtp_server.messages if m.rcpt_tos == ["ada@example.org"]
    )

    url = urlparse(str(received.message["List-Unsubscribe"]).strip()[1:-1])
    response = Client().post(url.path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    contact = EmailContact.objects.get(email="ada@example.org")
    assert contact.opted_out_categories == ["back_in_stock"]

    set_stock(product_manager, stove, 5)
    report = run_detection()
    assert (report.notified, report.cancelled) == (1, 1)
    assert Dispatcher().run().sent == 1
    assert len(smtp_server.messages) == 3
    assert smtp_server.messages[-1].rcpt_tos == ["bob@example.org"]
    cancelled = BackInStockSubscription.objects.get(status="cancelled")
    assert (cancelled.email, cancelled.cancel_reason) == (
        "ada@example.org",
        "unsubscribed",
    )


# --- subscribing ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_signed_in_customer_subscribes_with_the_account_address(tent):
    from saleor.account.models import User

    configure_plugin()
    user = User.objects.create_user("Grace@Example.org", "correct-horse-1")
    payload = subscribe(BrowserClient(user), tent, None)
    assert payload["ecrmErrors"] == []
    subscription = BackInStockSubscription.objects.get()
    assert (subscription.email, subscription.user_id) == ("grace@example.org", user.pk)
    assert subscription.variant_id == variant_of(tent).pk
    assert subscription.product_id == tent.pk
    assert subscription.status == SubscriptionStatus.OPEN
    assert len(subscription.client_hash) == 64  # a keyed hash, not the address
    assert "203.0.113.7" not in subscription.client_hash


@pytest.mark.django_db
def test_a_signed_in_customer_who_had_unsubscribed_gets_alerts_again(tent):
    from saleor.account.models import User

    from saleor_ecrm_plugin.preferences.service import unsubscribe

    configure_plugin()
    user = User.objects.create_user("grace@example.org", "correct-horse-1")
    unsubscribe("grace@example.org", "back_in_stock", "one_click")
    assert subscribe(BrowserClient(user), tent, None)["ecrmErrors"] == []
    contact = EmailContact.objects.get(email="grace@example.org")
    assert contact.opted_out_categories == []
    assert contact.consent_events.last().source == "back_in_stock_request"


def _unknown_variant(tent) -> str:
    return graphene.Node.to_global_id("ProductVariant", variant_of(tent).pk + 1000)


@pytest.mark.parametrize(
    "variant, email, field, code",
    [
        (_unknown_variant, "ada@example.org", "variantId", "NOT_FOUND"),
        (lambda tent: "not-a-global-id", "ada@example.org", "variantId", "NOT_FOUND"),
        (
            lambda tent: graphene.Node.to_global_id("Product", tent.pk),
            "ada@example.org",
            "variantId",
            "NOT_FOUND",
        ),
        (variant_gid, "not an email", "email", "INVALID"),
        (variant_gid, "ada@" + "x" * 260 + ".org", "email", "INVALID"),
        (variant_gid, None, "email", "REQUIRED"),
        (variant_gid, "  ", "email", "REQUIRED"),
    ],
    ids=[
        "unknown-variant",
        "garbage-id",
        "product-id",
        "bad-email",
        "long-email",
        "guest-no-email",
        "blank-email",
    ],
)
@pytest.mark.django_db
def test_bad_input_is_a_typed_error_and_writes_nothing(
    tent, variant, email, field, code
):
    configure_plugin()
    result = BrowserClient().post(
        SUBSCRIBE, {"variantId": variant(tent), "email": email}
    )
    assert "errors" not in result
    error = error_of(result["data"]["backInStockSubscribe"])
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
    assert not BackInStockSubscription.objects.exists()
    assert not EmailContact.objects.exists()


@pytest.mark.django_db
def test_in_stock_and_hidden_variants_are_refused(shop):
    configure_plugin()
    in_stock = make_product("Lamp", stock=2)
    hidden = make_product("Secret", stock=0, is_published=False)
    untracked = make_product("E-book", stock=0, track_inventory=False)
    guest = BrowserClient()
    assert error_of(subscribe(guest, in_stock, "ada@example.org"))["code"] == (
        "IN_STOCK"
    )
    assert error_of(subscribe(guest, untracked, "ada@example.org"))["code"] == (
        "IN_STOCK"
    )
    assert error_of(subscribe(guest, hidden, "ada@example.org"))["code"] == (
        "NOT_FOUND"
    )
    # stock fully held by orders is not in stock: subscribing works
    allocate(in_stock, 2)
    assert subscribe(guest, in_stock, "ada@example.org")["ecrmErrors"] == []
    assert BackInStockSubscription.objects.count() == 1


@pytest.mark.django_db
def test_subscribing_twice_is_a_typed_error(tent):
    configure_plugin()
    guest = BrowserClient()
    assert subscribe(guest, tent, "ada@example.org")["ecrmErrors"] == []
    error = error_of(subscribe(guest, tent, "ADA@example.org "))
    assert (error["field"], error["code"]) == ("email", "ALREADY_SUBSCRIBED")
    assert BackInStockSubscription.objects.count() == 1


@pytest.mark.django_db
def test_open_alerts_per_address_are_limited(shop):
    configure_plugin(back_in_stock_max_per_email="2")
    products = [make_product(stock=0) for _ in range(3)]
    guest = BrowserClient()
    for product in products[:2]:
        assert subscribe(guest, product, "ada@example.org")["ecrmErrors"] == []
    error = error_of(
        subscribe(BrowserClient(address="198.51.100.1"), products[2], "ada@example.org")
    )
    assert (error["field"], error["code"]) == ("email", "RATE_LIMITED")
    assert BackInStockSubscription.objects.count() == 2
    # another address is not limited by ada's
    assert subscribe(guest, products[2], "bob@example.org")["ecrmErrors"] == []


@pytest.mark.django_db
def test_sign_ups_per_network_address_and_hour_are_limited(tent):
    configure_plugin(back_in_stock_max_per_client_hour="3")
    bot = BrowserClient(address="203.0.113.9")
    for email in subscribers(3, "bot"):
        assert subscribe(bot, tent, email)["ecrmErrors"] == []
    error = error_of(subscribe(bot, tent, "bot99@example.org"))
    assert (error["field"], error["code"]) == (None, "RATE_LIMITED")
    # the same /64 of IPv6 is one client
    v6a = BrowserClient(address="2001:db8:1:2::1")
    v6b = BrowserClient(address="2001:db8:1:2::ffff")
    for email in subscribers(3, "six"):
        assert subscribe(v6a, tent, email)["ecrmErrors"] == []
    assert error_of(subscribe(v6b, tent, "six99@example.org"))["code"] == (
        "RATE_LIMITED"
    )
    assert BackInStockSubscription.objects.count() == 6
    # another visitor is not affected; an hour later the bot may sign up again
    assert subscribe(BrowserClient(), tent, "ada@example.org")["ecrmErrors"] == []
    BackInStockSubscription.objects.update(
        created_at=timezone.now() - timedelta(minutes=61)
    )
    assert subscribe(bot, tent, "bot99@example.org")["ecrmErrors"] == []


@pytest.mark.django_db
def test_nothing_is_accepted_while_the_alerts_are_off(tent):
    configure_plugin(back_in_stock_enabled=False)
    error = error_of(subscribe(BrowserClient(), tent, "ada@example.org"))
    assert error["code"] == "UNAVAILABLE"
    assert not BackInStockSubscription.objects.exists()


# --- detection --------------------------------------------------------------------


@pytest.mark.django_db
def test_wave_size_is_stock_times_alerts_per_unit(shop):
    from decimal import Decimal

    assert wave_size(3, Decimal("2")) == 6
    assert wave_size(3, Decimal("1.5")) == 4
    assert wave_size(1, Decimal("0.5")) == 1  # at least one once stock is back
    assert wave_size(0, Decimal("2")) == 0


@pytest.mark.django_db
def test_below_the_minimum_stock_no_wave_goes(tent, product_manager):
    configure_plugin(back_in_stock_min_units="5")
    subscribe(BrowserClient(), tent, "ada@example.org")
    set_stock(product_manager, tent, 4)
    assert run_detection().waves == 0
    set_stock(product_manager, tent, 5)
    assert run_detection().notified == 1


@pytest.mark.django_db
def test_a_deleted_variant_cancels_its_subscriptions(tent):
    configure_plugin()
    subscribe(BrowserClient(), tent, "ada@example.org")
    run_detection()
    tent.delete()
    report = run_detection()
    assert report.cancelled == 1
    subscription = BackInStockSubscription.objects.get()
    assert (subscription.status, subscription.cancel_reason) == (
        "cancelled",
        "variant_deleted",
    )
    assert run_detection().watched == 0
    assert not VariantWatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_tick_skips_a_variant_another_tick_is_planning(tent, product_manager):
    """Two ticks never plan the same wave: the watch row is taken FOR UPDATE SKIP
    LOCKED, and a later tick finds the next wave not due."""
    configure_plugin(back_in_stock_alerts_per_unit="1")
    guest = BrowserClient()
    for email in subscribers(6):
        subscribe(guest, tent, email)
    run_detection()  # records the watch row
    set_stock(product_manager, tent, 2)
    # as seen by the other tick, which is planning the wave
    VariantWatch.objects.update(available=2)

    locked, release = threading.Event(), threading.Event()

    def other_tick_holds_the_variant() -> None:
        try:
            with transaction.atomic():
                VariantWatch.objects.select_for_update().get()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_tick_holds_the_variant)
    thread.start()
    try:
        assert locked.wait(10)
        report = run_detection()
        assert (report.back_in_stock, report.waves) == (1, 0)
    finally:
        release.set()
        thread.join()
    assert not ScheduledSend.objects.exists()

    assert run_detection().notified == 2
    assert run_detection().notified == 0  # the next wave is not due
    assert ScheduledSend.objects.count() == 2
    keys = set(ScheduledSend.objects.values_list("idempotency_key", flat=True))
    ids = BackInStockSubscription.objects.filter(wave=1).values_list("id", flat=True)
    assert keys == {f"back_in_stock:{pk}:1" for pk in ids}


@pytest.mark.django_db
def test_nothing_is_planned_while_the_plugin_is_inactive(tent, product_manager):
    configure_plugin()
    subscribe(BrowserClient(), tent, "ada@example.org")
    configure_plugin(active=False)
    set_stock(product_manager, tent, 3)
    assert run_detection().waves == 0
    assert not ScheduledSend.objects.exists()


@pytest.mark.django_db
def test_the_merchant_settings_are_checked():
    from saleor_ecrm_plugin.config import parse_configuration

    _settings, errors = parse_configuration(
        [
            {"name": "back_in_stock_alerts_per_unit", "value": "lots"},
            {"name": "back_in_stock_min_units", "value": "0"},
            {"name": "back_in_stock_wave_interval_minutes", "value": "90"},
        ]
    )
    assert set(errors) == {"back_in_stock_alerts_per_unit", "back_in_stock_min_units"}
    assert "not a number" in errors["back_in_stock_alerts_per_unit"]


@pytest.mark.django_db
def test_a_large_wave_writes_the_rows_plan_sends_writes():
    """Waves of 50+ alerts are planned in one INSERT ... SELECT; the rows must be
    those of the ledger's own plan_sends, and a replay must add nothing."""
    from saleor_ecrm_plugin.ledger import plan_sends
    from saleor_ecrm_plugin.programs.back_in_stock.service import (
        _planned_alert,
        plan_alerts,
    )

    now = timezone.now()
    picked = [(1000 + n, f"fan{n}@example.org") for n in range(60)]
    ignored = {"id", "created_at", "updated_at"}

    def rows() -> List[Dict[str, Any]]:
        return [
            {k: v for k, v in row.items() if k not in ignored}
            for row in ScheduledSend.objects.order_by("due_at").values()
        ]

    assert plan_alerts(7, 1, picked, now) == 60
    assert plan_alerts(7, 1, picked, now) == 0  # ON CONFLICT: nothing twice
    bulk = rows()
    ScheduledSend.objects.all().delete()
    expected = [
        _planned_alert(7, 1, pk, email, now + timedelta(microseconds=n))
        for n, (pk, email) in enumerate(picked)
    ]
    assert plan_sends(expected) == 60
    assert bulk == rows()
    assert bulk[0]["payload"] == {"subscription_id": 1000, "wave": 1}
    assert bulk[0]["status"] == "planned" and bulk[0]["next_attempt_at"] == now
    assert [row["idempotency_key"] for row in bulk] == [
        f"back_in_stock:{pk}:1" for pk, _ in picked
    ]
