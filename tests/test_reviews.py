"""Review requests after shipping, the star links, and the reviews they collect.

End to end first: an order placed through Saleor's ``checkoutComplete`` and shipped
through ``orderFulfill``, time passing (the ledger's clock moved back by days), a
real SMTP server receiving the request, a star link of that email followed, the
reminder not sent, the review published by staff and read through
``productReviews``. Then the rules one by one: bad tokens, skipped orders, the
reward, moderation, the scanner-proof link page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import graphene
import pytest
from django.core import signing
from django.db.models import F
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from saleor_ecrm_plugin.config import parse_configuration
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service as preferences
from saleor_ecrm_plugin.programs.registry import get_program
from saleor_ecrm_plugin.programs.review_request.models import Review, ReviewStatus
from saleor_ecrm_plugin.reviews.tokens import REVIEW_SALT, make_review_token
from tests.configuration import configure_plugin
from tests.factories import make_order, make_product
from tests.graphql import ApiClient, grant
from tests.hosts import SALEOR3
from tests.orders import (
    cancel_order,
    cancel_shipment,
    order_number,
    place_order,
    ship,
)
from tests.smtp import Received
from tests.vouchers import voucher_terms

#: the program on, and no sending-time rules in the way of the test's clock
REVIEWS_ON: Dict[str, Any] = {
    "review_request_enabled": True,
    "quiet_hours": "",
    "frequency_cap": "",
}

ORDER_FULFILL = """
mutation Fulfil($order: ID!, $input: OrderFulfillInput!) {
  orderFulfill(order: $order, input: $input) {
    orderErrors { field code message }
    order { status }
  }
}
"""
ORDER_REFUND = """
mutation Refund($id: ID!, $amount: %s!) {
  orderRefund(id: $id, amount: $amount) {
    orderErrors { field code message }
    order { paymentStatus }
  }
}
""" % ("PositiveDecimal" if SALEOR3 else "Decimal")
PRODUCT_REVIEWS = """
query Reviews($id: ID!, $first: Int) {
  productReviews(productId: $id, first: $first) {
    count
    averageRating
    reviews { id productId rating comment authorName status }
  }
}
"""
REVIEW_SUBMIT = """
mutation Submit($token: String!, $rating: Int!, $comment: String) {
  reviewSubmit(token: $token, rating: $rating, comment: $comment) {
    ecrmErrors { field message code }
    review { id rating comment status }
  }
}
"""
REVIEW_MODERATE = """
mutation Moderate($id: ID!, $status: ProductReviewStatus!) {
  reviewModerate(id: $id, status: $status) {
    ecrmErrors { field message code }
    review { id status }
  }
}
"""
STAFF_REVIEWS = """
query Pending { reviews(status: PENDING) { id rating comment } }
"""


# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def shop_staff(db):
    """A staff member who may fulfil orders and moderate reviews."""
    from saleor.account.models import User

    user = User.objects.create_user(
        "orders@shop.example.com", "password", is_staff=True
    )
    if SALEOR3:
        # Saleor 3 lets staff act on an order only in the channels its permission
        # groups reach (else orderFulfill answers PermissionDenied, no data)
        from saleor.account.models import Group

        group = Group.objects.create(name="Orders", restricted_access_to_channels=False)
        user.groups.add(group)
    return grant(user, "manage_orders", "manage_products")


def fulfil_through_graphql(staff: ApiClient, order_id: Any) -> None:
    """Ship every line of the order from its stock, as the dashboard does."""
    from saleor.order.models import OrderLine

    lines = []
    for line in OrderLine.objects.filter(order_id=order_id).select_related("variant"):
        stock = line.variant.stocks.get()
        lines.append(
            {
                "orderLineId": graphene.Node.to_global_id("OrderLine", line.pk),
                "stocks": [
                    {
                        "quantity": line.quantity,
                        "warehouse": graphene.Node.to_global_id(
                            "Warehouse", stock.warehouse_id
                        ),
                    }
                ],
            }
        )
    answer = staff.post(
        ORDER_FULFILL,
        {
            "order": graphene.Node.to_global_id("Order", order_id),
            "input": {"lines": lines, "notifyCustomer": False},
        },
    )
    result = (answer.get("data") or {}).get("orderFulfill")
    assert result, answer  # GraphQL's errors, if any
    assert result["orderErrors"] == []
    assert result["order"]["status"] == "FULFILLED"


def plan_for(order: Any) -> int:
    """What the plugin's fulfilment hook does once Saleor's transaction commits."""
    from saleor_ecrm_plugin.dispatcher import load_context

    program = get_program("review_request")
    return program.plan_requests(load_context().settings, order.pk, timezone.now())


def days_pass(days: float) -> None:
    """Move the ledger's clock: every planned and sent time ``days`` earlier."""
    delta = timedelta(days=days)
    ScheduledSend.objects.update(
        due_at=F("due_at") - delta,
        next_attempt_at=F("next_attempt_at") - delta,
        created_at=F("created_at") - delta,
    )
    ScheduledSend.objects.filter(sent_at__isnull=False).update(
        sent_at=F("sent_at") - delta
    )


