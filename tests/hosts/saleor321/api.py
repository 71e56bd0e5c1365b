"""Saleor 3.21's GraphQL API as tests use it, with the API of
``tests/hosts/saleor210/api.py``: permissions, stock, accounts, checkouts, the
plugin's configuration.

Each helper posts Saleor's own mutation through the given ``ApiClient``
and asserts it succeeded. Saleor 3 names a checkout ``id``, needs a channel (the
factories' one, :func:`.factories.default_channel`), asks a redirect URL to confirm
an account, keeps a plugin's settings per channel or global, and calls a
mutation's typed errors ``errors``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import graphene

from .factories import default_channel, default_warehouse, variant_of


def grant(user: Any, *codenames: str) -> Any:
    """Give ``user`` Saleor's permissions (``manage_plugins``, ``manage_products``):
    Saleor 3's own permission model."""
    from saleor.permission.models import Permission

    for codename in codenames:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


# --- stock --------------------------------------------------------------------------

STOCKS_UPDATE = """
mutation Stocks($variantId: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $variantId, stocks: $stocks) {
    errors { field code message }
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

#: where Saleor 3 sends a new customer to confirm the address (a host of
#: ALLOWED_CLIENT_HOSTS)
REDIRECT_URL = "http://localhost:3000/account-confirm/"
REGISTER = """
mutation Register($input: AccountRegisterInput!) {
  accountRegister(input: $input) { errors { field code message } }
}
"""
ACCOUNT_UPDATE = """
mutation Update($firstName: String) {
  accountUpdate(input: {firstName: $firstName}) {
    errors { field code message }
    user { firstName }
  }
}
"""


def register(api: Any, email: str, password: str) -> None:
    """Saleor's ``accountRegister`` in the channel, with the confirmation link's
    redirect URL Saleor 3 asks for (its default: confirmation by email)."""
    result = api.post(
        REGISTER,
        {
            "input": {
                "email": email,
                "password": password,
                "channel": default_channel().slug,
                "redirectUrl": REDIRECT_URL,
            }
        },
    )
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
    errors { field code message }
    checkout { id }
  }
}
"""
CHECKOUT_LANGUAGE = """
mutation Speak($id: ID!, $language: LanguageCodeEnum!) {
  checkoutLanguageCodeUpdate(id: $id, languageCode: $language) {
    errors { field code message }
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
    """Saleor's ``checkoutCreate`` in the channel with an email, ``address``
    (default :data:`ADDRESS`) for shipping and billing, and ``lines``
    (:func:`line`): the checkout's global id."""
    address = address or ADDRESS
    result = api.post(
        CHECKOUT_CREATE,
        {
            "input": {
                "channel": default_channel().slug,
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
    """What a storefront on 3.21 does to record the checkout's language: Saleor's
    own ``checkoutLanguageCodeUpdate`` (``language_code`` on the checkout)."""
    result = api.post(
        CHECKOUT_LANGUAGE,
        {"id": checkout_id, "language": language.upper().replace("-", "_")},
    )
    assert result["data"]["checkoutLanguageCodeUpdate"]["errors"] == [], result


# --- the plugin in Saleor's plugin API ----------------------------------------------

# the plugin is global (CONFIGURATION_PER_CHANNEL off): one configuration, not one
# per channel
_CONFIGURATION = (
    "globalConfiguration { active configuration { name value type label helpText } }"
)
PLUGINS = f"""
query {{
  plugins(first: 100) {{
    edges {{ node {{ id name description {_CONFIGURATION} }} }}
  }}
}}
"""
PLUGIN = f"""
query Plugin($id: ID!) {{
  plugin(id: $id) {{ id name {_CONFIGURATION} }}
}}
"""
PLUGIN_UPDATE = """
mutation Update($id: ID!, $input: PluginUpdateInput!) {
  pluginUpdate(id: $id, input: $input) { errors { field code message } }
}
"""


def plugin_configuration(node: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The configuration items of a plugin node of :data:`PLUGINS` or
    :data:`PLUGIN`: its global configuration (the plugin is not per channel)."""
    assert node["globalConfiguration"] is not None, node
    return list(node["globalConfiguration"]["configuration"])
