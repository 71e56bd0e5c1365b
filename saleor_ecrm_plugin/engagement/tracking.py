"""Links of a rendered email sent through our signed redirect; the open pixel.

:func:`track_message` rewrites a rendered message in place, after the templates
and the CSS inlining: every ``http(s)`` link of the HTML part (found by the standard
library's HTML parser, :class:`html.parser.HTMLParser`) and of the plain part
becomes ``<public_url>/ecrm/c/<token>``, where ``<token>`` is signed with Django's
``signing`` (keyed by ``SECRET_KEY``) over the send, the link's index, the number of
links and the target. The redirect only ever sends a visitor to the target its
token carries: no open redirect, and an altered token is refused.

Left as they are: the unsubscribe, preference and newsletter-confirmation links
(RFC 8058 one-click and list-cleaning tools must recognise them, and a click must
never change preferences) and the ``List-Unsubscribe`` header; ``mailto:``, ``tel:``
and in-page links. Each tracked HTML email also carries one hidden link (the
honeypot, to the storefront) that only scanners follow; with opens tracked, a 1x1
pixel before ``</body>``.
"""

from __future__ import annotations

import html
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

from ..errors import EcrmError
from ..preferences.links import public_base_url, token_path

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings
    from ..host.port import ShopInfo

CLICK_SALT = "saleor_ecrm_plugin.click"
OPEN_SALT = "saleor_ecrm_plugin.open"
#: a tracked link keeps working for two years after the email was rendered
CLICK_MAX_AGE = 2 * 365 * 24 * 3600
#: the longest token the redirect reads (a long target, compressed and signed)
MAX_CLICK_TOKEN_LENGTH = 4000
#: the routes whose links stay untracked (preferences must stay recognisable)
UNTRACKED_ROUTES = ("ecrm:unsubscribe", "ecrm:preferences", "ecrm:newsletter-confirm")
_MARK = "ecrmmark"
_TRAILING = ">)]}\"'.,;:!?"
_LEADING = "<([{\"'"


class InvalidTrackingToken(EcrmError, ValueError):
    """A redirect or pixel token that is altered, forged, expired or not ours."""


@dataclass(frozen=True)
class ClickClaims:
    send_id: int
    link_index: int
    link_count: int
    url: str
    honeypot: bool = False


def make_click_token(claims: ClickClaims) -> str:
    payload = {
        "s": claims.send_id,
        "i": claims.link_index,
        "n": claims.link_count,
        "u": claims.url,
    }
    if claims.honeypot:
        payload["h"] = 1
    return signing.dumps(payload, salt=CLICK_SALT, compress=True)


