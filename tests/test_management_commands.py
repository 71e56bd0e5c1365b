"""The plugin's ``manage.py`` commands, run as a merchant runs them."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from saleor_ecrm_plugin.recommendations import Reason, recommend_for
from saleor_ecrm_plugin.recommendations.models import CoPurchaseModel
from tests.factories import make_category, make_orders, make_product, order_sequence

pytestmark = pytest.mark.django_db


def test_build_recommendations_counts_every_order_now(shop):
    camping = make_category("Camping")
    tent = make_product("Tent", category=camping, price="120.00")
    bag = make_product("Sleeping bag", category=camping, price="60.00")
    lamp = make_product("Lamp", category=camping, price="15.00")
    orders = make_orders([[tent, bag]] * 4 + [[lamp]] * 6)
    # a shop that never ran the daily rebuild: no model yet
    assert not CoPurchaseModel.objects.exists()

    out = io.StringIO()
    call_command("ecrm_build_recommendations", stdout=out)

    assert out.getvalue().strip() == (
        "Recommendations built from 10 orders: 3 products,"
        " 2 ranked pairs (A then B, B then A)."
    )
    model = CoPurchaseModel.objects.get()
    assert model.rebuilt_at is not None
    assert model.last_order_id == max(order_sequence(order) for order in orders)
    first = recommend_for([tent.pk], limit=1)[0]
    assert (first.product_id, first.reason) == (bag.pk, Reason.BOUGHT_TOGETHER)
