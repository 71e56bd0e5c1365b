"""Saleor 3.21: the shop, its stored plugin configuration, a request's client.

The plugin is configured globally on 3.21 (``CONFIGURATION_PER_CHANNEL = False``,
see ``plugin.py``): its configuration is the row without a channel.
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any, Optional

from ... import clients
from ..port import PluginConfiguration, ShopInfo


def shop_info() -> ShopInfo:
    from django.conf import settings
    from django.contrib.sites.models import Site

    site = Site.objects.get_current()
    site_settings = getattr(site, "settings", None)
    sender_name = ""
    sender_email = ""
    if site_settings is not None:
        sender_name = site_settings.default_mail_sender_name or ""
        sender_email = site_settings.default_mail_sender_address or ""
    if not sender_email:
        fallback_name, sender_email = parseaddr(settings.DEFAULT_FROM_EMAIL or "")
        sender_name = sender_name or fallback_name
    return ShopInfo(
        name=site.name,
        domain=site.domain,
        sender_name=sender_name or site.name,
        sender_email=sender_email or f"noreply@{site.domain.split(':')[0]}",
    )


def stored_plugin_configuration(plugin_id: str) -> PluginConfiguration:
    """(active, configuration items) saved from the dashboard; None if never saved."""
    from saleor.plugins.models import PluginConfiguration

    row = PluginConfiguration.objects.filter(
        identifier=plugin_id, channel__isnull=True
    ).first()
    if row is None:
        return False, None
    return row.active, row.configuration


def client_address(request: Any) -> Optional[str]:
    """The client's network address: the connection's, or the hop the configured
    number of trusted proxies saw (:func:`saleor_ecrm_plugin.clients.client_address`;
    not Saleor's ``get_client_ip``, which believes the first, client-written,
    ``X-Forwarded-For`` address)."""
    if request is None:
        return None
    return clients.client_address(request.META)