def review_emails(smtp_server: Any) -> List[Received]:
    return [
        m
        for m in smtp_server.messages
        if (m.message["X-Ecrm-Program"] or "").startswith("review")
    ]


def star_links(html: str) -> Dict[int, str]:
    links = re.findall(r'href="([^"]+/ecrm/review/[^"]+\?rating=(\d))"', html)
    return {int(star): url for url, star in links}


def local(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def form_fields(html: str) -> Dict[str, str]:
    """What the review form posts as it stands (the checked star, the comment)."""
    fields = {}
    checked = re.search(r'name="rating" value="(\d)" checked', html)
    if checked:
        fields["rating"] = checked.group(1)
    comment = re.search(r'<textarea id="comment" name="comment"[^>]*>([^<]*)<', html)
    fields["comment"] = comment.group(1) if comment else ""
    return fields


def follow_star_link(client: Client, link: str) -> Any:
    """A person clicking a star: the page loads, and its script posts the form."""
    page = client.get(local(link))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-auto-submit" in html and "form.submit()" in html
    action = re.search(r'<form method="post" action="([^"]+)" id="review-form"', html)
    assert action is not None
    return client.post(action.group(1), form_fields(html))


def token_for(order: Any, line: Optional[Any] = None) -> str:
    line = line or order.lines.first()
    return make_review_token(line.pk, order.pk, order.user_email)


def product_reviews(product: Any, first: Optional[int] = None) -> Dict[str, Any]:
    result = ApiClient().post(
        PRODUCT_REVIEWS,
        {"id": graphene.Node.to_global_id("Product", product.pk), "first": first},
    )
    assert "errors" not in result, result
    return result["data"]["productReviews"]


def submit(token: str, rating: Any, comment: Optional[str] = None) -> Dict[str, Any]:
    return ApiClient().post(
        REVIEW_SUBMIT, {"token": token, "rating": rating, "comment": comment}
    )["data"]["reviewSubmit"]


def review_state() -> List[tuple]:
    return list(
        Review.objects.order_by("pk").values_list(
            "pk", "order_line_id", "rating", "comment", "status", "updated_at"
        )
    )


# --- end to end -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_shipped_order_is_asked_for_a_review_and_a_star_link_records_it(
    shop, api_client, shop_staff, smtp_server
):
    configure_plugin(**REVIEWS_ON)
    tent = make_product("Tent", price="120.00", image="products/tent.jpg")
    order_id = place_order(api_client, tent, "grace@example.org")
    staff = ApiClient(shop_staff)
    fulfil_through_graphql(staff, order_id)

    # the fulfilment hook planned a request in 7 days and a reminder 3 days later
    request = ScheduledSend.objects.get(program="review_request", step="request")
    reminder = ScheduledSend.objects.get(program="review_request", step="reminder")
    assert (request.recipient, request.subject_id) == (
        "grace@example.org",
        str(order_id),
    )
    assert (
        timedelta(days=6, hours=23)
        < request.due_at - timezone.now()
        <= timedelta(days=7)
    )
    assert reminder.due_at - request.due_at == timedelta(days=3)
    Dispatcher().run()  # on 3.21 the plugin's order confirmation is due now
    assert review_emails(smtp_server) == []
    request.refresh_from_db()
    reminder.refresh_from_db()
    assert {request.status, reminder.status} == {SendStatus.PLANNED}

    days_pass(7)
    assert Dispatcher().run().sent == 1
    [received] = review_emails(smtp_server)
    headers = received.message
    assert received.rcpt_tos == ["grace@example.org"]
    assert headers["To"] == "grace@example.org"
    assert headers["From"] == "Test Shop <hello@shop.example.com>"
    assert headers["Subject"] == "How do you like your order from Test Shop?"
    assert headers["X-Ecrm-Program"] == "review_request/request"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/ecrm/unsubscribe/" in headers["List-Unsubscribe"]
    html = received.html
    number = order_number(_only_line(order_id).order)
    assert "Tent" in html and f"#{number} arrived" in html
    assert 'src="http://shop.example.com/media/products/tent.jpg"' in html
    links = star_links(html)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert "Tent: https://shop.example.com/ecrm/review/" in received.text

    # the customer clicks the fourth star
    client = Client()
    thanks = follow_star_link(client, links[4])
    assert thanks.status_code == 200
    assert "Your rating of Tent is recorded: 4 out of 5." in thanks.content.decode()
    review = Review.objects.get()
    assert (review.rating, review.status, review.comment) == (4, "pending", "")
    assert review.product_id == tent.pk
    assert review.order_line_id == str(_only_line(order_id).pk)
    assert (review.email, review.author_name) == ("grace@example.org", "Grace H.")

    # ...and adds a comment on the page that follows
    comment_url = re.search(r'action="([^"]+/comment/)"', thanks.content.decode())
    assert comment_url is not None
    saved = client.post(comment_url.group(1), {"comment": "Dry after a stormy night."})
    assert (
        saved.status_code == 200 and "Your comment is saved" in saved.content.decode()
    )

    # pending: not on the storefront yet
    assert product_reviews(tent) == {"count": 0, "averageRating": None, "reviews": []}

    # three days later the reminder is not sent: the order was reviewed
    days_pass(3)
    report = Dispatcher().run()
    assert (report.claimed, report.sent, report.skipped) == (1, 0, 1)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.skip_reason) == ("skipped", "already_reviewed")
    assert len(review_emails(smtp_server)) == 1

    # a staff member approves it; the storefront shows it
    [pending] = staff.post(STAFF_REVIEWS)["data"]["reviews"]
    moderated = staff.post(REVIEW_MODERATE, {"id": pending["id"], "status": "APPROVED"})
    assert moderated["data"]["reviewModerate"]["ecrmErrors"] == []
    assert product_reviews(tent) == {
        "count": 1,
        "averageRating": 4.0,
        "reviews": [
            {
                "id": pending["id"],
                "productId": graphene.Node.to_global_id("Product", tent.pk),
                "rating": 4,
                "comment": "Dry after a stormy night.",
                "authorName": "Grace H.",
                "status": "APPROVED",
            }
        ],
    }


