"""What customers did with the emails: clicks, opens, and orders credited by click.

One row per event, never aggregated here: reports and segments count them in SQL.
A row flagged as automated (``bot_reason`` of a click, ``proxy`` of an open) is kept,
for the merchant to see, and left out of engagement by :mod:`.events`' querysets.
Neither table stores a client's address: ``client_key`` is a keyed HMAC of its
network (:func:`saleor_ecrm_plugin.clients.client_key`).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class BotReason(models.TextChoices):
    """Why a click is taken for a link scanner rather than a person ("": a person)."""

    TOO_SOON = "too_soon", "Within seconds of delivery"
    HEAD = "head", "HEAD request"
    ALL_LINKS = "all_links", "Every link clicked at once"
    SCANNER_AGENT = "scanner_agent", "Known scanner agent"
    HONEYPOT = "honeypot", "Hidden link"


class OpenProxy(models.TextChoices):
    """Who fetched the pixel when it was not the reader's own mail client."""

    NONE = "", "Reader"
    # Apple Mail Privacy Protection fetches every image at delivery: not an open
    APPLE_MPP = "apple_mpp", "Apple Mail Privacy Protection"
    # Gmail's image proxy fetches when the reader opens the email: a real open
    GOOGLE = "google", "Google image proxy"


class EmailClick(models.Model):
    """One request for a tracked link of a sent email."""

    # no index of its own: ecrm_click_send_idx (send, clicked_at) serves it
    send = models.ForeignKey(
        "saleor_ecrm.ScheduledSend",
        related_name="clicks",
        on_delete=models.CASCADE,
        db_index=False,
    )
    program = models.CharField(max_length=64)
    # the recipient as sent (lower case): attribution looks clicks up by address
    recipient = models.CharField(max_length=254)
    # the link's position in the email (the same target has one index)
    link_index = models.PositiveSmallIntegerField()
    url = models.TextField()
    method = models.CharField(max_length=8, default="GET")
    user_agent = models.CharField(max_length=512, blank=True, default="")
    client_key = models.CharField(max_length=64, blank=True, default="")
    # "": a person; else why it is taken for a scanner (BotReason)
    bot_reason = models.CharField(
        max_length=16, choices=BotReason.choices, blank=True, default=""
    )
    clicked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["send", "clicked_at"], name="ecrm_click_send_idx"),
            models.Index(
                fields=["recipient", "clicked_at"],
                name="ecrm_click_real_idx",
                condition=Q(bot_reason=""),
            ),
        ]


class EmailOpen(models.Model):
    """One fetch of a sent email's tracking pixel."""

    # no index of its own: ecrm_open_send_idx (send, opened_at) serves it
    send = models.ForeignKey(
        "saleor_ecrm.ScheduledSend",
        related_name="opens",
        on_delete=models.CASCADE,
        db_index=False,
    )
    program = models.CharField(max_length=64)
    recipient = models.CharField(max_length=254)
    user_agent = models.CharField(max_length=512, blank=True, default="")
    client_key = models.CharField(max_length=64, blank=True, default="")
    # "": the reader's mail client; else the proxy that fetched it (OpenProxy)
    proxy = models.CharField(
        max_length=16, choices=OpenProxy.choices, blank=True, default=""
    )
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["send", "opened_at"], name="ecrm_open_send_idx"),
            models.Index(
                fields=["recipient", "opened_at"], name="ecrm_open_recipient_idx"
            ),
        ]


class ClickConversion(models.Model):
    """An order credited to the last email its customer really clicked (bots
    excluded) within the click attribution window: at most one row per order.
    The emails merely sent before it are credited apart (``Conversion``, reported
    as "influenced")."""

    order_id = models.CharField(max_length=64, unique=True)
    send = models.ForeignKey(
        "saleor_ecrm.ScheduledSend",
        related_name="click_conversions",
        on_delete=models.CASCADE,
    )
    click = models.ForeignKey(
        EmailClick, related_name="conversions", on_delete=models.CASCADE
    )
    program = models.CharField(max_length=64)
    revenue = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    converted_at = models.DateTimeField(default=timezone.now)
