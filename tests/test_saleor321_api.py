"""Saleor 3.21's own GraphQL API with the plugin (3.21 only).

The plugin's queries and mutations are served in Saleor's schema at Saleor's
``/graphql/`` (anonymous users, typed errors, the request guard, query cost counted
against the merged schema), and its pages under ``/ecrm/``. ``plugins`` and
``pluginUpdate`` are tested on both hosts in ``test_plugin_configuration.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.graphql import ApiClient

pytestmark = [pytest.mark.saleor321, pytest.mark.django_db]

# --- the plugin's fields in Saleor's schema --------------------------------------

PREFERENCES = "query { emailPreferences { email marketingOptOut } }"
REVIEWS = """
query Reviews($id: ID!, $first: Int) {
  productReviews(productId: $id, first: $first) { count averageRating }
  shop { name }
}
"""
SUBMIT = """
mutation Submit($token: String!) {
  reviewSubmit(token: $token, rating: 5) { review { id } errors { field code } }
}
"""


def test_saleor_and_plugin_fields_in_one_query(api_client: ApiClient) -> None:
    result = api_client.post(REVIEWS, {"id": "UHJvZHVjdDox", "first": 5})
    assert "errors" not in result, result
    assert result["data"]["productReviews"] == {"count": 0, "averageRating": None}
    assert result["data"]["shop"]["name"]
    # Saleor's cost report counts the plugin's field: 5 reviews asked for
    assert result["extensions"]["cost"]["requestedQueryCost"] >= 5


def test_anonymous_preferences_get_a_readable_error(api_client: ApiClient) -> None:
    # an anonymous user is a falsy lazy None on Saleor 3, not AnonymousUser
    result = api_client.post(PREFERENCES)
    assert result["data"]["emailPreferences"] is None
    assert "Sign in" in result["errors"][0]["message"]


def test_signed_in_customer_reads_own_preferences(db: Any) -> None:
    from saleor.account.models import User

    customer = User.objects.create_user("ann@example.com", "password")
    result = ApiClient(customer).post(PREFERENCES)
    assert "errors" not in result, result
    assert result["data"]["emailPreferences"]["email"] == "ann@example.com"


def test_plugin_mutation_keeps_its_error_codes(api_client: ApiClient) -> None:
    result = api_client.post(SUBMIT, {"token": "not-a-token"})
    assert "errors" not in result, result
    assert result["data"]["reviewSubmit"] == {
        "review": None,
        "errors": [{"field": "token", "code": "INVALID_TOKEN"}],
    }


def test_moderation_needs_staff(api_client: ApiClient) -> None:
    result = api_client.post("query { reviews { id } }")
    assert result["data"]["reviews"] is None
    assert "permission" in result["errors"][0]["message"].lower()


def test_query_cost_of_plugin_fields_is_limited(
    api_client: ApiClient, settings: Any
) -> None:
    settings.GRAPHQL_QUERY_MAX_COMPLEXITY = 50
    result = api_client.post(REVIEWS, {"id": "UHJvZHVjdDox", "first": 100})
    assert result.get("data") is None
    assert "cost" in result["errors"][0]["message"].lower()
    assert result["extensions"]["cost"]["requestedQueryCost"] > 50


def test_guard_refuses_malformed_requests(api_client: ApiClient) -> None:
    response = Client().post("/graphql/", "null", content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.json()["errors"][0]["message"]
    deep = "query {" + " shop {" * 25 + " name" + " }" * 26
    result = api_client.post(deep)
    assert "nested too deeply" in result["errors"][0]["message"]
    result = api_client.post(REVIEWS, {"id": "UHJvZHVjdDox", "first": "5"})
    assert "not a valid Int" in result["errors"][0]["message"]


def test_plugin_pages_are_served(db: Any) -> None:
    from saleor_ecrm_plugin.preferences import service
    from saleor_ecrm_plugin.preferences.tokens import make_preferences_token

    token = make_preferences_token("ann@example.com", "abandoned_checkout")
    page = Client().get(f"/ecrm/unsubscribe/{token}/")
    assert page.status_code == 200
    assert b"<form" in page.content
    one_click = Client().post(
        f"/ecrm/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    assert one_click.status_code == 200
    preferences = service.get_preferences("ann@example.com")
    assert preferences.categories["abandoned_checkout"] is False

    forged = Client().get("/ecrm/preferences/not-a-token/")
    assert forged.status_code == 400
    assert b"Traceback" not in forged.content
