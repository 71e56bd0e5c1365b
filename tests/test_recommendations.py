"""The recommendation rules, on the real database with Saleor's real models."""

from __future__ import annotations

import datetime

import pytest
from django.utils import translation
from saleor.product.models import Product, ProductTranslation

from saleor_ecrm_plugin.recommendations import (
    Reason,
    rebuild_model,
    recommend_for,
    update_model,
)
from saleor_ecrm_plugin.recommendations.models import (
    CoPurchaseModel,
    ProductPair,
    ProductPopularity,
)
from tests.factories import (
    allocate,
    make_category,
    make_order,
    make_orders,
    make_product,
    set_product,
)

pytestmark = pytest.mark.django_db


def names(recommendations):
    return [item.name for item in recommendations]


@pytest.fixture
def shop_history(shop):
    """A small shop whose orders hold a known structure.

    Tent is bought with Sleeping bag (5 orders) and Stove (3). Water is in almost
    every order: it shares more orders with Tent (6) than Sleeping bag does, but no
    more than chance predicts for a product that popular. Lamp goes with Tent twice
    only (below the minimum support of 3).
    """
    camping = make_category("Camping")
    kitchen = make_category("Kitchen")
    products = {
        "tent": make_product("Tent", category=camping, price="120.00"),
        "bag": make_product("Sleeping bag", category=camping, price="60.00"),
        "stove": make_product("Stove", category=kitchen, price="40.00"),
        "lamp": make_product("Lamp", category=camping, price="15.00"),
        "water": make_product("Water", category=kitchen, price="1.00"),
        "mug": make_product("Mug", category=kitchen, price="8.00"),
        "pan": make_product("Pan", category=kitchen, price="25.00"),
    }
    p = products
    make_orders(
        [[p["tent"], p["bag"], p["water"]]] * 3
        + [[p["tent"], p["bag"]]] * 2
        + [[p["tent"], p["stove"], p["water"]]] * 3
        + [[p["tent"], p["lamp"]]] * 2
        + [[p["water"], p["mug"]]] * 12
        + [[p["water"], p["pan"]]] * 8
        + [[p["mug"], p["pan"]]] * 2
    )
    rebuild_model()
    return products


def test_bought_together_comes_first_ranked_by_significance(shop_history):
    p = shop_history
    result = recommend_for([p["tent"].pk], 4)

    assert names(result)[:2] == ["Sleeping bag", "Stove"]
    assert [item.reason for item in result[:2]] == [Reason.BOUGHT_TOGETHER] * 2
    together = [item.name for item in result if item.reason == Reason.BOUGHT_TOGETHER]
    # Water co-occurs with Tent more often than anything, but only as often as its
    # popularity predicts; Lamp lacks the minimum support
    assert "Water" not in together
    assert "Lamp" not in together
    tent_water = ProductPair.objects.get(
        product_a=p["tent"].pk, product_b=p["water"].pk
    )
    tent_bag = ProductPair.objects.get(product_a=p["tent"].pk, product_b=p["bag"].pk)
    assert tent_water.support > tent_bag.support
    assert tent_water.score == 0 < tent_bag.score
    assert not ProductPair.objects.filter(
        product_a=p["tent"].pk, product_b=p["lamp"].pk
    ).exists()


def test_result_carries_what_an_email_shows(shop_history):
    [first] = recommend_for([shop_history["tent"].pk], 1)
    assert first.product_id == shop_history["bag"].pk
    assert first.slug == shop_history["bag"].slug
    assert str(first.price.amount) == "60.00" and first.price.currency == "USD"


def test_never_an_item_of_the_basket_or_excluded(shop_history):
    p = shop_history
    basket = [p["tent"].pk, p["bag"].pk]
    result = recommend_for(basket, 10, exclude=[p["stove"].pk])
    ids = {item.product_id for item in result}
    assert ids.isdisjoint({p["tent"].pk, p["bag"].pk, p["stove"].pk})
    assert len(ids) == len(result)  # no duplicates across the stages


@pytest.mark.parametrize(
    "make_unavailable",
    [
        pytest.param(
            lambda product: _set(product, is_published=False), id="unpublished"
        ),
        pytest.param(
            lambda product: _set(
                product,
                publication_date=datetime.date.today() + datetime.timedelta(days=3),
            ),
            id="published-later",
        ),
        pytest.param(
            lambda product: product.variants.get().stocks.update(quantity=0),
            id="out-of-stock",
        ),
        pytest.param(lambda product: allocate(product, 10), id="all-stock-allocated"),
    ],
)
def test_only_products_a_customer_can_buy(shop_history, make_unavailable):
    p = shop_history
    make_unavailable(p["bag"])
    result = recommend_for([p["tent"].pk], 6)
    assert "Sleeping bag" not in names(result)
    assert names(result)[0] == "Stove"


def _set(product: Product, **values) -> None:
    set_product(product, **values)  # in its channel listing on Saleor 3.21


def test_partly_allocated_or_untracked_stock_still_counts(shop_history):
    p = shop_history
    allocate(p["bag"], 9)  # 1 of 10 left
    p["stove"].variants.update(track_inventory=False)
    p["stove"].variants.get().stocks.update(quantity=0)
    assert names(recommend_for([p["tent"].pk], 2)) == ["Sleeping bag", "Stove"]


