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
from typing import Any, Dict, List

import graphene
import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.back_in_stock.models import BackInStockSubscription
from saleor_ecrm_plugin.programs.back_in_stock.service import run_detection
from tests.configuration import configure_plugin
from tests.factories import make_product, variant_of
from tests.graphql import (
    ApiClient,
    create_checkout,
    line,
    register,
    set_stock,
    update_first_name,
)

HOSTILE_NAME = "Bob\r\nBcc: x@evil.example"

SUBSCRIBE = """
mutation Subscribe($variantId: ID!, $email: String) {
  backInStockSubscribe(variantId: $variantId, email: $email) {
    ecrmErrors { field message code }
    subscription { variantId email }
  }
}
"""


def customer_named(name: str, email: str = "bob@example.org") -> Any:
    """A customer registered through Saleor's own accountRegister, whose first name
    was set through its accountUpdate."""
    from saleor.account.models import User

    register(ApiClient(), email, "c0rrect-h0rse")
    user = User.objects.get(email=email)
    update_first_name(ApiClient(user), name)
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
    create_checkout(ApiClient(user), user.email, [line(tent)])
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
    shop, smtp_server, product_manager
):
    configure_plugin(back_in_stock_alerts_per_unit="2")
    product = make_product("Tent\r\nBcc: x@evil.example", price="10.00", stock=0)
    gid = graphene.Node.to_global_id("ProductVariant", variant_of(product).pk)
    fans = [f"fan{index}@example.org" for index in range(4)]
    for email in fans:
        payload = ApiClient().post(SUBSCRIBE, {"variantId": gid, "email": email})
        assert payload["data"]["backInStockSubscribe"]["ecrmErrors"] == []
    set_stock(product_manager, product, 2)
    assert run_detection().notified == 4
    assert Dispatcher().run().sent == 4
    received = smtp_server.wait_for(4)
    assert sorted(r.rcpt_tos[0] for r in received) == fans
    for message in received:
        assert message.message["Subject"] == "Tent Bcc: x@evil.example is back in stock"
        assert_no_injected_header(message)
    assert ScheduledSend.objects.filter(status=SendStatus.SENT).count() == 4
    assert BackInStockSubscription.objects.filter(status="notified").count() == 4


# --- 2. an address is what SMTP will use ---------------------------------------------

NEWSLETTER_SUBSCRIBE = """
mutation Sign($email: String) {
  newsletterSubscribe(email: $email) { ecrmErrors { field code message } }
}
"""
ENCODED_WORD = "=?utf-8?q?victim=40evil.example?=@example.org"


def nothing_written() -> bool:
    from saleor_ecrm_plugin.preferences.models import ConsentEvent, EmailContact

    return not (
        BackInStockSubscription.objects.exists()
        or EmailContact.objects.exists()
        or ConsentEvent.objects.exists()
        or ScheduledSend.objects.exists()
    )


def sold_out_variant(name: str = "Tent") -> str:
    product = make_product(name, price="10.00", stock=0)
    return graphene.Node.to_global_id("ProductVariant", variant_of(product).pk)


@pytest.mark.django_db
def test_an_encoded_word_address_is_refused_by_both_sign_ups(shop):
    configure_plugin()
    variant = sold_out_variant()
    payload = ApiClient().post(SUBSCRIBE, {"variantId": variant, "email": ENCODED_WORD})
    [error] = payload["data"]["backInStockSubscribe"]["ecrmErrors"]
    assert (error["field"], error["code"]) == ("email", "INVALID")
    payload = ApiClient().post(NEWSLETTER_SUBSCRIBE, {"email": ENCODED_WORD})
    [error] = payload["data"]["newsletterSubscribe"]["ecrmErrors"]
    assert (error["field"], error["code"]) == ("email", "INVALID")
    assert nothing_written()


# --- 3. limits count what the client cannot choose --------------------------------


def back_in_stock(client: ApiClient, variant: str, email: str) -> Dict:
    payload = client.post(SUBSCRIBE, {"variantId": variant, "email": email})
    return payload["data"]["backInStockSubscribe"]


