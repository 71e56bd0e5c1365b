"""The plugin's request checks in front of a host's GraphQL view.

Saleor's view (2.10 and 3.x) answers a body of ``null`` or a number, wrong-typed
``variables`` or deeply nested fragments with a 500 or internal exception text, and
coerces variables to their declared types. :class:`RequestGuard`, listed before
the host's ``GraphQLView``, refuses every such request with a 400 and a GraphQL
error a client can read (:func:`.guard.request_problem`) before Saleor's own code
sees it.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext, gettext_noop
from graphql import GraphQLError

from .guard import MAX_BATCH, NOT_AN_OBJECT, request_problem

UNREADABLE = gettext_noop(
    "Unable to parse the request: send a JSON object with a query."
)


class RequestGuard:
    """Mixin for a Saleor ``GraphQLView`` subclass (``schema``, ``format_error``,
    ``parse_body`` and ``_handle_query`` come from the view)."""

    schema: Any

    def _refusal(self, message: str) -> JsonResponse:
        """A 400 with one error, shaped as Saleor shapes GraphQL's own errors."""
        error = self.format_error(GraphQLError(message))  # type: ignore[attr-defined]
        return JsonResponse(data={"errors": [error]}, status=400)

    def _handle_query(self, request: HttpRequest) -> JsonResponse:
        try:
            data = self.parse_body(request)
        except (ValueError, RecursionError):  # JSON, UTF-8 and nesting errors
            return self._refusal(gettext(UNREADABLE))
        entries: Any = data if isinstance(data, list) else [data]
        if isinstance(data, list) and not 0 < len(data) <= MAX_BATCH:
            return self._refusal(gettext(NOT_AN_OBJECT))
        for entry in entries:
            if request.content_type in ("multipart/form-data",):
                break  # uploads: Saleor's own handling of its operations field
            problem = request_problem(self.schema, entry)
            if problem:
                return self._refusal(problem)
        return super()._handle_query(request)  # type: ignore[misc]

    @classmethod
    def parse_body(cls, request: HttpRequest) -> Any:
        if request.content_type == "application/json":
            return json.loads(request.body.decode("utf-8"))
        return super().parse_body(request)  # type: ignore[misc]
