"""The reorder interval of each product, rebuilt by the daily learning scan.

Product ids are plain integers, not foreign keys to Saleor's tables (as in the
recommendation model): the host answers every question about them.
"""

from __future__ import annotations

from django.db import models


class IntervalSource(models.TextChoices):
    LEARNED = "learned", "Learned from repeat purchases"
    LIFETIME = "lifetime", "Lifetime set by the merchant"


class ReorderInterval(models.Model):
    product_id = models.IntegerField(primary_key=True)
    #: days one unit lasts; a line of 3 units is reminded after 3 x share x this
    days_per_unit = models.FloatField()
    source = models.CharField(max_length=16, choices=IntervalSource.choices)
    #: repeat purchases the learned median is taken over (0 for a set lifetime)
    repeats = models.IntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        db_table = "saleor_ecrm_reorderinterval"


class LatestPurchase(models.Model):
    """Each address's latest counted order line of each product (replenishment's own
    copy of the order history, kept by the daily catch-up of new orders), with the
    day its reminder falls due: the daily planning is an index range scan of the
    due day, not a read of a year of Saleor's orders. A later order of the product
    by the address replaces the row (the customer re-ordered: no reminder for the
    earlier line)."""

    email = models.CharField(max_length=254)
    product_id = models.IntegerField()
    order_id = models.CharField(max_length=64)
    line_id = models.CharField(max_length=64)
    variant_id = models.IntegerField()
    quantity = models.IntegerField()
    ordered_at = models.DateTimeField()
    #: days the line lasts (interval x quantity); None: no interval known
    interval_days = models.FloatField(null=True)
    #: when the reminder is due (share x interval_days after the order, capped)
    due_at = models.DateTimeField(null=True)
    #: the share of the interval ``due_at`` was computed with
    share = models.FloatField(default=0)

    class Meta:
        db_table = "saleor_ecrm_latestpurchase"
        constraints = [
            models.UniqueConstraint(
                fields=["email", "product_id"], name="ecrm_latest_purchase_unique"
            )
        ]
        indexes = [models.Index(fields=["due_at"], name="ecrm_latest_purchase_due_idx")]
