"""The signed links of emails: Django's ``signing`` as the host's Django does it, links
already sent (made by the code before this one, SHA-1 on Django 3.0) still work for
their lifetime, and a link past its maximum age or forged changes nothing.

The literal tokens below were made by the previous token code (a hand-derived
HMAC-SHA1 key, ``baseconv`` timestamps) under the test settings' ``SECRET_KEY`` at
2026-03-02 09:30:00 UTC; freezegun moves the clock around that moment.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client, override_settings
from freezegun import freeze_time

from saleor_ecrm_plugin.preferences import tokens
from saleor_ecrm_plugin.preferences.models import EmailContact
from saleor_ecrm_plugin.reviews import tokens as review_tokens

MADE_AT = "2026-03-02 09:30:00"
#: make_preferences_token("ada.lovelace@example.org", "abandoned_checkout")
MAIN_UNSUBSCRIBE_TOKEN = (
    "eyJlIjoiYWRhLmxvdmVsYWNlQGV4YW1wbGUub3JnIiwiYyI6ImFiYW5kb25lZF9jaGVja291dCJ9"
    ":1vwzbE:aFLTkg7Kfe_42yXmcPAQeecvOW0"
)
#: make_preferences_token("grace.hopper." + "x" * 80 + "@example.org", "newsletter"),
#: long enough to be compressed
MAIN_COMPRESSED_TOKEN = (
    ".eJyrVkpVslJKL0pMTtXLyC8oSC3Sq6AycEitSMwtyEnVyy9KV9JRSgbal5daXpyTWlKSWqRUCwAr7TbM"
    ":1vwzbE:fh9WG8qrzF7-rFfnPpjCzgjLP5M"
)
WITHIN_A_YEAR = "2027-03-01 09:30:00"
MORE_THAN_A_YEAR = "2027-03-03 09:30:00"


def _one_click(token: str):
    # what a mailbox provider POSTs (RFC 8058): no cookie, no CSRF token
    return Client().post(
        f"/ecrm/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )


def test_the_test_settings_key_is_the_one_the_literal_tokens_were_made_with():
    assert settings.SECRET_KEY == "ecrm-demo-key-not-secret-change-me-in-production"


def test_a_one_click_link_sent_by_the_previous_code_still_unsubscribes(shop):
    with freeze_time(WITHIN_A_YEAR):
        response = _one_click(MAIN_UNSUBSCRIBE_TOKEN)
    assert response.status_code == 200
    assert "no longer receive" in response.content.decode()
    contact = EmailContact.objects.get(email="ada.lovelace@example.org")
    assert contact.opted_out_categories == ["abandoned_checkout"]
    assert contact.consent_events.get().source == "one_click"


def test_a_compressed_token_of_the_previous_code_still_reads():
    with freeze_time(WITHIN_A_YEAR):
        claims = tokens.read_preferences_token(MAIN_COMPRESSED_TOKEN)
    assert claims.email == "grace.hopper." + "x" * 80 + "@example.org"
    assert claims.category == "newsletter"


def test_a_link_older_than_a_year_is_refused_with_a_clear_page_and_changes_nothing(
    shop,
):
    with freeze_time(MORE_THAN_A_YEAR):
        response = _one_click(MAIN_UNSUBSCRIBE_TOKEN)
        page = Client().get(f"/ecrm/preferences/{MAIN_UNSUBSCRIBE_TOKEN}/")
    assert response.status_code == 400
    assert "This link has expired." in response.content.decode()
    assert page.status_code == 400
    assert "This link has expired." in page.content.decode()
    assert not EmailContact.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # signature
        lambda t: t.replace("eyJlIjoiYWRh", "eyJlIjoiYm9i", 1),  # payload
        lambda t: t.replace(":1vwzbE:", ":1vwzbF:", 1),  # timestamp
    ],
    ids=["signature", "payload", "timestamp"],
)
def test_a_forged_link_is_refused_with_a_clear_page_and_changes_nothing(shop, change):
    forged = change(MAIN_UNSUBSCRIBE_TOKEN)
    assert forged != MAIN_UNSUBSCRIBE_TOKEN
    with freeze_time(WITHIN_A_YEAR):
        response = _one_click(forged)
    assert response.status_code == 400
    assert "This link is not valid." in response.content.decode()
    assert not EmailContact.objects.exists()


def test_links_are_djangos_signing_dumps_and_read_by_signing_loads():
    payload = {"e": "ada@example.org", "c": "newsletter"}
    with freeze_time(MADE_AT):
        ours = tokens.dumps(payload, tokens.PREFERENCES_SALT)
        assert ours == signing.dumps(
            payload, salt=tokens.PREFERENCES_SALT, compress=True
        )
        assert signing.loads(ours, salt=tokens.PREFERENCES_SALT) == payload
        with pytest.raises(signing.BadSignature):  # salts keep the links apart
            signing.loads(ours, salt=tokens.NEWSLETTER_SALT)
        with pytest.raises(tokens.InvalidToken):
            tokens.read_newsletter_token(ours)
        with override_settings(SECRET_KEY="another-key-" + "x" * 40):
            with pytest.raises(tokens.InvalidToken):
                tokens.read_preferences_token(ours)


@pytest.mark.parametrize(
    "make, read, max_age",
    [
        (
            lambda: tokens.make_preferences_token("ada@example.org", "newsletter"),
            tokens.read_preferences_token,
            365 * 24 * 3600,
        ),
        (
            lambda: tokens.make_newsletter_token("ada@example.org"),
            tokens.read_newsletter_token,
            7 * 24 * 3600,
        ),
        (
            lambda: review_tokens.make_review_token(7, 3, "ada@example.org"),
            review_tokens.read_review_token,
            120 * 24 * 3600,
        ),
    ],
    ids=["preferences", "newsletter", "review"],
)
def test_every_link_has_its_maximum_age(make, read, max_age):
    with freeze_time(MADE_AT) as clock:
        token = make()
        clock.tick(max_age - 60)
        read(token)
        clock.tick(120)
        with pytest.raises(tokens.InvalidToken, match="expired"):
            read(token)


@pytest.mark.skipif(
    not tokens._SIGNER_TAKES_ALGORITHM,
    reason="Django 3.0 signs with SHA-1 only: there is no other algorithm to read",
)
def test_on_a_django_that_signs_sha256_new_links_are_sha256():
    with freeze_time(MADE_AT):
        token = tokens.make_preferences_token("ada@example.org")
        assert len(token.rsplit(":", 1)[1]) == 43  # base64 of 32 bytes
        with freeze_time(WITHIN_A_YEAR):
            assert tokens.read_preferences_token(MAIN_UNSUBSCRIBE_TOKEN).email == (
                "ada.lovelace@example.org"
            )


@pytest.mark.skipif(
    not hasattr(settings, "SECRET_KEY_FALLBACKS"),
    reason="SECRET_KEY_FALLBACKS is Django >= 4.1's",
)
def test_a_rotated_key_in_secret_key_fallbacks_still_reads_old_links():
    old_key = settings.SECRET_KEY
    with freeze_time(WITHIN_A_YEAR):
        new = tokens.make_preferences_token("ada@example.org")
        with override_settings(
            SECRET_KEY="rotated-" + "x" * 50, SECRET_KEY_FALLBACKS=[old_key]
        ):
            tokens.read_preferences_token(MAIN_UNSUBSCRIBE_TOKEN)
            tokens.read_preferences_token(new)
        with override_settings(SECRET_KEY="rotated-" + "x" * 50):
            with pytest.raises(tokens.InvalidToken):
                tokens.read_preferences_token(new)
