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


def test_the_demo_history_is_what_the_lifecycle_programs_read(shop):
    """``demo/history.py``'s backdated orders and editions, planted by the host's
    demo shop, are found by the host port's lifecycle queries (the ones the
    replenishment, new-edition, win-back and affinity scans run)."""
    from datetime import timedelta

    from django.utils import timezone

    from saleor_ecrm_plugin.host import port as host
    from saleor_ecrm_plugin.programs.new_edition.options import PREVIOUS_EDITION_KEY
    from tests.factories import make_category

    tea, cups, books = (make_category(name) for name in ("Tea", "Cups", "Books"))
    staple = make_product("Demo tea", category=tea, price="12.00", stock=5)
    make_product("Demo cup", category=cups, price="8.00", stock=5)
    make_product("Demo book", category=books, price="20.00", stock=5)
    demo_shop = for_installed_saleor()
    items = {item.name: item for item in demo_shop.pick_catalogue(12)}
    now = timezone.now()

    for age in (60, 30):
        demo_shop.plant_order(
            f"regular@{DOMAIN}",
            [(items["Demo tea"].variant, 2)],
            now - timedelta(days=age),
        )
    placed = host.orders_placed_between(now - timedelta(days=61), now)
    assert [email for _id, email, _created in placed] == [f"regular@{DOMAIN}"] * 2
    assert [
        (i.product_id, i.days_per_unit) for i in host.repeat_purchase_intervals(1)
    ] == [(staple.pk, 15.0)]

    old, new = demo_shop.add_editions(
        items["Demo tea"],
        [("demo-guide-2025", "Guide 2025"), ("demo-guide-2026", "Guide 2026")],
        PREVIOUS_EDITION_KEY,
    )
    demo_shop.plant_order(
        f"reader@{DOMAIN}", [(old.variant, 1)], now - timedelta(days=300)
    )
    assert host.edition_chains(PREVIOUS_EDITION_KEY) == []  # 2026: not on sale yet
    demo_shop.publish(new)
    [chain] = host.edition_chains(PREVIOUS_EDITION_KEY)
    assert host.edition_buyers(chain.product_id, chain.earlier_product_ids, "", 10) == [
        f"reader@{DOMAIN}"
    ]
    # a re-run updates the editions in place (the 2026 one unpublished again)
    again = demo_shop.add_editions(
        items["Demo tea"],
        [("demo-guide-2025", "Guide 2025"), ("demo-guide-2026", "Guide 2026")],
        PREVIOUS_EDITION_KEY,
    )
    assert [item.variant for item in again] == [old.variant, new.variant]
    assert host.edition_chains(PREVIOUS_EDITION_KEY) == []

    # affinity: two products of two categories other than the staple's (the
    # guides are in the staple's), first category first
    assert demo_shop.two_other_categories(items["Demo tea"]) == (
        items["Demo cup"].variant,
        items["Demo book"].variant,
    )

    assert demo_shop.forget_previous_run(DOMAIN)["orders"] == 3
    assert host.orders_placed_between(now - timedelta(days=400), now) == []


def test_what_the_demo_tells_a_newcomer_to_try_runs_on_this_saleor(shop, capsys):
    """The end of a demo run prints GraphQL to paste (a query, a registration, the
    plugin's configuration): each must run on this host's own schema, as printed."""
    from saleor_ecrm_plugin.demo.run import _print_what_to_try
    from tests.configuration import configure_plugin

    make_product("Try me", price="5.00", stock=1)
    configure_plugin()
    demo_shop = for_installed_saleor()
    _print_what_to_try({}, 8000, demo_shop, serving=False)
    printed = capsys.readouterr().out
    assert demo_shop.serve_command in printed

    products = GraphQLClient().execute(demo_shop.sample_query)["products"]
    assert [edge["node"]["name"] for edge in products["edges"]] == ["Try me"]

    register = demo_shop.register_mutation
    assert register.split(", password")[0] in printed
    GraphQLClient().mutate("accountRegister", register)
    User = apps.get_model("account", "User")
    assert User.objects.filter(email="you@example.com").exists()

    assert demo_shop.plugin_query in printed
    plugin = demo_shop.staff_client().execute(demo_shop.plugin_query)["plugin"]
    stored = plugin.get("globalConfiguration") or plugin
    assert stored["active"] is True
    assert "abandoned_enabled" in {item["name"] for item in stored["configuration"]}
