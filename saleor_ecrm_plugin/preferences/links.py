"""The links an email carries to the customer's preferences (signed, absolute)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional

from django.urls import reverse

from .tokens import make_newsletter_token, make_preferences_token

if TYPE_CHECKING:
    from ..config import EcrmSettings
    from ..host.saleor210 import ShopInfo


def public_base_url(settings: EcrmSettings, shop: ShopInfo) -> str:
    """Where this Saleor server answers, ending in "/" (no path of Saleor's own)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = shop.domain.strip("/")
    local = host.split(":")[0] in ("localhost", "127.0.0.1")
    return f"{'http' if local else 'https'}://{host}"


def unsubscribe_url(base: str, email: str, category: Optional[str]) -> str:
    token = make_preferences_token(email, category)
    return base + reverse("ecrm:unsubscribe", kwargs={"token": token})


def preferences_url(base: str, email: str) -> str:
    return base + reverse(
        "ecrm:preferences", kwargs={"token": make_preferences_token(email)}
    )


def newsletter_confirm_url(base: str, email: str) -> str:
    token = make_newsletter_token(email)
    return base + reverse("ecrm:newsletter-confirm", kwargs={"token": token})


def unsubscribe_headers_and_context(
    settings: EcrmSettings, shop: ShopInfo, email: str, category: str
) -> Dict[str, Dict[str, str]]:
    """RFC 8058 headers plus the footer links of a non-transactional email."""
    base = public_base_url(settings, shop)
    one_click = unsubscribe_url(base, email, category)
    return {
        "headers": {
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "context": {
            "unsubscribe_url": one_click,
            "preferences_url": preferences_url(base, email),
        },
    }
