"""A storefront talking to Saleor 3.21's real GraphQL API: checkouts, lines, delivery,
a payment with Saleor's dummy gateway, ``checkoutComplete``.

Saleor 3 names the checkout ``id`` (not ``checkoutId``), needs a channel, calls the
shipping method a delivery method and reports every mutation's problems in
``errors``. Each helper asserts the mutation succeeded and returns its payload.
The checkout overhead bench (``bench/saleor3_checkout.py``) plays the same journey.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import graphene

CHECKOUT = "checkout { id shippingMethods { id } totalPrice { gross { amount } } }"
ERRORS = "errors { field code message }"
CHECKOUT_CREATE = f"""
mutation Create($input: CheckoutCreateInput!) {{
  checkoutCreate(input: $input) {{ {CHECKOUT} {ERRORS} }}
}}"""
CHECKOUT_LINES_ADD = f"""
mutation Add($id: ID!, $lines: [CheckoutLineInput!]!) {{
  checkoutLinesAdd(id: $id, lines: $lines) {{ {CHECKOUT} {ERRORS} }}
}}"""
CHECKOUT_LINES_UPDATE = f"""
mutation Update($id: ID!, $lines: [CheckoutLineUpdateInput!]!) {{
  checkoutLinesUpdate(id: $id, lines: $lines) {{ {CHECKOUT} {ERRORS} }}
}}"""
CHECKOUT_DELIVERY = f"""
mutation Delivery($id: ID!, $method: ID!) {{
  checkoutDeliveryMethodUpdate(id: $id, deliveryMethodId: $method) {{
    {CHECKOUT} {ERRORS} }}
}}"""
CHECKOUT_PAYMENT = f"""
mutation Pay($id: ID!, $input: PaymentInput!) {{
  checkoutPaymentCreate(id: $id, input: $input) {{ payment {{ id }} {ERRORS} }}
}}"""
CHECKOUT_COMPLETE = f"""
mutation Complete($id: ID!) {{
  checkoutComplete(id: $id) {{ order {{ id number }} {ERRORS} }}
}}"""
ADDRESS = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "streetAddress1": "1600 Pennsylvania Ave NW",
    "city": "WASHINGTON",
    "countryArea": "DC",
    "postalCode": "20001",
    "country": "US",
}


def variant_id(variant: Any) -> str:
    return graphene.Node.to_global_id("ProductVariant", variant.pk)


def checkout_token(checkout: Dict[str, Any]) -> str:
    """The checkout's token (its primary key) from its global id."""
    return graphene.Node.from_global_id(checkout["id"])[1]


def post(api: Any, query: str, variables: Dict[str, Any], field: str) -> Any:
    """One mutation; its payload, asserted free of errors."""
    body = api.post(query, variables)
    assert not body.get("errors"), body
    payload = body["data"][field]
    assert payload["errors"] == [], payload
    return payload


def create_checkout(
    api: Any, channel: str, email: Optional[str], lines: List[Dict[str, Any]]
) -> Dict[str, Any]:
    """checkoutCreate in ``channel`` with an email, both addresses and ``lines``
    (``[{"variantId": ..., "quantity": ...}]``): the checkout."""
    payload = post(
        api,
        CHECKOUT_CREATE,
        {
            "input": {
                "channel": channel,
                "email": email,
                "lines": lines,
                "shippingAddress": ADDRESS,
                "billingAddress": ADDRESS,
            }
        },
        "checkoutCreate",
    )
    return payload["checkout"]


def add_lines(api: Any, checkout_id: str, lines: List[Dict[str, Any]]) -> Any:
    return post(
        api, CHECKOUT_LINES_ADD, {"id": checkout_id, "lines": lines}, "checkoutLinesAdd"
    )["checkout"]


def update_lines(api: Any, checkout_id: str, lines: List[Dict[str, Any]]) -> Any:
    return post(
        api,
        CHECKOUT_LINES_UPDATE,
        {"id": checkout_id, "lines": lines},
        "checkoutLinesUpdate",
    )["checkout"]


def pay(api: Any, checkout_id: str) -> None:
    """The first delivery method, then a payment of the whole total with Saleor's
    dummy gateway."""
    checkout = post(
        api,
        CHECKOUT_DELIVERY,
        {
            "id": checkout_id,
            "method": _first_method(api, checkout_id),
        },
        "checkoutDeliveryMethodUpdate",
    )["checkout"]
    post(
        api,
        CHECKOUT_PAYMENT,
        {
            "id": checkout_id,
            "input": {
                "gateway": "mirumee.payments.dummy",
                "token": "fully_charged",
                "amount": checkout["totalPrice"]["gross"]["amount"],
            },
        },
        "checkoutPaymentCreate",
    )


def _first_method(api: Any, checkout_id: str) -> str:
    body = api.post(
        "query Methods($id: ID) { checkout(id: $id) { shippingMethods { id } } }",
        {"id": checkout_id},
    )
    methods = body["data"]["checkout"]["shippingMethods"]
    assert methods, body
    return str(methods[0]["id"])


def complete(api: Any, checkout_id: str) -> Dict[str, Any]:
    """checkoutComplete: the order (``id``, ``number``)."""
    order: Dict[str, Any] = post(
        api, CHECKOUT_COMPLETE, {"id": checkout_id}, "checkoutComplete"
    )["order"]
    return order


def buy(api: Any, checkout: Dict[str, Any]) -> Dict[str, Any]:
    """Delivery, payment and checkoutComplete of a created checkout: the order."""
    pay(api, checkout["id"])
    return complete(api, checkout["id"])
