"""The tests' one GraphQL client: posts to Saleor's real ``/graphql/`` endpoint
through Django's test client (full middleware stack, Saleor's view and plugins).

Below it, Saleor's own API as tests use it, from the installed host's
``tests/hosts/<adapter>/api.py`` (the same names on every host, as
``tests.factories``): ``grant`` a permission, ``set_stock``, ``register`` and
``update_first_name`` an account, ``create_checkout`` of ``line``s and
``record_checkout_language``, the plugin's ``PLUGINS`` / ``PLUGIN`` /
``PLUGIN_UPDATE`` and its ``plugin_configuration``. Their queries name a
mutation's typed errors ``errors`` on both hosts; a test body need not know which
Saleor answers.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, Optional, Sequence

from django.test import Client

from tests.hosts import HOST


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


# --- Saleor's own API, the installed host's ------------------------------------------

_api: Any = importlib.import_module(f"tests.hosts.{HOST}.api")

grant = _api.grant
set_stock = _api.set_stock
register = _api.register
update_first_name = _api.update_first_name
ADDRESS: Dict[str, str] = _api.ADDRESS
line = _api.line
create_checkout = _api.create_checkout
record_checkout_language = _api.record_checkout_language
PLUGINS: str = _api.PLUGINS
PLUGIN: str = _api.PLUGIN
PLUGIN_UPDATE: str = _api.PLUGIN_UPDATE
plugin_configuration = _api.plugin_configuration
