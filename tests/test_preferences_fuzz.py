"""Random and hostile input to every preference entry point: no server error, ever.

Everything goes through the real ``/graphql/`` endpoint and the real ``/ecrm/...``
pages with Django's test client, under production settings (``DEBUG`` off, as
pytest-django runs them). Inputs: very long strings, unicode (RTL marks, emoji, NUL,
lone surrogates where JSON can carry them), SQL and HTML fragments, values of the
wrong GraphQL type (sent as variables, so the type system sees them), and tokens
that are genuine, altered, truncated, re-salted, expired or signed with hostile
claims.

What must hold for every input:

- GraphQL answers 200 or 400, never 500, with no traceback and no error other than
  GraphQL's own (an exception escaping a resolver shows up as another error code);
- a mutation answers with data and typed ``ecrmErrors { field message code }``, or
  with GraphQL validation errors (400) for values of the wrong type;
- nothing is written (contacts, consent events, planned sends) when the answer is an
  error, when a token is not valid, or on any GET or query;
- the pages answer 200, 400 or 405 (404 only for a path no route matches);
- ``newsletterSubscribe`` answers the same whether or not the shop knows the address.

Hypothesis runs all examples of a test inside one database transaction, so rows pile
up across examples: every check compares the state right before and after one request.
"""

from __future__ import annotations

import json
import time
import traceback
from typing import Any, Dict, List, Optional, Tuple
from unittest import mock
from urllib.parse import quote, unquote_to_bytes, urlencode

import pytest
from django.db.models import Max
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.encoding import repercent_broken_unicode
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from saleor_ecrm_plugin.graphql.preferences import EcrmErrorCode
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.preferences.categories import CATEGORIES
from saleor_ecrm_plugin.preferences.models import (
    ConsentEvent,
    EmailContact,
    NewsletterStatus,
)
from saleor_ecrm_plugin.preferences.service import PreferenceError, normalise_email
from saleor_ecrm_plugin.preferences.tokens import (
    InvalidToken,
    make_newsletter_token,
    make_preferences_token,
    read_newsletter_token,
    read_preferences_token,
)
from tests.graphql import ApiClient

fuzz = settings(
    max_examples=60,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ERROR_CODES = set(EcrmErrorCode._meta.enum.__members__)  # names: GraphQL shows these
CUSTOMER_EMAIL = "fuzz.customer@example.com"
# valid: 60-character local part (RFC 5321 allows 64), 72 characters in all
LONG_EMAIL = ("l" * 60) + "@example.com"
TRACEBACK_MARKERS = ("Traceback", 'File "', "Internal Server Error")

# ---------------------------------------------------------------------------------
# hostile values

SQL = [
    "' OR 1=1 --",
    "' OR '1'='1",
    '" OR ""="',
    "'; DROP TABLE preferences_emailcontact; --",
    "1; SELECT pg_sleep(0); --",
    "') UNION SELECT NULL, NULL --",
    "%' AND 1=0 --",
    "\\",
    "%_%",
]
HTML = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg/onload=alert(1)>',
    "javascript:alert(1)",
    "{{ 7|add:7 }}",
    "{% debug %}",
    "]]><!--",
    "&amp;&lt;",
]
UNICODE = [
    "\x00",
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "مرحبا",
    "שלום",
    "😀",
    "👩\u200d👩\u200d👧",
    "\ufeff",
    "e\u0301",
    "İ",
    "ß",
    "\U0010ffff",
    "\r\n",
    "\t",
    " ",
]
# lone surrogates: JSON can carry them ("\ud800"), UTF-8 cannot
SURROGATES = ["\ud800", "\udfff", "\udc00x"]
EMAIL_LIKE = [
    "a@b",
    "@example.com",
    "user@",
    "user@@example.com",
    "user@example.com\x00",
    "user@example.com' OR 1=1 --",
    "<script>@example.com",
    "user@exa mple.com",
    "USER@EXAMPLE.COM",
    " user@example.com ",
    "user@xn--nxasmq6b.com",
    "us\u202eer@example.com",
]
SLUGS = list(CATEGORIES)

