"""Email preferences: one-click unsubscribe from a real email, the GraphQL API,
consent, the sending policy and provider suppression."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.ledger import PlannedSend, plan_send
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service
from saleor_ecrm_plugin.preferences.models import (
    ConsentAction,
    ConsentEvent,
    EmailContact,
    NewsletterStatus,
)
from saleor_ecrm_plugin.preferences.tokens import (
    make_newsletter_token,
    make_preferences_token,
)
from tests.configuration import configure_plugin
from tests.graphql import ApiClient
from tests.programs import plan_promo

pytestmark = pytest.mark.django_db

OPEN = {"consent_mode": "everyone", "quiet_hours": "", "frequency_cap": ""}

PREFERENCES = """
query Prefs($token: String) {
  emailPreferences(token: $token) {
    email marketingOptOut newsletter
    categories { category subscribed canUnsubscribe }
  }
}
"""
UPDATE = """
mutation Update($token: String, $input: EmailPreferencesInput!) {
  emailPreferencesUpdate(token: $token, input: $input) {
    preferences { email categories { category subscribed } }
    ecrmErrors { field code message }
  }
}
"""
UNSUBSCRIBE = """
mutation Unsub($token: String, $category: String, $everything: Boolean) {
  emailUnsubscribe(token: $token, category: $category, everything: $everything) {
    preferences { email marketingOptOut categories { category subscribed } }
    ecrmErrors { field code message }
  }
}
"""
SUBSCRIBE = """
mutation Sub($email: String) {
  newsletterSubscribe(email: $email) { ecrmErrors { field code message } }
}
"""
CONFIRM = """
mutation Confirm($token: String!) {
  newsletterConfirm(token: $token) {
    preferences { newsletter }
    ecrmErrors { field code message }
  }
}
"""


def _subscribed(preferences, slug):
    return {c["category"]: c["subscribed"] for c in preferences["categories"]}[slug]


@pytest.fixture
def customer(db):
    from saleor.account.models import User

    return User.objects.create_user("ada@example.org", "correct-horse-1")


def _counts():
    return (
        EmailContact.objects.count(),
        ConsentEvent.objects.count(),
        ScheduledSend.objects.count(),
    )


# --- one click, from a real email ---------------------------------------------


def test_one_click_unsubscribe_from_a_received_email_stops_the_next_send(
    shop, smtp_server
):
    configure_plugin(**OPEN)
    plan_promo("ada@example.org", "1")
    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)

    header = str(received.message["List-Unsubscribe"]).strip()
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert header.startswith("<") and header.endswith(">")
    url = urlparse(header[1:-1])
    assert url.path.startswith("/ecrm/unsubscribe/")

    mailbox_provider = Client()  # no cookie, no CSRF token
    # a link scanner's GET shows a page and changes nothing
    page = mailbox_provider.get(url.path)
    assert page.status_code == 200
    assert b"News and recommendations" in page.content
    assert not EmailContact.objects.exists()

    response = mailbox_provider.post(url.path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    contact = EmailContact.objects.get(email="ada@example.org")
    assert contact.opted_out_categories == ["newsletter"]
    assert contact.consent_events.get().source == "one_click"

    plan_promo("ada@example.org", "2")
    report = Dispatcher().run()
    assert report.skipped == 1 and report.sent == 0
    assert ScheduledSend.objects.get(subject_id="2").skip_reason == (
        "unsubscribed_category"
    )
    assert len(smtp_server.messages) == 1


def test_unsubscribe_page_with_a_forged_token_changes_nothing(shop):
    token = make_preferences_token("ada@example.org", "newsletter")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    response = Client().post(f"/ecrm/unsubscribe/{forged}/", {"scope": "all"})
    assert response.status_code == 400
    assert b"not valid" in response.content
    assert not EmailContact.objects.exists()


# --- GraphQL ---------------------------------------------------------------------


def test_signed_in_customer_reads_and_updates_own_preferences(customer):
    client = ApiClient(customer)
    prefs = client.post(PREFERENCES)["data"]["emailPreferences"]
    assert prefs["email"] == "ada@example.org"
    assert _subscribed(prefs, "reviews") is True
    order = [c for c in prefs["categories"] if c["category"] == "order"][0]
    assert order == {"category": "order", "subscribed": True, "canUnsubscribe": False}

    result = client.post(
        UPDATE,
        {"input": {"categories": [{"category": "reviews", "subscribed": False}]}},
    )["data"]["emailPreferencesUpdate"]
    assert result["ecrmErrors"] == []
    assert _subscribed(result["preferences"], "reviews") is False
    assert service.get_preferences("ada@example.org").categories["reviews"] is False


def test_guest_with_a_token_unsubscribes_from_the_links_category(db):
    token = make_preferences_token("guest@example.org", "abandoned_checkout")
    prefs = ApiClient().post(PREFERENCES, {"token": token})["data"]["emailPreferences"]
    assert prefs["email"] == "guest@example.org"

    result = ApiClient().post(UNSUBSCRIBE, {"token": token})["data"]["emailUnsubscribe"]
    assert result["ecrmErrors"] == []
    assert _subscribed(result["preferences"], "abandoned_checkout") is False
    assert _subscribed(result["preferences"], "reviews") is True

    everything = ApiClient().post(UNSUBSCRIBE, {"token": token, "everything": True})
    assert everything["data"]["emailUnsubscribe"]["preferences"]["marketingOptOut"]


def test_forged_token_is_refused_and_changes_nothing(db):
    token = make_preferences_token("guest@example.org")
    forged = token.replace(token[-5:], "xxxxx")
    before = _counts()
    for query, variables in (
        (UPDATE, {"token": forged, "input": {"marketingOptOut": True}}),
        (UNSUBSCRIBE, {"token": forged, "everything": True}),
    ):
        data = ApiClient().post(query, variables)["data"]
        [payload] = data.values()
        [error] = payload["ecrmErrors"]
        assert error["field"] == "token" and "not valid" in error["message"]
        # the plugin's own code reaches the client (Saleor would say INVALID)
        assert error["code"] == "INVALID_TOKEN"
    reading = ApiClient().post(PREFERENCES, {"token": forged})
    assert reading["data"]["emailPreferences"] is None
    assert "not valid" in reading["errors"][0]["message"]
    confirm = ApiClient().post(CONFIRM, {"token": forged})["data"]["newsletterConfirm"]
    assert confirm["ecrmErrors"][0]["field"] == "token"
    assert confirm["ecrmErrors"][0]["code"] == "INVALID_TOKEN"
    assert _counts() == before


def test_anonymous_without_token_must_sign_in(db):
    result = ApiClient().post(UPDATE, {"input": {"marketingOptOut": True}})
    [error] = result["data"]["emailPreferencesUpdate"]["ecrmErrors"]
    assert error["field"] == "token" and error["code"] == "REQUIRED"
    assert _counts() == (0, 0, 0)


def test_order_emails_cannot_be_turned_off(customer):
    result = ApiClient(customer).post(
        UPDATE, {"input": {"categories": [{"category": "order", "subscribed": False}]}}
    )["data"]["emailPreferencesUpdate"]
    [error] = result["ecrmErrors"]
    assert error["field"] == "categories" and "always sent" in error["message"]
    assert not EmailContact.objects.exists()


def test_newsletter_answer_does_not_reveal_whether_an_address_is_known(customer):
    service.request_newsletter("known@example.org", "test")
    service.confirm_newsletter("known@example.org", "test")
    known = ApiClient().post(SUBSCRIBE, {"email": "known@example.org"})
    unknown = ApiClient().post(SUBSCRIBE, {"email": "nobody@example.org"})
    account = ApiClient().post(SUBSCRIBE, {"email": "ada@example.org"})
    assert known == unknown == account
    assert known["data"]["newsletterSubscribe"]["ecrmErrors"] == []
    # the unknown address gets a confirmation email, the confirmed one no new one
    planned = set(
        ScheduledSend.objects.filter(program="newsletter_confirmation").values_list(
            "recipient", flat=True
        )
    )
    assert planned == {"known@example.org", "nobody@example.org", "ada@example.org"}
    assert ScheduledSend.objects.filter(recipient="known@example.org").count() == 1


def test_double_opt_in_through_the_emailed_link(shop, smtp_server):
    configure_plugin(**OPEN)
    ApiClient().post(SUBSCRIBE, {"email": "new@example.org"})
    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)
    assert "Confirm your subscription" in received.message["Subject"]
    token_part = received.text.split("/ecrm/newsletter/confirm/")[1].split()[0]
    url = "/ecrm/newsletter/confirm/" + token_part
    assert Client().get(url).status_code == 200  # GET confirms nothing
    assert EmailContact.objects.get().newsletter == NewsletterStatus.PENDING
    assert Client().post(url).status_code == 200
    assert EmailContact.objects.get().newsletter == NewsletterStatus.CONFIRMED

    token = make_newsletter_token("other@example.org")
    result = ApiClient().post(CONFIRM, {"token": token})["data"]["newsletterConfirm"]
    assert result["preferences"]["newsletter"] == "confirmed"


# --- consent and sending policy --------------------------------------------------


def test_marketing_without_consent_is_skipped_under_opt_in_only(shop, smtp_server):
    configure_plugin(**{**OPEN, "consent_mode": "opt_in_only"})
    plan_promo("ada@example.org", "1")
    service.record_consent("bob@example.org", "newsletter", "checkout_box")
    plan_promo("bob@example.org", "2")
    report = Dispatcher().run()
    assert (report.sent, report.skipped) == (1, 1)
    assert ScheduledSend.objects.get(subject_id="1").skip_reason == "no_consent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["bob@example.org"]]


def test_quiet_hours_delay_marketing_until_they_end(shop, smtp_server):
    hour = timezone.now().hour
    quiet = f"{hour}-{(hour + 2) % 24}"
    configure_plugin(**{**OPEN, "quiet_hours": quiet, "shop_timezone": "UTC"})
    plan_promo("ada@example.org")
    report = Dispatcher().run()
    assert report.deferred == 1 and smtp_server.messages == []
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.PLANNED and send.attempts == 0
    end = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    assert send.next_attempt_at == end


def test_frequency_cap_delays_instead_of_dropping(shop, smtp_server):
    configure_plugin(**{**OPEN, "frequency_cap": "1/7"})
    plan_promo("ada@example.org", "1")
    assert Dispatcher().run().sent == 1
    plan_promo("ada@example.org", "2")
    assert Dispatcher().run().deferred == 1
    second = ScheduledSend.objects.get(subject_id="2")
    first = ScheduledSend.objects.get(subject_id="1")
    assert second.status == SendStatus.PLANNED
    assert second.next_attempt_at == first.sent_at + timedelta(days=7)


def test_a_hard_bounce_reported_by_the_provider_stops_marketing(shop, smtp_server):
    configure_plugin(**OPEN)
    bounce = {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": "ada@example.org",
        "MessageID": "00000000-0000-0000-0000-000000000000",
        "BouncedAt": "2026-11-23T10:00:00Z",
        "Description": "The server was unable to deliver your message",
    }
    auth = base64.b64encode(b"ecrm:demo-webhook-secret").decode()
    response = Client().post(
        "/anymail/postmark/tracking/",
        json.dumps(bounce),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )
    assert response.status_code == 200
    assert EmailContact.objects.get().suppression_reason == "hard_bounce"

    plan_promo("ada@example.org")
    plan_send(
        PlannedSend("test_ping", "ping", "ada@example.org", "test", "9", timezone.now())
    )
    report = Dispatcher().run()
    assert report.skipped == 2
    assert set(ScheduledSend.objects.values_list("skip_reason", flat=True)) == {
        "suppressed"
    }
    assert smtp_server.messages == []


def test_newsletter_status_and_category_agree_at_every_step(shop, smtp_server):
    """``emailPreferences`` answers the newsletter status and the newsletter
    category alike: subscribed only for a confirmed subscription still on."""
    configure_plugin(**OPEN)
    token = make_preferences_token("ada@example.org")
    api = ApiClient()

    def newsletter():
        answer = api.post(PREFERENCES, {"token": token})["data"]["emailPreferences"]
        return answer["newsletter"], _subscribed(answer, "newsletter")

    # a shop's new address: never subscribed, so the category is off too
    assert newsletter() == ("none", False)

    # double opt-in through the emailed link
    api.post(SUBSCRIBE, {"email": "ada@example.org"})
    assert newsletter() == ("pending", False)
    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)
    confirm_path = (
        "/ecrm/newsletter/confirm/"
        + (received.text.split("/ecrm/newsletter/confirm/")[1].split()[0])
    )
    assert Client().post(confirm_path).status_code == 200
    assert newsletter() == ("confirmed", True)

    # "nothing but order emails" stops the newsletter too; turning it back on
    # brings back the confirmed subscription
    api.post(UNSUBSCRIBE, {"token": token, "everything": True})
    assert newsletter() == ("none", False)
    api.post(UPDATE, {"token": token, "input": {"marketingOptOut": False}})
    assert newsletter() == ("confirmed", True)

    # turning the category off unsubscribes from the newsletter
    api.post(UNSUBSCRIBE, {"token": token, "category": "newsletter"})
    assert newsletter() == ("none", False)
    assert EmailContact.objects.get().newsletter == NewsletterStatus.NONE

    # ticking it with the emailed token (the address is proven) subscribes again
    result = api.post(
        UPDATE,
        {
            "token": token,
            "input": {"categories": [{"category": "newsletter", "subscribed": True}]},
        },
    )["data"]["emailPreferencesUpdate"]
    assert result["ecrmErrors"] == []
    assert _subscribed(result["preferences"], "newsletter") is True
    assert newsletter() == ("confirmed", True)
    contact = EmailContact.objects.get()
    assert "newsletter" not in contact.opted_out_categories
    scopes = contact.consent_events.filter(scope="newsletter")
    assert list(scopes.values_list("action", "source")) == [
        (ConsentAction.REQUESTED, "graphql"),
        (ConsentAction.GRANTED, "double_opt_in"),
        (ConsentAction.WITHDRAWN, "graphql"),
        (ConsentAction.GRANTED, "graphql"),
    ]
