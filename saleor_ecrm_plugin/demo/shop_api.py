"""Driving the demo shop through Saleor's real GraphQL API, in process.

Requests go through Django's full stack (middleware, Saleor's ``/graphql/`` view,
its plugin manager and hooks) with :class:`django.test.Client`; no server is
needed. Staff requests carry a JWT of the shop's superuser; customers are anonymous
visitors, as on a storefront's checkout.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

from ..errors import EcrmError

SAMPLE_QUERY = "{ shop { name } products(first: 3) { edges { node { name } } } }"

UPDATE_PLUGIN = """
mutation UpdatePlugin($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    pluginsErrors { field code message }
  }
}
"""

READ_PLUGIN = """
query Plugin($id: ID!) {
  plugin(id: $id) { id active configuration { name value } }
}
"""


class ApiError(EcrmError, RuntimeError):
    """Saleor's API refused a request the demo relies on."""


class GraphQLClient:
    """Posts GraphQL to ``/graphql/``, optionally with a JWT, in a browser's
    language (``Accept-Language``) when given one."""

    def __init__(self, token: Optional[str] = None, language: str = "") -> None:
        from django.test import Client

        # SERVER_NAME is in Saleor's default ALLOWED_HOSTS ("testserver" is not)
        extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        self._client = Client(SERVER_NAME="localhost", **extra)
        self.token = token
        self.language = language

    def execute(
        self, query: str, variables: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Return ``data``; raise :class:`ApiError` on GraphQL or HTTP errors."""
        headers = {"HTTP_AUTHORIZATION": f"JWT {self.token}"} if self.token else {}
        response = self._client.post(
            "/graphql/",
            {"query": query, "variables": variables or {}},
            content_type="application/json",
            **headers,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError(
                f"/graphql/ answered HTTP {response.status_code} without JSON"
            ) from exc
        if body.get("errors"):
            raise ApiError(f"/graphql/ errors: {body['errors']}")
        return body["data"]

    def mutate(
        self, field: str, query: str, variables: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Run a mutation and raise if its ``*Errors`` list is not empty."""
        result = self.execute(query, variables)[field]
        errors = [
            error
            for name, value in result.items()
            if name.endswith("Errors") and value
            for error in value
        ]
        if errors:
            raise ApiError(f"{field}: {errors}")
        return result


def staff_client(
    email: str = "admin@example.com", password: str = "admin"
) -> GraphQLClient:
    """A client acting as the shop's superuser (created if the shop has none)."""
    from graphql_jwt.shortcuts import get_token
    from saleor.account.models import User
    from saleor.account.utils import create_superuser

    user = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
    if user is None:
        create_superuser({"email": email, "password": password})
        user = User.objects.get(email=email)
    return GraphQLClient(get_token(user))


def configure_plugin(
    staff: GraphQLClient, plugin_id: str, active: bool, values: Dict[str, str]
) -> Dict[str, Any]:
    """Save the plugin's configuration with ``pluginUpdate``; return it as read back.

    Saleor 2.10.1's ``pluginUpdate`` answers with a wrong payload, so the stored
    configuration is read back with the ``plugin`` query.
    """
    staff.mutate(
        "pluginUpdate",
        UPDATE_PLUGIN,
        {
            "id": plugin_id,
            "input": {
                "active": active,
                "configuration": [
                    {"name": name, "value": value} for name, value in values.items()
                ],
            },
        },
    )
    plugin = staff.execute(READ_PLUGIN, {"id": plugin_id})["plugin"]
    return {
        "active": plugin["active"],
        **{item["name"]: item["value"] for item in plugin["configuration"]},
    }