@pytest.mark.django_db
def test_a_client_written_forwarded_for_does_not_escape_the_client_limit(
    shop, settings
):
    configure_plugin(back_in_stock_max_per_client_hour="3")
    variant = sold_out_variant()
    # no trusted proxy (the default): the header is ignored, the connection counts
    for index in range(3):
        bot = ApiClient(address="203.0.113.9", forwarded_for=f"198.51.100.{index}")
        assert (
            back_in_stock(bot, variant, f"bot{index}@example.org")["ecrmErrors"] == []
        )
    bot = ApiClient(address="203.0.113.9", forwarded_for="198.51.100.99")
    [error] = back_in_stock(bot, variant, "bot99@example.org")["ecrmErrors"]
    assert error["code"] == "RATE_LIMITED"

    # one trusted proxy: the hop it appended counts, whatever the client wrote first
    settings.ECRM_TRUSTED_PROXIES = 1
    for index in range(3):
        behind = ApiClient(
            address="10.0.0.1", forwarded_for=f"192.0.2.{index}, 198.51.100.50"
        )
        assert (
            back_in_stock(behind, variant, f"p{index}@example.org")["ecrmErrors"] == []
        )
    behind = ApiClient(address="10.0.0.1", forwarded_for="192.0.2.77, 198.51.100.50")
    [error] = back_in_stock(behind, variant, "p99@example.org")["ecrmErrors"]
    assert error["code"] == "RATE_LIMITED"
    # another client behind the same proxy is its own client
    other = ApiClient(address="10.0.0.1", forwarded_for="198.51.100.51")
    assert back_in_stock(other, variant, "other@example.org")["ecrmErrors"] == []
    assert BackInStockSubscription.objects.count() == 7


@pytest.mark.django_db
def test_ipv4_mapped_ipv6_clients_count_as_their_ipv4_address(shop):
    configure_plugin(back_in_stock_max_per_client_hour="2")
    variant = sold_out_variant()
    # two IPv4 clients seen through an IPv6 socket are two clients, not one /64
    for client in ("::ffff:198.51.100.1", "::ffff:198.51.100.2"):
        for index in range(2):
            email = f"c{index}.{client[-1]}@example.org"
            answer = back_in_stock(ApiClient(address=client), variant, email)
            assert answer["ecrmErrors"] == []
    # and the mapped form of an address is that address
    [error] = back_in_stock(
        ApiClient(address="198.51.100.1"), variant, "c9@example.org"
    )["ecrmErrors"]
    assert error["code"] == "RATE_LIMITED"


@pytest.mark.django_db
def test_plus_tags_do_not_escape_the_per_address_limit(shop):
    configure_plugin(back_in_stock_max_per_email="2")
    variants = [sold_out_variant(f"Tent {index}") for index in range(3)]
    for variant, email in zip(variants, ("victim@example.org", "victim+1@example.org")):
        client = ApiClient(address=f"198.51.100.{len(email)}")
        assert back_in_stock(client, variant, email)["ecrmErrors"] == []
    [error] = back_in_stock(
        ApiClient(address="192.0.2.1"), variants[2], "victim+2@example.org"
    )["ecrmErrors"]
    assert (error["field"], error["code"]) == ("email", "RATE_LIMITED")
    assert BackInStockSubscription.objects.count() == 2


