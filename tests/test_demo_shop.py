"""The demo's shop on the installed Saleor (``demo/hosts/``): the host half the
fortnight relies on picks the catalogue, sells, ships and forgets through Saleor's
own GraphQL API, on 2.10 as on 3.21 (one test, the host's factories)."""

from __future__ import annotations

import pytest
from django.apps import apps

from saleor_ecrm_plugin.demo.hosts import ADDRESS, for_installed_saleor
from saleor_ecrm_plugin.demo.shop_api import ApiError, GraphQLClient
from tests.factories import make_product

DOMAIN = "demo.example"


def test_the_demo_shop_sells_ships_and_forgets_through_saleors_api(shop):
    products = [make_product(f"Demo {n}", price="12.00", stock=5) for n in range(3)]
    demo_shop = for_installed_saleor()
    staff = demo_shop.staff_client()

    items = demo_shop.pick_catalogue(12)
    assert {item.name for item in items} == {product.name for product in products}
    hot = next(item for item in items if item.name == "Demo 0")
    demo_shop.set_stock(staff, hot, 2)

    visitor = GraphQLClient()
    address = dict(ADDRESS, firstName="Ada", lastName="Lovelace")
    checkout = demo_shop.start_checkout(
        visitor,
        f"ada@{DOMAIN}",
        [{"variantId": hot.variant, "quantity": 2}],
        address,
        "en",
    )
    order_id = demo_shop.complete_checkout(visitor, checkout)
    assert demo_shop.fulfil(staff, order_id)

    # Saleor's own models: the order of that email, shipped
    Order = apps.get_model("order", "Order")
    order = Order.objects.get(pk=order_id)
    assert (order.user_email, order.status) == (f"ada@{DOMAIN}", "fulfilled")

    # both units are gone: the next shopper is refused, as the fortnight's
    # back-in-stock buyers are when a wave outnumbers the units
    with pytest.raises(ApiError):
        demo_shop.start_checkout(
            visitor,
            f"grace@{DOMAIN}",
            [{"variantId": hot.variant, "quantity": 1}],
            address,
            "en",
        )

    removed = demo_shop.forget_previous_run(DOMAIN)
    assert removed["orders"] == 1
    assert not Order.objects.filter(pk=order_id).exists()
