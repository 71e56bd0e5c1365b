"""The plugin's API answers in the language the client asks for.

Every message a storefront shows (``ecrmErrors { message }``, the GraphQL errors of
a refused request) is in the catalogue: through Saleor's real ``/graphql/``
endpoint, a browser that sends ``Accept-Language: fr`` reads French (Django's
``LocaleMiddleware``, in the demo's settings, activates it for the request), one
that sends nothing reads the shop's language, English. Error codes stay the same
machine codes in every language.
"""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional

import pytest
from django.utils import translation

from saleor_ecrm_plugin.preferences.models import EmailContact
from saleor_ecrm_plugin.preferences.tokens import make_preferences_token
from saleor_ecrm_plugin.programs.back_in_stock.models import BackInStockSubscription
from tests.configuration import configure_plugin
from tests.factories import make_product
from tests.graphql import PLUGIN, PLUGIN_UPDATE, ApiClient, plugin_configuration
from tests.storefront import variant_global_id

BACK_IN_STOCK = """
mutation Subscribe($variantId: ID!, $email: String) {
  backInStockSubscribe(variantId: $variantId, email: $email) {
    ecrmErrors { field message code }
    subscription { email }
  }
}
"""
NEWSLETTER = """
mutation Sub($email: String) {
  newsletterSubscribe(email: $email) { ecrmErrors { field code message } }
}
"""
PREFERENCES = """
mutation Prefs($token: String, $input: EmailPreferencesInput!) {
  emailPreferencesUpdate(token: $token, input: $input) {
    preferences { timeZone }
    ecrmErrors { field code message }
  }
}
"""
#: the request's language -> the client's Accept-Language header (English: none)
HEADER = {"fr": "fr-FR,fr;q=0.9,en;q=0.5", "en": None}
LANGUAGES = ["fr", "en"]


@pytest.fixture(autouse=True)
def shop_language_afterwards() -> Iterator[None]:
    """The middleware leaves the request's language active in the thread."""
    yield
    translation.deactivate()


def client(language: str, address: Optional[str] = None) -> ApiClient:
    return ApiClient(address=address, language=HEADER[language])


def errors_of(answer: Dict, mutation: str) -> List[Dict[str, str]]:
    assert "errors" not in answer, answer
    return answer["data"][mutation]["ecrmErrors"]


@pytest.fixture
def sold_out(shop):
    return make_product("Tent", price="120.00", stock=0, slug="tent")


@pytest.mark.parametrize(
    "language, message",
    [
        ("fr", "Saisissez une adresse e-mail valide."),
        ("en", "Enter a valid email address."),
    ],
)
@pytest.mark.django_db
def test_back_in_stock_refuses_a_bad_address_in_the_clients_language(
    sold_out, language, message
):
    configure_plugin()
    answer = client(language).post(
        BACK_IN_STOCK,
        {"variantId": variant_global_id(sold_out), "email": "not an address"},
    )
    assert errors_of(answer, "backInStockSubscribe") == [
        {"field": "email", "code": "INVALID", "message": message}
    ]
    assert not BackInStockSubscription.objects.exists()
    assert not EmailContact.objects.exists()


@pytest.mark.parametrize(
    "language, message",
    [
        ("fr", "Une adresse peut attendre au plus 1 produit à la fois."),
        ("en", "An address can wait for at most 1 product at a time."),
    ],
)
@pytest.mark.django_db
def test_the_limit_of_open_alerts_is_told_with_its_plural(shop, language, message):
    configure_plugin(back_in_stock_max_per_email="1")
    tent = make_product("Tent", stock=0, slug="tent")
    stove = make_product("Stove", stock=0, slug="stove")
    api = client(language)
    first = api.post(
        BACK_IN_STOCK, {"variantId": variant_global_id(tent), "email": "zoe@ex.fr"}
    )
    assert errors_of(first, "backInStockSubscribe") == []
    second = api.post(
        BACK_IN_STOCK, {"variantId": variant_global_id(stove), "email": "zoe@ex.fr"}
    )
    assert errors_of(second, "backInStockSubscribe") == [
        {"field": "email", "code": "RATE_LIMITED", "message": message}
    ]
    assert BackInStockSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "language, invalid, limited",
    [
        (
            "fr",
            "Saisissez une adresse e-mail valide.",
            "Trop d’inscriptions depuis votre réseau ; réessayez dans une heure.",
        ),
        (
            "en",
            "Enter a valid email address.",
            "Too many sign-ups from your network; try again in an hour.",
        ),
    ],
)
@pytest.mark.django_db
def test_newsletter_refusals_in_the_clients_language(
    settings, language, invalid, limited
):
    api = client(language, address="203.0.113.7")
    answer = api.post(NEWSLETTER, {"email": "zoe@"})
    assert errors_of(answer, "newsletterSubscribe") == [
        {"field": "email", "code": "INVALID", "message": invalid}
    ]
    settings.ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR = 0
    answer = api.post(NEWSLETTER, {"email": "zoe@example.fr"})
    assert errors_of(answer, "newsletterSubscribe") == [
        {"field": "input", "code": "RATE_LIMITED", "message": limited}
    ]
    assert not EmailContact.objects.exists()


