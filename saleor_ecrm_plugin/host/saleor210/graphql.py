"""What the plugin's GraphQL types take from Saleor 2.10's GraphQL layer.

:mod:`saleor_ecrm_plugin.graphql.host_types` hands these to the plugin's mutations
and queries, which import no Saleor module themselves.
"""

from __future__ import annotations

from graphene import DateTime
from saleor.core.permissions import (
    AccountPermissions,
    OrderPermissions,
    ProductPermissions,
)
from saleor.graphql.core.mutations import BaseMutation
from saleor.graphql.core.types.common import Error
from saleor.graphql.decorators import permission_required

from .graphql_errors import KeepErrorCodes

#: the permission that lets staff moderate reviews
MANAGE_PRODUCTS = ProductPermissions.MANAGE_PRODUCTS
#: the staff report's (orders and revenue) and the customer timeline's (personal data)
MANAGE_ORDERS = OrderPermissions.MANAGE_ORDERS
MANAGE_USERS = AccountPermissions.MANAGE_USERS

__all__ = [
    "MANAGE_ORDERS",
    "MANAGE_PRODUCTS",
    "MANAGE_USERS",
    "BaseMutation",
    "DateTime",
    "Error",
    "KeepErrorCodes",
    "permission_required",
]
