"""Who is asking: the client's network address, as far as it can be trusted.

``X-Forwarded-For`` is written by whoever sends the request: only the hops appended
by the shop's own proxies can be believed. ``ECRM_TRUSTED_PROXIES`` (a Django
setting, default 0) says how many proxies stand in front of the application:

* 0: the address of the connection (``REMOTE_ADDR``), the header ignored;
* N: the N-th address from the right of ``X-Forwarded-For`` (each trusted proxy
  appends the address it received the request from), as Django's and Saleor's
  deployment guides suggest. A header with fewer hops than that is not from the
  proxies: the connection's address is used.

Abuse limits count a client's *network*: an IPv4 address, an IPv6 /64 (one
customer's line), and an IPv4-mapped IPv6 address (``::ffff:203.0.113.7``) as the
IPv4 address it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from typing import Any, Mapping, Optional

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TRUSTED_PROXIES_SETTING = "ECRM_TRUSTED_PROXIES"


def trusted_proxies() -> int:
    value = getattr(settings, TRUSTED_PROXIES_SETTING, 0)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ImproperlyConfigured(
            f"{TRUSTED_PROXIES_SETTING} must be a whole number >= 0, not {value!r}."
        )
    return value


def client_address(meta: Mapping[str, Any]) -> Optional[str]:
    """The client's address from a request's ``META``, trusting only the configured
    number of proxies; None when it is unknown."""
    remote = str(meta.get("REMOTE_ADDR") or "").strip() or None
    proxies = trusted_proxies()
    if proxies == 0:
        return remote
    hops = [
        hop.strip()
        for hop in str(meta.get("HTTP_X_FORWARDED_FOR") or "").split(",")
        if hop.strip()
    ]
    if len(hops) < proxies:
        return remote
    return hops[-proxies]


def client_network(address: Optional[str]) -> Optional[str]:
    """The network a limit counts for ``address``; None when it is not an address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_key(scope: str, address: Optional[str]) -> str:
    """A keyed hash of the client's network for ``scope`` (the raw address is not
    stored); empty when the address is unknown."""
    network = client_network(address)
    if network is None:
        return ""
    key = f"ecrm.{scope}:{settings.SECRET_KEY}".encode()
    return hmac.new(key, network.encode(), hashlib.sha256).hexdigest()
