"""The "frequently bought together" model, kept in the database.

Three tables, all derived from the shop's orders and rebuilt from them at will:

* :class:`ProductPopularity`: in how many counted orders each product appears
  (the bestsellers, overall and per category);
* :class:`ProductPair`: for two products bought in the same order, how many orders
  hold both (``support``), how significant that is (``llr``) and the resulting
  ``score``, stored in both directions so that "what goes with A" is one index range;
* :class:`CoPurchaseModel`: one row with the number of counted orders and the
  highest order id counted, which incremental updates carry on from.

Product ids are plain integers, not foreign keys: the rows are derived data that a
rebuild replaces, and the lookup re-checks every product against the live catalogue.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class CoPurchaseModel(models.Model):
    """The model's bookkeeping: a single row (``pk=1``)."""

    orders_counted = models.PositiveIntegerField(default=0)
    #: every counted order with an id up to this one is in the tables
    last_order_id = models.PositiveIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"co-purchase model: {self.orders_counted} orders"


class ProductPopularity(models.Model):
    product_id = models.IntegerField(unique=True)
    category_id = models.IntegerField(null=True, blank=True)
    #: counted orders holding the product
    orders = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["-orders", "product_id"], name="ecrm_pop_orders_idx"),
            models.Index(
                fields=["category_id", "-orders", "product_id"],
                name="ecrm_pop_category_idx",
            ),
        ]


class ProductPair(models.Model):
    product_a = models.IntegerField()
    product_b = models.IntegerField()
    #: counted orders holding both products
    support = models.PositiveIntegerField()
    #: log-likelihood ratio (G²) of the pair, 0 when the products are not bought
    #: together more often than chance predicts
    llr = models.FloatField(default=0.0)
    #: P(b | a) when the pair is significant and has the minimum support, else 0
    score = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product_a", "product_b"], name="ecrm_pair_unique"
            )
        ]
        indexes = [
            # the lookup reads only significant pairs, best first
            models.Index(
                fields=["product_a", "-score"],
                name="ecrm_pair_lookup_idx",
                condition=Q(score__gt=0),
            )
        ]