def test_excluded_categories_include_their_subcategories(shop_history):
    p = shop_history
    camping = p["bag"].category
    outdoor = make_category("Outdoor")
    camping.parent = outdoor
    camping.save()
    camping.refresh_from_db()
    result = recommend_for([p["tent"].pk], 6, excluded_categories=["outdoor"])
    assert result
    assert all(item.category_id != camping.pk for item in result)
    assert names(result)[0] == "Stove"


def test_falls_back_to_category_bestsellers_then_the_shops(shop_history):
    p = shop_history
    # Pan has no significant partner: bestsellers of its category (Kitchen) first,
    # best first, then the shop's bestsellers
    result = recommend_for([p["pan"].pk], 5)
    assert [(item.name, item.reason) for item in result] == [
        ("Water", Reason.CATEGORY_BESTSELLER),
        ("Mug", Reason.CATEGORY_BESTSELLER),
        ("Stove", Reason.CATEGORY_BESTSELLER),
        ("Tent", Reason.BESTSELLER),
        ("Sleeping bag", Reason.BESTSELLER),
    ]


def test_a_new_product_without_history_gets_bestsellers(shop_history):
    newcomer = make_product("Hammock")
    result = recommend_for([newcomer.pk], 2)
    assert [(item.name, item.reason) for item in result] == [
        ("Water", Reason.BESTSELLER),
        ("Mug", Reason.BESTSELLER),
    ]


def test_an_empty_shop_recommends_nothing(shop):
    product = make_product("Lonely")
    rebuild_model()
    assert recommend_for([product.pk], 4) == []
    assert recommend_for([product.pk], 0) == []


def test_names_come_in_the_active_language(shop_history):
    ProductTranslation.objects.create(
        product=shop_history["bag"], language_code="fr", name="Sac de couchage"
    )
    with translation.override("fr"):
        [first] = recommend_for([shop_history["tent"].pk], 1)
    assert first.name == "Sac de couchage"


def test_draft_and_cancelled_orders_are_not_counted(shop_history):
    p = shop_history
    before = ProductPopularity.objects.get(product_id=p["lamp"].pk).orders
    make_orders([[p["tent"], p["lamp"]]] * 3, status="draft")
    make_orders([[p["tent"], p["lamp"]]] * 3, status="canceled")
    rebuild_model()
    assert ProductPopularity.objects.get(product_id=p["lamp"].pk).orders == before
    assert "Lamp" not in names(recommend_for([p["tent"].pk], 2))


def test_new_orders_are_counted_once_and_match_a_rebuild(shop_history):
    p = shop_history
    make_orders([[p["tent"], p["lamp"]]] * 2 + [[p["mug"], p["pan"], p["lamp"]]])
    update = update_model()
    assert update.orders_added == 3
    assert update_model().orders_added == 0  # nothing new: nothing counted twice

    # Lamp now has the minimum support with Tent (2 orders before the rebuild, which
    # dropped the pair, and 2 since)
    lamp = [item for item in recommend_for([p["tent"].pk], 3) if item.name == "Lamp"]
    assert [item.reason for item in lamp] == [Reason.BOUGHT_TOGETHER]
    touched = {p[name].pk for name in ("tent", "lamp", "mug", "pan")}
    incremental = _model_rows(touched)
    rebuild_model()
    # counts are exact, and so are the scores of the new orders' products (the
    # others keep the previous order total until the next rebuild)
    assert _model_rows(touched) == incremental


def _model_rows(rescored):
    model = CoPurchaseModel.objects.get()
    pairs = {
        (row.product_a, row.product_b): (
            row.support,
            round(row.score, 6) if row.product_a in rescored else None,
        )
        for row in ProductPair.objects.filter(support__gte=3)
    }
    popularity = dict(ProductPopularity.objects.values_list("product_id", "orders"))
    return model.orders_counted, model.last_order_id, pairs, popularity


def test_huge_baskets_do_not_teach_pairs(shop):
    from saleor_ecrm_plugin.recommendations.building import MAX_BASKET_PRODUCTS

    products = [make_product() for _ in range(MAX_BASKET_PRODUCTS + 1)]
    make_orders([products] * 3)
    make_order(products[:2])
    stats = rebuild_model()
    assert stats.orders_counted == 1
    assert stats.pairs == 0


def test_beat_rebuilds_the_model_and_catches_up(shop_history, settings):
    from saleor_ecrm_plugin import tasks
    from saleor_ecrm_plugin.settings_helper import REBUILD_RECOMMENDATIONS_TASK

    entry = settings.CELERY_BEAT_SCHEDULE["ecrm-rebuild-recommendations"]
    assert (
        entry["task"]
        == REBUILD_RECOMMENDATIONS_TASK
        == tasks.rebuild_recommendations.name
    )
    p = shop_history
    order = make_order([p["tent"], p["lamp"]])
    tasks.rebuild_recommendations()
    model = CoPurchaseModel.objects.get()
    # orders are counted by their integer key: the pk on 2.10, the number on 3.21
    counted_id = getattr(order, "number", None) or order.pk
    assert model.last_order_id == counted_id and model.rebuilt_at is not None