@pytest.mark.django_db
def test_newsletter_sign_ups_are_limited_per_client_and_per_mailbox(shop):
    from saleor_ecrm_plugin.preferences.models import ConsentEvent

    configure_plugin()
    bot = ApiClient(address="203.0.113.9")
    answers = [
        bot.post(NEWSLETTER_SUBSCRIBE, {"email": f"reader{index}@example.org"})
        for index in range(12)
    ]
    errors = [a["data"]["newsletterSubscribe"]["ecrmErrors"] for a in answers]
    assert errors[:10] == [[]] * 10
    assert [e[0]["code"] for e in errors[10:]] == ["RATE_LIMITED"] * 2
    assert ConsentEvent.objects.count() == 10
    assert ScheduledSend.objects.count() == 10

    # one address twenty times: one request recorded, one confirmation planned
    for _ in range(20):
        answer = ApiClient(address="192.0.2.8").post(
            NEWSLETTER_SUBSCRIBE, {"email": "same@example.org"}
        )
        assert answer["data"]["newsletterSubscribe"]["ecrmErrors"] == []
    assert ConsentEvent.objects.filter(contact__email="same@example.org").count() == 1
    assert ScheduledSend.objects.filter(recipient="same@example.org").count() == 1

    # +tags of one mailbox, from many clients: three, then answered alike, nothing
    for index in range(6):
        answer = ApiClient(address=f"198.51.100.{index}").post(
            NEWSLETTER_SUBSCRIBE, {"email": f"victim+{index}@example.org"}
        )
        assert answer["data"]["newsletterSubscribe"]["ecrmErrors"] == []
    assert ScheduledSend.objects.filter(recipient__startswith="victim").count() == 3


# --- 4. inputs of the wrong type are refused, never coerced ---------------------

UNSUBSCRIBE = """
mutation Unsub($token: String, $everything: Boolean) {
  emailUnsubscribe(token: $token, everything: $everything) {
    preferences { marketingOptOut }
    ecrmErrors { field code message }
  }
}
"""
PREFERENCES_UPDATE = """
mutation Update($token: String, $input: EmailPreferencesInput!) {
  emailPreferencesUpdate(token: $token, input: $input) {
    preferences { newsletter }
    ecrmErrors { field code message }
  }
}
"""
REVIEW_SUBMIT = """
mutation Review($token: String!, $rating: Int!) {
  reviewSubmit(token: $token, rating: $rating) {
    review { rating }
    ecrmErrors { field code message }
  }
}
"""


def refused_with_400(query: str, variables: Dict[str, Any]) -> str:
    response = ApiClient().response(query, variables)
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert "Traceback" not in error["message"]
    return error["message"]


@pytest.mark.django_db
def test_a_boolean_must_be_a_json_boolean(shop):
    from saleor_ecrm_plugin.preferences.models import ConsentEvent, EmailContact
    from saleor_ecrm_plugin.preferences.tokens import make_preferences_token

    token = make_preferences_token("ada@example.org", "abandoned_checkout")
    for value in ("false", "true", 0, 1, [], {}):
        message = refused_with_400(UNSUBSCRIBE, {"token": token, "everything": value})
        assert "$everything" in message and "Boolean" in message
        message = refused_with_400(
            PREFERENCES_UPDATE,
            {
                "token": token,
                "input": {
                    "categories": [{"category": "newsletter", "subscribed": value}]
                },
            },
        )
        assert "$input" in message
    assert not EmailContact.objects.exists() and not ConsentEvent.objects.exists()
    # a real boolean still works
    answer = ApiClient().post(UNSUBSCRIBE, {"token": token, "everything": True})
    assert answer["data"]["emailUnsubscribe"]["preferences"]["marketingOptOut"] is True


@pytest.mark.django_db
def test_a_rating_is_a_whole_number_from_1_to_5_for_the_api_and_the_page(shop):
    from django.test import Client

    from saleor_ecrm_plugin.programs.review_request.models import Review
    from saleor_ecrm_plugin.reviews.tokens import make_review_token
    from tests.factories import fulfill, make_order

    configure_plugin(review_request_enabled=True)
    order = make_order([make_product("Tent")], email="ada@example.org")
    fulfill(order)
    line = order.lines.first()
    token = make_review_token(line.pk, order.pk, order.user_email)
    for value in (3.5, "5", " 5", "4.0", "1e0", "\u0665", True):
        refused_with_400(REVIEW_SUBMIT, {"token": token, "rating": value})
    for value in (" 5", "4.0", "1e0", "\u0665", "05", "5 ", "+5", "6", "0"):
        page = Client().post(f"/ecrm/review/{token}/", {"rating": value})
        assert page.status_code == 400, value
    assert not Review.objects.exists()
    answer = ApiClient().post(REVIEW_SUBMIT, {"token": token, "rating": 5})
    assert answer["data"]["reviewSubmit"]["review"] == {"rating": 5}


