"""Hostile and careless input (issue 20), one test per finding, through the real
``/graphql/`` endpoint, the real dispatcher and a real SMTP server.

1. a name with CR/LF is cleaned where it enters a subject or header, never a reason
   to drop the email;
2. an address is validated as SMTP will use it (no RFC 2047 encoded words);
3. abuse limits count what the client cannot choose (trusted proxies only, the
   address without its +tag, IPv4-mapped IPv6 as IPv4), newsletterSubscribe too;
4. inputs of the wrong type are refused, never coerced;
8. links carry a maximum age.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, Optional

import graphene
import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.back_in_stock.models import BackInStockSubscription
from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection
from tests.configuration import configure_plugin
from tests.factories import make_product, variant_of
from tests.graphql import ApiClient
from tests.storefront import create_checkout, variant_global_id

HOSTILE_NAME = "Bob\r\nBcc: x@evil.example"

ACCOUNT_UPDATE = """
mutation Update($firstName: String) {
  accountUpdate(input: {firstName: $firstName}) {
    accountErrors { field code message }
    user { firstName }
  }
}
"""
REGISTER = """
mutation Register($email: String!, $password: String!) {
  accountRegister(input: {email: $email, password: $password}) {
    accountErrors { field code message }
  }
}
"""
SUBSCRIBE = """
mutation Subscribe($variantId: ID!, $email: String) {
  backInStockSubscribe(variantId: $variantId, email: $email) {
    ecrmErrors { field message code }
    subscription { variantId email }
  }
}
"""


def customer_named(name: str, email: str = "bob@example.org") -> Any:
    """A customer whose first name was set through Saleor's own accountUpdate."""
    from saleor.account.models import User

    registered = ApiClient().post(REGISTER, {"email": email, "password": "c0rrect-h"})
    assert registered["data"]["accountRegister"]["accountErrors"] == []
    user = User.objects.get(email=email)
    result = ApiClient(user).post(ACCOUNT_UPDATE, {"firstName": name})
    assert result["data"]["accountUpdate"]["accountErrors"] == []
    user.refresh_from_db()
    assert user.first_name == name  # Saleor stores it as given
    return user


def assert_no_injected_header(received) -> None:
    message = received.message
    assert message["Bcc"] is None
    assert "x@evil.example" not in received.rcpt_tos
    assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])


# --- 1. a bad name never loses an email --------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_first_name_with_a_line_break_gets_its_welcome_email(shop, smtp_server):
    configure_plugin(welcome_enabled=True, welcome_delay_minutes="0")
    customer_named(HOSTILE_NAME)
    ScheduledSend.objects.update(next_attempt_at=timezone.now())
    report = Dispatcher().run()
    assert report.sent == 1, report
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["bob@example.org"]
    assert (
        received.message["Subject"] == "Welcome to Test Shop, Bob Bcc: x@evil.example"
    )
    assert_no_injected_header(received)
    assert ScheduledSend.objects.get().status == SendStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_first_name_with_a_line_break_gets_its_cart_reminder(shop, smtp_server):
    configure_plugin(
        abandoned_enabled=True, abandoned_consent_mode="everyone", quiet_hours=""
    )
    user = customer_named(HOSTILE_NAME)
    tent = make_product("Trail Tent", price="120.00")
    create_checkout(
        ApiClient(user),
        user.email,
        [{"variantId": variant_global_id(tent), "quantity": 1}],
    )
    ScheduledSend.objects.filter(step="step1").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    report = Dispatcher().run()
    assert report.sent == 1, report
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["bob@example.org"]
    assert (
        received.message["Subject"] == "Bob Bcc: x@evil.example, your cart is waiting"
    )
    assert_no_injected_header(received)


@pytest.mark.django_db(transaction=True)
def test_a_product_name_with_a_line_break_gets_every_alert_of_its_wave(
    shop, smtp_server
):
    from tests.test_back_in_stock import set_stock

    configure_plugin(back_in_stock_alerts_per_unit="2")
    product = make_product("Tent\r\nBcc: x@evil.example", price="10.00", stock=0)
    gid = graphene.Node.to_global_id("ProductVariant", variant_of(product).pk)
    fans = [f"fan{index}@example.org" for index in range(4)]
    for email in fans:
        payload = ApiClient().post(SUBSCRIBE, {"variantId": gid, "email": email})
        assert payload["data"]["backInStockSubscribe"]["ecrmErrors"] == []
    set_stock(staff_with_products(), product, 2)
    assert run_detection().notified == 4
    assert Dispatcher().run().sent == 4
    received = smtp_server.wait_for(4)
    assert sorted(r.rcpt_tos[0] for r in received) == fans
    for message in received:
        assert message.message["Subject"] == "Tent Bcc: x@evil.example is back in stock"
        assert_no_injected_header(message)
    assert ScheduledSend.objects.filter(status=SendStatus.SENT).count() == 4
    assert BackInStockSubscription.objects.filter(status="notified").count() == 4


def staff_with_products() -> ApiClient:
    from django.contrib.auth.models import Permission
    from saleor.account.models import User

    user = User.objects.create_user("stock@shop.example.com", "password", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="manage_products", content_type__app_label="product"
        )
    )
    return ApiClient(user)
