"""The tests' one GraphQL client: posts to Saleor's real ``/graphql/`` endpoint
through Django's test client (full middleware stack, Saleor's view and plugins)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from django.test import Client


def access_header(user: Any) -> str:
    """The ``Authorization`` header of a signed-in ``user``: Saleor 2.10 reads
    graphql_jwt's ``JWT`` tokens, Saleor 3 its own ``Bearer`` access tokens."""
    try:
        from graphql_jwt.shortcuts import get_token
    except ImportError:
        from saleor.core.jwt import create_access_token

        return f"Bearer {create_access_token(user)}"
    return f"JWT {get_token(user)}"


class ApiClient:
    """Posts GraphQL to ``/graphql/``, optionally as ``user`` (a JWT) and from a given
        network ``address`` (the connection's ``REMOTE_ADDR``; ``forwarded_for`` adds an
        ``X-Forwarded-For`` header, which counts only with trusted proxies configured),
    in the ``language`` a browser asks for (an ``Accept-Language`` header).

        :meth:`post` asserts an HTTP status in ``statuses`` and returns the JSON body;
        :meth:`response` asserts nothing and returns Django's response.
        ``raise_request_exception=False`` turns a view's exception into the 500 answer a
        client would get instead of raising it in the test.
    """

    def __init__(
        self,
        user: Optional[Any] = None,
        address: Optional[str] = None,
        *,
        statuses: Sequence[int] = (200, 400),
        raise_request_exception: bool = True,
        forwarded_for: Optional[str] = None,
        language: Optional[str] = None,
    ) -> None:
        self.client = Client(raise_request_exception=raise_request_exception)
        self.user = user
        self.address = address
        self.forwarded_for = forwarded_for
        self.language = language
        self.statuses = tuple(statuses)

    def headers(self) -> Dict[str, str]:
        headers = {}
        if self.address is not None:
            headers["REMOTE_ADDR"] = self.address
        if self.forwarded_for is not None:
            headers["HTTP_X_FORWARDED_FOR"] = self.forwarded_for
        if self.language is not None:
            headers["HTTP_ACCEPT_LANGUAGE"] = self.language
        if self.user is not None:
            headers["HTTP_AUTHORIZATION"] = access_header(self.user)
        return headers

    def response(self, query: str, variables: Any = None) -> Any:
        """Django's response to the query (``response.exc_info`` set on a 500 when
        request exceptions are not raised). ``variables`` go out as given (a fuzz
        test sends malformed ones); None sends ``{}``."""
        return self.client.post(
            "/graphql/",
            {"query": query, "variables": {} if variables is None else variables},
            content_type="application/json",
            **self.headers(),
        )

    def post(self, query: str, variables: Optional[Dict[str, Any]] = None) -> Dict:
        response = self.response(query, variables)
        assert response.status_code in self.statuses, response.content
        return response.json()
