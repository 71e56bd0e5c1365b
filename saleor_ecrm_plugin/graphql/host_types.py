"""The current host's GraphQL building blocks, injected into the plugin's types.

Saleor's base mutation (error handling, permission checks), its error type and its
permission decorator differ between Saleor lines; the host's adapter provides them
(``host/<adapter>/graphql.py``) and the plugin's mutations subclass these names.
"""

from __future__ import annotations

from typing import Any

from ..host.port import host_module

_glue = host_module("graphql")

BaseMutation: Any = _glue.BaseMutation
#: the host schema's DateTime scalar (Saleor 3 has its own, named as graphene's)
DateTime: Any = _glue.DateTime
Error: Any = _glue.Error
#: mixin listed before ``BaseMutation``: keeps the plugin's own error codes
KeepErrorCodes: Any = _glue.KeepErrorCodes
permission_required: Any = _glue.permission_required
#: the staff permission that moderates reviews
MANAGE_PRODUCTS: Any = _glue.MANAGE_PRODUCTS
#: the staff report's permission (orders and revenue) and the timeline's (personal data)
MANAGE_ORDERS: Any = _glue.MANAGE_ORDERS
MANAGE_USERS: Any = _glue.MANAGE_USERS