def _only_line(order_id: int) -> Any:
    from saleor.order.models import OrderLine

    return OrderLine.objects.get(order_id=order_id)


@pytest.mark.django_db(transaction=True)
def test_a_refunded_order_gets_no_review_request(
    shop, api_client, shop_staff, smtp_server
):
    configure_plugin(**REVIEWS_ON)
    tent = make_product("Tent", price="120.00")
    order_id = place_order(api_client, tent, "grace@example.org")
    staff = ApiClient(shop_staff)
    fulfil_through_graphql(staff, order_id)
    refunded = staff.post(
        ORDER_REFUND,
        {"id": graphene.Node.to_global_id("Order", order_id), "amount": "125.00"},
    )["data"]["orderRefund"]
    assert refunded["orderErrors"] == []
    assert refunded["order"]["paymentStatus"] == "FULLY_REFUNDED"

    days_pass(10)
    report = Dispatcher().run()
    # on 3.21 the one email sent is the plugin's order confirmation
    assert (report.sent, report.skipped) == (1 if SALEOR3 else 0, 2)
    assert set(
        ScheduledSend.objects.filter(program="review_request").values_list(
            "skip_reason", flat=True
        )
    ) == {"order_refunded"}
    assert review_emails(smtp_server) == []


# --- the request and its reminder -----------------------------------------------------


