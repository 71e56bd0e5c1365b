"""The host adapter for Saleor 2.10: every read of Saleor's models goes through here.

Functions take and return plain values (ids, strings, small dataclasses), so that
programs never hold a Saleor model instance and a Saleor 3.x adapter can replace this
module without touching them.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, List, Optional, Tuple

PLUGIN_CONFIGURATION = Tuple[bool, Optional[List[dict]]]


@dataclass(frozen=True)
class ShopInfo:
    name: str
    domain: str
    sender_name: str
    sender_email: str


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


def stored_plugin_configuration(plugin_id: str) -> PLUGIN_CONFIGURATION:
    """(active, configuration items) saved from the dashboard; None if never saved."""
    from saleor.plugins.models import PluginConfiguration

    row = PluginConfiguration.objects.filter(identifier=plugin_id).first()
    if row is None:
        return False, None
    return row.active, row.configuration


@dataclass(frozen=True)
class Customer:
    id: int
    email: str
    first_name: str
    is_active: bool


def customer_by_id(user_id: Any) -> Optional[Customer]:
    from saleor.account.models import User

    user = (
        User.objects.filter(pk=user_id)
        .only("id", "email", "first_name", "is_active")
        .first()
    )
    if user is None:
        return None
    return Customer(user.pk, user.email, user.first_name, user.is_active)


def is_existing_customer(email: str) -> bool:
    """True when the address has placed an order (an account alone is not enough)."""
    from django.db.models import Q
    from saleor.order import OrderStatus
    from saleor.order.models import Order

    return (
        Order.objects.filter(Q(user_email__iexact=email) | Q(user__email__iexact=email))
        .exclude(status=OrderStatus.DRAFT)
        .exists()
    )
