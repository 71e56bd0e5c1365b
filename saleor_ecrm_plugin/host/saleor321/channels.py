"""Saleor 3.21 sells per channel: which channel a question is about.

A checkout or an order names its channel. Questions without one (the products of a
cross-sell block, a back-in-stock variant) are answered for the shop's main
channel: the ``ECRM_CHANNEL`` setting (a channel slug) when the project sets it,
else Saleor's ``DEFAULT_CHANNEL_SLUG`` when that channel exists and is active, else
the first active channel.
"""

from __future__ import annotations

from typing import Any, Optional


def main_channel() -> Optional[Any]:
    """The channel answers without a checkout or order are given for, or None when
    the shop has no active channel."""
    from django.conf import settings
    from saleor.channel.models import Channel

    for slug in (
        getattr(settings, "ECRM_CHANNEL", None),
        getattr(settings, "DEFAULT_CHANNEL_SLUG", None),
    ):
        if slug:
            channel = Channel.objects.filter(slug=slug, is_active=True).first()
            if channel is not None:
                return channel
    return Channel.objects.filter(is_active=True).order_by("pk").first()


def main_channel_id() -> Optional[int]:
    channel = main_channel()
    return None if channel is None else int(channel.pk)
