"""A storefront talking to Saleor's real GraphQL API: checkouts, payments, orders."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import graphene

from tests.factories import variant_of

CHECKOUT_CREATE = """
mutation Create($input: CheckoutCreateInput!) {
  checkoutCreate(input: $input) {
    checkoutErrors { field code message }
    checkout { id availableShippingMethods { id name } }
  }
}
"""
SHIPPING_METHOD_UPDATE = """
mutation Shipping($checkoutId: ID!, $methodId: ID!) {
  checkoutShippingMethodUpdate(checkoutId: $checkoutId, shippingMethodId: $methodId) {
    checkoutErrors { field code message }
    checkout { totalPrice { gross { amount } } }
  }
}
"""
PAYMENT_CREATE = """
mutation Pay($checkoutId: ID!, $input: PaymentInput!) {
  checkoutPaymentCreate(checkoutId: $checkoutId, input: $input) {
    paymentErrors { field code message }
  }
}
"""
CHECKOUT_COMPLETE = """
mutation Complete($checkoutId: ID!, $redirectUrl: String) {
  checkoutComplete(checkoutId: $checkoutId, redirectUrl: $redirectUrl) {
    checkoutErrors { field code message }
    order { id }
  }
}
"""
ADDRESS = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "streetAddress1": "1 Infinite Loop",
    "city": "Cupertino",
    "postalCode": "95014",
    "country": "US",
    "countryArea": "CA",
}
CHECKOUT_ADD_PROMO_CODE = """
mutation Promo($checkoutId: ID!, $code: String!) {
  checkoutAddPromoCode(checkoutId: $checkoutId, promoCode: $code) {
    checkoutErrors { field code message }
    checkout { voucherCode discount { amount } }
  }
}
"""


def variant_global_id(product: Any) -> str:
    return graphene.Node.to_global_id("ProductVariant", variant_of(product).pk)


def create_checkout(
    api_client: Any, email: str, lines: List[Dict[str, Any]]
) -> Dict[str, Any]:
    """checkoutCreate with an email, addresses and ``[(product, quantity)]`` lines."""
    created = api_client.post(
        CHECKOUT_CREATE,
        {
            "input": {
                "email": email,
                "lines": lines,
                "shippingAddress": ADDRESS,
                "billingAddress": ADDRESS,
            }
        },
    )["data"]["checkoutCreate"]
    assert created["checkoutErrors"] == [], created
    return created["checkout"]


def complete_checkout(
    api_client: Any, checkout: Dict[str, Any], promo_code: Optional[str] = None
) -> int:
    """Shipping, payment (Saleor's dummy gateway), checkoutComplete: the order's id."""
    [method] = checkout["availableShippingMethods"]
    shipped = api_client.post(
        SHIPPING_METHOD_UPDATE, {"checkoutId": checkout["id"], "methodId": method["id"]}
    )["data"]["checkoutShippingMethodUpdate"]
    assert shipped["checkoutErrors"] == [], shipped
    if promo_code:
        promo = api_client.post(
            CHECKOUT_ADD_PROMO_CODE, {"checkoutId": checkout["id"], "code": promo_code}
        )["data"]["checkoutAddPromoCode"]
        assert promo["checkoutErrors"] == [], promo
        shipped = api_client.post(
            SHIPPING_METHOD_UPDATE,
            {"checkoutId": checkout["id"], "methodId": method["id"]},
        )["data"]["checkoutShippingMethodUpdate"]
    amount = shipped["checkout"]["totalPrice"]["gross"]["amount"]
    paid = api_client.post(
        PAYMENT_CREATE,
        {
            "checkoutId": checkout["id"],
            "input": {
                "gateway": "mirumee.payments.dummy",
                "token": "charged",
                "amount": amount,
            },
        },
    )["data"]["checkoutPaymentCreate"]
    assert paid["paymentErrors"] == [], paid
    completed = api_client.post(
        CHECKOUT_COMPLETE,
        {"checkoutId": checkout["id"], "redirectUrl": "http://localhost:3000/order/"},
    )["data"]["checkoutComplete"]
    assert completed["checkoutErrors"] == [], completed
    _type, order_id = graphene.Node.from_global_id(completed["order"]["id"])
    return int(order_id)


def place_order_through_graphql(api_client: Any, product: Any, email: str) -> int:
    checkout = create_checkout(
        api_client, email, [{"quantity": 1, "variantId": variant_global_id(product)}]
    )
    return complete_checkout(api_client, checkout)
