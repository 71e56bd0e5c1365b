"""The order emails: Saleor 2.10's own, rendered from the plugin's templates, and
the order confirmation as each host sends it.

On Saleor 2.10, end to end: a real ``checkoutComplete`` through Saleor's GraphQL
API, Saleor's own confirmation task, a real SMTP server; then every template with
Saleor's real context (built by Saleor's own ``collect_*`` functions). Those tests
carry the ``saleor210`` marker. On Saleor 3.21 the plugin sends the confirmation
itself (programs/order_confirmation, end to end in test_order_confirmation.py);
the tests of the cross-sell block and the shared layout run on both hosts against
:func:`confirmation_of`, the confirmation as the host sends it.
"""

from __future__ import annotations

import re
from typing import Dict, List
from unittest import mock

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation
from templated_email import get_connection

from saleor_ecrm_plugin.config import parse_configuration
from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.programs.order_confirmation.program import (
    PROGRAM_ID as CONFIRMATION,
)
from saleor_ecrm_plugin.programs.order_confirmation.program import (
    STEP,
    OrderConfirmationProgram,
)
from saleor_ecrm_plugin.programs.registry import program_of
from saleor_ecrm_plugin.recommendations import rebuild_model
from saleor_ecrm_plugin.recommendations.models import CoPurchaseModel
from saleor_ecrm_plugin.rendering import render_send
from tests.configuration import configure_plugin
from tests.factories import (
    fulfill,
    make_category,
    make_digital_product,
    make_order,
    make_orders,
    make_product,
    variant_of,
)
from tests.hosts import SALEOR3

if not SALEOR3:
    from saleor.order import emails

    from tests.storefront import place_order_through_graphql

MISSING = "MISSING VARIABLE"
ON_210 = pytest.mark.saleor210("Saleor 2.10's own order emails (saleor.order.emails)")


def confirmation_of(order):
    """The customer's confirmation of ``order`` as this host sends it, rendered:
    Saleor 2.10's own task's email, or on 3.21 the plugin's program's."""
    if not SALEOR3:
        return render(emails.CONFIRM_ORDER_TEMPLATE, order)
    context = load_context()
    program = program_of(OrderConfirmationProgram)
    send = ScheduledSend(
        program=CONFIRMATION,
        step=STEP,
        recipient=order.user_email,
        subject_type="order",
        subject_id=str(order.pk),
        idempotency_key=f"preview:{order.pk}",
    )
    spec = program.prepare(send, context.settings)
    return render_send(send, spec, context.settings, context.shop, program)


