"""Saleor 3.21 sells per channel: which channel a question is about, and what the
merchant set on it.

A checkout or an order names its channel. Questions without one (the products of a
cross-sell block, a back-in-stock variant) are answered for the shop's main
channel: the ``ECRM_CHANNEL`` setting (a channel slug) when the project sets it,
else Saleor's ``DEFAULT_CHANNEL_SLUG`` when that channel exists and is active, else
the first active channel.

The plugin's configuration is global (``CONFIGURATION_PER_CHANNEL = False``), but a
merchant selling under several storefronts, brands or languages sets, in the
metadata of a Channel (dashboard: Channels, the channel, Metadata), the values its
emails use instead of the global ones: ``ecrm.storefront_url`` (links),
``ecrm.sender`` (the From: ``Shop FR <bonjour@shop.example>`` or an address) and
``ecrm.language`` (one of the shop's ``LANGUAGES``, for purchases whose
language the storefront did not record). A bad value is an
:class:`~saleor_ecrm_plugin.errors.InvalidChannelSetting`, logged once per process;
the global value is used and the email still goes.
"""

from __future__ import annotations

import logging
import threading
from email.utils import parseaddr
from typing import Any, Dict, Optional, Set, Tuple

from ...errors import ConfigurationError, InvalidChannelSetting
from ...fields import parse_https_url
from ..port import ChannelSettings
from .ids import uuid_pk


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


# --- what the merchant sets on a channel -------------------------------------------

#: Channel metadata keys the merchant sets (dashboard: the channel's metadata)
STOREFRONT_URL_KEY = "ecrm.storefront_url"
SENDER_KEY = "ecrm.sender"
LANGUAGE_KEY = "ecrm.language"

logger = logging.getLogger(__name__)
#: (channel slug, key, value) already reported: each bad value is logged once per
#: process, not once per email
_reported: Set[Tuple[str, str, str]] = set()
_reported_lock = threading.Lock()


def _report_once(slug: str, key: str, value: str, error: InvalidChannelSetting) -> None:
    with _reported_lock:
        if (slug, key, value) in _reported:
            return
        _reported.add((slug, key, value))
    logger.warning(
        "Channel %r: metadata %s=%r ignored, the plugin's setting applies: %s",
        slug,
        key,
        value,
        error,
        exc_info=error,
    )


def parse_sender(value: str) -> Tuple[str, str]:
    """``"Shop FR <bonjour@shop.example>"`` or ``"bonjour@shop.example"`` as
    (display name, address); :class:`InvalidChannelSetting` if it holds no valid
    address or a line break."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if any(char in value for char in "\r\n\x00"):
        raise InvalidChannelSetting(f"{SENDER_KEY}: a sender is one line")
    name, address = parseaddr(value)
    try:
        validate_email(address)
    except ValidationError as exc:
        raise InvalidChannelSetting(
            f"{SENDER_KEY}: {value!r} holds no valid email address"
            " (expected Shop <hello@shop.example> or hello@shop.example)"
        ) from exc
    return name.strip(), address


def parse_language(value: str) -> str:
    """A language of the shop's ``LANGUAGES`` (``fr-ca`` -> ``fr``)."""
    from django.utils import translation

    try:
        return str(translation.get_supported_language_variant(value.strip().lower()))
    except LookupError as exc:
        raise InvalidChannelSetting(
            f"{LANGUAGE_KEY}: {value!r} is not one of the shop's languages"
            " (settings.LANGUAGES)"
        ) from exc


def parse_storefront_url(value: str) -> str:
    try:
        return parse_https_url(value)
    except ConfigurationError as exc:
        raise InvalidChannelSetting(
            f"{STOREFRONT_URL_KEY}: {value!r} is not a web address"
            " (expected https://shop.example/)"
        ) from exc


def settings_of_channel(
    slug: str, metadata: Optional[Dict[str, Any]]
) -> ChannelSettings:
    """The valid values among a channel's ``ecrm.*`` metadata. A bad value is
    reported once (:class:`InvalidChannelSetting`, logged) and left out: the
    plugin's global setting applies, and the email still goes."""
    metadata = metadata or {}
    values: Dict[str, str] = {}
    parsers = (
        (STOREFRONT_URL_KEY, parse_storefront_url),
        (SENDER_KEY, parse_sender),
        (LANGUAGE_KEY, parse_language),
    )
    for key, parse in parsers:
        raw = metadata.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            if not isinstance(raw, str):
                raise InvalidChannelSetting(f"{key}: {raw!r} is not text")
            parsed: Any = parse(raw.strip())
        except InvalidChannelSetting as error:
            _report_once(slug, key, str(raw), error)
            continue
        if key == SENDER_KEY:
            values["sender_name"], values["sender_email"] = parsed
        elif key == LANGUAGE_KEY:
            values["language"] = parsed
        else:
            values["storefront_url"] = parsed
    return ChannelSettings(**values)


def _channel_row(
    checkout_token: Optional[str], order_id: Any
) -> Optional[Tuple[str, Dict[str, Any]]]:
    """(slug, metadata) of the channel of this checkout, else of this order."""
    from saleor.channel.models import Channel

    token = uuid_pk(checkout_token) if checkout_token else None
    if token is not None:
        row = (
            Channel.objects.filter(checkouts__token=token)
            .values_list("slug", "metadata")
            .first()
        )
        if row is not None:
            return row
    order_pk = uuid_pk(order_id) if order_id else None
    if order_pk is not None:
        return (
            Channel.objects.filter(orders__id=order_pk)
            .values_list("slug", "metadata")
            .first()
        )
    return None


def channel_settings(
    checkout_token: Optional[str] = None, order_id: Any = None
) -> ChannelSettings:
    """What the merchant set on the channel of this checkout (else order): the
    storefront, the sender and the language of its emails (valid values only)."""
    row = _channel_row(checkout_token, order_id)
    if row is None:
        return ChannelSettings()
    slug, metadata = row
    return settings_of_channel(slug, metadata)


def channel_language(channel: Any) -> Optional[str]:
    """The ``ecrm.language`` the merchant set on this channel instance, if valid."""
    if channel is None:
        return None
    return settings_of_channel(channel.slug, channel.metadata).language or None
