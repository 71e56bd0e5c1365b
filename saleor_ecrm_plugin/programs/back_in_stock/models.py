"""Back-in-stock subscriptions and the detection state of each watched variant.

A subscription's life::

    open --a wave picks it--> notified   (its email is planned in the same transaction)
      ^                          |
      +--stock gone before send--+        (reopened, keeps its place in the queue)
    open --unsubscribed / variant deleted--> cancelled

Variant and product ids are plain integers, not foreign keys to Saleor's tables (as
in the recommendation model): the host adapter answers every question about them,
and a deleted variant is noticed by the detection tick, which cancels its
subscriptions.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class SubscriptionStatus(models.TextChoices):
    OPEN = "open", "Waiting for stock"
    NOTIFIED = "notified", "Alert planned or sent"
    CANCELLED = "cancelled", "Cancelled"


class BackInStockSubscription(models.Model):
    variant_id = models.IntegerField()
    product_id = models.IntegerField()
    #: stored lower-cased (a check constraint holds it), so that the unique index
    #: on the address is one on lower(address)
    email = models.EmailField(max_length=254)
    #: the signed-in customer who asked, if any
    user_id = models.IntegerField(null=True, blank=True)
    #: keyed hash of the client's network address (never the address itself), for
    #: the per-address abuse limit
    client_hash = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.OPEN,
    )
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    #: the variant's wave (1, 2, ...) that notified it
    wave = models.PositiveIntegerField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["variant_id", "email"],
                condition=Q(status="open"),
                name="ecrm_bis_one_open_per_email",
            ),
            models.CheckConstraint(
                check=Q(email=Lower("email")), name="ecrm_bis_email_lower"
            ),
        ]
        indexes = [
            # waves take a variant's open subscriptions in subscription order; the
            # detection tick walks the distinct variant ids of this index
            models.Index(
                fields=["variant_id", "created_at", "id"],
                name="ecrm_bis_open_queue_idx",
                condition=Q(status="open"),
            ),
            # abuse limits: open subscriptions per address, recent ones per client
            models.Index(
                fields=["email"],
                name="ecrm_bis_open_email_idx",
                condition=Q(status="open"),
            ),
            models.Index(
                fields=["client_hash", "created_at"], name="ecrm_bis_client_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} waits for variant {self.variant_id} ({self.status})"


class VariantWatch(models.Model):
    """What the detection tick knows of one variant with open subscriptions.

    Written only when something changes (availability, a wave), so a tick where
    nothing came back writes nothing. Removed once the variant has no open
    subscription left.
    """

    variant_id = models.IntegerField(unique=True)
    #: units available at the last change seen (quantity - allocated, all warehouses)
    available = models.IntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)
    waves = models.PositiveIntegerField(default=0)
    last_wave_at = models.DateTimeField(null=True, blank=True)
    #: no wave before this time; None: as soon as stock is back above the threshold
    #: (cleared whenever a tick sees the stock below it, so a restock after a sell-out
    #: is announced at once)
    next_wave_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"variant {self.variant_id}: {self.available} available"