fragment = st.one_of(
    st.sampled_from(SQL + HTML + UNICODE + EMAIL_LIKE + SLUGS),
    st.text(max_size=12),
)
# 10k to 60k characters, built by repetition (hypothesis' own buffer is small)
long_text = st.builds(
    lambda piece, size: (piece * (size // len(piece) + 1))[:size],
    st.lists(fragment, min_size=1, max_size=3).map("".join).filter(bool),
    st.integers(10_000, 60_000),
)
hostile_text = st.one_of(
    st.lists(fragment, max_size=6).map("".join),
    long_text,
    st.text(),
)
json_text = st.one_of(
    hostile_text,
    st.tuples(hostile_text, st.sampled_from(SURROGATES)).map("".join),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    json_text,
)
# anything JSON can hold: for arguments where the schema expects something else
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=12), inner, max_size=4),
    ),
    max_leaves=8,
)

pool_emails = st.sampled_from(
    [
        CUSTOMER_EMAIL,
        "ada@example.com",
        "Grace.Hopper@Example.org",
        "x@shop.example.com",
        LONG_EMAIL,
    ]
)
valid_looking_emails = st.one_of(pool_emails, st.emails())
email_values = st.one_of(valid_looking_emails, json_text)

# ---------------------------------------------------------------------------------
# tokens

BASE64_ISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_:."


def _signed_in_the_past(make, *args: Any) -> str:
    eight_days_ago = time.time() - 8 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=eight_days_ago):
        return make(*args)


@st.composite
def altered(draw: Any, token: str) -> str:
    """A genuine token with one character changed, cut short, or extended."""
    how = draw(st.sampled_from(["flip", "truncate", "extend", "drop_signature"]))
    if how == "flip":
        index = draw(st.integers(0, len(token) - 1))
        char = draw(
            st.one_of(st.sampled_from(BASE64_ISH), st.sampled_from(UNICODE)).filter(
                lambda c: c != token[index]
            )
        )
        return token[:index] + char + token[index + 1 :]
    if how == "truncate":
        return token[: draw(st.integers(0, len(token) - 1))]
    if how == "extend":
        return token + draw(st.sampled_from(["=", ":", "A", ":x", "\x00", "%00"]))
    return token.rsplit(":", 1)[0]


@st.composite
def preference_tokens(draw: Any) -> str:
    kind = draw(
        st.sampled_from(
            ["genuine", "genuine", "altered", "altered", "newsletter_salt"]
            + ["hostile_claims", "hostile"]
        )
    )
    if kind == "hostile":
        return draw(hostile_text)
    category = draw(st.one_of(st.none(), st.sampled_from(SLUGS), hostile_text))
    if kind == "hostile_claims":
        # correctly signed, e.g. by a shop whose data holds an odd address
        return make_preferences_token(draw(email_values.filter(_is_str)), category)
    email = draw(valid_looking_emails)
    if kind == "newsletter_salt":
        return make_newsletter_token(email)
    token = make_preferences_token(email, category)
    return token if kind == "genuine" else draw(altered(token))


@st.composite
def newsletter_tokens(draw: Any) -> str:
    kind = draw(
        st.sampled_from(
            ["genuine", "genuine", "altered", "altered", "expired"]
            + ["preferences_salt", "hostile_claims", "hostile"]
        )
    )
    if kind == "hostile":
        return draw(hostile_text)
    if kind == "hostile_claims":
        return make_newsletter_token(draw(email_values.filter(_is_str)))
    email = draw(valid_looking_emails)
    if kind == "expired":
        return _signed_in_the_past(make_newsletter_token, email)
    if kind == "preferences_salt":
        return make_preferences_token(email)
    token = make_newsletter_token(email)
    return token if kind == "genuine" else draw(altered(token))


def _accepted(email: str) -> bool:
    try:
        normalise_email(email)
    except PreferenceError:
        return False
    return True


def _is_str(value: object) -> bool:
    return isinstance(value, str) and "\x00" not in value  # signing needs UTF-8


def _no_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def mostly(common: st.SearchStrategy, rare: st.SearchStrategy) -> st.SearchStrategy:
    """``common`` four times in five, else ``rare``."""
    return st.integers(0, 4).flatmap(lambda n: rare if n == 0 else common)


