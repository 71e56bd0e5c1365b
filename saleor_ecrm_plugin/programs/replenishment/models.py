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