@pytest.mark.django_db
def test_only_canonical_global_ids_are_accepted(shop):
    configure_plugin()
    product = make_product("Tent", price="10.00", stock=0)
    pk = variant_of(product).pk
    import base64

    def raw(text: str) -> str:
        return base64.b64encode(text.encode()).decode()

    ascii_digits = str(pk)
    arabic = "".join(chr(0x0660 + int(d)) for d in ascii_digits)
    for variant in (
        raw(f"ProductVariant: {pk}"),
        raw(f"ProductVariant:+{pk}"),
        raw(f"ProductVariant:0{pk}"),
        raw(f"ProductVariant:{arabic}"),
        raw(f"ProductVariant:{pk}").rstrip("="),
    ):
        if variant == graphene.Node.to_global_id("ProductVariant", pk):
            continue  # no padding to strip: the canonical id itself
        answer = back_in_stock(ApiClient(), variant, "ada@example.org")
        [error] = answer["ecrmErrors"]
        assert (error["field"], error["code"]) == ("variantId", "NOT_FOUND"), variant
    assert not BackInStockSubscription.objects.exists()
    canonical = graphene.Node.to_global_id("ProductVariant", pk)
    answer = back_in_stock(ApiClient(), canonical, "ada@example.org")
    assert answer["subscription"]["variantId"] == canonical


# --- 5. every malformed request is a readable 400 -----------------------------------

PRODUCT_REVIEWS = "productReviews(productId: $id, first: 100) { count }"


def raw_post(body: bytes) -> Any:
    from django.test import Client

    return Client(raise_request_exception=False).post(
        "/graphql/", body, content_type="application/json"
    )


def assert_readable_400(response) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    [error] = body["errors"]
    message = error["message"]
    assert message and "Traceback" not in message and "Error" not in message, message
    assert error["extensions"]["exception"] == {"code": "GraphQLError"}, error


@pytest.mark.django_db
def test_malformed_graphql_requests_are_readable_400s(shop):
    import json

    product = graphene.Node.to_global_id("Product", make_product("Tent").pk)
    deep = "query { " + "... on Query { " * 300 + "__typename" + " }" * 300 + " }"
    aliases = (
        "query Q($id: ID!) { "
        + " ".join(f"a{index}: {PRODUCT_REVIEWS}" for index in range(1000))
        + " }"
    )
    bodies = [
        b"null",
        b"42",
        b'"query"',
        b"[]",
        b"[null]",
        b"{not json",
        b"\xff\xfe",
        b"[" * 5000 + b"]" * 5000,
        json.dumps({"query": "{ __typename }", "variables": [1, 2]}).encode(),
        json.dumps({"query": "{ __typename }", "variables": "{}x"}).encode(),
        json.dumps({"query": "{ __typename }", "operationName": 5}).encode(),
        json.dumps({"query": ["{ __typename }"]}).encode(),
        json.dumps({"query": "{ __typename } # \ud800"}).encode(),
        json.dumps({"query": deep}).encode(),
        json.dumps({"query": aliases, "variables": {"id": product}}).encode(),
    ]
    for body in bodies:
        assert_readable_400(raw_post(body))
    # a few aliases are still answered
    few = "query Q($id: ID!) { a: " + PRODUCT_REVIEWS + " b: " + PRODUCT_REVIEWS + " }"
    response = raw_post(
        json.dumps({"query": few, "variables": {"id": product}}).encode()
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"a": {"count": 0}, "b": {"count": 0}}


# --- 8. links expire ------------------------------------------------------------------