@pytest.fixture
def camping_shop(shop) -> Dict[str, object]:
    """A catalogue and an order history: Tent goes with Sleeping bag (4 orders) and
    Stove (3); Water sells most but alone."""
    camping = make_category("Camping")
    products = {
        "tent": make_product("Tent", category=camping, price="120.00"),
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


@ON_210
@pytest.mark.django_db(transaction=True)
def test_checkout_complete_sends_the_confirmation_with_cross_sell(
    camping_shop, api_client, smtp_server
):
    configure_plugin(cross_sell_count="2")

    order_id = place_order_through_graphql(
        api_client, camping_shop["tent"], "grace@example.org"
    )

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["grace@example.org"]
    assert received.message["Subject"] == f"Order #{order_id} confirmed"
    assert received.message["From"] == "Test Shop <hello@shop.example.com>"
    text, html = received.text.replace("\r\n", "\n"), received.html

    # the confirmation first: lines, totals, addresses, the link to the order
    # (Saleor names a line after a variant without a name by its SKU)
    sku = variant_of(camping_shop["tent"]).sku
    assert f"1 x Tent ({sku}): $120.00" in text
    assert "Total: $125.00" in text
    assert "GRACE HOPPER" in text.upper() and "CUPERTINO, CA 95014" in text
    assert "http://localhost:3000/order/?token=" in text
    # then the products bought with a tent, most significant first
    cross_sell = text.index("You may also like")
    assert cross_sell > text.index("Total: $125.00")
    bag_url = (
        f"http://localhost:3000/product/{camping_shop['bag'].slug}/"
        f"{camping_shop['bag'].pk}/"
    )
    assert text[cross_sell:].split("\n")[1:4] == [
        "- Sleeping bag, $60.00",
        f"  {bag_url}",
        "- Stove, $40.00",
    ]
    assert "Water" not in text
    assert html.index("You may also like") > html.index("$125.00")
    assert html.index("Sleeping bag") < html.index("Stove")
    assert f'href="{bag_url}"' in html
    assert 'src="http://shop.example.com/media/products/bag.jpg"' in html
    assert "Water" not in html
    assert MISSING not in text + html

    # the CSS is inlined; only the small-screen rules stay in a <style>
    assert re.search(r'<td class="main" style="[^"]*padding: 28px', html)
    # the rules of tables.css too, which only emails with tables include
    assert re.search(r'class="lines"[^>]*style="[^"]*border-collapse: collapse', html)
    assert re.search(r'class="totals"[^>]*style="[^"]*margin-top: 8px', html)
    assert re.search(r'<td class="product" style="[^"]*width: 25%', html)
    assert re.findall(r"<style[^>]*>", html) == ['<style data-css-inline="keep">']

    # the order was counted into the recommendation model after commit
    assert CoPurchaseModel.objects.get().last_order_id == order_id


@pytest.mark.parametrize(
    "values", [{"cross_sell_enabled": False}, {"cross_sell_count": "0"}]
)
@pytest.mark.django_db
def test_the_merchant_can_switch_the_block_off(camping_shop, values):
    configure_plugin(**values)
    message = confirmation_of(make_order([camping_shop["tent"]]))
    assert "You may also like" not in message.body + html_of(message)
    assert "1 x Tent" in message.body


@ON_210
@pytest.mark.django_db
def test_an_inactive_plugin_adds_no_block(camping_shop):
    configure_plugin(active=False)
    message = render(emails.CONFIRM_ORDER_TEMPLATE, make_order([camping_shop["tent"]]))
    assert "You may also like" not in message.body
    assert "Total:" in message.body


@pytest.mark.django_db
def test_excluded_categories_are_never_suggested(camping_shop):
    configure_plugin(cross_sell_excluded_categories="camping")
    message = confirmation_of(make_order([camping_shop["tent"]]))
    block = message.body[message.body.index("You may also like") :]
    assert "- Water, $1.00" in block
    assert "Sleeping bag" not in block and "Stove" not in block


# --- every template, with Saleor's real objects and context ------------------------


def render(template: str, order, fulfillment=None, redirect_url: str = ""):
    """Render like Saleor's tasks: their context, the configured backend."""
    if fulfillment is not None:
        data = emails.collect_data_for_fullfillment_email(
            order.pk, template, fulfillment.pk
        )
    elif template == emails.STAFF_CONFIRM_ORDER_TEMPLATE:
        data = emails.collect_staff_order_notification_data(
            order.pk, template, redirect_url
        )
    else:
        data = emails.collect_data_for_email(order.pk, template, redirect_url)
    return get_connection().get_email_message(
        data["template_name"],
        data["context"],
        from_email=data["from_email"],
        to=data["recipient_list"],
    )


def html_of(message) -> str:
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


def main_content(html: str) -> str:
    return html.split('class="main"', 1)[1].split('class="footer"', 1)[0]


@pytest.fixture
def full_order(shop):
    configure_plugin()
    camping = make_category("Camping")
    tent = make_product("Tent", category=camping, price="120.00")
    bag = make_product("Sleeping bag", category=camping, price="60.00")
    guide = make_digital_product("Camping guide", category=camping, price="9.00")
    make_orders([[tent, bag]] * 3)
    rebuild_model()
    # Saleor 3.21 keeps discounts in OrderDiscount rows, not on the order
    discount = {} if SALEOR3 else {"discount_amount": 5}
    order = make_order([tent, guide], customer_note="Leave it at the door", **discount)
    return order, fulfill(order, tracking_number="1Z999AA10123456784")


TEMPLATES: List[str] = (
    []
    if SALEOR3
    else [
        emails.CONFIRM_ORDER_TEMPLATE,
        emails.STAFF_CONFIRM_ORDER_TEMPLATE,
        emails.CONFIRM_FULFILLMENT_TEMPLATE,
        emails.UPDATE_FULFILLMENT_TEMPLATE,
        emails.CONFIRM_PAYMENT_TEMPLATE,
    ]
)
EXPECTED = (
    {}
    if SALEOR3
    else {
        emails.CONFIRM_ORDER_TEMPLATE: ("confirmed", ["Tent", "Sleeping bag"]),
        emails.STAFF_CONFIRM_ORDER_TEMPLATE: (
            "New order",
            ["buyer@example.org", "Leave it at the door", "SKU-"],
        ),
        emails.CONFIRM_FULFILLMENT_TEMPLATE: (
            "on its way",
            ["1Z999AA10123456784", "Camping guide", "/digital-download/"],
        ),
        emails.UPDATE_FULFILLMENT_TEMPLATE: ("Shipping update", ["1Z999AA10123456784"]),
        emails.CONFIRM_PAYMENT_TEMPLATE: ("Payment received", ["$129.00"]),
    }
)


@ON_210
@pytest.mark.django_db
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_order_template_renders_with_saleors_context(full_order, template):
    order, fulfillment = full_order
    is_fulfillment = "fulfillment" in template
    message = render(
        template,
        order,
        fulfillment if is_fulfillment else None,
        redirect_url="http://localhost:3000/order/",
    )
    html = html_of(message)
    subject_part, must_contain = EXPECTED[template]

    assert f"#{order.pk}" in message.subject and subject_part in message.subject
    assert "\n" not in message.subject
    body = message.body.split("\n--\n")[0]  # the text before the shop's footer
    assert f"#{order.pk}" in body or "1Z999AA10123456784" in body
    assert "<h1" in main_content(html)
    for expected in must_contain:
        assert expected in message.body, expected
        assert expected in html, expected
    assert MISSING not in message.subject + message.body + html
    assert "Test Shop" in html and 'class="brand"' in html  # the shared layout
    assert 'style="' in main_content(html)  # inlined CSS
    if 'class="lines"' in html:  # the order lines, styled by tables.css
        assert re.search(r'class="lines"[^>]*style="[^"]*border-collapse', html)


@ON_210
@pytest.mark.django_db
def test_customer_emails_speak_the_order_language_staff_emails_the_shops(full_order):
    order, fulfillment = full_order
    order.language_code = "fr"
    order.save(update_fields=["language_code"])

    for template in (emails.CONFIRM_ORDER_TEMPLATE, emails.CONFIRM_PAYMENT_TEMPLATE):
        html = html_of(render(template, order))
        assert '<html lang="fr">' in html
        assert "129,00\xa0$US" in html or "129,00&nbsp;$US" in html
    fulfilled = html_of(render(emails.CONFIRM_FULFILLMENT_TEMPLATE, order, fulfillment))
    assert '<html lang="fr">' in fulfilled

    staff = render(emails.STAFF_CONFIRM_ORDER_TEMPLATE, order)
    assert f'<html lang="{settings.LANGUAGE_CODE}">' in html_of(staff)
    assert "$129.00" in staff.body


@ON_210
@pytest.mark.django_db
def test_html_escapes_what_customers_and_merchants_typed(shop):
    configure_plugin()
    product = make_product("Mugs <b>&</b> cups")
    order = make_order([product], customer_note="<script>alert(1)</script>")
    staff = render(emails.STAFF_CONFIRM_ORDER_TEMPLATE, order)
    html = html_of(staff)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html and "Mugs &lt;b&gt;" in html
    assert "Mugs <b>&</b> cups" in staff.body  # plain text stays plain


@pytest.mark.django_db
def test_ecrm_and_saleor_emails_share_one_layout(full_order, smtp_server):
    from saleor_ecrm_plugin.dispatcher import Dispatcher
    from tests.programs import plan_pings

    order, _fulfillment = full_order
    plan_pings(1, payload={"name": "Ada"})
    Dispatcher().run()
    [welcome] = smtp_server.wait_for(1)
    confirmation = html_of(confirmation_of(order))

    def frame(html: str) -> List[str]:
        return re.findall(r'<td class="(?:header|footer)"[^>]*>', html)

    assert frame(welcome.html) == frame(confirmation)
    assert 'class="brand"' in welcome.html


def test_cross_sell_configuration_fields():
    settings_, errors = parse_configuration([])
    assert errors == {}
    assert settings_.program("cross_sell") == {
        "cross_sell_enabled": True,
        "cross_sell_count": 4,
        "cross_sell_excluded_categories": (),
    }
    parsed, errors = parse_configuration(
        [
            {"name": "cross_sell_count", "value": "13"},
            {"name": "cross_sell_excluded_categories", "value": "Gift-Cards, sale"},
        ]
    )
    assert "from 0 to 12" in errors["cross_sell_count"]
    assert parsed.program("cross_sell")["cross_sell_excluded_categories"] == (
        "gift-cards",
        "sale",
    )
    _parsed, errors = parse_configuration(
        [{"name": "cross_sell_excluded_categories", "value": "gift cards"}]
    )
    assert "not a category slug" in errors["cross_sell_excluded_categories"]


def test_without_css_inline_the_html_goes_out_as_rendered(monkeypatch):
    from saleor_ecrm_plugin import inlining

    html = (
        "<html><head><style>p { color: red; }</style></head>"
        "<body><p>Hi</p></body></html>"
    )
    assert 'style="color: red;"' in inlining.inline_css(html)
    monkeypatch.setattr(inlining, "css_inline", None)
    assert inlining.inline_css(html) == html


def test_in_language_switches_only_when_the_language_differs():
    source = (
        "{% load i18n ecrm %}{% in_language lang %}{% get_current_language as x %}"
        "{{ x }}{% endin_language %}/{% get_current_language as y %}{{ y }}"
    )
    template = Template(source)
    with translation.override("en"):
        assert template.render(Context({"lang": "fr"})) == "fr/en"
        with mock.patch.object(translation, "activate") as activate:
            assert template.render(Context({"lang": "en"})) == "en/en"
        activate.assert_not_called()
