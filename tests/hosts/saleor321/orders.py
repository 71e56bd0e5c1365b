"""Saleor 3.21's order actions for tests, with the API of
``tests/hosts/saleor210/orders.py``: shipping through Saleor's own fulfilment
service (what ``orderFulfill`` calls), cancelling, the staff who may do it.
"""

from __future__ import annotations

from typing import Any, Dict, List


def _manager() -> Any:
    from saleor.plugins.manager import get_plugins_manager

    return get_plugins_manager(allow_replica=False)


def ship(order: Any) -> Any:
    """Fulfil every line from its stock through Saleor's ``create_fulfillments``
    (no customer notification): the fulfilment. The plugin's hooks run once the
    transaction commits, as in Saleor's own mutation."""
    from django.contrib.sites.models import Site
    from saleor.order.actions import create_fulfillments

    by_warehouse: Dict[Any, List[Dict[str, Any]]] = {}
    for line in order.lines.all():
        warehouse = line.variant.stocks.get().warehouse_id
        by_warehouse.setdefault(warehouse, []).append(
            {"order_line": line, "quantity": line.quantity}
        )
    [fulfillment] = create_fulfillments(
        None,
        None,
        order,
        by_warehouse,  # type: ignore[arg-type]
        _manager(),
        Site.objects.get_current().settings,
        notify_customer=False,
    )
    return fulfillment


def cancel_shipment(fulfillment: Any) -> None:
    """Cancel a fulfilment, its items back in the warehouse they left."""
    from saleor.order.actions import cancel_fulfillment

    warehouse = fulfillment.lines.first().stock.warehouse
    cancel_fulfillment(fulfillment, None, None, warehouse, _manager())


def cancel_order(order: Any) -> None:
    from saleor.order.actions import cancel_order as saleor_cancel_order

    order.refresh_from_db()
    saleor_cancel_order(order, None, None, _manager())


def order_number(order: Any) -> str:
    """The number a customer knows the order by (``number``: the id is a UUID)."""
    return str(order.number)


def place_order(api: Any, product: Any, email: str) -> Any:
    """One unit of ``product`` bought through Saleor 3.21's storefront API
    (checkout in the channel, delivery, the dummy gateway's payment,
    ``checkoutComplete``): the order's id (a UUID string)."""
    import graphene

    from tests.storefront_saleor3 import buy, create_checkout, variant_id

    from .factories import default_channel, variant_of

    checkout = create_checkout(
        api,
        default_channel().slug,
        email,
        [{"variantId": variant_id(variant_of(product)), "quantity": 1}],
    )
    return graphene.Node.from_global_id(buy(api, checkout)["id"])[1]


_PROMO_CODE = """
mutation Promo($id: ID!, $code: String!) {
  checkoutAddPromoCode(id: $id, promoCode: $code) { errors { field code message } }
}
"""


def complete_checkout(api: Any, checkout_id: str, promo_code: str = "") -> Any:
    """``promo_code`` if given, the first delivery method, payment of the total
    with Saleor's dummy gateway, ``checkoutComplete``: the order's id (a UUID
    string)."""
    import graphene

    from tests.storefront_saleor3 import complete, pay, post

    if promo_code:
        post(
            api,
            _PROMO_CODE,
            {"id": checkout_id, "code": promo_code},
            "checkoutAddPromoCode",
        )
    pay(api, checkout_id)
    return graphene.Node.from_global_id(complete(api, checkout_id)["id"])[1]


#: ``checkoutComplete`` of the checkout whose global id is ``$id``
CHECKOUT_COMPLETE = """mutation Complete($id: ID!) { checkoutComplete(id: $id) {
  errors { code message } order { id } } }"""


def checkouts_ready_to_complete(product: Any, emails: List[str]) -> List[str]:
    """One checkout per address holding one ``product``, with addresses and the
    shipping method, ready for ``checkoutComplete``: their tokens. The channel
    accepts unpaid orders, so completion needs no payment (the dummy gateway's
    journey is :func:`complete_checkout`'s) and goes through Saleor's transaction
    flow, which locks the checkout's row as the payment flow does."""
    from saleor.shipping.models import ShippingMethod

    from .factories import default_channel, make_address, make_checkout

    channel = default_channel()
    channel.allow_unpaid_orders = True
    channel.save(update_fields=["allow_unpaid_orders"])
    method = ShippingMethod.objects.get()
    return [
        str(
            make_checkout(
                [product],
                email=email,
                billing_address=make_address(),
                shipping_method=method,
            ).token
        )
        for email in emails
    ]
