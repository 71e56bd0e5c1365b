"""Click tracking, opens and attribution by click, end to end.

Emails are sent by the real dispatcher to a real SMTP server; their links are
followed with Django's test client over the real URLconf (``/ecrm/c/<token>``);
orders are placed through Saleor's GraphQL ``checkoutComplete``, whose
``order_created`` hook runs the attribution (hence transactional tests).
"""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser
from typing import Dict, List, Tuple
from urllib.parse import urlsplit

import graphene
import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.engagement import events
from saleor_ecrm_plugin.engagement.models import (
    BotReason,
    ClickConversion,
    EmailClick,
    EmailOpen,
    OpenProxy,
)
from saleor_ecrm_plugin.engagement.tracking import (
    CLICK_SALT,
    ClickClaims,
    make_click_token,
    make_open_token,
)
from saleor_ecrm_plugin.models import Conversion, ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences.models import ConsentEvent, EmailContact
from saleor_ecrm_plugin.programs.abandoned_checkout.program import PROGRAM_ID
from tests.configuration import configure_plugin
from tests.factories import make_category, make_product
from tests.graphql import create_checkout, line
from tests.orders import complete_checkout
from tests.smtp import SmtpServer

pytestmark = pytest.mark.django_db(transaction=True)

PUBLIC = "https://api.shop.example.com"
PLUGIN_VALUES = {
    "abandoned_enabled": True,
    "abandoned_consent_mode": "everyone",
    "quiet_hours": "",
    "storefront_url": "https://shop.example.com/",
    "public_url": PUBLIC + "/",
    "track_clicks": True,
    "track_opens": True,
}
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"
    " (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)