@pytest.mark.django_db
def test_the_request_shows_each_shipped_product_once_and_plans_only_once(
    shop, smtp_server
):
    configure_plugin(**REVIEWS_ON, review_request_reminder_days="0")
    tent, stove = make_product("Tent"), make_product("Stove", image="products/s.jpg")
    order = make_order([tent, stove, tent], email="ada@example.org")
    ship(order)
    assert plan_for(order) == 1  # no reminder with 0 days
    assert plan_for(order) == 0  # a second fulfilment hook: nothing new

    days_pass(7)
    assert Dispatcher().run().sent == 1
    [received] = review_emails(smtp_server)
    html = received.html
    # three lines, two products: five stars each
    assert len(re.findall(r"\?rating=\d", html)) == 10
    assert html.index("Tent") < html.index("Stove")
    assert 'src="http://shop.example.com/media/products/s.jpg"' in html
    assert "Hello Ada," in received.text


@pytest.mark.django_db
def test_the_reminder_goes_when_nothing_was_reviewed(shop, smtp_server):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    assert plan_for(order) == 2
    days_pass(7)
    assert Dispatcher().run().sent == 1
    days_pass(3)
    assert Dispatcher().run().sent == 1
    request, reminder = review_emails(smtp_server)
    assert request.message["X-Ecrm-Program"] == "review_request/request"
    assert reminder.message["X-Ecrm-Program"] == "review_request/reminder"
    assert reminder.message["Subject"] == (
        f"A minute to rate your order #{order_number(order)}?"
    )
    assert len(star_links(reminder.html)) == 5


@pytest.mark.django_db
def test_after_an_outage_the_reminder_does_not_follow_its_request_at_once(
    shop, smtp_server
):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    plan_for(order)
    days_pass(12)  # the dispatcher was down: both steps are due
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (1, 1)
    reminder = ScheduledSend.objects.get(step="reminder")
    assert reminder.skip_reason == "request_too_recent"
    [received] = review_emails(smtp_server)
    assert received.message["X-Ecrm-Program"] == "review_request/request"


@pytest.mark.django_db
def test_cancelled_orders_and_opted_out_customers_get_no_request(shop, smtp_server):
    configure_plugin(**REVIEWS_ON)
    tent = make_product("Tent")
    cancelled = make_order([tent], email="ada@example.org")
    fulfillment = ship(cancelled)
    opted_out = make_order([tent], email="bob@example.org")
    ship(opted_out)
    assert plan_for(cancelled) == 2 and plan_for(opted_out) == 2

    # the shop cancels the shipment and the order; Bob turns review emails off
    cancel_shipment(fulfillment)
    cancel_order(cancelled)
    preferences.unsubscribe("bob@example.org", "reviews", "preference_page")

    days_pass(10)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (0, 4)
    reasons = dict(
        ScheduledSend.objects.filter(step="request").values_list(
            "recipient", "skip_reason"
        )
    )
    assert reasons == {
        "ada@example.org": "order_canceled",
        "bob@example.org": "unsubscribed_category",
    }
    assert smtp_server.messages == []
    # and a cancelled order is not planned at all
    assert plan_for(cancelled) == 0


@pytest.mark.django_db
def test_nothing_is_planned_while_the_program_is_off(shop):
    configure_plugin()  # the default: off
    order = make_order([make_product("Tent")])
    ship(order)
    assert plan_for(order) == 0
    assert not ScheduledSend.objects.exists()


