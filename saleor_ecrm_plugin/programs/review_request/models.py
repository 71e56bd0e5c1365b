"""A customer's review of a product they bought, from a review-request link.

Ids of Saleor's rows are plain values, not foreign keys: the plugin's tables do not
depend on Saleor's schema (a 3.x adapter has UUID order ids), and a review outlives
the deletion of its order. ``order_line_id`` is unique: one review per bought line,
which is what makes a second use of the same link refusable.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReviewStatus(models.TextChoices):
    PENDING = "pending", "Waiting for moderation"
    APPROVED = "approved", "Published"
    REJECTED = "rejected", "Rejected"


class Review(models.Model):
    product_id = models.IntegerField()
    variant_id = models.IntegerField(null=True, blank=True)
    order_id = models.CharField(max_length=64)
    order_line_id = models.CharField(max_length=64, unique=True)
    #: the order's address, lower-cased (guests have no account)
    email = models.EmailField(max_length=254)
    user_id = models.IntegerField(null=True, blank=True)
    #: shown on the storefront: first name and last initial, from the order
    author_name = models.CharField(max_length=64, blank=True, default="")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, default="")
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                check=Q(rating__gte=1) & Q(rating__lte=5),
                name="ecrm_review_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(
                fields=["product_id", "status"], name="ecrm_review_product_idx"
            ),
            models.Index(fields=["order_id"], name="ecrm_review_order_idx"),
            models.Index(
                fields=["status", "created_at"], name="ecrm_review_status_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for product {self.product_id} ({self.status})"