def token_argument(tokens: st.SearchStrategy) -> st.SearchStrategy:
    """A ``token`` variable: mostly a token, else null or a wrong-typed value."""
    return mostly(tokens, st.one_of(st.just(None), any_json))


def preferences_token_email(token: object) -> Optional[str]:
    """The address a token may manage, or None when it manages nothing."""
    try:
        return normalise_email(read_preferences_token(token).email)
    except (InvalidToken, PreferenceError):
        return None


def newsletter_token_email(token: object) -> Optional[str]:
    try:
        return normalise_email(read_newsletter_token(token))
    except (InvalidToken, PreferenceError):
        return None


# ---------------------------------------------------------------------------------
# clients and checks


def state() -> Tuple[Any, ...]:
    """What a request could have written: row counts and the latest contact change."""
    return (
        EmailContact.objects.count(),
        ConsentEvent.objects.count(),
        ScheduledSend.objects.count(),
        EmailContact.objects.aggregate(latest=Max("updated_at"))["latest"],
    )


class RawApi:
    """Posts to /graphql/ and hands back status and body, asserting only that the
    answer is no server error and is JSON."""

    def __init__(self, user: Optional[Any] = None) -> None:
        self.api = ApiClient(user, raise_request_exception=False)

    def post(self, query: str, variables: Dict[str, Any]) -> Tuple[int, str, Any]:
        response = self.api.response(query, variables)
        text = response.content.decode("utf-8", "replace")
        assert response.status_code != 500, _explain(response, text)
        try:
            body = json.loads(text)
        except ValueError:
            pytest.fail(f"not JSON ({response.status_code}): {text[:500]}")
        return response.status_code, text, body


def _explain(response: Any, text: str) -> str:
    exc_info = getattr(response, "exc_info", None)
    if exc_info:
        return "".join(traceback.format_exception(*exc_info))
    return text[:2000]


def assert_no_traceback(text: str) -> None:
    for marker in TRACEBACK_MARKERS:
        assert marker not in text, text[:2000]


def assert_graphql_errors_only(status: int, body: Dict[str, Any]) -> None:
    """Top-level errors are GraphQL's own: a message, no escaped exception."""
    assert status in (200, 400), (status, body)
    for error in body.get("errors", []):
        assert isinstance(error.get("message"), str) and error["message"], error
        code = error.get("extensions", {}).get("exception", {}).get("code")
        assert code == "GraphQLError", error
        assert "stacktrace" not in error.get("extensions", {}).get("exception", {})


def mutation_outcome(
    answer: Tuple[int, str, Dict[str, Any]], name: str, before: Tuple[Any, ...]
) -> Optional[Dict[str, Any]]:
    """The mutation's payload when it ran; None when GraphQL refused the variables.

    A mutation either runs and answers with typed ``ecrmErrors``, or GraphQL's
    validation refuses the request (400, no data). An error at 200 means an exception
    escaped the mutation. Whatever the error, nothing may have been written.
    """
    status, text, body = answer
    payload = (body.get("data") or {}).get(name)
    event(
        f"{status} "
        + ",".join(e["code"] for e in (payload or {}).get("ecrmErrors") or [])
    )
    if body.get("errors") or not payload or payload.get("ecrmErrors"):
        assert state() == before, ("written on error", body)
    assert_no_traceback(text)
    assert_graphql_errors_only(status, body)
    if status == 400:
        assert body.get("errors") and "data" not in body, body
        return None
    assert "errors" not in body, body
    assert payload is not None, body
    errors = payload["ecrmErrors"]
    assert isinstance(errors, list), payload
    for error in errors:
        assert set(error) == {"field", "message", "code"}, error
        assert error["code"] in ERROR_CODES, error
        assert isinstance(error["message"], str) and error["message"], error
        assert error["field"] is None or isinstance(error["field"], str), error
    return payload


def failed(payload: Optional[Dict[str, Any]]) -> bool:
    return payload is None or bool(payload["ecrmErrors"])


