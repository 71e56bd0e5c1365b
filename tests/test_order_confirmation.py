"""The order confirmation the plugin sends on Saleor 3.21 (programs/order_confirmation).

Saleor 3.21 sends no customer email of its own (its UserEmailPlugin is off by
default): ``checkoutComplete`` through Saleor's GraphQL API fires ``order_created``
after the commit, the plugin plans one confirmation per order in the ledger, the
dispatcher renders it (lines, totals, addresses, the cross-sell block) and a real
SMTP server receives it. On Saleor 2.10 Saleor's own task sends the confirmation
(tests/test_order_emails.py): the program plans nothing there.
"""

from __future__ import annotations

import re
from typing import Any, Dict

import graphene
import pytest
from django.conf import settings
from django.utils import translation

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.host import port as host
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service
from saleor_ecrm_plugin.programs.order_confirmation.program import (
    PROGRAM_ID,
    OrderConfirmationProgram,
)
from saleor_ecrm_plugin.programs.registry import program_of
from saleor_ecrm_plugin.recommendations import rebuild_model
from saleor_ecrm_plugin.settings_helper import DISPATCH_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import (
    make_category,
    make_order,
    make_orders,
    make_product,
    variant_of,
)

MISSING = "MISSING VARIABLE"
#: a clock-independent configuration
PLUGIN_VALUES = {
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
    "order_confirmation_url": "{storefront}orders/{number}/",
}


def confirmations() -> Any:
    return ScheduledSend.objects.filter(program=PROGRAM_ID)


def plan(order: Any) -> bool:
    return program_of(OrderConfirmationProgram).plan_confirmation(
        load_context().settings, str(order.pk), order.user_email
    )


@pytest.fixture
def camping_shop(shop: Any) -> Dict[str, Any]:
    """Tent goes with Sleeping bag (4 orders) and Stove (3); Water sells most but
    alone (the same history as tests/test_order_emails.py)."""
    camping = make_category("Camping")
    products = {
        "tent": make_product("Trail Tent", category=camping, price="120.00"),
        "bag": make_product(
            "Sleeping bag", category=camping, price="60.00", image="products/bag.jpg"
        ),
        "stove": make_product("Stove", category=camping, price="40.00"),
        "water": make_product("Water", category=make_category("Drinks"), price="1.00"),
    }
    p = products
    make_orders(
        [[p["tent"], p["bag"]]] * 4
        + [[p["tent"], p["stove"]]] * 3
        + [[p["water"]]] * 12
    )
    rebuild_model()
    return products


@pytest.mark.saleor321("Saleor 3.21's checkoutComplete; 2.10 sends its own")
@pytest.mark.django_db(transaction=True)
def test_checkout_complete_sends_one_confirmation_with_cross_sell(
    camping_shop: Dict[str, Any], api_client: Any, smtp_server: Any
) -> None:
    from saleor.order.models import Order
    from saleor.plugins.manager import get_plugins_manager

    from tests.storefront_saleor3 import buy, create_checkout, variant_id

    configure_plugin(**PLUGIN_VALUES, cross_sell_count="2")
    tent = camping_shop["tent"]
    checkout = create_checkout(
        api_client,
        settings.DEFAULT_CHANNEL_SLUG,
        "grace@example.org",
        [{"variantId": variant_id(variant_of(tent)), "quantity": 1}],
    )
    placed = buy(api_client, checkout)
    order = Order.objects.get(pk=graphene.Node.from_global_id(placed["id"])[1])

    # order_created (after Saleor's commit) planned one confirmation, due now
    [row] = confirmations()
    assert (row.recipient, row.subject_type, row.subject_id) == (
        "grace@example.org",
        "order",
        str(order.pk),
    )
    report = Dispatcher().run()
    assert report.sent == 1
    [received] = smtp_server.wait_for(1)
    row.refresh_from_db()
    assert row.status == SendStatus.SENT

    # the headers of a transactional email: no unsubscribe, the ledger's Message-ID
    message = received.message
    assert received.rcpt_tos == ["grace@example.org"]
    assert message["To"] == "grace@example.org"
    assert message["From"] == "Test Shop <hello@shop.example.com>"
    assert message["Subject"] == f"Order #{order.number} confirmed"
    assert message["Message-ID"] == row.message_id
    assert message["X-Ecrm-Program"] == "order_confirmation/confirmation"
    assert message["List-Unsubscribe"] is None
    text, html = received.text.replace("\r\n", "\n"), received.html

    # the confirmation first: lines, totals (shipping 5.00), addresses, the link
    assert "Hello Grace," in text
    assert f"Thank you for your order #{order.number}." in text
    # (Saleor names a line after a variant without a name by its SKU)
    sku = variant_of(tent).sku
    assert f"1 x Trail Tent ({sku}): $120.00" in text
    assert "Subtotal: $120.00" in text
    assert "Shipping (Standard delivery): $5.00" in text
    assert "Total: $125.00" in text
    assert "1600 PENNSYLVANIA AVE NW" in text.upper()
    assert f"https://shop.example.com/orders/{order.number}/" in text
    # then the products bought with a tent, most significant first, two of them
    cross_sell = text.index("You may also like")
    assert cross_sell > text.index("Total: $125.00")
    bag = camping_shop["bag"]
    bag_url = f"https://shop.example.com/product/{bag.slug}/{bag.pk}/"
    assert text[cross_sell:].split("\n")[1:4] == [
        "- Sleeping bag, $60.00",
        f"  {bag_url}",
        "- Stove, $40.00",
    ]
    assert "Water" not in text
    assert html.index("You may also like") > html.index("$125.00")
    assert f'href="{bag_url}"' in html
    assert re.search(r'<img src="http://[^"]+/media/products/bag\.jpg"', html)
    assert re.search(r'class="lines"[^>]*style="[^"]*border-collapse', html)
    assert MISSING not in text + html

    # a second order_created for the same order (a retried hook) plans nothing
    get_plugins_manager(allow_replica=False).order_created(order)
    assert confirmations().count() == 1
    assert plan(order) is False
    assert Dispatcher().run().claimed == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.saleor321("the plugin sends the confirmation on Saleor 3.21 only")