def read_click_token(token: str) -> ClickClaims:
    """The claims of a genuine click token; :class:`InvalidTrackingToken` else."""
    payload = _load(token, CLICK_SALT)
    try:
        claims = ClickClaims(
            send_id=int(payload["s"]),
            link_index=int(payload["i"]),
            link_count=int(payload["n"]),
            url=str(payload["u"]),
            honeypot=bool(payload.get("h")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidTrackingToken("incomplete click token") from exc
    if not claims.url.startswith(("https://", "http://")):
        raise InvalidTrackingToken("not a web address")
    return claims


def make_open_token(send_id: int) -> str:
    return signing.dumps({"s": send_id}, salt=OPEN_SALT)


def read_open_token(token: str) -> int:
    payload = _load(token, OPEN_SALT)
    try:
        return int(payload["s"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidTrackingToken("incomplete open token") from exc


def _load(token: str, salt: str) -> dict:
    if not token or len(token) > MAX_CLICK_TOKEN_LENGTH:
        raise InvalidTrackingToken("no token")
    try:
        payload = signing.loads(token, salt=salt, max_age=CLICK_MAX_AGE)
    except (signing.BadSignature, ValueError, zlib.error) as exc:
        # ValueError: bad base64 (binascii.Error), JSON or UTF-8 under a genuine
        # signature of another salt's format; zlib.error: a forged compressed body
        raise InvalidTrackingToken(type(exc).__name__) from exc
    if not isinstance(payload, dict):
        raise InvalidTrackingToken("not a mapping")
    return payload


# --- rewriting ------------------------------------------------------------------


@dataclass
class LinkTable:
    """The tracked targets of one email, numbered in order of first appearance."""

    send_id: int
    base: str
    untracked_prefixes: Tuple[str, ...]
    indexes: Dict[str, int] = field(default_factory=dict)

    def tracks(self, url: str) -> bool:
        url = url.strip()
        return url.lower().startswith(("http://", "https://")) and not url.startswith(
            self.untracked_prefixes
        )

    def number(self, url: str) -> None:
        self.indexes.setdefault(url.strip(), len(self.indexes))

    def tracked_url(self, url: str, honeypot: bool = False) -> str:
        """The redirect to ``url`` (numbered before, unless it is the honeypot)."""
        url = url.strip()
        claims = ClickClaims(
            send_id=self.send_id,
            link_index=len(self.indexes) if honeypot else self.indexes[url],
            link_count=len(self.indexes),
            url=url,
            honeypot=honeypot,
        )
        return self.base + token_path("ecrm:click", make_click_token(claims))


def untracked_prefixes(base: str) -> Tuple[str, ...]:
    """The addresses of the preference pages (and their tokens' start)."""
    return tuple(
        base + reverse(route, kwargs={"token": _MARK}).partition(_MARK)[0]
        for route in UNTRACKED_ROUTES
    )


class _Anchors(HTMLParser):
    """Positions of a document's ``<a href>`` start tags, ``<body>`` and ``</body>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # (line, column, raw start tag, attributes)
        self.anchors: List[Tuple[int, int, str, List[Tuple[str, Optional[str]]]]] = []
        self.body_start: Optional[Tuple[int, int, str]] = None
        self.body_end: Optional[Tuple[int, int]] = None

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        if tag == "a" and any(name == "href" for name, _ in attrs):
            self.anchors.append((line, column, raw, attrs))
        elif tag == "body" and self.body_start is None:
            self.body_start = (line, column, raw)

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.body_end = self.getpos()


def _offsets(text: str) -> List[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _start_tag(attrs: List[Tuple[str, Optional[str]]]) -> str:
    parts = ["<a"]
    for name, value in attrs:
        parts.append(name if value is None else f'{name}="{html.escape(value)}"')
    return " ".join(parts) + ">"


def rewrite_html(
    document: str, table: LinkTable, honeypot_target: str, pixel_url: Optional[str]
) -> str:
    """``document`` with its tracked links through the redirect, a hidden honeypot
    link after ``<body>`` and, when ``pixel_url`` is given, the pixel before
    ``</body>``."""
    parser = _Anchors()
    parser.feed(document)
    parser.close()
    starts = _offsets(document)
    for _line, _column, _raw, attrs in parser.anchors:
        href = dict(attrs).get("href") or ""
        if table.tracks(href):
            table.number(href)
    edits: List[Tuple[int, int, str]] = []
    for line, column, raw, attrs in parser.anchors:
        href = dict(attrs).get("href") or ""
        if not table.tracks(href):
            continue
        at = starts[line - 1] + column
        new_attrs = [
            (name, table.tracked_url(href) if name == "href" else value)
            for name, value in attrs
        ]
        edits.append((at, at + len(raw), _start_tag(new_attrs)))
    if honeypot_target:
        trap = (
            f'<a href="{html.escape(table.tracked_url(honeypot_target, True))}"'
            ' style="display:none;font-size:0;line-height:0;max-height:0"'
            ' aria-hidden="true" tabindex="-1"></a>'
        )
        if parser.body_start is not None:
            line, column, raw = parser.body_start
            at = starts[line - 1] + column + len(raw)
        else:
            at = 0
        edits.append((at, at, trap))
    if pixel_url:
        img = (
            f'<img src="{html.escape(pixel_url)}" width="1" height="1" alt=""'
            ' style="display:block;width:1px;height:1px;border:0">'
        )
        if parser.body_end is not None:
            line, column = parser.body_end
            at = starts[line - 1] + column
        else:
            at = len(document)
        edits.append((at, at, img))
    for begin, end, text in sorted(edits, key=lambda edit: edit[0], reverse=True):
        document = document[:begin] + text + document[end:]
    return document


def number_text(text: str, table: LinkTable) -> None:
    """Number the plain part's addresses (before any part is rewritten: every
    token carries the email's number of links)."""
    for word in text.split():
        url = _split_word(word)[1]
        if url and table.tracks(url):
            table.number(url)


def rewrite_text(text: str, table: LinkTable) -> str:
    """The plain part with its ``http(s)`` addresses (whitespace-separated words,
    without surrounding brackets or punctuation) through the redirect."""
    return "\n".join(
        " ".join(_rewrite_word(word, table) for word in line.split(" "))
        for line in text.split("\n")
    )


def _split_word(word: str) -> Tuple[str, str, str]:
    core = word.lstrip(_LEADING)
    url = core.rstrip(_TRAILING)
    return word[: len(word) - len(core)], url, core[len(url) :]


def _rewrite_word(word: str, table: LinkTable) -> str:
    head, url, tail = _split_word(word)
    if not url or not table.tracks(url):
        return word
    table.number(url)
    return head + table.tracked_url(url) + tail


def track_message(
    message: EmailMessage,
    send_id: int,
    base: str,
    honeypot_target: str,
    opens: bool,
) -> int:
    """Rewrite ``message``'s links (HTML alternative or HTML body, plain body)
    through the redirect of ``base`` (the public address, no trailing slash); with
    ``opens``, add the pixel. Returns the number of tracked links."""
    table = LinkTable(send_id, base, untracked_prefixes(base))
    pixel = base + token_path("ecrm:open", make_open_token(send_id)) if opens else None
    alternatives = list(getattr(message, "alternatives", []) or [])
    html_body = getattr(message, "content_subtype", "plain") == "html"
    if not html_body:
        number_text(message.body, table)
    for index, part in enumerate(alternatives):
        content, mimetype = part
        if mimetype == "text/html":
            rewritten = (
                rewrite_html(str(content), table, honeypot_target, pixel),
                mimetype,
            )
            # the part's own type: Django 5.2 (Saleor 3.21) keeps EmailAlternative
            # named tuples and reads ``.content``; Django 3.0 plain tuples
            make = getattr(type(part), "_make", None)
            alternatives[index] = make(rewritten) if make is not None else rewritten
    if html_body:
        message.body = rewrite_html(message.body, table, honeypot_target, pixel)
    else:
        message.body = rewrite_text(message.body, table)
    if alternatives:
        message.alternatives = alternatives  # type: ignore[attr-defined]
    return len(table.indexes)


def tracks_clicks(settings: EcrmSettings, transactional: bool) -> bool:
    """Whether an email of this kind goes out with tracked links."""
    if transactional:
        return settings.track_transactional_clicks
    return settings.track_clicks


def track_send(
    message: EmailMessage,
    send_id: Optional[int],
    settings: EcrmSettings,
    shop: ShopInfo,
    transactional: bool,
) -> int:
    """Track a rendered send's links (and opens) as the settings say; a message
    not rendered for a ledger row (a preview) is left alone. Returns the number of
    tracked links."""
    if send_id is None or not tracks_clicks(settings, transactional):
        return 0
    return track_message(
        message,
        send_id,
        public_base_url(settings, shop),
        settings.storefront_url,
        settings.track_opens,
    )
