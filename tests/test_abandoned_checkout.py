"""Abandoned-checkout reminders, end to end through Saleor's GraphQL API, on each
host.

Checkouts are made and completed with Saleor's real mutations; the plugin's hooks run
on commit (hence transactional tests); reminders are read back from a real SMTP
server. "Time advances" by moving the ledger's due times into the past: the
reminders' re-check reads Saleor's state, not the clock. The mutations below take
the checkout's global id as ``checkoutId``, which Saleor 3.21 still accepts beside
its ``id``; what each host does differently (the checkout's creation in a channel,
the hooks a line edit fires) is in the host helpers or in a test of its own.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Dict, List

import pytest
from django.utils import timezone
from saleor.checkout.models import Checkout
from saleor.discount.models import Voucher
from saleor.order.models import Order

from saleor_ecrm_plugin.dispatcher import Dispatcher, load_context
from saleor_ecrm_plugin.models import Conversion, ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
    PROGRAM_ID,
    scan_checkouts,
)
from tests.configuration import configure_plugin
from tests.factories import make_category, make_product
from tests.graphql import create_checkout, line
from tests.hosts import SALEOR3
from tests.orders import complete_checkout
from tests.vouchers import order_discount, voucher_terms

pytestmark = pytest.mark.django_db(transaction=True)

#: a clock-independent configuration: no quiet hours, consent from everyone
PLUGIN_VALUES = {
    "abandoned_enabled": True,
    "abandoned_consent_mode": "everyone",
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
}

CHECKOUT_LINES_ADD = """
mutation Add($checkoutId: ID!, $lines: [CheckoutLineInput!]!) {
  checkoutLinesAdd(checkoutId: $checkoutId, lines: $lines) {
    errors: checkoutErrors { field code message }
  }
}
"""
CHECKOUT_LINE_DELETE = """
mutation Delete($checkoutId: ID!, $lineId: ID!) {
  checkoutLineDelete(checkoutId: $checkoutId, lineId: $lineId) {
    errors: checkoutErrors { field code message }
  }
}
"""
CHECKOUT_LINES = """
query Lines($token: UUID!) { checkout(token: $token) { lines { id } } }
"""
CHECKOUT_ADD_PROMO_CODE = """
mutation Promo($checkoutId: ID!, $code: String!) {
  checkoutAddPromoCode(checkoutId: $checkoutId, promoCode: $code) {
    errors: checkoutErrors { field code message }
  }
}
"""
CHECKOUT_EMAIL_UPDATE = """
mutation Email($checkoutId: ID!, $email: String!) {
  checkoutEmailUpdate(checkoutId: $checkoutId, email: $email) {
    errors: checkoutErrors { field code message }
  }
}
"""


@pytest.fixture
def catalogue(shop) -> Dict[str, object]:
    outdoor = make_category("Outdoor")
    return {
        "tent": make_product(
            "Trail Tent", category=outdoor, price="120.00", image="products/tent.jpg"
        ),
        "lamp": make_product("Camp Lamp", category=outdoor, price="15.50"),
    }


def lines_of(catalogue, **quantities: int) -> List[Dict[str, object]]:
    return [line(catalogue[name], quantity) for name, quantity in quantities.items()]


def token_of(checkout_id: str) -> str:
    import graphene

    return graphene.Node.from_global_id(checkout_id)[1]


def cart_reminders(smtp_server) -> List[str]:
    """The subjects of the cart reminders received (not the shop's other mail:
    Saleor 2.10 sends its own order confirmation)."""
    return [
        m.message["Subject"]
        for m in smtp_server.messages
        if (m.message["X-Ecrm-Program"] or "").startswith(PROGRAM_ID)
    ]


def reminders(token: str):
    return ScheduledSend.objects.filter(program=PROGRAM_ID, subject_id=token).order_by(
        "due_at"
    )


def advance_to(step: str, token: str) -> None:
    """The clock reaches ``step`` of this checkout's series."""
    reminders(token).filter(step=step, status=SendStatus.PLANNED).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_completed_checkout_gets_step_one_and_then_nothing(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    checkout = create_checkout(
        api_client, "ada@example.com", lines_of(catalogue, tent=1, lamp=2)
    )
    token = token_of(checkout)

    # checkoutCreate fired checkout_quantity_changed: the series is planned
    planned = list(reminders(token))
    assert [(s.step, s.status) for s in planned] == [
        ("step1", "planned"),
        ("step2", "planned"),
        ("step3", "planned"),
    ]
    activity = planned[0].created_at
    for send, hours in zip(planned, (2, 24, 48)):
        assert abs(send.due_at - activity - timedelta(hours=hours)) < timedelta(
            seconds=5
        )
    assert Dispatcher().run().claimed == 0  # nothing is due yet

    advance_to("step1", token)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (1, 0)
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ada@example.com"]
    message = received.message
    assert message["Subject"] == "Grace, your cart is waiting"
    assert message["From"] == "Test Shop <hello@shop.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == reminders(token).get(step="step1").message_id
    text, html = received.text, received.html
    assert "1 x Trail Tent: $120.00" in text
    assert "2 x Camp Lamp: $31.00" in text
    assert "Total: $151.00" in text
    assert f"https://shop.example.com/cart/{token}/" in text
    assert 'src="http://shop.example.com/media/products/tent.jpg"' in html
    assert html.count('class="cart-line"') == 2
    # the cart's table styled by includes/tables.css, inlined
    assert re.search(r'class="lines"[^>]*style="[^"]*border-collapse: collapse', html)
    assert "SAVE" not in text and "off your order" not in text  # no voucher yet

    order_id = complete_checkout(api_client, checkout)

    # order_created cancelled the rest and credited the reminder that was sent.
    # On 3.21 choosing the delivery method before paying is a change of the
    # checkout (checkout_updated): steps 2-3 were planned again from it, the first
    # ones cancelled as checkout_changed, the new ones by the order.
    assert reminders(token).get(step="step1").status == "sent"
    later = reminders(token).exclude(step="step1")
    assert set(later.values_list("status", flat=True)) == {"cancelled"}
    assert sorted(set(later.values_list("step", flat=True))) == ["step2", "step3"]
    assert set(later.values_list("skip_reason", flat=True)) == (
        {"checkout_changed", "checkout_converted"}
        if SALEOR3
        else {"checkout_converted"}
    )
    if SALEOR3:
        # the rows live when the order came are the ones the order cancelled
        assert sorted(
            later.filter(skip_reason="checkout_converted").values_list(
                "step", flat=True
            )
        ) == ["step2", "step3"]
    [credit] = Conversion.objects.all()
    order = Order.objects.get(pk=order_id)
    assert (credit.send.step, credit.order_id) == ("step1", str(order_id))
    assert credit.revenue == order.total_gross_amount

    # whatever time passes and however often the scan runs, nothing more is sent
    ScheduledSend.objects.update(next_attempt_at=timezone.now() - timedelta(days=3))
    scan_checkouts(load_context().settings)
    Dispatcher().run()
    others = list(
        ScheduledSend.objects.exclude(program=PROGRAM_ID).values_list(
            "program", "step", "status", "recipient"
        )
    )
    assert reminders(token).filter(status="sent").count() == 1, others
    assert cart_reminders(smtp_server) == ["Grace, your cart is waiting"], others
    # Saleor 3.21 sends no order confirmation of its own: the plugin's program does
    assert others == (
        [("order_confirmation", "confirmation", "sent", "ada@example.com")]
        if SALEOR3
        else []
    )


def test_an_abandoned_checkout_gets_three_steps_the_last_with_a_single_use_voucher(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES, abandoned_voucher_percent="15")
    checkout = create_checkout(
        api_client, "bob@example.com", lines_of(catalogue, lamp=1)
    )
    token = token_of(checkout)
    assert not Voucher.objects.exists()

    for number, step in enumerate(("step1", "step2", "step3"), start=1):
        advance_to(step, token)
        assert Dispatcher().run().sent == 1
        assert len(smtp_server.wait_for(number)) == number
        if step != "step3":  # the voucher is made when the last step is sent
            assert not Voucher.objects.exists()
    first, second, last = smtp_server.messages
    assert "your cart is waiting" in first.message["Subject"]
    assert second.message["Subject"] == "Still thinking it over? Your cart is saved"
    assert last.message["Subject"] == "15% off the cart you left"
    assert len({m.message["Message-ID"] for m in smtp_server.messages}) == 3

    code = re.search(r"Use the code (\w+) for 15% off", last.text).group(1)
    assert code in last.html
    voucher = Voucher.objects.get()
    terms = voucher_terms(voucher)
    assert terms["code"] == code and code.startswith("CART") and len(code) == 12
    assert (terms["usage_limit"], terms["used"]) == (1, 0)
    assert terms["discount_value"] == Decimal("15")
    assert terms["discount_value_type"] == "percentage"
    assert terms["end_date"] - timezone.now() > timedelta(days=2, hours=23)

    # the code works once through Saleor's own promo-code mutation...
    order_id = complete_checkout(
        api_client,
        create_checkout(api_client, "bob@example.com", lines_of(catalogue, tent=1)),
        promo_code=code,
    )
    order = Order.objects.get(pk=order_id)
    assert order.voucher == voucher
    assert order_discount(order) == Decimal("18.00")  # 15% of 120.00
    assert voucher_terms(voucher)["used"] == 1

    # ...and Saleor refuses it the second time
    again = create_checkout(api_client, "bob@example.com", lines_of(catalogue, lamp=1))
    refused = api_client.post(
        CHECKOUT_ADD_PROMO_CODE, {"checkoutId": again, "code": code}
    )["data"]["checkoutAddPromoCode"]
    assert refused["errors"] == [
        {
            "field": "promoCode",
            "code": "INVALID",
            "message": "Promo code is invalid",
        }
    ]
    assert Checkout.objects.get(token=token_of(again)).voucher_code is None


def test_activity_restarts_the_clock_and_a_sent_step_is_never_repeated(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    checkout = create_checkout(
        api_client, "cy@example.com", lines_of(catalogue, tent=1)
    )
    token = token_of(checkout)
    advance_to("step1", token)
    assert Dispatcher().run().sent == 1

    # the customer comes back and adds a lamp: steps 2 and 3 start again from now
    before = {s.step: s.due_at for s in reminders(token).filter(status="planned")}
    added = api_client.post(
        CHECKOUT_LINES_ADD,
        {"checkoutId": checkout, "lines": lines_of(catalogue, lamp=1)},
    )["data"]["checkoutLinesAdd"]
    assert added["errors"] == []
    open_rows = reminders(token).filter(status="planned")
    assert sorted(open_rows.values_list("step", flat=True)) == ["step2", "step3"]
    for send in open_rows:
        assert send.due_at > before[send.step]
    assert set(
        reminders(token)
        .filter(status="cancelled")
        .values_list("skip_reason", flat=True)
    ) == {"checkout_changed"}
    assert not reminders(token).filter(step="step1", status="planned").exists()


def _tent_and_lamp_then_tent_deleted(api_client, catalogue) -> str:
    """A checkout of a tent and a lamp whose first reminder went out; then the
    customer deletes the tent: the checkout's token."""
    checkout = create_checkout(
        api_client, "cy@example.com", lines_of(catalogue, tent=1, lamp=1)
    )
    token = token_of(checkout)
    advance_to("step1", token)
    assert Dispatcher().run().sent == 1
    [tent_line, _lamp_line] = [
        line["id"]
        for line in api_client.post(CHECKOUT_LINES, {"token": token})["data"][
            "checkout"
        ]["lines"]
    ]
    deleted = api_client.post(
        CHECKOUT_LINE_DELETE, {"checkoutId": checkout, "lineId": tent_line}
    )["data"]["checkoutLineDelete"]
    assert deleted["errors"] == []
    return token


@pytest.mark.saleor210(
    reason="Saleor 2.10 calls no plugin hook on checkoutLineDelete"
    " (checkout_quantity_changed only on create and lines add/update)"
)
def test_a_deleted_line_no_hook_reports_is_seen_by_the_recheck(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    token = _tent_and_lamp_then_tent_deleted(api_client, catalogue)
    # the due reminder is skipped and the series planned again from now
    advance_to("step2", token)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (0, 1)
    assert reminders(token).filter(status="skipped").get().skip_reason == (
        "checkout_changed"
    )
    advance_to("step2", token)
    assert Dispatcher().run().sent == 1
    second = smtp_server.wait_for(2)[1]
    assert "Trail Tent" not in second.text and "1 x Camp Lamp" in second.text


@pytest.mark.saleor321(
    reason="Saleor 3.21's checkoutLineDelete calls checkout_updated: the plugin"
    " plans the series again at once"
)
def test_a_deleted_line_plans_the_series_again_at_once(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    token = _tent_and_lamp_then_tent_deleted(api_client, catalogue)
    assert set(
        reminders(token)
        .filter(status="cancelled")
        .values_list("skip_reason", flat=True)
    ) == {"checkout_changed"}
    assert sorted(
        reminders(token).filter(status="planned").values_list("step", flat=True)
    ) == ["step2", "step3"]
    advance_to("step2", token)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (1, 0)
    second = smtp_server.wait_for(2)[1]
    assert "Trail Tent" not in second.text and "1 x Camp Lamp" in second.text


def test_the_same_address_ordering_elsewhere_stops_the_series(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    left = create_checkout(api_client, "dee@example.com", lines_of(catalogue, tent=1))
    order_id = complete_checkout(
        api_client,
        create_checkout(api_client, "dee@example.com", lines_of(catalogue, tent=1)),
    )
    advance_to("step1", token_of(left))
    report = Dispatcher().run()
    # on 3.21 the one email sent is the plugin's order confirmation
    assert (report.sent, report.skipped) == (1 if SALEOR3 else 0, 1)
    assert reminders(token_of(left)).get(step="step1").skip_reason == (
        "customer_ordered"
    )
    assert order_id and cart_reminders(smtp_server) == []


@pytest.mark.parametrize(
    ("mode", "delivered"),
    [("everyone", 1), ("soft_opt_in", 0), ("opt_in_only", 0)],
)
def test_consent_mode_decides_who_is_reminded(
    catalogue, smtp_server, api_client, mode, delivered
):
    configure_plugin(**{**PLUGIN_VALUES, "abandoned_consent_mode": mode})
    token = token_of(
        create_checkout(api_client, "eve@example.com", lines_of(catalogue, lamp=1))
    )
    advance_to("step1", token)
    report = Dispatcher().run()
    assert report.sent == delivered
    if not delivered:
        assert reminders(token).get(step="step1").skip_reason == "no_consent"
    assert len(cart_reminders(smtp_server)) == delivered


def test_the_scan_finds_what_the_hooks_miss(catalogue, smtp_server, api_client):
    # the checkout is made while reminders are off: the hook plans nothing
    configure_plugin(**{**PLUGIN_VALUES, "abandoned_enabled": False})
    checkout = create_checkout(
        api_client, "fay@example.com", lines_of(catalogue, lamp=1)
    )
    token = token_of(checkout)
    assert not reminders(token).exists()

    # switched on: the first scan looks back over the series' length
    configure_plugin(**PLUGIN_VALUES)
    settings = load_context().settings
    assert scan_checkouts(settings) == {"seen": 1, "planned": 3}
    assert reminders(token).count() == 3
    assert scan_checkouts(settings)["planned"] == 0  # the overlap plans nothing twice

    advance_to("step1", token)
    assert Dispatcher().run().sent == 1
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["fay@example.com"]


def _typo_corrected(api_client, catalogue) -> str:
    """A checkout planned for a mistyped address, which the customer then
    corrects with Saleor's checkoutEmailUpdate: the checkout's token."""
    checkout = create_checkout(
        api_client, "fay@exmaple.com", lines_of(catalogue, lamp=1)
    )
    token = token_of(checkout)
    assert set(reminders(token).values_list("recipient", flat=True)) == {
        "fay@exmaple.com"
    }
    updated = api_client.post(
        CHECKOUT_EMAIL_UPDATE, {"checkoutId": checkout, "email": "fay@example.com"}
    )["data"]["checkoutEmailUpdate"]
    assert updated["errors"] == []
    return token


def _reminded_at_the_corrected_address(token: str, smtp_server) -> None:
    assert dict(reminders(token).values_list("recipient", "status").distinct()) == {
        "fay@exmaple.com": "cancelled",
        "fay@example.com": "planned",
    }
    advance_to("step1", token)
    assert Dispatcher().run().sent == 1
    assert smtp_server.wait_for(1)[0].rcpt_tos == ["fay@example.com"]


@pytest.mark.saleor210(reason="Saleor 2.10 calls no plugin hook on checkoutEmailUpdate")
def test_a_corrected_email_no_hook_reports_is_found_by_the_scan(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    token = _typo_corrected(api_client, catalogue)
    assert scan_checkouts(load_context().settings) == {"seen": 1, "planned": 3}
    _reminded_at_the_corrected_address(token, smtp_server)


@pytest.mark.saleor321(
    reason="Saleor 3.21's checkoutEmailUpdate calls checkout_updated: the plugin"
    " plans for the new address at once"
)
def test_a_corrected_email_is_planned_again_by_the_hook(
    catalogue, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    token = _typo_corrected(api_client, catalogue)
    _reminded_at_the_corrected_address(token, smtp_server)
    # the scan finds nothing left to do
    assert scan_checkouts(load_context().settings)["planned"] == 0


def test_the_program_is_off_by_default_and_plans_nothing(catalogue, api_client):
    configure_plugin(quiet_hours="")
    token = token_of(
        create_checkout(api_client, "gus@example.com", lines_of(catalogue, lamp=1))
    )
    assert scan_checkouts(load_context().settings) == {"seen": 0, "planned": 0}
    assert not reminders(token).exists()
