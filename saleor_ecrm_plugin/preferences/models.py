"""Per-address preferences and the consent log.

A row exists only once an address has done something (unsubscribed, subscribed,
bounced): an address without a row has the default preferences, so no answer ever
depends on whether the shop knows an address.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone as tz

#: ``suppression_reason`` of list cleaning (programs/reactivation): marketing stops,
#: and subscribing again lifts it (unlike a bounce or a complaint)
SUNSET = "sunset"


class NewsletterStatus(models.TextChoices):
    NONE = "none", "Not subscribed"
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Subscribed"


class EmailContact(models.Model):
    email = models.EmailField(max_length=254, unique=True)  # stored lower-cased
    #: the "nothing but transactional email" switch
    marketing_opt_out = models.BooleanField(default=False)
    opted_out_categories = ArrayField(
        models.CharField(max_length=32), default=list, blank=True
    )
    newsletter = models.CharField(
        max_length=16, choices=NewsletterStatus.choices, default=NewsletterStatus.NONE
    )
    #: the customer's own time zone, when known (else the shop's applies)
    timezone = models.CharField(max_length=64, blank=True, default="")
    suppressed_at = models.DateTimeField(null=True, blank=True)
    suppression_reason = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=tz.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.email


class ConsentAction(models.TextChoices):
    GRANTED = "granted", "Granted"
    WITHDRAWN = "withdrawn", "Withdrawn"
    REQUESTED = "requested", "Requested (waiting for confirmation)"
    SUPPRESSED = "suppressed", "Suppressed by the mail provider"
    #: a sunset suppression lifted: the customer subscribed again
    UNSUPPRESSED = "unsuppressed", "Suppression lifted"


class ConsentEvent(models.Model):
    """Append-only: when and how consent was given or withdrawn, and for what."""

    contact = models.ForeignKey(
        EmailContact, related_name="consent_events", on_delete=models.CASCADE
    )
    action = models.CharField(max_length=16, choices=ConsentAction.choices)
    #: a category slug, or "marketing" for the global switch
    scope = models.CharField(max_length=32)
    #: where it happened: one_click, preference_page, graphql, double_opt_in, ...
    source = models.CharField(max_length=32)
    detail = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=tz.now)

    class Meta:
        ordering = ["contact_id", "created_at", "id"]
        indexes = [
            # newsletterSubscribe's limits count the last hour's requests
            models.Index(
                fields=["created_at"],
                condition=models.Q(action="requested"),
                name="ecrm_consent_requested_idx",
            )
        ]