@pytest.fixture
def customer(shop):
    from saleor.account.models import User

    return User.objects.create_user(CUSTOMER_EMAIL, "a-long-enough-password")


@pytest.fixture
def apis(shop, customer, settings) -> Dict[bool, RawApi]:
    """A guest's client and the signed-in customer's, keyed by "signed in". All
    examples come from one client: its sign-up limit is lifted here (the limits
    have their own tests in test_hostile_input.py)."""
    settings.ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR = 10**6
    settings.ECRM_NEWSLETTER_MAX_PER_MAILBOX_HOUR = 10**6
    return {False: RawApi(), True: RawApi(customer)}


_OMIT = object()


def _variables(**values: Any) -> Dict[str, Any]:
    """The variables, leaving out those drawn as ``_OMIT`` (JSON null is a value)."""
    return {name: value for name, value in values.items() if value is not _OMIT}


def omittable(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return mostly(strategy, st.just(_OMIT))


# ---------------------------------------------------------------------------------
# GraphQL

PREFERENCES_FIELDS = """
  email marketingOptOut newsletter
  categories { category label description subscribed canUnsubscribe }
"""

QUERY = (
    "query Prefs($token: String) { emailPreferences(token: $token) {"
    + PREFERENCES_FIELDS
    + "} }"
)


@settings(fuzz, max_examples=80)
@given(token=omittable(token_argument(preference_tokens())), signed_in=st.booleans())
def test_email_preferences_query(apis, token, signed_in):
    before = state()
    status, text, body = apis[signed_in].post(QUERY, _variables(token=token))

    assert_no_traceback(text)
    assert_graphql_errors_only(status, body)
    assert state() == before, "a query wrote something"
    if status == 400:
        return
    answer = body["data"]["emailPreferences"]
    if token is _OMIT or token is None:
        expected = CUSTOMER_EMAIL if signed_in else None
    else:
        expected = preferences_token_email(token) if isinstance(token, str) else None
    if expected is None:
        assert answer is None and body.get("errors"), body
    else:
        assert answer is not None, body
        assert answer["email"] == expected
        assert {row["category"] for row in answer["categories"]} == set(CATEGORIES)


UPDATE = (
    "mutation Update($token: String, $input: EmailPreferencesInput!) {"
    " emailPreferencesUpdate(token: $token, input: $input) {"
    " ecrmErrors { field message code } preferences {" + PREFERENCES_FIELDS + "} } }"
)

category_slugs = st.one_of(st.sampled_from(SLUGS), json_text)
well_formed_item = st.fixed_dictionaries(
    {"category": category_slugs, "subscribed": st.booleans()}
)
category_items = mostly(
    well_formed_item,
    st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "category": st.one_of(category_slugs, any_json),
                "subscribed": any_json,
                "unknownField": any_json,
            },
        ),
        any_json,
    ),
)
update_inputs = mostly(
    st.fixed_dictionaries(
        {},
        optional={
            "categories": mostly(st.lists(category_items, max_size=4), any_json),
            "marketingOptOut": mostly(st.booleans(), any_json),
        },
    ),
    any_json,
)


@settings(fuzz, max_examples=120)
@given(
    token=omittable(token_argument(preference_tokens())),
    input=omittable(update_inputs),
    signed_in=st.booleans(),
)
def test_email_preferences_update(apis, token, input, signed_in):
    before = state()
    answer = apis[signed_in].post(UPDATE, _variables(token=token, input=input))
    payload = mutation_outcome(answer, "emailPreferencesUpdate", before)
    if failed(payload):
        return
    assert payload["preferences"] is not None, payload
    items = input.get("categories") or []
    for item in items if isinstance(items, list) else [items]:
        assert item["category"] in CATEGORIES, payload
        if CATEGORIES[item["category"]].transactional:
            assert item["subscribed"] is True, payload


UNSUBSCRIBE = (
    "mutation Unsubscribe($token: String, $category: String, $everything: Boolean) {"
    " emailUnsubscribe(token: $token, category: $category, everything: $everything) {"
    " ecrmErrors { field message code } preferences {" + PREFERENCES_FIELDS + "} } }"
)


