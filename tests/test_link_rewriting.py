"""The rewriting of a rendered email's links (``engagement.tracking``), on documents
a template could produce: what changes, and that nothing else does."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import List, Tuple

import pytest
from django.core.mail import EmailMultiAlternatives

from saleor_ecrm_plugin.engagement.tracking import (
    InvalidTrackingToken,
    read_click_token,
    track_message,
)

BASE = "https://api.shop.example.com"
UNSUBSCRIBE = BASE + "/ecrm/unsubscribe/abc:def/"
PREFERENCES = BASE + "/ecrm/preferences/abc:def/?lang=fr"

HTML = f"""<!DOCTYPE html>
<html><head><title>x</title><style>a {{ color: red }}</style></head>
<BODY class="email" style="margin:0">
<!-- <a href="https://commented.example/">not a link</a> -->
<p>Hello <a class="button" HREF="https://shop.example.com/cart/1/?a=1&amp;b=2"
   style="color:#fff">your cart</a> and
<a href='https://shop.example.com/p/tent/'>the tent</a>,
<a href="https://shop.example.com/cart/1/?a=1&amp;b=2">again</a>.</p>
<a href="mailto:help@shop.example.com">help</a> <a href="#top">top</a>
<a name="anchor">no href</a> <a href="tel:+33100000000">call</a>
<a href="{UNSUBSCRIBE}">unsubscribe</a> <a href="{PREFERENCES}">preferences</a>
<script>var s = "<a href='https://script.example/'>";</script>
</BODY></html>"""

TEXT = (
    "Your cart: https://shop.example.com/cart/1/?a=1&b=2\n"
    "(see https://shop.example.com/p/tent/). Only here: <https://shop.example.com/faq/>\n"
    f"Unsubscribe: {UNSUBSCRIBE}\n"
)


class Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: List[Tuple[str, str]] = []
        self.images: List[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        values = dict(attrs)
        if tag == "a" and "href" in values:
            self.hrefs.append((values["href"], values.get("style") or ""))
        if tag == "img":
            self.images.append(values["src"])


def rewritten(opens: bool = True) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives("s", TEXT, "a@b.c", ["d@e.f"])
    message.attach_alternative(HTML, "text/html")
    track_message(message, 42, BASE, "https://shop.example.com/", opens)
    return message


def test_links_become_signed_redirects_and_nothing_else_changes(db):
    message = rewritten()
    html = message.alternatives[0][0]
    parser = Anchors()
    parser.feed(html)
    hrefs = [href for href, _style in parser.hrefs]
    tracked = [href for href in hrefs if href.startswith(BASE + "/ecrm/c/")]
    claims = [read_click_token(href.rsplit("/", 1)[1]) for href in tracked]
    visible = [c for c in claims if not c.honeypot]
    assert [c.url for c in visible] == [
        "https://shop.example.com/cart/1/?a=1&b=2",  # the entity decoded once
        "https://shop.example.com/p/tent/",
        "https://shop.example.com/cart/1/?a=1&b=2",
    ]
    # the same target has the same index; the plain part's extra link counts
    assert [c.link_index for c in visible] == [0, 1, 0]
    assert {c.link_count for c in claims} == {3}
    assert {c.send_id for c in claims} == {42}
    [trap] = [c for c in claims if c.honeypot]
    assert trap.url == "https://shop.example.com/"
    # left alone: mail, phone, in-page, preference links; comments; scripts
    for kept in ("mailto:help@shop.example.com", "#top", "tel:+33100000000"):
        assert kept in hrefs
    assert UNSUBSCRIBE in hrefs
    assert PREFERENCES in hrefs
    assert '<a href="https://commented.example/">' in html
    assert "<a href='https://script.example/'>" in html
    # the other attributes kept; the rest of the document byte for byte
    assert 'class="button"' in html and 'style="color:#fff"' in html
    assert html.startswith("<!DOCTYPE html>\n<html><head><title>x</title><style>a {")
    # the honeypot right after <body>, the pixel right before </body>
    body = html.index('<BODY class="email" style="margin:0">') + len(
        '<BODY class="email" style="margin:0">'
    )
    assert html[body:].startswith("<a href=")
    assert "display:none" in html[body : html.index("</a>", body)]
    [pixel] = parser.images
    assert pixel.startswith(BASE + "/ecrm/o/") and pixel.endswith(".gif")
    assert html.index(pixel) < html.index("</BODY>")

    text = message.body
    words = [w.strip("()<>.") for w in text.split()]
    urls = [w for w in words if w.startswith("https://")]
    assert UNSUBSCRIBE in urls
    targets = [
        read_click_token(u.rsplit("/", 1)[1]).url
        for u in urls
        if u.startswith(BASE + "/ecrm/c/")
    ]
    assert targets == [
        "https://shop.example.com/cart/1/?a=1&b=2",
        "https://shop.example.com/p/tent/",
        "https://shop.example.com/faq/",
    ]
    assert "(see https://api.shop.example.com/ecrm/c/" in text
    assert text.count("\n") == TEXT.count("\n")


def test_no_pixel_without_opens(db):
    html = rewritten(opens=False).alternatives[0][0]
    assert "/ecrm/o/" not in html


@pytest.mark.parametrize(
    "token",
    ["", "x" * 5000, "abc", "eyJzIjoxfQ:1xacY3:bad", "..:..", "\x00"],
)
def test_a_bad_token_is_a_typed_error(token):
    with pytest.raises(InvalidTrackingToken):
        read_click_token(token)