@pytest.mark.parametrize(
    "language, messages",
    [
        (
            "fr",
            {
                "time_zone": "Choisissez un fuseau horaire, par exemple Europe/Paris.",
                "locked": "Les e-mails « Commandes et livraisons » sont toujours "
                "envoyés.",
                "no_token": "Connectez-vous, ou utilisez le lien de l’un de nos"
                " e-mails.",
            },
        ),
        (
            "en",
            {
                "time_zone": "Choose a time zone such as Europe/Paris.",
                "locked": "'Orders and deliveries' emails are always sent.",
                "no_token": "Sign in, or use the link from one of our emails.",
            },
        ),
    ],
)
@pytest.mark.django_db
def test_preference_refusals_in_the_clients_language(language, messages):
    api = client(language)
    token = make_preferences_token("zoe@example.fr")

    def refused(variables: Dict) -> List[Dict[str, str]]:
        answer = api.post(PREFERENCES, variables)
        assert answer["data"]["emailPreferencesUpdate"]["preferences"] is None
        return errors_of(answer, "emailPreferencesUpdate")

    assert refused({"token": token, "input": {"timeZone": "Europe/Atlantis"}}) == [
        {"field": "timeZone", "code": "INVALID", "message": messages["time_zone"]}
    ]
    locked = {"categories": [{"category": "order", "subscribed": False}]}
    assert refused({"token": token, "input": locked}) == [
        {"field": "categories", "code": "LOCKED", "message": messages["locked"]}
    ]
    assert refused({"input": {"marketingOptOut": True}}) == [
        {"field": "token", "code": "REQUIRED", "message": messages["no_token"]}
    ]
    assert not EmailContact.objects.exists()


@pytest.mark.parametrize(
    "language, wrong_type, too_deep",
    [
        (
            "fr",
            "La variable $email n’est pas un String valide : envoyez-la avec ce"
            " type JSON.",
            "La requête est trop imbriquée (20 niveaux au plus).",
        ),
        (
            "en",
            "Variable $email is not a valid String: send it as that JSON type.",
            "The query is nested too deeply (at most 20 levels).",
        ),
    ],
)
@pytest.mark.django_db
def test_refused_requests_are_explained_in_the_clients_language(
    language, wrong_type, too_deep
):
    api = client(language)
    answer = api.response(NEWSLETTER, {"email": 5})
    assert answer.status_code == 400
    assert [e["message"] for e in answer.json()["errors"]] == [wrong_type]
    deep = "query { " + "shop { " * 25 + "name" + " }" * 26
    answer = api.response(deep)
    assert answer.status_code == 400
    assert [e["message"] for e in answer.json()["errors"]] == [too_deep]
    assert not EmailContact.objects.exists()


@pytest.mark.django_db
def test_the_dashboard_explains_a_bad_value_in_the_staff_members_language(
    staff_user,
):
    """The same bad value, refused in French then in English: the parsed
    configuration is cached, its messages per language."""
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.constants import PLUGIN_ID

    update = {
        "id": PLUGIN_ID,
        "input": {"configuration": [{"name": "welcome_delay_minutes", "value": "-5"}]},
    }
    expected = {
        "fr": "E-mail de bienvenue : délai (minutes): Saisissez un nombre de 0 à"
        " 10080 minutes.",
        "en": "Welcome email: delay (minutes): Enter a number from 0 to 10080"
        " minutes.",
    }
    for language in ("fr", "en", "fr"):
        staff = ApiClient(staff_user, language=HEADER[language])
        answer = staff.post(PLUGIN_UPDATE, update)
        assert answer["data"]["pluginUpdate"]["errors"] == [
            {
                "field": "welcomeDelayMinutes",
                "code": "INVALID",
                "message": expected[language],
            }
        ]
    assert not PluginConfiguration.objects.filter(
        identifier=PLUGIN_ID, configuration__contains=[{"value": "-5"}]
    ).exists()


@pytest.mark.parametrize(
    "language, label, help_text",
    [
        (
            "fr",
            "E-mail de bienvenue : délai (minutes)",
            "Minutes entre la création du compte et l’e-mail de bienvenue.",
        ),
        (
            "en",
            "Welcome email: delay (minutes)",
            "Minutes between account creation and the welcome email.",
        ),
    ],
)
@pytest.mark.django_db
def test_the_dashboard_shows_the_fields_in_the_staff_members_language(
    staff_user, language, label, help_text
):
    from saleor_ecrm_plugin.constants import PLUGIN_ID

    staff = ApiClient(staff_user, language=HEADER[language])
    # first read: Saleor stores the configuration, labels included, as text
    for _read in range(2):
        answer = staff.post(PLUGIN, {"id": PLUGIN_ID})
        assert "errors" not in answer, answer
        items = {
            item["name"]: item
            for item in plugin_configuration(answer["data"]["plugin"])
        }
        item = items["welcome_delay_minutes"]
        assert (item["label"], item["helpText"]) == (label, help_text)