@settings(fuzz, max_examples=90)
@given(
    token=omittable(token_argument(preference_tokens())),
    category=omittable(mostly(category_slugs, any_json)),
    everything=omittable(mostly(st.booleans(), any_json)),
    signed_in=st.booleans(),
)
def test_email_unsubscribe(apis, token, category, everything, signed_in):
    before = state()
    answer = apis[signed_in].post(
        UNSUBSCRIBE, _variables(token=token, category=category, everything=everything)
    )
    payload = mutation_outcome(answer, "emailUnsubscribe", before)
    if failed(payload):
        return
    preferences = payload["preferences"]
    assert preferences is not None, payload
    if everything is True:
        assert preferences["marketingOptOut"] is True, payload


SUBSCRIBE = (
    "mutation Subscribe($email: String) {"
    " newsletterSubscribe(email: $email) { ecrmErrors { field message code } } }"
)


@settings(fuzz, max_examples=90)
@given(email=omittable(mostly(email_values, any_json)), signed_in=st.booleans())
@example(email=LONG_EMAIL, signed_in=False)
def test_newsletter_subscribe(apis, email, signed_in):
    before = state()
    answer = apis[signed_in].post(SUBSCRIBE, _variables(email=email))
    payload = mutation_outcome(answer, "newsletterSubscribe", before)
    if failed(payload):
        return
    if isinstance(email, str):
        normalise_email(email)  # only a valid address is accepted
    else:
        assert email in (_OMIT, None) and signed_in, payload


CONFIRM = (
    "mutation Confirm($token: String!) { newsletterConfirm(token: $token) {"
    " ecrmErrors { field message code } preferences {" + PREFERENCES_FIELDS + "} } }"
)


@settings(fuzz, max_examples=80)
@given(token=omittable(token_argument(newsletter_tokens())), signed_in=st.booleans())
def test_newsletter_confirm(apis, token, signed_in):
    before = state()
    answer = apis[signed_in].post(CONFIRM, _variables(token=token))
    payload = mutation_outcome(answer, "newsletterConfirm", before)
    if failed(payload):
        return
    expected = newsletter_token_email(token) if isinstance(token, str) else None
    assert expected is not None, ("confirmed with a token that is not valid", payload)
    assert payload["preferences"]["email"] == expected
    assert payload["preferences"]["newsletter"] == NewsletterStatus.CONFIRMED


KNOWN_STATES = ["contact", "pending", "confirmed", "opted_out", "suppressed", "asked"]


@settings(fuzz, max_examples=30)
@given(
    email=st.one_of(pool_emails, st.emails()),
    known_as=st.sampled_from(KNOWN_STATES),
)
@example(email=LONG_EMAIL, known_as="confirmed")
def test_newsletter_subscribe_answers_alike_for_known_and_unknown(
    apis, email, known_as
):
    try:
        address = normalise_email(email)
    except PreferenceError:
        address = "someone@example.com"  # only addresses the shop would accept
    local, domain = address.rsplit("@", 1)
    # each example: a fresh pair of addresses, one the shop knows, one it never saw
    stamp = f"{time.monotonic_ns() % 10**9}"
    known, unknown = (
        f"{local[:50].rstrip('.')}.{kind}{stamp}@{domain}" for kind in "ku"
    )
    assume(_accepted(known) and _accepted(unknown))
    if known_as == "asked":
        apis[False].post(SUBSCRIBE, {"email": known})
    else:
        EmailContact.objects.create(
            email=known,
            newsletter={"pending": "pending", "confirmed": "confirmed"}.get(
                known_as, "none"
            ),
            marketing_opt_out=known_as == "opted_out",
            suppressed_at=timezone.now() if known_as == "suppressed" else None,
        )

    _, _, known_body = apis[False].post(SUBSCRIBE, {"email": known})
    _, _, unknown_body = apis[False].post(SUBSCRIBE, {"email": unknown})

    assert known_body == unknown_body, (known_as, known_body, unknown_body)
    # beside it, Saleor 3.21 reports every operation's cost (``extensions``)
    assert "errors" not in known_body, known_body
    assert known_body["data"] == {"newsletterSubscribe": {"ecrmErrors": []}}