def test_the_merchant_gets_a_clear_message_for_a_bad_delay():
    _settings, errors = parse_configuration(
        [
            {"name": "review_request_delay_days", "value": "a week"},
            {"name": "review_request_reminder_days", "value": "-1"},
            {"name": "review_incentive_percentage", "value": "150"},
        ]
    )
    assert errors == {
        "review_request_delay_days": "Enter a whole number of days.",
        "review_request_reminder_days": "Enter a number from 0 to 60 days.",
        "review_incentive_percentage": "Enter a number from 1 to 100 %.",
    }


# --- the star-link page ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_mail_scanner_fetching_every_star_link_records_nothing(shop):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    base = f"/ecrm/review/{token_for(order)}/"
    client = Client()
    for star in (1, 2, 3, 4, 5):
        page = client.get(f"{base}?rating={star}")
        assert page.status_code == 200
        assert f'value="{star}" checked' in page.content.decode()
        assert client.head(f"{base}?rating={star}").status_code == 200
    assert client.get(base).status_code == 200  # the plain-text link: no star chosen
    assert not Review.objects.exists()
    assert "data-auto-submit" not in client.get(base).content.decode()


@pytest.mark.django_db
def test_without_javascript_one_post_records_rating_and_comment(shop):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    url = f"/ecrm/review/{token_for(order)}/"
    response = Client().post(url, {"rating": "5", "comment": "  Great tent \x00 "})
    assert response.status_code == 200
    review = Review.objects.get()
    assert (review.rating, review.comment) == (5, "Great tent")
    # no comment box any more: the review has one
    assert "/comment/" not in response.content.decode()
    # the comment endpoint refuses a second comment, and changes nothing
    again = Client().post(url + "comment/", {"comment": "Changed my mind"})
    assert again.status_code == 409
    assert "already has a comment" in again.content.decode()
    review.refresh_from_db()
    assert review.comment == "Great tent"


@pytest.mark.django_db
def test_a_bad_rating_or_comment_on_the_page_is_shown_and_changes_nothing(shop):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    url = f"/ecrm/review/{token_for(order)}/"
    no_star = Client().post(url, {"comment": "I forgot the stars"})
    assert no_star.status_code == 400
    html = no_star.content.decode()
    assert "Choose a rating from 1 to 5 stars." in html
    assert "I forgot the stars" in html  # the text typed is kept
    too_long = Client().post(url, {"rating": "3", "comment": "x" * 2001})
    assert too_long.status_code == 400
    assert "Keep the comment under 2,000 characters" in too_long.content.decode()
    assert not Review.objects.exists()


# --- tokens ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_forged_altered_expired_and_reused_tokens_are_refused_and_change_nothing(
    shop,
):
    configure_plugin(**REVIEWS_ON, review_incentive_enabled=True)
    tent, stove = make_product("Tent"), make_product("Stove")
    order = make_order([tent, stove], email="ada@example.org")
    ship(order)
    # by name: line ids are UUIDs on Saleor 3.21, in no particular order
    stove_line, tent_line = order.lines.order_by("product_name")
    genuine = token_for(order, tent_line)
    with freeze_time(timezone.now() - timedelta(days=121)):
        expired = token_for(order, stove_line)
    refused = {
        # signed with another key
        "forged": signing.dumps(
            {"l": str(stove_line.pk), "o": str(order.pk), "e": "ada@example.org"},
            key="not-the-shop-secret",
            salt=REVIEW_SALT,
            compress=True,
        ),
        # one character of a genuine token changed
        "altered": genuine[:-3] + ("A" if genuine[-3] != "A" else "B") + genuine[-2:],
        # genuine signature, but from another kind of link (the preference links)
        "other salt": signing.dumps(
            {"l": str(stove_line.pk), "o": str(order.pk), "e": "ada@example.org"},
            salt="saleor_ecrm_plugin.preferences",
            compress=True,
        ),
        "expired": expired,
        "garbage": "not-a-token",
    }
    for name, token in refused.items():
        page = Client().post(f"/ecrm/review/{token}/", {"rating": "1"})
        assert page.status_code == 400, name
        assert "This review link " in page.content.decode(), name
        result = submit(token, 1, "spam")
        assert result["review"] is None, name
        [error] = result["ecrmErrors"]
        assert (error["field"], error["code"]) == ("token", "INVALID_TOKEN"), name
        assert error["message"] in (
            "This review link is not valid.",
            "This review link has expired.",
        ), name
    assert not Review.objects.exists()
    assert not ScheduledSend.objects.exists()

    # the genuine token works once...
    first = submit(genuine, 5, "Great")
    assert first["ecrmErrors"] == [] and first["review"]["rating"] == 5
    before = review_state()
    planned = ScheduledSend.objects.count()
    assert planned == 1  # the thank-you (reward on)

    # ...and is then refused, on the page as over GraphQL
    again = submit(genuine, 1, "Changed my mind")
    assert again["review"] is None
    assert again["ecrmErrors"] == [
        {
            "field": "token",
            "message": "You already reviewed Tent: thank you!",
            "code": "ALREADY_REVIEWED",
        }
    ]
    page = Client().post(f"/ecrm/review/{genuine}/", {"rating": "1"})
    assert page.status_code == 409
    assert "You already reviewed Tent: thank you!" in page.content.decode()
    link = Client().get(f"/ecrm/review/{genuine}/?rating=1")
    assert "You rated Tent 5 out of 5." in link.content.decode()
    assert review_state() == before
    assert ScheduledSend.objects.count() == planned


