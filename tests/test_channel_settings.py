"""Storefront, sender and language per sales channel (Saleor 3.21's Channel metadata).

The plugin's configuration is global; a channel's ``ecrm.storefront_url``,
``ecrm.sender`` and ``ecrm.language`` metadata (set through Saleor's models, as the
dashboard's metadata editor does) replace the global values in the emails about
that channel's checkouts and orders. A bad value is logged once and ignored: the
email still goes, with the global value. On Saleor 2.10 (no channels) nothing
changes.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any, Dict

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.channels import settings_for_send
from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.host import port as host
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
    PROGRAM_ID as CART_REMINDERS,
)
from saleor_ecrm_plugin.programs.order_confirmation.program import (
    OrderConfirmationProgram,
)
from saleor_ecrm_plugin.programs.registry import get_program, program_of
from tests.configuration import configure_plugin
from tests.factories import make_checkout, make_order, make_product, variant_of

#: the global values
PLUGIN_VALUES = {
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
    "sender_name": "Test Shop",
    "sender_email": "hello@shop.example.com",
    "abandoned_enabled": True,
    "abandoned_consent_mode": "everyone",
    "order_confirmation_url": "{storefront}orders/{number}/",
}
FRENCH = {
    "ecrm.storefront_url": "https://fr.shop.example",
    "ecrm.sender": "Boutique FR <bonjour@fr.shop.example>",
    "ecrm.language": "fr",
}


def make_channel(slug: str, metadata: Dict[str, Any]) -> Any:
    """A second channel (USD, US) selling what ``products`` list, with metadata."""
    from saleor.channel.models import Channel
    from saleor.tax.models import TaxConfiguration

    channel = Channel.objects.create(
        name=slug.title(),
        slug=slug,
        currency_code="USD",
        default_country="US",
        is_active=True,
        metadata=metadata,
    )
    TaxConfiguration.objects.get_or_create(channel=channel)
    return channel


def list_in(channel: Any, product: Any, price: str) -> None:
    from saleor.product.models import ProductVariantChannelListing

    ProductVariantChannelListing.objects.create(
        variant=variant_of(product),
        channel=channel,
        currency="USD",
        price_amount=Decimal(price),
        discounted_price_amount=Decimal(price),
    )


def due_now() -> None:
    past = timezone.now() - timedelta(seconds=1)
    ScheduledSend.objects.update(due_at=past, next_attempt_at=past)


pytestmark = pytest.mark.saleor321("channels exist on Saleor 3 only")


@pytest.mark.django_db
def test_a_cart_reminder_in_channel_b_has_bs_sender_links_and_language(
    shop: Any, smtp_server: Any
) -> None:
    configure_plugin(**PLUGIN_VALUES)
    tent = make_product("Trail Tent", price="120.00")
    french = make_channel("boutique-fr", FRENCH)
    list_in(french, tent, "110.00")
    in_a = make_checkout([tent], email="ada@example.org")
    in_b = make_checkout([tent], email="bea@example.org", channel=french)
    program = get_program(CART_REMINDERS)
    for checkout in (in_a, in_b):
        assert program.run_hook(
            "note_activity", load_context().settings, str(checkout.token)
        )
    ScheduledSend.objects.exclude(step="step1").delete()
    due_now()

    report = Dispatcher(threads=1).run()
    assert report.sent == 2
    received = {m.rcpt_tos[0]: m for m in smtp_server.wait_for(2)}

    a, b = received["ada@example.org"], received["bea@example.org"]
    assert a.message["From"] == "Test Shop <hello@shop.example.com>"
    assert f"https://shop.example.com/cart/{in_a.token}/" in a.text
    assert '<html lang="en">' in a.html
    assert "your cart is waiting" in a.message["Subject"]

    assert b.message["From"] == "Boutique FR <bonjour@fr.shop.example>"
    assert b.message["Message-ID"].endswith("@fr.shop.example>")
    assert f"https://fr.shop.example/cart/{in_b.token}/" in b.text
    # every storefront link goes to B's storefront (the preference and unsubscribe
    # links stay on the Saleor server's public address, shared by the channels)
    storefront_links = re.findall(r"https://[^/\s\"]+/(?!ecrm/)", b.text + b.html)
    assert set(storefront_links) == {"https://fr.shop.example/"}, storefront_links
    assert '<html lang="fr">' in b.html
    assert "votre panier vous attend" in b.message["Subject"]
    assert "110,00\xa0$US" in b.text  # channel B's price, in French


@pytest.mark.django_db
def test_an_order_confirmation_in_channel_b_has_bs_sender_links_and_language(
    shop: Any, smtp_server: Any
) -> None:
    configure_plugin(**PLUGIN_VALUES)
    french = make_channel("boutique-fr", FRENCH)
    order = make_order(
        [make_product("Trail Tent", price="120.00")],
        email="bea@example.org",
        channel=french,
    )
    program = program_of(OrderConfirmationProgram)
    assert program.plan_confirmation(
        load_context().settings, str(order.pk), order.user_email
    )
    Dispatcher(threads=1).run()
    [received] = smtp_server.wait_for(1)
    assert received.message["From"] == "Boutique FR <bonjour@fr.shop.example>"
    assert received.message["Subject"] == f"Commande n° {order.number} confirmée"
    assert f"https://fr.shop.example/orders/{order.number}/" in received.text
    assert '<html lang="fr">' in received.html


@pytest.mark.django_db
def test_the_storefronts_language_comes_before_the_channels(shop: Any) -> None:
    french = make_channel("boutique-fr", {"ecrm.language": "fr"})
    tent = make_product("Trail Tent")
    # Saleor writes its default language (en) when the storefront names none
    default = make_checkout([tent], channel=french)
    chosen = make_checkout([tent], channel=french, language_code="de")
    assert host.customer_locale("x@example.org", str(default.token)).language == "fr"
    assert host.customer_locale("x@example.org", str(chosen.token)).language == "de"


@pytest.mark.django_db
def test_bad_channel_values_are_logged_once_and_the_global_ones_used(
    shop: Any, smtp_server: Any, caplog: Any
) -> None:
    from saleor_ecrm_plugin.host.saleor321 import channels

    configure_plugin(**PLUGIN_VALUES)
    channels._reported.clear()
    broken = make_channel(
        "broken",
        {
            "ecrm.storefront_url": "javascript:alert(1)",
            "ecrm.sender": "Evil\r\nBcc: all@example.org <x@example.org>",
            "ecrm.language": "klingon",
        },
    )
    tent = make_product("Trail Tent")
    orders = [
        make_order([tent], email=f"c{n}@example.org", channel=broken) for n in range(3)
    ]
    program = program_of(OrderConfirmationProgram)
    settings = load_context().settings
    for order in orders:
        assert program.plan_confirmation(settings, str(order.pk), order.user_email)

    with caplog.at_level(logging.WARNING, logger=channels.__name__):
        report = Dispatcher(threads=1).run()
    assert report.sent == 3
    for received in smtp_server.wait_for(3):
        assert received.message["From"] == "Test Shop <hello@shop.example.com>"
        assert "https://shop.example.com/orders/" in received.text
        assert '<html lang="en">' in received.html
    # each bad value once, typed, with the channel and the key
    warnings = [r for r in caplog.records if r.name == channels.__name__]
    assert sorted(r.args[1] for r in warnings) == [
        "ecrm.language",
        "ecrm.sender",
        "ecrm.storefront_url",
    ]
    assert all(r.args[0] == "broken" for r in warnings)
    assert all(
        isinstance(r.exc_info[1], channels.InvalidChannelSetting) for r in warnings
    )


@pytest.mark.django_db
def test_sends_about_no_purchase_keep_the_global_settings(shop: Any) -> None:
    settings = load_context().settings
    send = ScheduledSend(subject_type="user", subject_id="1")
    assert settings_for_send(send, settings) is settings
    unknown = ScheduledSend(subject_type="order", subject_id="not-a-uuid")
    assert settings_for_send(unknown, settings) is settings
