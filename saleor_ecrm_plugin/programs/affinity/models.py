"""The category affinity model: which categories the shop's customers buy together."""

from __future__ import annotations

from django.db import models


class CategoryAffinity(models.Model):
    """Customers who bought in ``category_a`` also bought in ``category_b``.

    Derived data, replaced by each build (:func:`.model.build_category_affinity`):
    only pairs above the thresholds are kept, in both directions. Category ids are
    plain integers (the host's), not foreign keys.
    """

    category_a = models.IntegerField()
    category_b = models.IntegerField()
    #: customers who bought in both categories
    customers = models.PositiveIntegerField()
    #: their share of all the shop's buyers
    support = models.FloatField()
    #: P(b | a) / P(b): how much more often than chance
    lift = models.FloatField()
    #: P(b | a), the ranking within a category's partners
    confidence = models.FloatField()
    built_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category_a", "category_b"], name="ecrm_cat_affinity_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["category_a", "-lift"], name="ecrm_cat_affinity_lookup_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category_a} -> {self.category_b} (lift {self.lift:.2f})"