@pytest.mark.django_db
def test_a_token_is_refused_once_its_order_is_cancelled_or_readdressed(shop):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    fulfillment = ship(order)
    token = token_for(order)

    order.user_email = "someone.else@example.org"
    order.save(update_fields=["user_email"])
    [error] = submit(token, 4)["ecrmErrors"]
    assert (error["code"], error["message"]) == (
        "INVALID_TOKEN",
        "This review link is not valid.",
    )

    order.user_email = "ada@example.org"
    order.save(update_fields=["user_email"])
    cancel_shipment(fulfillment)
    cancel_order(order)
    [error] = submit(token, 4)["ecrmErrors"]
    assert (error["code"], error["message"]) == (
        "NOT_REVIEWABLE",
        "This order was cancelled, so it cannot be reviewed.",
    )
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_unshipped_lines_cannot_be_reviewed(shop):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    [error] = submit(token_for(order), 4)["ecrmErrors"]
    assert (error["field"], error["code"]) == ("token", "NOT_REVIEWABLE")
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "rating, comment, field",
    [(0, None, "rating"), (6, None, "rating"), (3, "x" * 2001, "comment")],
)
@pytest.mark.django_db
def test_bad_ratings_and_comments_get_typed_errors(shop, rating, comment, field):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    result = submit(token_for(order), rating, comment)
    assert result["review"] is None
    [error] = result["ecrmErrors"]
    assert (error["field"], error["code"]) == (field, "INVALID")
    assert not Review.objects.exists()


# --- the storefront and moderation ----------------------------------------------------


@pytest.mark.django_db
def test_the_storefront_sees_only_approved_reviews_with_their_average(shop, shop_staff):
    configure_plugin(**REVIEWS_ON)
    tent = make_product("Tent")
    ratings = {"a@example.org": 5, "b@example.org": 4, "c@example.org": 1}
    ids = {}
    for email, rating in ratings.items():
        order = make_order([tent], email=email)
        ship(order)
        ids[email] = submit(token_for(order), rating)["review"]["id"]
    staff = ApiClient(shop_staff)
    for email, status in (("a@example.org", "APPROVED"), ("b@example.org", "APPROVED")):
        staff.post(REVIEW_MODERATE, {"id": ids[email], "status": status})
    staff.post(REVIEW_MODERATE, {"id": ids["c@example.org"], "status": "REJECTED"})

    shown = product_reviews(tent, first=1)
    assert (shown["count"], shown["averageRating"]) == (2, 4.5)
    assert [r["id"] for r in shown["reviews"]] == [ids["b@example.org"]]  # newest
    assert product_reviews(make_product("Stove"))["count"] == 0

    bad = ApiClient().post(PRODUCT_REVIEWS, {"id": "not-an-id"})
    assert bad["errors"][0]["message"] == "productId is not the ID of a product."


