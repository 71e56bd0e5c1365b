"""Telling people from machines: link scanners and mail privacy proxies.

Security gateways (Microsoft Defender Safe Links, Mimecast, Proofpoint, Barracuda...)
follow every link of an email when it arrives, often with a browser's user agent.
Nothing tells such a click from a person's for sure, so a click is *flagged*, never
dropped, by the first pattern it matches (:func:`request_bot_reason` for the
patterns the request shows, :mod:`.events`' SQL for the other two):

* ``head``: a HEAD request (a person's browser sends GET);
* ``honeypot``: the hidden link every tracked HTML email carries (no person sees it);
* ``scanner_agent``: a user agent of a known scanner, crawler or HTTP library;
* ``too_soon``: within :data:`TOO_SOON_SECONDS` of the delivery;
* ``all_links``: every tracked link of the email clicked within
  :data:`ALL_LINKS_SECONDS` (the earlier clicks of that burst are flagged too).

Opens (:func:`open_proxy`): Apple Mail Privacy Protection (iOS 15 / macOS 12, 2021)
fetches every remote image through Apple's proxies when the message is *delivered*,
whether or not it is read: such a fetch is ``apple_mpp`` and never counts as an open.
It is recognised as publicly documented by deliverability vendors: a request from
Apple's network ``17.0.0.0/8`` (Apple's own address block), or the bare user agent
``Mozilla/5.0`` the proxy sends. Gmail's ``GoogleImageProxy`` fetches when the reader
opens the message (and caches afterwards): it is a real open, marked ``google`` so a
report can tell it apart.
"""

from __future__ import annotations

import ipaddress
from typing import Optional

from ..models import ChoiceValue
from .models import BotReason, OpenProxy

#: a click this soon after the email was delivered is a gateway's scan
TOO_SOON_SECONDS = 10
#: every link of an email clicked within this many seconds: a scanner's sweep
ALL_LINKS_SECONDS = 5

#: lower-case pieces of the user agents of scanners, crawlers and HTTP libraries
SCANNER_AGENTS = (
    "barracuda",
    "mimecast",
    "proofpoint",
    "messagelabs",
    "symantec",
    "trendmicro",
    "forcepoint",
    "fireeye",
    "sophos",
    "ironport",
    "cisco",
    "zscaler",
    "bitdefender",
    "safelinks",
    "bot",
    "crawler",
    "spider",
    "headlesschrome",
    "phantomjs",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "preview",
)

#: Apple's own address block, where Mail Privacy Protection's proxies fetch from
APPLE_NETWORK = ipaddress.ip_network("17.0.0.0/8")
#: the whole user agent Apple's image proxy sends
APPLE_PROXY_AGENT = "Mozilla/5.0"
GOOGLE_PROXY_AGENT = "googleimageproxy"


def is_scanner_agent(user_agent: str) -> bool:
    agent = user_agent.lower()
    return not agent.strip() or any(piece in agent for piece in SCANNER_AGENTS)


def request_bot_reason(*, method: str, honeypot: bool, user_agent: str) -> ChoiceValue:
    """The first scanner pattern the request alone shows, "" for none (``too_soon``
    needs the send's delivery time, ``all_links`` the email's other clicks)."""
    if method == "HEAD":
        return BotReason.HEAD
    if honeypot:
        return BotReason.HONEYPOT
    if is_scanner_agent(user_agent):
        return BotReason.SCANNER_AGENT
    return ""


def open_proxy(user_agent: str, address: Optional[str]) -> ChoiceValue:
    """Which proxy fetched a pixel ("" for the reader's own client)."""
    if user_agent.strip() == APPLE_PROXY_AGENT or _in_apple_network(address):
        return OpenProxy.APPLE_MPP
    if GOOGLE_PROXY_AGENT in user_agent.lower():
        return OpenProxy.GOOGLE
    return OpenProxy.NONE


def _in_apple_network(address: Optional[str]) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip in APPLE_NETWORK
