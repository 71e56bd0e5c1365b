"""The send ledger: the database owns the schedule.

A planned email is one :class:`ScheduledSend` row. Its life:

    planned --claim--> sending --deliver--> sent
       ^                  |  \\--re-check fails--> skipped
       |                  |   \\--permanent error / retries used up--> failed
       +--transient error-+   (the provider down while the breaker opens: handed
                                 back with its due time, the attempt not counted)
    planned --program cancels (e.g. the customer bought)--> cancelled

``next_attempt_at`` is when an open row (planned or sending) is due; it is NULL once
the row is closed (sent, skipped, failed, cancelled). Claiming reads one partial index
(``next_attempt_at IS NOT NULL``: open rows only, in due order) and costs O(due rows).

A claimed row is ``sending`` under a lease: ``lease_token`` names the claim,
``lease_expires_at`` is when another worker may take the row over. The claim changes
only columns that no index reads (status, lease, attempts), so PostgreSQL writes it
as a HOT update in the row's own page (the table keeps room for that: fillfactor 80)
without touching any index, and its cost does not grow with the ledger's size. Hence
no index may name ``status``: the indexes' conditions use ``next_attempt_at`` and
``sent_at``, which only the row's outcome changes.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

try:  # Django >= 3.1 (Saleor 3.x); 3.0's is PostgreSQL's, removed in Django 4
    from django.db.models import JSONField  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Django 3.0 (Saleor 2.10)
    from django.contrib.postgres.fields import JSONField

#: the static type of a TextChoices member: Django 3.0 ships no type information
ChoiceValue = Any


class SendStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Skipped"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


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
    # when an open row is due (NULL once it is closed)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # random token of the claim in force; a worker only finishes a row it still holds
    lease_token = models.CharField(max_length=32, blank=True, default="")
    # a sending row's lease: after this another worker may take it over
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # the first failure of the current run of retries: they end a retry window later
    failing_since = models.DateTimeField(null=True, blank=True)
    skip_reason = models.CharField(max_length=64, blank=True, default="")
    message_id = models.CharField(max_length=255, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="ecrm_send_due_idx",
                condition=Q(next_attempt_at__isnull=False),
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


class DeliveryBreaker(models.Model):
    """The email provider's circuit breaker (:mod:`.breaker`): one row, read by every
    dispatcher loop of every process."""

    name = models.CharField(max_length=32, unique=True)
    # provider-down errors in a row since the last delivery or opening
    consecutive_failures = models.PositiveIntegerField(default=0)
    # openings in a row: each doubles the pause
    openings = models.PositiveIntegerField(default=0)
    # sending pauses until then; past: half-open (one probe email)
    open_until = models.DateTimeField(null=True, blank=True)
    # a probe is in flight until then
    probe_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)


# models of the other parts of the plugin, so that Django finds them
from .preferences.models import ConsentEvent, EmailContact  # noqa: E402,F401
from .programs.affinity import models as affinity_models  # noqa: E402,F401
from .programs.back_in_stock import models as back_in_stock_models  # noqa: E402,F401
from .programs.new_edition import models as new_edition_models  # noqa: E402,F401
from .programs.replenishment import models as replenishment_models  # noqa: E402,F401
from .programs.review_request import models as review_models  # noqa: E402,F401
from .recommendations import models as recommendation_models  # noqa: E402,F401
from .rfm import models as rfm_models  # noqa: E402,F401