@pytest.mark.django_db
def test_only_staff_with_manage_products_can_moderate(shop, staff_user):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    review_id = submit(token_for(order), 2)["review"]["id"]
    for client in (ApiClient(), ApiClient(staff_user)):  # staff_user: plugins only
        result = client.post(REVIEW_MODERATE, {"id": review_id, "status": "APPROVED"})
        assert "permission" in result["errors"][0]["message"].lower()
        assert ApiClient().post(STAFF_REVIEWS)["data"]["reviews"] is None
    assert Review.objects.get().status == ReviewStatus.PENDING

    manager = grant(staff_user, "manage_products")
    unknown = ApiClient(manager).post(
        REVIEW_MODERATE,
        {"id": graphene.Node.to_global_id("ProductReview", 999), "status": "APPROVED"},
    )["data"]["reviewModerate"]
    assert unknown["ecrmErrors"] == [
        {"field": "id", "message": "No review has this id.", "code": "NOT_FOUND"}
    ]


def test_the_graphql_status_enum_matches_the_stored_statuses():
    from saleor_ecrm_plugin.graphql.reviews import ProductReviewStatus

    values = {member.value for member in ProductReviewStatus._meta.enum}
    assert values == set(ReviewStatus.values)


@pytest.mark.django_db
def test_the_merchant_can_publish_without_moderation(shop):
    configure_plugin(**REVIEWS_ON, reviews_auto_approve=True)
    tent = make_product("Tent")
    order = make_order([tent], email="ada@example.org")
    ship(order)
    assert submit(token_for(order), 3, "Fine")["review"]["status"] == "APPROVED"
    assert product_reviews(tent)["count"] == 1


# --- the reward -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_review_brings_one_single_use_voucher_per_order(shop, smtp_server):
    from saleor.discount.models import Voucher

    configure_plugin(
        **REVIEWS_ON,
        review_incentive_enabled=True,
        review_incentive_percentage="15",
        review_incentive_valid_days="30",
    )
    order = make_order(
        [make_product("Tent"), make_product("Stove")], email="ada@example.org"
    )
    ship(order)
    tent_line, stove_line = order.lines.order_by("pk")
    assert submit(token_for(order, tent_line), 2)["ecrmErrors"] == []
    assert submit(token_for(order, stove_line), 5)["ecrmErrors"] == []

    assert Dispatcher().run().sent == 1
    [received] = review_emails(smtp_server)
    assert received.message["X-Ecrm-Program"] == "review_thank_you/thank_you"
    assert received.message["To"] == "ada@example.org"
    assert (
        received.message["Subject"]
        == "Thank you for your review: 15% off your next order"
    )
    [voucher] = Voucher.objects.all()
    terms = voucher_terms(voucher)
    assert (terms["usage_limit"], terms["discount_value"], terms["type"]) == (
        1,
        15,
        "entire_order",
    )
    code = terms["code"]
    assert code.startswith("THX") and len(code) == 12
    assert code in received.text and code in received.html
    assert (terms["end_date"] - timezone.now()).days in (29, 30)
    # nothing more to send: one reward per order
    assert Dispatcher().run().claimed == 0
    assert ScheduledSend.objects.get().status == SendStatus.SENT


@pytest.mark.django_db
def test_no_voucher_while_the_reward_is_off_or_the_review_was_rejected(
    shop, smtp_server
):
    configure_plugin(**REVIEWS_ON)
    order = make_order([make_product("Tent")], email="ada@example.org")
    ship(order)
    assert submit(token_for(order), 4)["ecrmErrors"] == []
    assert not ScheduledSend.objects.exists()

    configure_plugin(**REVIEWS_ON, review_incentive_enabled=True)
    other = make_order([make_product("Stove")], email="bob@example.org")
    ship(other)
    assert (
        submit(token_for(other), 1, "buy my stuff at spam.example")["ecrmErrors"] == []
    )
    Review.objects.filter(email="bob@example.org").update(status=ReviewStatus.REJECTED)
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (0, 1)
    assert ScheduledSend.objects.get().skip_reason == "review_rejected"
    assert smtp_server.messages == []