# ---------------------------------------------------------------------------------
# HTML pages

PAGES = {
    "unsubscribe": ("/ecrm/unsubscribe/", preference_tokens()),
    "preferences": ("/ecrm/preferences/", preference_tokens()),
    "newsletter_confirm": ("/ecrm/newsletter/confirm/", newsletter_tokens()),
}
FORM_KEYS = [
    "List-Unsubscribe",
    "scope",
    "marketing_opt_out",
    "csrfmiddlewaretoken",
] + [f"category_{slug}" for slug in SLUGS]
FORM_VALUES = ["One-Click", "one-click", "category", "all", "on", "off", "", "true"]
METHODS = ["GET", "GET", "POST", "POST", "POST", "PUT", "DELETE", "HEAD"]
RAW_SUFFIXES = ["%FF", "%00", "%C0%AF", "%ED%A0%80", "%2F", "%252F", "..%2F"]

MEANINGFUL_FORMS = [
    [("List-Unsubscribe", "One-Click")],
    [("scope", "all")],
    [("scope", "category")],
    [(f"category_{slug}", "on") for slug in SLUGS[::2]] + [("marketing_opt_out", "on")],
]
random_fields = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(FORM_KEYS), hostile_text),
        st.one_of(st.sampled_from(FORM_VALUES), hostile_text),
    ),
    max_size=8,
)
form_fields = st.one_of(
    st.tuples(st.sampled_from(MEANINGFUL_FORMS), random_fields).map(
        lambda parts: parts[1] + parts[0]  # the meaningful value comes last, and wins
    ),
    random_fields,
)


def _urlencoded(fields: List[Tuple[str, str]]) -> bytes:
    # surrogatepass: invalid UTF-8 on the wire, as a hostile client may send
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode("ascii")


def _routed_to_page(path: str) -> bool:
    """True when the path, decoded as Django decodes it, reaches one of our pages."""
    path_info = repercent_broken_unicode(unquote_to_bytes(path)).decode()
    try:
        return resolve(path_info).namespace == "ecrm"
    except Resolver404:
        return False


@pytest.mark.parametrize("page", sorted(PAGES))
@settings(fuzz, max_examples=90)
@given(
    data=st.data(),
    raw_suffix=st.one_of(st.just(""), st.sampled_from(RAW_SUFFIXES)),
    method=st.sampled_from(METHODS),
    fields=form_fields,
    encoding=st.sampled_from(["urlencoded", "multipart", "json"]),
)
def test_pages(shop, page, data, raw_suffix, method, fields, encoding):
    prefix, tokens = PAGES[page]
    token = data.draw(tokens, label="token")
    path = prefix + quote(token, safe="", errors="surrogatepass") + raw_suffix + "/"
    client = Client(raise_request_exception=False)
    before = state()

    if method == "GET":
        response = client.get(path + "?" + _urlencoded(fields).decode())
    elif method == "POST" and encoding == "urlencoded":
        response = client.post(
            path, _urlencoded(fields), content_type="application/x-www-form-urlencoded"
        )
    elif method == "POST" and encoding == "multipart":
        safe = [
            (key, value)
            for key, value in fields
            if _no_surrogates(key + value) and not set('"\r\n') & set(key)
        ]
        response = client.post(path, dict(safe))
    elif method == "POST":
        response = client.post(path, dict(fields), content_type="application/json")
    else:
        response = client.generic(method, path)
    text = response.content.decode("utf-8", "replace")
    event(f"{page} {method} {response.status_code}")

    assert response.status_code != 500, _explain(response, text)
    if response.status_code == 404:
        assert not _routed_to_page(path), path
        assert state() == before
        return
    assert response.status_code in (200, 400, 405), (response.status_code, text[:500])
    assert_no_traceback(text)

    read = (
        preferences_token_email
        if page != "newsletter_confirm"
        else (newsletter_token_email)
    )
    if method != "POST" or raw_suffix or read(token) is None:
        assert state() == before, "written without a valid token and a POST"
    if response.status_code != 200:
        assert state() == before, ("written on error", response.status_code)