@pytest.mark.django_db
def test_the_confirmation_speaks_the_order_language(
    camping_shop: Dict[str, Any], smtp_server: Any
) -> None:
    configure_plugin(**PLUGIN_VALUES)
    order = make_order([camping_shop["tent"]], email="ada@example.org")
    order.language_code = "fr"
    order.save(update_fields=["language_code"])
    assert plan(order)
    Dispatcher(threads=1).run()
    [received] = smtp_server.wait_for(1)
    with translation.override("fr"):
        subject = translation.gettext("Order #%(number)s confirmed") % {
            "number": order.number
        }
    assert subject == f"Commande n° {order.number} confirmée"
    assert received.message["Subject"] == subject
    assert '<html lang="fr">' in received.html
    assert "Vous aimerez aussi" in received.text
    assert "125,00\xa0$US" in received.text


@pytest.mark.saleor321("the plugin sends the confirmation on Saleor 3.21 only")
@pytest.mark.django_db
def test_a_cancelled_order_or_a_bounced_address_gets_no_confirmation(
    camping_shop: Dict[str, Any], smtp_server: Any
) -> None:
    configure_plugin(**PLUGIN_VALUES)
    cancelled = make_order([camping_shop["tent"]], email="a@example.org")
    bounced = make_order([camping_shop["tent"]], email="b@example.org")
    complained = make_order([camping_shop["tent"]], email="c@example.org")
    for order in (cancelled, bounced, complained):
        assert plan(order)
    type(cancelled).objects.filter(pk=cancelled.pk).update(status="canceled")
    service.suppress("b@example.org", "hard_bounce", "test")
    # a complaint about marketing stops marketing, not the receipt of an order
    service.suppress("c@example.org", "complaint", "test")
    # and the customer's opt-out of everything else does not stop it either
    service.unsubscribe("c@example.org", None, "test")

    report = Dispatcher(threads=1).run()
    assert (report.sent, report.skipped) == (1, 2)
    assert dict(confirmations().values_list("recipient", "skip_reason")) == {
        "a@example.org": "order_canceled",
        "b@example.org": "suppressed",
        "c@example.org": "",
    }
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["c@example.org"]


@pytest.mark.saleor321("the plugin sends the confirmation on Saleor 3.21 only")
@pytest.mark.django_db
def test_the_merchant_can_switch_the_confirmation_or_its_block_off(
    camping_shop: Dict[str, Any], smtp_server: Any
) -> None:
    configure_plugin(**PLUGIN_VALUES, order_confirmation_enabled=False)
    assert plan(make_order([camping_shop["tent"]])) is False
    assert not confirmations().exists()

    configure_plugin(**PLUGIN_VALUES, cross_sell_enabled=False)
    assert plan(make_order([camping_shop["tent"]]))
    Dispatcher(threads=1).run()
    [received] = smtp_server.wait_for(1)
    assert "1 x Trail Tent: $120.00" in received.text
    assert "You may also like" not in received.text + received.html


@pytest.mark.saleor210("Saleor 2.10 sends its own confirmation")
@pytest.mark.django_db
def test_on_saleor_210_saleor_sends_it_and_the_program_plans_nothing(shop):
    configure_plugin()
    assert host.sends_order_confirmation()
    order = make_order([make_product("Tent")])
    assert plan(order) is False
    assert not confirmations().exists()


def test_the_order_page_address_is_checked():
    from saleor_ecrm_plugin.config import parse_configuration

    parsed, errors = parse_configuration(
        [{"name": "order_confirmation_url", "value": "{storefront}o/{number}/{id}"}]
    )
    assert errors == {}
    options = parsed.program(PROGRAM_ID)
    assert options["order_confirmation_url"] == "{storefront}o/{number}/{id}"
    assert options["order_confirmation_enabled"] is True
    for bad in ("{storefront}o/{token}/", "{storefront.x}", "o/{number}", "{0}", "a}{"):
        _parsed, errors = parse_configuration(
            [{"name": "order_confirmation_url", "value": bad}]
        )
        assert "order_confirmation_url" in errors, bad


@pytest.mark.saleor321("the plugin sends the confirmation on Saleor 3.21 only")
@pytest.mark.django_db(transaction=True)
def test_beat_and_a_real_worker_send_the_confirmation_once(
    camping_shop: Dict[str, Any],
    smtp_server: Any,
    celery_worker: Any,  # noqa: F811  (the imported fixture)
) -> None:
    configure_plugin(**PLUGIN_VALUES)
    order = make_order([camping_shop["tent"]], email="grace@example.org")
    assert plan(order)

    def ticks() -> Any:
        return celery_worker.task_results(DISPATCH_TASK)

    log = "\n--- worker output ---\n"
    assert wait_until(lambda: any(tick["sent"] for tick in ticks()), 60), (
        log + celery_worker.output()
    )
    [received] = smtp_server.wait_for(1, timeout=5)
    assert received.message["Subject"] == f"Order #{order.number} confirmed"
    assert "You may also like" in received.text
    assert confirmations().get().status == SendStatus.SENT
    # later ticks find nothing more to send
    assert wait_until(lambda: len(ticks()) >= 2, 60), log + celery_worker.output()
    assert len(smtp_server.messages) == 1
