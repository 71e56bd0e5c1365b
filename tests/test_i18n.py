"""Every email in the customer's language and at the customer's hour.

A checkout's language is what the storefront records on it (Saleor 2.10 has no
field for it: the checkout's public metadata ``language_code``, which Saleor's
``updateMetadata`` lets a storefront set without a token; Saleor 3.21's own
``checkoutLanguageCodeUpdate``: :func:`tests.graphql.record_checkout_language`); the
reminders are read
back from a real SMTP server. Quiet hours use the time zone of the checkout's
address. The message catalogues are compiled by ``.ci/catalogues``, which fails
on a broken one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List

import pytest
import pytz
from django.template import Context, Template
from django.test import Client
from django.utils import translation
from freezegun import freeze_time

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.host.port import CustomerLocale
from saleor_ecrm_plugin.localisation import (
    LOCALE_DIR,
    customer_time_zone,
    email_language,
    inferred_time_zone,
)
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import PROGRAM_ID
from tests.configuration import configure_plugin
from tests.factories import make_category, make_product
from tests.graphql import ADDRESS, create_checkout, line, record_checkout_language

ROOT = Path(__file__).resolve().parents[1]

PARIS_ADDRESS = {
    "firstName": "Amélie",
    "lastName": "Poulain",
    "streetAddress1": "15 rue Lepic",
    "city": "Paris",
    "postalCode": "75018",
    "country": "FR",
}
NEW_YORK_ADDRESS = {
    "firstName": "Ada",
    "lastName": "Lovelace",
    "streetAddress1": "350 Fifth Avenue",
    "city": "New York",
    "postalCode": "10118",
    "country": "US",
    "countryArea": "NY",
}
PLUGIN_VALUES = {
    "abandoned_enabled": True,
    "abandoned_consent_mode": "everyone",
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
}


def new_checkout(api_client, email: str, product, address: Dict[str, str]) -> str:
    """Saleor's checkoutCreate of two units of ``product``: the checkout's id."""
    return create_checkout(api_client, email, [line(product, 2)], address)


def checkout_token(checkout_id: str) -> str:
    import graphene

    return graphene.Node.from_global_id(checkout_id)[1]


def speak(api_client, checkout_id: str, language: str) -> None:
    """What a storefront does: record the checkout's language on it (its own
    ``languageCode`` on Saleor 3.21, a metadata key on 2.10)."""
    record_checkout_language(api_client, checkout_id, language)


def make_step_one_due(token: str) -> None:
    ScheduledSend.objects.filter(program=PROGRAM_ID, subject_id=token).exclude(
        step="step1"
    ).delete()
    ScheduledSend.objects.filter(program=PROGRAM_ID, subject_id=token).update(
        next_attempt_at=datetime(2000, 1, 1, tzinfo=pytz.utc)
    )


# --- the language of an email -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_french_checkout_gets_french_reminders_an_english_one_english(
    shop, smtp_server, api_client
):
    configure_plugin(**PLUGIN_VALUES)
    lamp = make_product(
        "Lampe tempête", category=make_category("Camping"), price="15.50"
    )
    french = new_checkout(api_client, "amelie@example.fr", lamp, PARIS_ADDRESS)
    speak(api_client, french, "fr")
    english = new_checkout(api_client, "grace@example.com", lamp, ADDRESS)
    for checkout_id in (french, english):
        make_step_one_due(checkout_token(checkout_id))

    assert Dispatcher().run().sent == 2
    by_recipient = {m.rcpt_tos[0]: m for m in smtp_server.wait_for(2)}
    fr, en = by_recipient["amelie@example.fr"], by_recipient["grace@example.com"]

    assert fr.subject == "Amélie, votre panier vous attend"
    assert "Bonjour Amélie," in fr.text
    assert "vous avez laissé ces articles dans votre panier :" in fr.text
    # prices in the French way: decimal comma, the currency after the amount
    assert "2 x Lampe tempête: 31,00\xa0$US" in fr.text
    assert "Total : 31,00\xa0$US" in fr.text
    assert "Retrouver mon panier" in fr.html
    assert '<html lang="fr">' in fr.html
    assert "Préférences d’e-mails" in fr.html
    # the footer's links open the pages in French
    assert re.search(r"/ecrm/preferences/[^/]+/\?lang=fr", fr.text)
    assert fr.message["List-Unsubscribe"].endswith("?lang=fr>")

    assert en.subject == "Grace, your cart is waiting"
    assert "you left these items in your cart:" in en.text
    assert "2 x Lampe tempête: $31.00" in en.text
    assert "Total: $31.00" in en.text
    assert '<html lang="en">' in en.html
    assert "?lang=" not in en.text


@pytest.mark.saleor210(reason="Saleor 3.21 lists fr-ca among its languages")
@pytest.mark.django_db
def test_the_language_falls_back_from_the_purchase_to_the_shop(settings):
    settings.LANGUAGE_CODE = "en"
    assert email_language(CustomerLocale(language="fr")) == "fr"
    assert email_language(CustomerLocale(language="fr-CA")) == "fr"
    # a language the shop does not list, or none recorded: the shop's
    assert email_language(CustomerLocale(language="xx")) == "en"
    assert email_language(CustomerLocale()) == "en"
    assert email_language(None) == "en"
    settings.LANGUAGE_CODE = "fr"
    assert email_language(CustomerLocale()) == "fr"


def test_a_msgid_missing_in_french_falls_back_to_english_not_to_a_placeholder():
    template = Template(
        "{% load i18n %}{% trans 'Return to your cart' %} | "
        "{% blocktrans %}{{ name }} waits for a string nobody translated"
        "{% endblocktrans %} | {% blocktrans count n=count %}one entry{% plural %}"
        "{{ n }} entries{% endblocktrans %}"
    )
    with translation.override("fr"):
        rendered = template.render(Context({"name": "Zoé", "count": 3}))
    assert rendered == (
        "Retrouver mon panier | Zoé waits for a string nobody translated | 3 entries"
    )
    assert "%(" not in rendered


# --- the catalogues ------------------------------------------------------------------


#: GNU gettext's msgfmt: .ci/catalogues installs it; elsewhere these tests skip
needs_msgfmt = pytest.mark.skipif(
    shutil.which("msgfmt") is None and not os.environ.get("CI"),
    reason="GNU gettext's msgfmt is not installed (apt-get install gettext)",
)


@needs_msgfmt
def test_the_catalogues_are_complete_and_the_compiled_files_match(tmp_path):
    """English and French: every entry translated, none fuzzy; the committed .mo
    is what the .po compiles to (.ci/catalogues recompiles them before the tests)."""
    for language in ("en", "fr"):
        po = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
        text = po.read_text(encoding="utf-8")
        assert "#, fuzzy" not in text
        stats = subprocess.run(
            [
                "msgfmt",
                "--check",
                "--statistics",
                "-o",
                str(tmp_path / "x.mo"),
                str(po),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        assert "untranslated" not in stats and "fuzzy" not in stats, stats
        compiled = (tmp_path / "x.mo").read_bytes()
        assert (po.with_suffix(".mo")).read_bytes() == compiled


@needs_msgfmt
def test_the_ci_step_fails_on_a_broken_catalogue(tmp_path):
    copy = tmp_path / "locale"
    shutil.copytree(LOCALE_DIR, copy)
    script = ROOT / ".ci" / "catalogues"
    assert subprocess.run(["bash", str(script), str(copy)]).returncode == 0
    po = copy / "fr" / "LC_MESSAGES" / "django.po"
    # a translation that drops its placeholder: Django would fail at render time
    text = po.read_text(encoding="utf-8").replace(
        'msgstr "%(first_name)s, votre panier vous attend"',
        'msgstr "%(prenom)s, votre panier vous attend"',
    )
    po.write_text(text, encoding="utf-8")
    broken = subprocess.run(
        ["bash", str(script), str(copy)], capture_output=True, text=True
    )
    assert broken.returncode != 0
    assert "django.po" in broken.stderr + broken.stdout


# --- the customer's time zone --------------------------------------------------------


def test_the_time_zone_of_an_address():
    assert inferred_time_zone(CustomerLocale(country="FR")) == "Europe/Paris"
    assert inferred_time_zone(CustomerLocale(country="US", region="NY")) == (
        "America/New_York"
    )
    assert inferred_time_zone(CustomerLocale(country="US", region="CA")) == (
        "America/Los_Angeles"
    )
    # several zones and no state that decides: not inferred (the shop's applies)
    assert inferred_time_zone(CustomerLocale(country="US")) is None
    assert inferred_time_zone(CustomerLocale(country="RU", region="X")) is None
    assert inferred_time_zone(CustomerLocale()) is None
    # what the customer told us wins; an unknown name is ignored
    assert customer_time_zone("Asia/Tokyo", None, "UTC") == "Asia/Tokyo"
    assert customer_time_zone("Mars/Olympus", None, "UTC") == "UTC"


@pytest.mark.django_db(transaction=True)
def test_quiet_hours_in_the_customers_inferred_time_zone(shop, smtp_server, api_client):
    """Paris and New York, one shop (UTC), planned at the same instant: each
    reminder leaves at the end of the quiet hours (21-8) of its own morning."""
    configure_plugin(**{**PLUGIN_VALUES, "quiet_hours": "21-8"}, shop_timezone="UTC")
    lamp = make_product("Storm Lamp", category=make_category("Camping"), price="15.50")
    day = (datetime.now(pytz.utc) + timedelta(days=2)).date()
    at = lambda hour, minute=0: datetime(  # noqa: E731
        day.year, day.month, day.day, hour, minute, tzinfo=pytz.utc
    )
    ignore = ["aiosmtpd", "asyncio"]
    with freeze_time(at(1), ignore=ignore):
        paris = checkout_token(
            new_checkout(api_client, "paris@example.fr", lamp, PARIS_ADDRESS)
        )
        new_york = checkout_token(
            new_checkout(api_client, "ny@example.com", lamp, NEW_YORK_ADDRESS)
        )
        for token in (paris, new_york):
            make_step_one_due(token)

    def row(token: str) -> ScheduledSend:
        return ScheduledSend.objects.get(program=PROGRAM_ID, subject_id=token)

    # 04:00 UTC: 05:00 in Paris, 23:00 the evening before in New York
    with freeze_time(at(4), ignore=ignore):
        report = Dispatcher().run()
    assert report.sent == 0 and smtp_server.messages == []
    paris_morning = pytz.timezone("Europe/Paris").localize(
        datetime(day.year, day.month, day.day, 8)
    )
    new_york_morning = pytz.timezone("America/New_York").localize(
        datetime(day.year, day.month, day.day, 8)
    )
    assert row(paris).next_attempt_at == paris_morning
    assert row(new_york).next_attempt_at == new_york_morning
    assert row(paris).next_attempt_at != row(new_york).next_attempt_at

    sent: List[str] = []
    for moment in (paris_morning, new_york_morning):
        with freeze_time(
            moment.astimezone(pytz.utc) + timedelta(minutes=1), ignore=ignore
        ):
            assert Dispatcher().run().sent == 1
        sent = [m.rcpt_tos[0] for m in smtp_server.wait_for(len(sent) + 1)]
    assert sent == ["paris@example.fr", "ny@example.com"]
    assert row(paris).status == row(new_york).status == SendStatus.SENT
    assert row(paris).sent_at.astimezone(pytz.timezone("Europe/Paris")).hour == 8
    assert row(new_york).sent_at.astimezone(pytz.timezone("America/New_York")).hour == 8


# --- the pages -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_opens_in_the_links_language_with_a_switch(shop):
    from saleor_ecrm_plugin.preferences.tokens import make_preferences_token

    token = make_preferences_token("zoe@example.fr")
    french = Client().get(f"/ecrm/preferences/{token}/?lang=fr")
    html = french.content.decode()
    assert french.status_code == 200
    assert '<html lang="fr">' in html
    assert "Enregistrer mes préférences" in html
    assert "Rappels de panier" in html  # a category's label
    assert f'action="/ecrm/preferences/{token}/?lang=fr"' in html
    assert f'href="/ecrm/preferences/{token}/" lang="en"' in html  # the switch
    english = Client().get(f"/ecrm/preferences/{token}/").content.decode()
    assert "Save my preferences" in english
    assert f'href="/ecrm/preferences/{token}/?lang=fr" lang="fr"' in english


# --- no English left in the French emails and pages ----------------------------------

#: every email of ours, with a context that takes each of its branches
EMAILS = {
    "ecrm/abandoned_checkout": [
        {"step": 1},
        {"step": 2},
        {"step": 1, "first_name": ""},
    ],
    "ecrm/abandoned_checkout_last": [{}, {"voucher": "yes"}],
    "ecrm/back_in_stock": [{}, {"subscribed_at": "yes"}],
    "ecrm/review_request": [{}, {"first_name": ""}],
    "ecrm/review_reminder": [{}, {"first_name": ""}],
    "ecrm/review_thank_you": [{}, {"first_name": ""}],
    "ecrm/welcome": [{}, {"first_name": ""}],
    "ecrm/newsletter_confirm": [{}],
}
PAGES = [
    "message.html",
    "newsletter_confirm.html",
    "preferences.html",
    "review.html",
    "review_thanks.html",
    "unsubscribe.html",
]
#: words of English prose that no French sentence of ours contains
ENGLISH_WORDS = re.compile(
    r"\b(the|your|you|and|please|click|order|cart|thank|rating|review)\b", re.I
)


def english_msgids() -> List[str]:
    """The English catalogue's entries whose French differs, cut at placeholders
    into the literal pieces a rendered page would show."""
    import gettext

    with open(LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.mo", "rb") as mo:
        french = gettext.GNUTranslations(mo)
    pieces = []
    for msgid, msgstr in french._catalog.items():  # type: ignore[attr-defined]
        if isinstance(msgid, tuple):
            msgid = msgid[0]
        if not msgid or msgid == msgstr:
            continue
        for piece in re.split(r"%\(\w+\)s|%%", msgid):
            piece = piece.strip(" .,:?!")
            if len(piece) >= 4 and " " in piece or piece in ("Hello", "Unsubscribe"):
                pieces.append(piece)
    return sorted(set(pieces))


def template_msgids() -> List[str]:
    """The French catalogue's msgids that come from a template (``#: templates/``)."""
    po = (LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    found = []
    for block in po.split("\n\n"):
        if (
            not re.search(r"^#:(.* )?templates/", block, re.M)
            or "\nmsgid " not in block
        ):
            continue
        text = block.split("\nmsgid ", 1)[1].split("\nmsgstr", 1)[0]
        found.append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', text)))
    return found


def email_context(overrides: Dict[str, object]) -> Dict[str, object]:
    from datetime import date

    from prices import Money

    context: Dict[str, object] = {
        "shop_name": "La Boutique",
        "storefront_url": "https://boutique.example.fr/",
        "shop_url": "https://boutique.example.fr/",
        "first_name": "Zoé",
        "email_language": "fr",
        "unsubscribe_url": "https://boutique.example.fr/u/?lang=fr",
        "preferences_url": "https://boutique.example.fr/p/?lang=fr",
        "cart_url": "https://boutique.example.fr/panier/",
        "lines": [
            {
                "product_name": "Lampe tempête",
                "variant_name": "Rouge",
                "quantity": 2,
                "unit_price": Money("15.50", "EUR"),
                "total": Money("31.00", "EUR"),
                "image_url": "https://boutique.example.fr/lampe.jpg",
                "product_url": "https://boutique.example.fr/lampe/",
            }
        ],
        "subtotal": Money("31.00", "EUR"),
        "step": 1,
        "voucher": None,
        "product_name": "Lampe tempête",
        "variant_name": "Rouge",
        "product_label": "Lampe tempête (Rouge)",
        "price": Money("15.50", "EUR"),
        "image_url": "https://boutique.example.fr/lampe.jpg",
        "product_url": "https://boutique.example.fr/lampe/",
        "subscribed_at": None,
        "order_number": "1042",
        "products": [
            {
                "name": "Lampe tempête",
                "image_url": "https://boutique.example.fr/lampe.jpg",
                "url": "https://boutique.example.fr/lampe/",
                "review_url": "https://boutique.example.fr/avis/?lang=fr",
                "stars": [
                    (star, f"https://b.example.fr/a/?s={star}") for star in range(1, 6)
                ],
            }
        ],
        "voucher_percentage": 10,
        "voucher_code": "MERCI-10",
        "voucher_end_date": date(2027, 3, 1),
        "confirm_url": "https://boutique.example.fr/confirmer/",
    }
    for key, value in overrides.items():
        if key == "voucher":
            value = {
                "percentage": 15,
                "code": "PANIER-15",
                "end_date": date(2027, 3, 1),
            }
        if key == "subscribed_at":
            value = date(2027, 1, 5)
        context[key] = value
    return context


def visible(html_or_text: str) -> str:
    import html

    without_tags = re.sub(r"<style.*?</style>|<[^>]+>", " ", html_or_text, flags=re.S)
    return re.sub(r"https?://\S+", " ", html.unescape(without_tags))


def gallery_in(language: str) -> Dict[str, str]:
    from django.template.loader import render_to_string

    from saleor_ecrm_plugin.inlining import CssInliningTemplateBackend
    from saleor_ecrm_plugin.preferences.categories import CATEGORIES

    rendered: Dict[str, str] = {}
    with translation.override(language):
        for name, variants in EMAILS.items():
            for number, overrides in enumerate(variants):
                message = CssInliningTemplateBackend().get_email_message(
                    name,
                    {**email_context(overrides), "email_language": language},
                    from_email="boutique@example.fr",
                    to=["zoe@example.fr"],
                )
                [(html, _mimetype)] = message.alternatives
                rendered[f"{name}#{number}"] = "\n".join(
                    (message.subject, message.body, html)
                )
        line = {"product_name": "Lampe tempête", "image_url": ""}
        for page in PAGES:
            for category in (None, CATEGORIES["reviews"]):
                rendered[f"{page}/{category.slug if category else None}"] = (
                    render_to_string(
                        f"ecrm/pages/{page}",
                        {
                            "shop_name": "La Boutique",
                            "token": "abc",
                            "title": "Merci",
                            "message": "Votre commentaire est enregistré.",
                            "email": "zoe@example.fr",
                            "rows": [
                                {"category": c, "subscribed": True}
                                for c in CATEGORIES.values()
                            ],
                            "saved": True,
                            "category": category,
                            "line": line if category else None,
                            "stars": (1, 2, 3, 4, 5),
                            "rating": 4,
                            "review": {"rating": 4, "comment": ""},
                            "error": "",
                        },
                    )
                )
    return rendered


@pytest.mark.saleor210(reason="the demo gallery includes Saleor 2.10's order emails")
def test_no_english_left_in_the_french_emails_and_pages():
    gallery = gallery_in("fr")
    msgids = english_msgids()
    assert len(msgids) > 80
    # the scan finds what it looks for: the English gallery is full of those its
    # templates hold (the others are messages of the code: API errors...)
    english = " ".join(visible(content) for content in gallery_in("en").values())
    shown = [m for m in msgids if any(m in full for full in template_msgids())]
    assert len([msgid for msgid in shown if msgid in english]) > 0.7 * len(shown)
    leftovers = {
        name: [msgid for msgid in msgids if msgid in visible(content)]
        for name, content in gallery.items()
    }
    assert {name: found for name, found in leftovers.items() if found} == {}
    words = {
        name: ENGLISH_WORDS.findall(visible(content))
        for name, content in gallery.items()
    }
    assert {name: found for name, found in words.items() if found} == {}
    # and the French is there: one sentence of each email
    assert "votre panier vous attend" in gallery["ecrm/abandoned_checkout#0"]
    assert "est de retour en stock" in gallery["ecrm/back_in_stock#1"]
    assert "Qu’en pensez-vous" in gallery["ecrm/review_request#0"]
    assert "15,50\xa0€" in gallery["ecrm/back_in_stock#0"]  # French price format
    assert "5 janvier 2027" in gallery["ecrm/back_in_stock#1"]  # French date


# --- the time zone the customer tells us ----------------------------------------------

SET_TIME_ZONE = """
mutation Tz($token: String, $input: EmailPreferencesInput!) {
  emailPreferencesUpdate(token: $token, input: $input) {
    preferences { timeZone }
    ecrmErrors { field code message }
  }
}
"""


@pytest.mark.django_db
def test_the_customer_tells_us_their_time_zone_by_the_api_and_the_page(shop):
    from saleor_ecrm_plugin.preferences.models import EmailContact
    from saleor_ecrm_plugin.preferences.tokens import make_preferences_token
    from tests.graphql import ApiClient

    token = make_preferences_token("zoe@example.fr")
    told = ApiClient().post(
        SET_TIME_ZONE, {"token": token, "input": {"timeZone": "Europe/Paris"}}
    )["data"]["emailPreferencesUpdate"]
    assert told == {"preferences": {"timeZone": "Europe/Paris"}, "ecrmErrors": []}
    contact = EmailContact.objects.get(email="zoe@example.fr")
    assert customer_time_zone(contact.timezone, None, "UTC") == "Europe/Paris"

    refused = ApiClient().post(
        SET_TIME_ZONE, {"token": token, "input": {"timeZone": "Europe/Atlantis"}}
    )["data"]["emailPreferencesUpdate"]
    assert refused["preferences"] is None
    assert [(e["field"], e["code"]) for e in refused["ecrmErrors"]] == [
        ("timeZone", "INVALID")
    ]
    assert EmailContact.objects.get(email="zoe@example.fr").timezone == "Europe/Paris"

    page = f"/ecrm/preferences/{token}/?lang=fr"
    shown = Client().get(page).content.decode()
    assert '<option value="Europe/Paris" selected>' in shown
    answer = Client().post(page, {"time_zone": "America/Montreal"})
    assert answer.status_code == 200
    assert EmailContact.objects.get(email="zoe@example.fr").timezone == (
        "America/Montreal"
    )
    bad = Client().post(page, {"time_zone": "Nowhere/Land", "category_reviews": "on"})
    assert bad.status_code == 400
    assert "Choisissez un fuseau horaire dans la liste." in bad.content.decode()
    assert EmailContact.objects.get(email="zoe@example.fr").timezone == (
        "America/Montreal"
    )
    Client().post(page, {"time_zone": ""})  # back to the address's
    assert EmailContact.objects.get(email="zoe@example.fr").timezone == ""
