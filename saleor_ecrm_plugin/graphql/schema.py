"""The GraphQL schema served at ``/graphql/``: the installed Saleor's, extended with
the plugin's queries and mutations by the current host (``host/<adapter>/schema``).
"""

from __future__ import annotations

from typing import Any

from ..host.port import host_module

schema: Any = host_module("schema").schema