class Links(HTMLParser):
    """Every ``<a href>`` and ``<img src>`` of a received HTML part, with the
    anchor's ``style``."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: List[Tuple[str, str]] = []
        self.images: List[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.anchors.append((values["href"], values.get("style") or ""))
        if tag == "img":
            self.images.append(values.get("src") or "")


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def follow(url: str, method: str = "get", agent: str = BROWSER, **meta):
    assert url.startswith(PUBLIC + "/ecrm/c/"), url
    path = urlsplit(url).path
    return getattr(Client(), method)(path, HTTP_USER_AGENT=agent, **meta)


@pytest.fixture
def reminder(shop, smtp_server: SmtpServer, api_client) -> Dict[str, object]:
    """A cart reminder sent to ada@example.com, delivered an hour ago."""
    outdoor = make_category("Outdoor")
    tent = make_product("Trail Tent", category=outdoor, price="120.00")
    configure_plugin(**PLUGIN_VALUES)
    checkout = create_checkout(api_client, "ada@example.com", [line(tent)])
    send = ScheduledSend.objects.get(program=PROGRAM_ID, step="step1")
    ScheduledSend.objects.filter(pk=send.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert Dispatcher().run().sent == 1
    [received] = smtp_server.wait_for(1)
    ScheduledSend.objects.filter(pk=send.pk).update(
        sent_at=timezone.now() - timedelta(hours=1)
    )
    send.refresh_from_db()
    return {"send": send, "received": received, "checkout": checkout}


def hidden(style: str) -> bool:
    return "display:none" in style.replace(" ", "")


def visible_links(received) -> List[str]:
    return [href for href, style in parse(received.html).anchors if not hidden(style)]


def tracked(received) -> List[str]:
    return [href for href in visible_links(received) if "/ecrm/c/" in href]


def test_every_link_of_a_received_email_redirects_to_its_target(reminder):
    received, send = reminder["received"], reminder["send"]
    html, text = received.html, received.text
    token = str(send.subject_id)
    cart = f"https://shop.example.com/cart/{token}/"
    # no target is written in the email: every shop link is a signed redirect
    assert cart not in html and cart not in text
    links = visible_links(received)
    untracked = [href for href in links if "/ecrm/c/" not in href]
    assert untracked and all(
        href.startswith(
            (PUBLIC + "/ecrm/unsubscribe/", PUBLIC + "/ecrm/preferences/", "mailto:")
        )
        for href in untracked
    ), untracked
    # the one-click unsubscribe header is untouched: the footer's link, not tracked
    header = received.message["List-Unsubscribe"].strip(" <>")
    assert header.startswith(PUBLIC + "/ecrm/unsubscribe/") and header in links
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    targets = {}
    followed = 0
    for href in tracked(received):
        response = follow(href)
        assert response.status_code == 302, href
        targets[href] = response["Location"]
        followed += 1
    assert cart in targets.values()
    assert all(t.startswith("https://shop.example.com/") for t in targets.values())
    # the plain part's links are the same redirects
    text_links = [w for w in text.split() if w.startswith(PUBLIC + "/ecrm/c/")]
    assert text_links
    for word in text_links:
        response = follow(word.rstrip(".,)>"))
        assert response.status_code == 302 and response["Location"] in targets.values()
        followed += 1
    # each click recorded with what it is for: the link, its agent, a keyed hash
    clicks = EmailClick.objects.filter(send=send)
    assert clicks.count() == followed
    first = clicks.order_by("id").first()
    assert first.url in targets.values() and first.user_agent == BROWSER
    assert len(first.client_key) == 64 and "127.0.0.1" not in first.client_key
    # the open pixel, before </body>
    [pixel] = [src for src in parse(html).images if "/ecrm/o/" in src]
    assert html.index(pixel) > html.index(tracked(received)[-1])


def test_a_forged_or_altered_redirect_gets_400_and_no_redirect(reminder):
    send = reminder["send"]
    href = tracked(reminder["received"])[0]
    token = urlsplit(href).path.rsplit("/", 1)[1]
    claims = ClickClaims(send.pk, 0, 3, "https://evil.example.net/")
    forged = [
        token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"),  # altered signature
        token.replace(token[5], "x" if token[5] != "x" else "y", 1),  # altered body
        signing.dumps(vars(claims), key="not-our-secret", salt=CLICK_SALT),
        signing.dumps({"s": send.pk, "i": 0, "n": 1, "u": "https://evil.example.net/"}),
        make_open_token(send.pk),  # a pixel's token is not a click's
        "garbage",
    ]
    for bad in forged:
        for method in ("get", "head"):
            response = getattr(Client(), method)(f"/ecrm/c/{bad}")
            assert response.status_code == 400, bad
            assert "Location" not in response
    assert Client().post(f"/ecrm/c/{token}").status_code == 405
    assert not EmailClick.objects.exists()
    # our own token for a javascript: target is refused as well
    javascript = make_click_token(ClickClaims(send.pk, 0, 1, "javascript:alert(1)"))
    assert Client().get(f"/ecrm/c/{javascript}").status_code == 400


def test_a_person_s_click_is_real_and_changes_no_preference(reminder):
    contacts = list(EmailContact.objects.values())
    consents = ConsentEvent.objects.count()
    response = follow(tracked(reminder["received"])[0])
    assert response.status_code == 302
    [click] = EmailClick.objects.all()
    assert click.bot_reason == "" and click.method == "GET"
    assert list(events.real_clicks()) == [click]
    assert list(EmailContact.objects.values()) == contacts
    assert ConsentEvent.objects.count() == consents


@pytest.mark.parametrize(
    "pattern",
    [
        BotReason.HEAD,
        BotReason.HONEYPOT,
        BotReason.SCANNER_AGENT,
        BotReason.TOO_SOON,
        BotReason.ALL_LINKS,
    ],
)
def test_each_scanner_pattern_is_flagged_and_kept(reminder, pattern):
    received, send = reminder["received"], reminder["send"]
    links = tracked(received)
    first = links[0]
    if pattern == BotReason.HEAD:
        response = follow(first, method="head")
    elif pattern == BotReason.HONEYPOT:
        [trap] = [href for href, style in parse(received.html).anchors if hidden(style)]
        assert "/ecrm/c/" in trap
        response = follow(trap)
    elif pattern == BotReason.SCANNER_AGENT:
        response = follow(first, agent="Mozilla/5.0 (compatible; Barracuda Sentinel)")
    elif pattern == BotReason.TOO_SOON:
        ScheduledSend.objects.filter(pk=send.pk).update(sent_at=timezone.now())
        response = follow(first)
    else:
        distinct = {}
        for href in links:  # one redirect per distinct target: all of them at once
            distinct.setdefault(follow(href)["Location"], href)
        assert len(distinct) >= 2
        response = follow(first)
    # the scanner is sent on like anyone: it is flagged, not refused
    assert response.status_code == 302
    clicks = EmailClick.objects.filter(send=send)
    assert clicks.exists()
    assert set(clicks.values_list("bot_reason", flat=True)) == {pattern}
    assert not events.real_clicks().exists()


def pixel_path(received) -> str:
    [pixel] = [src for src in parse(received.html).images if "/ecrm/o/" in src]
    return urlsplit(pixel).path


@pytest.mark.parametrize(
    "agent, address, proxy, real",
    [
        (BROWSER, "198.51.100.7", OpenProxy.NONE, True),
        ("Mozilla/5.0", "198.51.100.7", OpenProxy.APPLE_MPP, False),
        (BROWSER, "17.58.101.12", OpenProxy.APPLE_MPP, False),
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0"
            " (via ggpht.com GoogleImageProxy)",
            "66.249.84.10",
            OpenProxy.GOOGLE,
            True,
        ),
    ],
)
def test_an_open_by_a_privacy_proxy_is_flagged_and_kept_out(
    reminder, agent, address, proxy, real
):
    response = Client().get(
        pixel_path(reminder["received"]), HTTP_USER_AGENT=agent, REMOTE_ADDR=address
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert "no-cache" in response["Cache-Control"]
    [opened] = EmailOpen.objects.all()
    assert (opened.proxy, opened.send_id) == (proxy, reminder["send"].pk)
    assert address not in opened.client_key and len(opened.client_key) == 64
    assert events.real_opens().exists() is real


def test_opens_off_no_pixel_and_nothing_recorded(shop, smtp_server, api_client):
    lamp = make_product("Camp Lamp", price="15.50")
    configure_plugin(**{**PLUGIN_VALUES, "track_opens": False})
    create_checkout(api_client, "bo@example.com", [line(lamp)])
    send = ScheduledSend.objects.get(program=PROGRAM_ID, step="step1")
    ScheduledSend.objects.filter(pk=send.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    Dispatcher().run()
    [received] = smtp_server.wait_for(1)
    assert "/ecrm/o/" not in received.html
    assert "/ecrm/c/" in received.html  # clicks are tracked on their own switch
    # a pixel of an earlier email, while opens are off, records nothing
    assert Client().get(f"/ecrm/o/{make_open_token(send.pk)}.gif").status_code == 200
    assert not EmailOpen.objects.exists()
    assert Client().get("/ecrm/o/forged.gif").status_code == 400


def test_clicks_off_leaves_the_links_alone(shop, smtp_server, api_client):
    lamp = make_product("Camp Lamp", price="15.50")
    configure_plugin(**{**PLUGIN_VALUES, "track_clicks": False})
    checkout = create_checkout(api_client, "cy@example.com", [line(lamp)])
    ScheduledSend.objects.filter(program=PROGRAM_ID, step="step1").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    Dispatcher().run()
    [received] = smtp_server.wait_for(1)
    assert "/ecrm/c/" not in received.html and "/ecrm/o/" not in received.html
    token = graphene.Node.from_global_id(checkout)[1]
    assert f"https://shop.example.com/cart/{token}/" in received.text


def test_a_click_then_an_order_within_the_window_credits_that_email(
    reminder, api_client
):
    send = reminder["send"]
    follow(tracked(reminder["received"])[0])
    order_id = complete_checkout(api_client, reminder["checkout"])
    [credit] = ClickConversion.objects.all()
    assert (credit.send_id, credit.order_id, credit.program) == (
        send.pk,
        str(order_id),
        PROGRAM_ID,
    )
    assert credit.click.bot_reason == ""
    # the "sent within N days" credit is kept: reported apart as influenced
    assert Conversion.objects.filter(send=send, order_id=str(order_id)).exists()


def test_after_the_window_the_order_is_only_influenced(reminder, api_client):
    send = reminder["send"]
    follow(tracked(reminder["received"])[0])
    # the click six days ago (window: 5 days); the email within the program's 7
    EmailClick.objects.update(clicked_at=timezone.now() - timedelta(days=6))
    ScheduledSend.objects.filter(pk=send.pk).update(
        sent_at=timezone.now() - timedelta(days=6, hours=1)
    )
    order_id = complete_checkout(api_client, reminder["checkout"])
    assert not ClickConversion.objects.exists()
    assert Conversion.objects.filter(send=send, order_id=str(order_id)).exists()


def test_a_scanner_s_click_credits_nothing(reminder, api_client):
    follow(tracked(reminder["received"])[0], agent="python-requests/2.31")
    complete_checkout(api_client, reminder["checkout"])
    assert EmailClick.objects.get().bot_reason == BotReason.SCANNER_AGENT
    assert not ClickConversion.objects.exists()
    assert ScheduledSend.objects.get(pk=reminder["send"].pk).status == SendStatus.SENT
