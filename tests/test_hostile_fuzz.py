"""Hostile input to the plugin's other operations and pages, and to ``/graphql/``
itself (issue 20): the preference operations and pages are fuzzed in
``test_preferences_fuzz.py``, whose values, clients and checks this file reuses.

Covered here: ``backInStockSubscribe``, ``productReviews``, ``reviewSubmit``,
``reviewModerate`` (as staff and as a guest), the review pages (star page and
comment), and raw request bodies of any JSON shape. What must hold for every input:
no HTTP 500, no Python exception text, only GraphQL's own errors at the top level,
typed ``ecrmErrors`` otherwise, and nothing written when the answer is an error.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Set, Tuple

import graphene
import pytest
from django.test import Client
from hypothesis import example, given, settings
from hypothesis import strategies as st

from saleor_ecrm_plugin.graphql.back_in_stock import BackInStockErrorCode
from saleor_ecrm_plugin.graphql.reviews import ReviewErrorCode
from saleor_ecrm_plugin.programs.back_in_stock.models import BackInStockSubscription
from saleor_ecrm_plugin.programs.review_request.models import Review
from saleor_ecrm_plugin.reviews.tokens import make_review_token
from tests.configuration import configure_plugin
from tests.factories import fulfill, make_order, make_product, variant_of
from tests.graphql import ApiClient, grant
from tests.test_preferences_fuzz import (
    _OMIT,
    RAW_SUFFIXES,
    _explain,
    _variables,
    any_json,
    assert_graphql_errors_only,
    assert_no_traceback,
    email_values,
    hostile_text,
    json_text,
    mostly,
    omittable,
)
from tests.test_preferences_fuzz import state as preference_state

#: the review program on, and no sending-time rules in the way
REVIEWS_ON: Dict[str, Any] = {
    "review_request_enabled": True,
    "quiet_hours": "",
    "frequency_cap": "",
}

fuzz = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[
        __import__("hypothesis").HealthCheck.function_scoped_fixture,
        __import__("hypothesis").HealthCheck.too_slow,
    ],
)


def state() -> Tuple[Any, ...]:
    return (
        *preference_state(),
        BackInStockSubscription.objects.count(),
        Review.objects.count(),
        list(Review.objects.order_by("pk").values_list("status", "rating")),
    )


def assert_graphql_errors(status: int, body: Dict[str, Any]) -> None:
    """GraphQL's own errors, and Saleor's permission refusal (staff operations)."""
    assert status in (200, 400), (status, body)
    for error in body.get("errors", []):
        assert isinstance(error.get("message"), str) and error["message"], error
        exception = error.get("extensions", {}).get("exception", {})
        assert exception.get("code") in ("GraphQLError", "PermissionDenied"), error
        assert "stacktrace" not in exception, error


def codes(enum: Any) -> Set[str]:
    return set(enum._meta.enum.__members__)


class Raw:
    def __init__(self, user: Optional[Any] = None) -> None:
        self.api = ApiClient(user, address="192.0.2.200", raise_request_exception=False)

    def post(self, query: str, variables: Any) -> Tuple[int, str, Any]:
        response = self.api.response(query, variables)
        text = response.content.decode("utf-8", "replace")
        assert response.status_code != 500, _explain(response, text)
        return response.status_code, text, json.loads(text)


def outcome(
    answer: Tuple[int, str, Dict[str, Any]],
    name: str,
    before: Tuple[Any, ...],
    allowed: Set[str],
) -> Optional[Dict[str, Any]]:
    status, text, body = answer
    payload = (body.get("data") or {}).get(name)
    if body.get("errors") or not payload or payload.get("ecrmErrors"):
        assert state() == before, ("written on error", body)
    assert_no_traceback(text)
    assert_graphql_errors(status, body)
    if status == 400:
        assert body.get("errors") and "data" not in body, body
        return None
    if payload is None:  # a query's refusal (permission, bad id): GraphQL errors
        assert body.get("errors"), body
        return None
    for error in payload.get("ecrmErrors") or []:
        assert set(error) == {"field", "message", "code"}, error
        assert error["code"] in allowed, error
        assert isinstance(error["message"], str) and error["message"], error
    return payload


# --- values ------------------------------------------------------------------------


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


@st.composite
def global_ids(draw: Any, type_name: str, pks: Tuple[int, ...]) -> Any:
    kind = draw(st.sampled_from(["genuine", "twisted", "other type", "hostile"]))
    pk = draw(st.sampled_from(pks))
    if kind == "genuine":
        return graphene.Node.to_global_id(type_name, pk)
    if kind == "twisted":
        form = draw(st.sampled_from([" {}", "+{}", "0{}", "{}.0", "{}\x00", "-{}"]))
        return _b64(f"{type_name}:" + form.format(pk))
    if kind == "other type":
        return graphene.Node.to_global_id(
            draw(st.sampled_from(["Product", "Order"])), pk
        )
    return draw(mostly(json_text, any_json))


ratings = st.one_of(
    st.integers(-10, 10),
    st.sampled_from([3.5, "5", " 5", "4.0", "1e0", "\u0665", True, None, 2**40]),
    any_json,
)


@pytest.fixture
def world(shop, settings):
    settings.ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR = 10**6
    from saleor.account.models import User

    configure_plugin(**REVIEWS_ON, back_in_stock_max_per_client_hour="1000000")
    sold_out = make_product("Tent\r\nBcc: x@evil.example", price="10.00", stock=0)
    order = make_order([make_product("Stove")], email="ada@example.org")
    fulfill(order)
    line = order.lines.first()
    staff = grant(
        User.objects.create_user("mod@shop.example.com", "pw", is_staff=True),
        "manage_products",
    )
    return {
        "variants": (variant_of(sold_out).pk,),
        "products": (sold_out.pk, line.variant.product_id),
        "token": make_review_token(line.pk, order.pk, order.user_email),
        "apis": {False: Raw(), True: Raw(staff)},
    }


# --- operations -------------------------------------------------------------------

SUBSCRIBE = (
    "mutation S($variantId: ID!, $email: String) {"
    " backInStockSubscribe(variantId: $variantId, email: $email) {"
    " ecrmErrors { field message code } subscription { variantId email } } }"
)


@fuzz
@given(data=st.data(), email=omittable(mostly(email_values, any_json)))
def test_back_in_stock_subscribe(world, data, email):
    variant = data.draw(
        mostly(global_ids("ProductVariant", world["variants"]), any_json)
    )
    before = state()
    answer = world["apis"][False].post(
        SUBSCRIBE, _variables(variantId=variant, email=email)
    )
    payload = outcome(
        answer, "backInStockSubscribe", before, codes(BackInStockErrorCode)
    )
    if payload and not payload["ecrmErrors"]:
        assert payload["subscription"]["variantId"] == variant  # canonical only
        assert isinstance(email, str)


PRODUCT_REVIEWS = (
    "query R($id: ID!, $first: Int) { productReviews(productId: $id, first: $first)"
    " { count averageRating reviews { id rating } } }"
)


@fuzz
@given(data=st.data(), first=omittable(mostly(st.integers(-5, 500), any_json)))
def test_product_reviews(world, data, first):
    product = data.draw(mostly(global_ids("Product", world["products"]), any_json))
    before = state()
    status, text, body = world["apis"][False].post(
        PRODUCT_REVIEWS, _variables(id=product, first=first)
    )
    assert state() == before
    assert_no_traceback(text)
    assert_graphql_errors_only(status, body)


REVIEW_SUBMIT = (
    "mutation V($token: String!, $rating: Int!, $comment: String) {"
    " reviewSubmit(token: $token, rating: $rating, comment: $comment) {"
    " ecrmErrors { field message code } review { id rating } } }"
)


@fuzz
@given(
    data=st.data(),
    rating=ratings,
    comment=omittable(mostly(hostile_text, any_json)),
)
@example(data=None, rating=3.5, comment=_OMIT)
def test_review_submit(world, data, rating, comment):
    genuine = world["token"]
    token = (
        genuine
        if data is None
        else data.draw(st.one_of(st.just(genuine), hostile_text, any_json))
    )
    before = state()
    answer = world["apis"][False].post(
        REVIEW_SUBMIT, _variables(token=token, rating=rating, comment=comment)
    )
    payload = outcome(answer, "reviewSubmit", before, codes(ReviewErrorCode))
    if payload and not payload["ecrmErrors"]:
        assert type(rating) is int and 1 <= rating <= 5
        assert payload["review"]["rating"] == rating


REVIEW_MODERATE = (
    "mutation M($id: ID!, $status: ProductReviewStatus!) {"
    " reviewModerate(id: $id, status: $status) {"
    " ecrmErrors { field message code } review { id status } } }"
)


@fuzz
@given(
    data=st.data(),
    status=st.one_of(st.sampled_from(["APPROVED", "REJECTED", "approved"]), any_json),
    as_staff=st.booleans(),
)
def test_review_moderate(world, data, status, as_staff):
    pks = tuple(Review.objects.values_list("pk", flat=True)) or (1,)
    review = data.draw(mostly(global_ids("ProductReview", pks), any_json))
    before = state()
    answer = world["apis"][as_staff].post(
        REVIEW_MODERATE, _variables(id=review, status=status)
    )
    payload = outcome(answer, "reviewModerate", before, codes(ReviewErrorCode))
    if not as_staff:
        assert payload is None or payload["review"] is None
        assert state() == before


# --- raw bodies ---------------------------------------------------------------------

queries = st.one_of(
    st.sampled_from([SUBSCRIBE, PRODUCT_REVIEWS, REVIEW_SUBMIT, "{ __typename }"]),
    hostile_text,
    st.integers(1, 400).map(
        lambda n: "{ " + "... on Query { " * n + "__typename" + " }" * (n + 1)
    ),
)


@fuzz
@given(
    body=st.one_of(
        any_json,
        st.fixed_dictionaries(
            {},
            optional={
                "query": st.one_of(queries, any_json),
                "variables": any_json,
                "operationName": any_json,
            },
        ),
    )
)
def test_any_request_body(world, body):
    before = state()
    response = Client(raise_request_exception=False).post(
        "/graphql/",
        json.dumps(body).encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    text = response.content.decode("utf-8", "replace")
    assert response.status_code != 500, _explain(response, text)
    assert response.status_code in (200, 400), (response.status_code, text[:500])
    assert_no_traceback(text)
    parsed = json.loads(text)
    for answer in parsed if isinstance(parsed, list) else [parsed]:
        assert_graphql_errors_only(response.status_code, answer)
    assert state() == before


# --- review pages ---------------------------------------------------------------------


@fuzz
@given(
    data=st.data(),
    comment_page=st.booleans(),
    method=st.sampled_from(["GET", "POST", "POST", "HEAD", "PUT"]),
    rating=st.one_of(ratings.map(str), hostile_text),
    comment=hostile_text,
    raw_suffix=st.one_of(st.just(""), st.sampled_from(RAW_SUFFIXES)),
)
def test_review_pages(world, data, comment_page, method, rating, comment, raw_suffix):
    from urllib.parse import quote, urlencode

    token = data.draw(st.one_of(st.just(world["token"]), hostile_text))
    path = (
        "/ecrm/review/"
        + quote(token, safe="", errors="surrogatepass")
        + raw_suffix
        + "/"
        + ("comment/" if comment_page else "")
    )
    fields = urlencode(
        [("rating", rating), ("comment", comment)], errors="surrogatepass"
    )
    client = Client(raise_request_exception=False)
    before = state()
    if method == "GET":
        response = client.get(f"{path}?{fields}")
    elif method == "POST":
        response = client.post(
            path, fields, content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.generic(method, path)
    text = response.content.decode("utf-8", "replace")
    assert response.status_code != 500, _explain(response, text)
    assert response.status_code in (200, 302, 400, 404, 405), response.status_code
    assert_no_traceback(text)
    if response.status_code >= 400 or method != "POST":
        assert state() == before, ("written", method, response.status_code)
