"""The email gallery: every message the SMTP sink received, as .eml and one HTML page.

``index.html`` starts with one example of each kind of email (program and step, or
Saleor's own by subject), then shows every email: its subject, sender, recipient,
the program that sent it (the ``X-Ecrm-Program`` header) and the HTML body in a
sandboxed iframe, so a merchant sees what customers receive. The .eml files open in
any mail client. :meth:`EmailGallery.screenshots` adds a PNG of each kind, taken by
headless Chromium when it is installed.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from .smtp_sink import ReceivedEmail

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>e-CRM demo: {count} email(s)</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; background: #eceef2; margin: 0;
       padding: 24px; color: #1f2430; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
.lead {{ color: #6b6f7b; margin: 0 0 24px; }}
.mail {{ background: #fff; border-radius: 8px; margin: 0 auto 28px; max-width: 760px;
        box-shadow: 0 1px 3px rgba(0,0,0,.12); overflow: hidden; }}
.head {{ padding: 14px 18px; border-bottom: 1px solid #e6e6ea; font-size: 14px; }}
.head .subject {{ font-size: 17px; font-weight: bold; margin-bottom: 6px; }}
.head .meta {{ color: #6b6f7b; }}
.head a {{ color: #3b5bdb; }}
iframe {{ width: 100%; height: 560px; border: 0; display: block; }}
pre {{ margin: 0; padding: 18px; white-space: pre-wrap; }}
</style>
</head>
<body>
<h1>e-CRM demo: what customers received</h1>
<p class="lead">{count} email(s) accepted by the demo's SMTP server, newest last.</p>
{staff}
<div class="mail"><div class="head"><div class="subject">One of each kind</div>
<ul>{kinds}</ul></div></div>
{cards}
</body>
</html>
"""

_CARD = """<div class="mail" id="mail-{number}">
<div class="head">
<div class="subject">{subject}</div>
<div class="meta">From {sender} &middot; to {recipients} &middot; program {program}
&middot; <a href="{eml}">{eml}</a></div>
</div>
{body}
</div>
"""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "email"


def kind_of(received: ReceivedEmail) -> str:
    """``program/step`` of an e-CRM email; Saleor's by the subject's first words;
    followed by the email's language when it is not English (``… (fr)``), so the
    gallery shows one example per language too."""
    if received.program:
        kind = received.program
    else:
        words = re.sub(r"#?\d+", "", received.subject).split()
        kind = "saleor: " + " ".join(words[:4])
    language = re.search(r'<html lang="([A-Za-z-]+)"', received.html)
    if language and not language.group(1).lower().startswith("en"):
        kind += f" ({language.group(1)})"
    return kind


class EmailGallery:
    """Writes each received email to ``directory``; keeps ``index.html`` current."""

    def __init__(self, directory: Path, staff_page_url: Optional[str] = None) -> None:
        self.directory = directory
        #: the plugin's staff page (report and timeline) while ``--serve`` runs
        self.staff_page_url = staff_page_url
        #: (email, .eml name, its card's HTML: rendered once, the page is rewritten)
        self._entries: List[Tuple[ReceivedEmail, str, str]] = []
        self._first_of_kind: Dict[str, Tuple[ReceivedEmail, Optional[str]]] = {}
        self._lock = threading.Lock()

    @property
    def index(self) -> Path:
        return self.directory / "index.html"

    def reset(self) -> None:
        """Start an empty gallery (the previous run's emails are removed)."""
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True)
        with self._lock:
            self._entries = []
            self._first_of_kind = {}
            self._write_index()

    def add(self, received: ReceivedEmail) -> Path:
        recipient = received.rcpt_tos[0] if received.rcpt_tos else "nobody"
        name = f"{received.number:03d}-{_slug(recipient)}.eml"
        path = self.directory / name
        path.write_bytes(received.raw)
        card = _card(received, name)
        with self._lock:
            self._entries.append((received, name, card))
            self._first_of_kind.setdefault(kind_of(received), (received, None))
            self._write_index()
        return path

    def screenshots(self, width: int = 720, height: int = 1400) -> Optional[int]:
        """A PNG of the first email of each kind, by headless Chromium.

        Returns how many were taken, or None when no Chromium is installed.
        """
        browser = next(
            (
                found
                for name in ("chromium", "chromium-browser", "google-chrome")
                for found in [shutil.which(name)]
                if found
            ),
            None,
        )
        if browser is None:
            return None
        taken = 0
        with self._lock:
            kinds = list(self._first_of_kind.items())
        for kind, (received, _png) in kinds:
            html_part = received.message.get_body(preferencelist=("html",))
            if html_part is None:
                continue
            base = self.directory / f"kind-{_slug(kind)}"
            page = base.with_suffix(".html")
            page.write_text(html_part.get_content(), encoding="utf-8")
            png = base.with_suffix(".png")
            try:
                subprocess.run(
                    [
                        browser,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--hide-scrollbars",
                        f"--window-size={width},{height}",
                        f"--screenshot={png}",
                        page.as_uri(),
                    ],
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                continue
            if png.exists():
                taken += 1
                with self._lock:
                    self._first_of_kind[kind] = (received, png.name)
        with self._lock:
            self._write_index()
        return taken

    def _write_index(self) -> None:
        cards = "\n".join(card for _received, _name, card in self._entries)
        kinds = "\n".join(
            f'<li><a href="#mail-{received.number}">{html.escape(kind)}</a>'
            + (f' &middot; <a href="{html.escape(png)}">PNG</a>' if png else "")
            + "</li>"
            for kind, (received, png) in sorted(self._first_of_kind.items())
        )
        staff = (
            '<p class="lead">Report and customer timeline (with --serve):'
            f' <a href="{html.escape(self.staff_page_url)}" id="staff-page">'
            f"{html.escape(self.staff_page_url)}</a>"
            " (staff sign-in: admin@example.com / admin)</p>"
            if self.staff_page_url
            else ""
        )
        page = _PAGE.format(
            count=len(self._entries), kinds=kinds, cards=cards, staff=staff
        )
        temporary = self.index.with_suffix(".tmp")
        temporary.write_text(page, encoding="utf-8")
        temporary.replace(self.index)


def _card(received: ReceivedEmail, eml_name: str) -> str:
    message = received.message
    html_part = message.get_body(preferencelist=("html",))
    if html_part is not None:
        body = (
            '<iframe sandbox="" srcdoc="'
            + html.escape(html_part.get_content(), quote=True)
            + '"></iframe>'
        )
    else:
        text_part = message.get_body(preferencelist=("plain",))
        text = text_part.get_content() if text_part is not None else ""
        body = "<pre>" + html.escape(text) + "</pre>"
    return _CARD.format(
        number=received.number,
        subject=html.escape(str(message.get("Subject", "(no subject)"))),
        sender=html.escape(str(message.get("From", received.mail_from))),
        recipients=html.escape(", ".join(received.rcpt_tos)),
        program=html.escape(str(message.get("X-Ecrm-Program", "-"))),
        eml=html.escape(eml_name),
        body=body,
    )
