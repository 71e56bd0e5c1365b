"""CSS inlining for every templated email: the plugin's and Saleor's own.

Mail clients ignore much of a ``<style>`` element (Gmail drops it in some views,
Outlook honours only part of it), so the templates write their CSS once in the
layout's ``<style>`` and :func:`inline_css` copies it into ``style`` attributes. A
``<style data-css-inline="keep">`` element (media queries for small screens) stays.

Saleor sends its order emails with ``templated_email.send_templated_mail``, which
renders through ``settings.TEMPLATED_EMAIL_BACKEND``; ``enable_ecrm`` points that
setting at :class:`CssInliningTemplateBackend`, and the dispatcher renders through
the same class, so every email is inlined in one place.

Inlining uses css-inline (Rust, no network access). Without it, or when it cannot
parse a document, the HTML goes out as rendered: the ``<style>`` element still
styles it in most clients, and a warning is logged.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMessage, EmailMultiAlternatives
from templated_email.backends.vanilla_django import TemplateBackend

logger = logging.getLogger(__name__)

try:
    import css_inline
except ImportError:  # pragma: no cover - exercised only where css-inline is absent
    css_inline = None  # type: ignore[assignment]

_inliner: Any = None
_warned_missing = False


def inline_css(html: str) -> str:
    """Return ``html`` with the rules of its ``<style>`` elements inlined."""
    global _inliner, _warned_missing
    if css_inline is None:
        if not _warned_missing:
            logger.warning("css-inline is not installed: email CSS is not inlined.")
            _warned_missing = True
        return html
    if _inliner is None:
        _inliner = css_inline.CSSInliner(
            keep_style_tags=False, load_remote_stylesheets=False
        )
    try:
        return _inliner.inline(html)
    except ValueError as exc:  # css_inline.InlineError: CSS it cannot parse
        logger.warning("Email CSS left as is, css-inline failed: %s", exc)
        return html


def inline_message_css(message: EmailMessage) -> EmailMessage:
    """Inline the CSS of the HTML body or HTML alternative of ``message``."""
    if isinstance(message, EmailMultiAlternatives):
        message.alternatives = [
            (inline_css(content) if mimetype == "text/html" else content, mimetype)
            for content, mimetype in message.alternatives
        ]
    if message.content_subtype == "html":
        message.body = inline_css(message.body)
    return message


class CssInliningTemplateBackend(TemplateBackend):
    """django-templated-email's Django backend, with the CSS of each HTML part
    inlined (``TEMPLATED_EMAIL_BACKEND``)."""

    def get_email_message(self, *args: Any, **kwargs: Any) -> EmailMessage:
        return inline_message_css(super().get_email_message(*args, **kwargs))
