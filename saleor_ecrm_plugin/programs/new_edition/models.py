"""The launches of new editions: one row per edition, planned once."""

from __future__ import annotations

from django.db import models


class EditionLaunch(models.Model):
    """An edition whose emails are being (or were) planned. ``after_email`` is the
    planning's resume point (buyers are planned in address order, page by page)."""

    product_id = models.IntegerField(unique=True)
    started_at = models.DateTimeField()
    after_email = models.CharField(max_length=254, blank=True, default="")
    planned = models.IntegerField(default=0)
    complete = models.BooleanField(default=False)

    class Meta:
        db_table = "saleor_ecrm_editionlaunch"
