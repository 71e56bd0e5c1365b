"""Driving the demo shop through Saleor's real GraphQL API, in process.

Requests go through Django's full stack (middleware, Saleor's ``/graphql/`` view,
its plugin manager and hooks) with :class:`django.test.Client`; no server is
needed. Staff requests carry a JWT of the shop's superuser; customers are anonymous
visitors, as on a storefront's checkout. What differs between Saleor lines (the
mutations' arguments, the staff token) is in :mod:`.hosts`.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ..errors import EcrmError


class ApiError(EcrmError, RuntimeError):
    """Saleor's API refused a request the demo relies on."""


class GraphQLClient:
    """Posts GraphQL to ``/graphql/``, optionally with a JWT, in a browser's
    language (``Accept-Language``) when given one.

    ``token_factory`` makes a fresh token per request, for hosts whose tokens
    expire within minutes of the demo's simulated clock (Saleor 3: 5 minutes).
    """

    def __init__(
        self,
        token: Optional[str] = None,
        language: str = "",
        path: str = "/graphql/",
        token_factory: Optional[Callable[[], str]] = None,
    ) -> None:
        from django.test import Client

        # SERVER_NAME is in Saleor's default ALLOWED_HOSTS ("testserver" is not)
        extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
        self._client = Client(SERVER_NAME="localhost", **extra)
        self.token = token
        self.language = language
        self.path = path
        self.token_factory = token_factory

    def at(self, path: str) -> GraphQLClient:
        """The same visitor (token, language, cookies) posting to ``path``."""
        other = GraphQLClient(self.token, self.language, path, self.token_factory)
        other._client = self._client
        return other

    def execute(
        self, query: str, variables: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Return ``data``; raise :class:`ApiError` on GraphQL or HTTP errors."""
        token = self.token_factory() if self.token_factory else self.token
        headers = {"HTTP_AUTHORIZATION": f"JWT {token}"} if token else {}
        response = self._client.post(
            self.path,
            {"query": query, "variables": variables or {}},
            content_type="application/json",
            **headers,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError(
                f"{self.path} answered HTTP {response.status_code} without JSON"
            ) from exc
        if body.get("errors"):
            raise ApiError(f"{self.path} errors: {body['errors']}")
        return body["data"]

    def mutate(
        self, field: str, query: str, variables: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Run a mutation and raise if its ``errors`` (Saleor 3) or ``*Errors``
        (Saleor 2.10) list is not empty."""
        result = self.execute(query, variables)[field]
        errors = [
            error
            for name, value in result.items()
            if (name == "errors" or name.endswith("Errors")) and value
            for error in value
        ]
        if errors:
            raise ApiError(f"{field}: {errors}")
        return result
