"""The links an email carries to the customer's preferences (signed, absolute)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Dict, Optional, Tuple

from django.conf import settings as django_settings
from django.urls import get_script_prefix, get_urlconf, reverse

from .tokens import make_newsletter_token, make_preferences_token

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings
    from ..host.port import ShopInfo


def public_base_url(settings: EcrmSettings, shop: ShopInfo) -> str:
    """Where this Saleor server answers, ending in "/" (no path of Saleor's own)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = shop.domain.strip("/")
    local = host.split(":")[0] in ("localhost", "127.0.0.1")
    return f"{'http' if local else 'https'}://{host}"


# what signed tokens are made of; reverse() leaves these characters as they are
_URL_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_.:-]+\Z")
_MARK = "ecrmtoken"
_ROUTES: Dict[Tuple[str, str, Optional[str]], Tuple[str, str]] = {}


def token_path(route: str, token: str) -> str:
    """``reverse(route, kwargs={"token": token})``, with the reversing done once per
    route and URLconf (it cost more than signing the token, twice an email)."""
    if not _URL_SAFE_TOKEN.match(token):
        return reverse(route, kwargs={"token": token})
    key = (route, get_script_prefix(), get_urlconf())
    around = _ROUTES.get(key)
    if around is None:
        head, _, tail = reverse(route, kwargs={"token": _MARK}).partition(_MARK)
        around = _ROUTES[key] = (head, tail)
    return around[0] + token + around[1]


def unsubscribe_url(base: str, email: str, category: Optional[str]) -> str:
    return base + token_path(
        "ecrm:unsubscribe", make_preferences_token(email, category)
    )


def preferences_url(base: str, email: str) -> str:
    return base + token_path("ecrm:preferences", make_preferences_token(email))


def newsletter_confirm_url(base: str, email: str) -> str:
    return base + token_path("ecrm:newsletter-confirm", make_newsletter_token(email))


#: the query parameter that carries a page's language (the email's)
LANGUAGE_PARAMETER = "lang"


def with_language(url: str, language: Optional[str], joiner: str = "?") -> str:
    """``url`` opening its page in ``language``; the shop's own language
    (``LANGUAGE_CODE``, the pages' default) adds nothing. ``joiner``: "&" when
    ``url`` has a query already."""
    if not language or language == django_settings.LANGUAGE_CODE:
        return url
    return f"{url}{joiner}{LANGUAGE_PARAMETER}={language}"


def unsubscribe_headers_and_context(
    settings: EcrmSettings,
    shop: ShopInfo,
    email: str,
    category: str,
    language: Optional[str] = None,
) -> Dict[str, Dict[str, str]]:
    """RFC 8058 headers plus the footer links of a non-transactional email; the
    pages they open speak ``language`` (the email's)."""
    base = public_base_url(settings, shop)
    one_click = with_language(unsubscribe_url(base, email, category), language)
    return {
        "headers": {
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "context": {
            "unsubscribe_url": one_click,
            "preferences_url": with_language(preferences_url(base, email), language),
        },
    }
