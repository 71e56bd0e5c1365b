"""Saleor 2.10: the shop, its stored plugin configuration, a request's client."""

from __future__ import annotations

from email.utils import parseaddr
from typing import Any, Optional

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

    row = PluginConfiguration.objects.filter(identifier=plugin_id).first()
    if row is None:
        return False, None
    return row.active, row.configuration


def client_address(request: Any) -> Optional[str]:
    """The client's network address as Saleor sees it (``X-Forwarded-For`` first:
    the proxy in front of Saleor must set it)."""
    from saleor.core.utils import get_client_ip

    return get_client_ip(request) if request is not None else None
