"""The send ledger: the database owns the schedule.

A planned email is one :class:`ScheduledSend` row. Its life:

    planned --claim--> sending --deliver--> sent
       ^                  |  \\--re-check fails--> skipped
       |                  |   \\--permanent error / too many attempts--> failed
       +--transient error-+
    planned --program cancels (e.g. the customer bought)--> cancelled

``next_attempt_at`` is the one time column the dispatcher reads. For a planned row it
is when the row is due; for a row being sent it is when the worker's lease expires,
after which another worker may take the row over. Claiming therefore reads one
partial index (rows still to do, ordered by that time) and costs O(due rows).
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import JSONField
from django.db import models
from django.db.models import Q
from django.utils import timezone

#: the static type of a TextChoices member: Django 3.0 ships no type information
ChoiceValue = Any


class SendStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


#: statuses a dispatcher may still pick up (``sending`` only once its lease expired)
OPEN_STATUSES = (SendStatus.PLANNED, SendStatus.SENDING)


class ScheduledSend(models.Model):
    program = models.CharField(max_length=64)
    step = models.CharField(max_length=64)
    recipient = models.EmailField(max_length=254)
    # what the email is about, in the host's terms ("checkout", "order", ...)
    subject_type = models.CharField(max_length=32)
    subject_id = models.CharField(max_length=64)
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=16, choices=SendStatus.choices, default=SendStatus.PLANNED
    )
    idempotency_key = models.CharField(max_length=200, unique=True)
    # plain JSON values a program needs at send time (never model instances)
    payload = JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # random token of the claim in force; a worker only finishes a row it still holds
    lease_token = models.CharField(max_length=32, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    skip_reason = models.CharField(max_length=64, blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="ecrm_send_open_due_idx",
                condition=Q(status__in=["planned", "sending"]),
            ),
            models.Index(
                fields=["program", "subject_type", "subject_id"],
                name="ecrm_send_subject_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program}/{self.step} to {self.recipient} ({self.status})"


class AttemptOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    RETRY = "retry", "Will retry"
    DEFERRED = "deferred", "Delayed by the sending policy"
    FAILED = "failed", "Failed"


class SendAttempt(models.Model):
    """One row per delivery attempt, so a merchant can see why an email did not go."""

    send = models.ForeignKey(
        ScheduledSend, related_name="attempt_log", on_delete=models.CASCADE
    )
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=16, choices=AttemptOutcome.choices)
    error_type = models.CharField(max_length=128, blank=True, default="")
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["send_id", "number"]


class Conversion(models.Model):
    """An order placed after e-CRM emails that may have brought it: one row per email
    credited (a program's attribution window decides which). Revenue is the order's;
    a report counts each order once per program."""

    send = models.ForeignKey(
        ScheduledSend, related_name="conversions", on_delete=models.CASCADE
    )
    program = models.CharField(max_length=64)
    order_id = models.CharField(max_length=64)
    revenue = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    converted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["send", "order_id"], name="ecrm_conversion_once"
            )
        ]
        indexes = [
            models.Index(
                fields=["program", "order_id"], name="ecrm_conversion_order_idx"
            )
        ]


class ScanCursor(models.Model):
    """Where a periodic scan of a Saleor table stopped: ``(position, after_key)`` is
    the last row seen, in the scan's order."""

    name = models.CharField(max_length=64, unique=True)
    position = models.DateTimeField(null=True, blank=True)
    after_key = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)


# models of the other parts of the plugin, so that Django finds them
from .back_in_stock import models as back_in_stock_models  # noqa: E402,F401
from .preferences.models import ConsentEvent, EmailContact  # noqa: E402,F401
from .recommendations import models as recommendation_models  # noqa: E402,F401
from .reviews import models as review_models  # noqa: E402,F401
