"""Saleor 2.10's GraphQL API as tests use it, with the API of
``tests/hosts/saleor321/api.py``: permissions, stock, accounts, checkouts, the
plugin's configuration.

Each helper posts Saleor's own mutation through the given ``ApiClient``
and asserts it succeeded; the differing shapes of the two APIs (``checkoutId`` and no
channel here, typed ``accountErrors``...) stay in these two modules. Query texts name
a mutation's typed errors ``errors`` (a GraphQL alias), as Saleor 3 does.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import graphene

from .factories import default_warehouse, variant_of


def grant(user: Any, *codenames: str) -> Any:
    """Give ``user`` Saleor's permissions (``manage_plugins``, ``manage_products``):
    Django's own permission model on 2.10."""
    from django.contrib.auth.models import Permission

    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


# --- stock --------------------------------------------------------------------------

STOCKS_UPDATE = """
mutation Stocks($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    errors: bulkStockErrors { field code message }
    productVariant { quantityAvailable }
  }
}
"""


def set_stock(staff: Any, product: Any, quantity: int) -> int:
    """Saleor's own ``productVariantStocksUpdate`` of the product's variant in the
    default warehouse, as staff with MANAGE_PRODUCTS: Saleor's ``quantityAvailable``
    afterwards (allocations deducted)."""
    result = staff.post(
        STOCKS_UPDATE,
        {
            "variantId": graphene.Node.to_global_id(
                "ProductVariant", variant_of(product).pk
            ),
            "stocks": [
                {
                    "warehouse": graphene.Node.to_global_id(
                        "Warehouse", default_warehouse().pk
                    ),
                    "quantity": quantity,
                }
            ],
        },
    )
    payload = result["data"]["productVariantStocksUpdate"]
    assert payload["errors"] == [], result
    return int(payload["productVariant"]["quantityAvailable"])


# --- accounts -----------------------------------------------------------------------

REGISTER = """
mutation Register($email: String!, $password: String!) {
  accountRegister(input: {email: $email, password: $password}) {
    errors: accountErrors { field code message }
  }
}
"""
ACCOUNT_UPDATE = """
mutation Update($firstName: String) {
  accountUpdate(input: {firstName: $firstName}) {
    errors: accountErrors { field code message }
    user { firstName }
  }
}
"""


def register(api: Any, email: str, password: str) -> None:
    """Saleor's ``accountRegister`` (no confirmation on 2.10: the account is active)."""
    result = api.post(REGISTER, {"email": email, "password": password})
    assert result["data"]["accountRegister"]["errors"] == [], result


def update_first_name(api: Any, first_name: str) -> None:
    """Saleor's ``accountUpdate`` of the signed-in customer's first name."""
    result = api.post(ACCOUNT_UPDATE, {"firstName": first_name})
    assert result["data"]["accountUpdate"]["errors"] == [], result


# --- checkouts ----------------------------------------------------------------------

ADDRESS = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "streetAddress1": "1 Infinite Loop",
    "city": "Cupertino",
    "postalCode": "95014",
    "country": "US",
    "countryArea": "CA",
}
CHECKOUT_CREATE = """
mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    errors: checkoutErrors { field code message }
    checkout { id }
  }
}
"""
CHECKOUT_METADATA = """
mutation Speak($id: ID!, $input: [MetadataInput!]!) {
  updateMetadata(id: $id, input: $input) {
    errors: metadataErrors { field code message }
  }
}
"""


def line(product: Any, quantity: int = 1) -> Dict[str, Any]:
    """A checkout line of the product's variant, as ``checkoutCreate`` takes it."""
    return {
        "variantId": graphene.Node.to_global_id(
            "ProductVariant", variant_of(product).pk
        ),
        "quantity": quantity,
    }


def create_checkout(
    api: Any,
    email: Optional[str],
    lines: List[Dict[str, Any]],
    address: Optional[Dict[str, str]] = None,
) -> str:
    """Saleor's ``checkoutCreate`` with an email, ``address`` (default
    :data:`ADDRESS`) for shipping and billing, and ``lines`` (:func:`line`): the
    checkout's global id."""
    address = address or ADDRESS
    result = api.post(
        CHECKOUT_CREATE,
        {
            "input": {
                "email": email,
                "lines": lines,
                "shippingAddress": address,
                "billingAddress": address,
            }
        },
    )
    payload = result["data"]["checkoutCreate"]
    assert payload["errors"] == [], result
    return str(payload["checkout"]["id"])


def record_checkout_language(api: Any, checkout_id: str, language: str) -> None:
    """What a storefront on 2.10 does to record the checkout's language: a
    ``language_code`` metadata key (``updateMetadata``, no token needed); Saleor
    2.10's checkout has no language of its own."""
    result = api.post(
        CHECKOUT_METADATA,
        {"id": checkout_id, "input": [{"key": "language_code", "value": language}]},
    )
    assert result["data"]["updateMetadata"]["errors"] == [], result


# --- the plugin in Saleor's plugin API ----------------------------------------------

_CONFIGURATION = "configuration { name value type label helpText }"
PLUGINS = f"""
query {{
  plugins(first: 50) {{
    edges {{ node {{ id name description active {_CONFIGURATION} }} }}
  }}
}}
"""
PLUGIN = f"""
query Plugin($id: ID!) {{
  plugin(id: $id) {{ id name active {_CONFIGURATION} }}
}}
"""
PLUGIN_UPDATE = """
mutation Update($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) {
    errors: pluginsErrors { field code message }
  }
}
"""


def plugin_configuration(node: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The configuration items of a plugin node of :data:`PLUGINS` or
    :data:`PLUGIN` (one configuration per plugin on 2.10)."""
    return list(node["configuration"])
