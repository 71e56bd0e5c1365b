"""RFM scores per contact, derived from the shop's orders (recomputed daily)."""

from __future__ import annotations

from django.db import models


class RfmScore(models.Model):
    """One address that bought at least once: its scores and group.

    Derived data: :func:`..scoring.recompute_rfm_scores` replaces every row in one
    transaction (readers see the previous day's rows until it commits).
    """

    email = models.CharField(max_length=254, unique=True)
    last_order_at = models.DateTimeField()
    orders = models.PositiveIntegerField()
    revenue = models.DecimalField(max_digits=14, decimal_places=2)
    recency = models.PositiveSmallIntegerField()
    frequency = models.PositiveSmallIntegerField()
    monetary = models.PositiveSmallIntegerField()
    group = models.CharField(max_length=32)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [
            # the win-back scan: who last ordered in a window
            models.Index(fields=["last_order_at"], name="ecrm_rfm_last_order_idx"),
            models.Index(fields=["group"], name="ecrm_rfm_group_idx"),
        ]

    @property
    def score(self) -> int:
        return self.recency + self.frequency + self.monetary

    def __str__(self) -> str:
        return (
            f"{self.email}: {self.recency}{self.frequency}{self.monetary} {self.group}"
        )
