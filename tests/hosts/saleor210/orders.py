"""Saleor 2.10's order actions for tests: shipping, cancelling, the staff who may
do it. The same names on every host (``tests/hosts/saleor321/orders.py``);
``tests.orders`` picks the installed Saleor's.
"""

from __future__ import annotations

from typing import Any, Dict, List


def ship(order: Any) -> Any:
    """Fulfil every line from its stock through Saleor's own service (what
    ``orderFulfill`` calls): the fulfilment."""
    from saleor.order.actions import create_fulfillments

    by_warehouse: Dict[Any, List[Dict[str, Any]]] = {}
    for line in order.lines.all():
        warehouse = line.variant.stocks.get().warehouse_id
        by_warehouse.setdefault(warehouse, []).append(
            {"order_line": line, "quantity": line.quantity}
        )
    [fulfillment] = create_fulfillments(None, order, by_warehouse, False)
    return fulfillment


def cancel_shipment(fulfillment: Any) -> None:
    """Cancel a fulfilment, its items back in the warehouse they left."""
    from saleor.order.actions import cancel_fulfillment

    warehouse = fulfillment.lines.first().stock.warehouse
    cancel_fulfillment(fulfillment, None, warehouse)


def cancel_order(order: Any) -> None:
    from saleor.order.actions import cancel_order as saleor_cancel_order

    order.refresh_from_db()
    saleor_cancel_order(order, None)


def order_number(order: Any) -> str:
    """The number a customer knows the order by (its id on 2.10)."""
    return str(order.pk)


def place_order(api: Any, product: Any, email: str) -> Any:
    """One unit of ``product`` bought through Saleor's storefront API (checkout,
    shipping, the dummy gateway's payment, ``checkoutComplete``): the order's id."""
    from tests.storefront import place_order_through_graphql

    return place_order_through_graphql(api, product, email)


_SHIPPING_METHODS = """
query Methods($token: UUID!) {
  checkout(token: $token) { availableShippingMethods { id } }
}
"""


def complete_checkout(api: Any, checkout_id: str, promo_code: str = "") -> Any:
    """Shipping (the checkout's one method), ``promo_code`` if given, payment of
    the total with Saleor's dummy gateway, ``checkoutComplete``: the order's id."""
    import graphene

    from tests.storefront import complete_checkout as complete

    token = graphene.Node.from_global_id(checkout_id)[1]
    methods = api.post(_SHIPPING_METHODS, {"token": token})["data"]["checkout"]
    checkout = {"id": checkout_id, **methods}
    return complete(api, checkout, promo_code=promo_code or None)


#: ``checkoutComplete`` of the checkout whose global id is ``$id``; its problems
#: as ``errors``
CHECKOUT_COMPLETE = """mutation Complete($id: ID!) { checkoutComplete(checkoutId: $id) {
  errors: checkoutErrors { code message } order { id } } }"""


def checkouts_ready_to_complete(product: Any, emails: List[str]) -> List[str]:
    """One checkout per address holding one ``product``, with addresses, the
    shipping method and a payment of its total (Saleor's dummy gateway), ready for
    ``checkoutComplete``: their tokens."""
    from saleor.checkout import calculations
    from saleor.checkout.models import Checkout
    from saleor.checkout.utils import add_variant_to_checkout
    from saleor.payment.utils import create_payment
    from saleor.shipping.models import ShippingMethod

    from .factories import make_address, variant_of

    variant = variant_of(product)
    method = ShippingMethod.objects.get()
    tokens = []
    for email in emails:
        checkout = Checkout.objects.create(
            email=email,
            shipping_address=make_address(),
            billing_address=make_address(),
            shipping_method=method,
        )
        add_variant_to_checkout(checkout, variant, 1)
        total = calculations.checkout_total(checkout=checkout, lines=list(checkout))
        create_payment(
            gateway="mirumee.payments.dummy",
            total=total.gross.amount,
            currency=total.currency,
            email=checkout.email,
            payment_token="charged",
            checkout=checkout,
        )
        tokens.append(str(checkout.token))
    return tokens
