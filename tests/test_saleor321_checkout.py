"""Cart reminders through Saleor 3.21's own checkout mutations (3.21 only).

A checkout made with ``checkoutCreate`` (channel, email, lines) and left gets its
reminders at a real SMTP server; ``checkoutComplete`` (delivery method, Saleor's
dummy gateway) cancels the rest and credits the conversion. Saleor 3.21 calls the
plugin's hooks after its commit: transactional tests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List

import graphene
import pytest
from django.conf import settings
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher, load_context
from saleor_ecrm_plugin.models import Conversion, ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
    PROGRAM_ID,
    scan_checkouts,
)
from tests.configuration import configure_plugin
from tests.factories import make_product, variant_of
from tests.storefront_saleor3 import (
    add_lines,
    buy,
    checkout_token,
    create_checkout,
    update_lines,
    variant_id,
)

pytestmark = [pytest.mark.saleor321, pytest.mark.django_db(transaction=True)]

#: a clock-independent configuration: no quiet hours, consent from everyone
PLUGIN_VALUES = {
    "abandoned_enabled": True,
    "abandoned_consent_mode": "everyone",
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
}


@pytest.fixture
def catalogue(shop: Any) -> Dict[str, Any]:
    return {
        "tent": make_product("Trail Tent", price="120.00"),
        "lamp": make_product("Camp Lamp", price="15.50"),
    }


def lines(catalogue: Dict[str, Any], **quantities: int) -> List[Dict[str, Any]]:
    return [
        {"variantId": variant_id(variant_of(catalogue[name])), "quantity": quantity}
        for name, quantity in quantities.items()
    ]


def reminders(token: str) -> Any:
    """The checkout's current series (a series replaced on new activity left out)."""
    return (
        ScheduledSend.objects.filter(program=PROGRAM_ID, subject_id=token)
        .exclude(skip_reason="checkout_changed")
        .order_by("due_at")
    )


def advance_to(step: str, token: str) -> None:
    """The clock reaches ``step`` of this checkout's series."""
    reminders(token).filter(step=step, status=SendStatus.PLANNED).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_left_checkout_is_reminded_and_checkout_complete_stops_the_rest(
    catalogue: Dict[str, Any], smtp_server: Any, api_client: Any
) -> None:
    from saleor.order.models import Order

    configure_plugin(**PLUGIN_VALUES)
    channel = settings.DEFAULT_CHANNEL_SLUG
    checkout = create_checkout(
        api_client, channel, "ada@example.com", lines(catalogue, tent=1)
    )
    token = checkout_token(checkout)
    # checkoutCreate fired checkout_created (after Saleor's commit): a series
    assert [(s.step, s.status) for s in reminders(token)] == [
        ("step1", "planned"),
        ("step2", "planned"),
        ("step3", "planned"),
    ]
    # the line mutations count as activity: the series is planned again from them
    add_lines(api_client, checkout["id"], lines(catalogue, lamp=1))
    update_lines(api_client, checkout["id"], lines(catalogue, lamp=2))
    assert reminders(token).filter(status=SendStatus.PLANNED).count() == 3
    replaced = ScheduledSend.objects.filter(skip_reason="checkout_changed")
    assert replaced.count() == 6
    assert Dispatcher().run().claimed == 0  # nothing is due yet

    advance_to("step1", token)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (1, 0)
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ada@example.com"]
    assert received.message["Subject"] == "Grace, your cart is waiting"
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert (
        received.message["Message-ID"] == reminders(token).get(step="step1").message_id
    )
    assert "1 x Trail Tent: $120.00" in received.text
    assert "2 x Camp Lamp: $31.00" in received.text
    assert f"https://shop.example.com/cart/{token}/" in received.text

    order = buy(api_client, checkout)

    # order_created (after the commit) cancelled the rest and credited step 1
    assert dict(reminders(token).values_list("step", "status")) == {
        "step1": "sent",
        "step2": "cancelled",
        "step3": "cancelled",
    }
    order_pk = graphene.Node.from_global_id(order["id"])[1]
    [credit] = Conversion.objects.all()
    assert (credit.send.step, credit.order_id) == ("step1", order_pk)
    assert credit.revenue == Order.objects.get(pk=order_pk).total_gross_amount

    # whatever time passes and however often the scan runs, nothing more is sent
    ScheduledSend.objects.update(next_attempt_at=timezone.now() - timedelta(days=3))
    scan_checkouts(load_context().settings)
    Dispatcher().run()  # may send the order confirmation (ours on 3.21), no reminder
    assert [
        m.message["Subject"]
        for m in smtp_server.messages
        if m.message["X-Ecrm-Program"].startswith("abandoned_checkout/")
    ] == ["Grace, your cart is waiting"]


def test_the_program_off_plans_nothing(
    catalogue: Dict[str, Any], api_client: Any
) -> None:
    configure_plugin(**{**PLUGIN_VALUES, "abandoned_enabled": False})
    checkout = create_checkout(
        api_client,
        settings.DEFAULT_CHANNEL_SLUG,
        "bo@example.com",
        lines(catalogue, lamp=1),
    )
    assert not reminders(checkout_token(checkout)).exists()