@pytest.mark.django_db
def test_unsubscribe_and_preference_links_expire_after_a_year(shop):
    from django.test import Client
    from freezegun import freeze_time

    from saleor_ecrm_plugin.preferences.models import EmailContact
    from saleor_ecrm_plugin.preferences.tokens import make_preferences_token

    with freeze_time(timezone.now() - timedelta(days=3650)):
        old = make_preferences_token("ada@example.org", "abandoned_checkout")
    with freeze_time(timezone.now() - timedelta(days=360)):
        recent = make_preferences_token("bob@example.org", "abandoned_checkout")
    answer = ApiClient().post(UNSUBSCRIBE, {"token": old})["data"]["emailUnsubscribe"]
    [error] = answer["ecrmErrors"]
    assert error["code"] == "INVALID_TOKEN"
    assert Client().post(f"/ecrm/unsubscribe/{old}/").status_code == 400
    assert not EmailContact.objects.filter(email="ada@example.org").exists()
    answer = ApiClient().post(UNSUBSCRIBE, {"token": recent})["data"][
        "emailUnsubscribe"
    ]
    assert answer["ecrmErrors"] == []


# --- 7. newsletterSubscribe does the same work for known and new addresses ------------


def statements_of(query: str, variables: Dict[str, Any]) -> List[str]:
    """The SQL statements one request ran, as verb and table (values left out)."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        answer = ApiClient(address="192.0.2.44").post(query, variables)
    assert answer["data"]["newsletterSubscribe"]["ecrmErrors"] == []
    shapes = []
    for executed in captured.captured_queries:
        sql = executed["sql"]
        verb = sql.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
        shapes.append(f"{verb} {table.group(1) if table else ''}")
    return shapes


@pytest.mark.django_db
def test_newsletter_subscribe_does_the_same_work_for_known_and_new_addresses(shop):
    from saleor_ecrm_plugin.preferences.models import EmailContact

    configure_plugin()
    EmailContact.objects.create(email="known@example.org", newsletter="confirmed")
    known = statements_of(NEWSLETTER_SUBSCRIBE, {"email": "known@example.org"})
    new = statements_of(NEWSLETTER_SUBSCRIBE, {"email": "new@example.org"})
    assert known == new
    assert any(
        shape.startswith("INSERT") and "scheduledsend" in shape for shape in new
    ), new
    # the confirmed address is not asked to confirm again: the dispatcher skips it
    assert Dispatcher().run().sent == 1
    assert ScheduledSend.objects.get(recipient="known@example.org").status == (
        SendStatus.SKIPPED
    )


# --- 6. the demo and the documented settings run with DEBUG off -----------------------


@pytest.mark.parametrize("asked, expected", [(None, "False"), ("True", "True")])
def test_the_demo_settings_run_with_debug_off_unless_asked(asked, expected):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env["DJANGO_SETTINGS_MODULE"] = "saleor_ecrm_plugin.demo.settings"
    if asked is not None:
        env["DEBUG"] = asked
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert printed == expected


@pytest.mark.parametrize(
    "proxies, forwarded_for, expected",
    [
        (0, "198.51.100.1", "10.0.0.1"),  # no trusted proxy: the header is ignored
        (1, "6.6.6.6, 198.51.100.1", "198.51.100.1"),
        (2, "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "198.51.100.1", "10.0.0.1"),  # fewer hops than proxies: not theirs
        (1, "", "10.0.0.1"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, proxies, forwarded_for, expected
):
    from saleor_ecrm_plugin.clients import client_address

    settings.ECRM_TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded_for}
    assert client_address(meta) == expected


def test_a_wrong_trusted_proxies_setting_is_a_clear_error(settings):
    from django.core.exceptions import ImproperlyConfigured

    from saleor_ecrm_plugin.clients import client_address

    settings.ECRM_TRUSTED_PROXIES = "1"
    with pytest.raises(ImproperlyConfigured, match="ECRM_TRUSTED_PROXIES"):
        client_address({"REMOTE_ADDR": "10.0.0.1"})
