"""Rendering and CSS inlining of every templated email: the plugin's and Saleor's own.

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

Rendering is django-templated-email's own (its ``TemplateBackend``, which renders
the subject, plain and HTML blocks with django-render-block); this class only
inlines the CSS of what it returns and tells the layout whose email it is: the
``audience`` block of the email's template ("customer" by default, "staff" for
Saleor's staff emails) is rendered with django-render-block's public
``render_block_to_string`` and given to the parts as ``email_audience``, which the
``{% email_language %}`` tag reads (:mod:`.templatetags.ecrm`).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Sequence, Union

from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import Context
from render_block import BlockNotFound, render_block_to_string
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
            keep_style_tags=False,
            load_remote_stylesheets=False,
            # room for an email's elements up front (the default, 32, is regrown
            # for every email: 10 % of the inlining time)
            preallocate_node_capacity=256,
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
            _alternative(part, inline_css(part[0])) if part[1] == "text/html" else part
            for part in message.alternatives
        ]
    if message.content_subtype == "html":
        message.body = inline_css(message.body)
    return message


def _alternative(part: Any, content: str) -> Any:
    """An alternative part with new content, of the part's own type: Django 5.2
    keeps ``EmailAlternative`` named tuples (it reads ``.content``), 3.0 tuples."""
    make = getattr(type(part), "_make", None)
    return make((content, part[1])) if make is not None else (content, part[1])


#: the context key that names whose email it is ("customer" or "staff")
AUDIENCE_KEY = "email_audience"
#: the block a template names its audience in
AUDIENCE_BLOCK = "audience"


class CssInliningTemplateBackend(TemplateBackend):
    """django-templated-email's Django backend (``TEMPLATED_EMAIL_BACKEND``), with
    the CSS of each HTML part inlined and the template's ``audience`` block given
    to the parts as ``email_audience`` (unless the context already names one)."""

    def get_email_message(  # type: ignore[override]
        self,
        template_name: Union[str, Sequence[str]],
        context: Dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> EmailMessage:
        if AUDIENCE_KEY not in context:
            audience = self.audience(
                template_name,
                context,
                kwargs.get("template_prefix") or kwargs.get("template_dir"),
                kwargs.get("template_suffix") or kwargs.get("file_extension"),
            )
            context = {**context, AUDIENCE_KEY: audience}
        message = super().get_email_message(template_name, context, *args, **kwargs)
        return inline_message_css(message)

    def audience(
        self,
        template_name: Union[str, Sequence[str]],
        context: Dict[str, Any],
        template_prefix: Optional[str] = None,
        template_suffix: Optional[str] = None,
    ) -> str:
        """The text of the template's ``audience`` block, "customer" without one."""
        names = self.template_names(template_name, template_prefix, template_suffix)
        try:
            text = render_block_to_string(
                names, AUDIENCE_BLOCK, Context(context, autoescape=False)
            )
        except BlockNotFound:
            return "customer"
        return text.strip() or "customer"

    def template_names(
        self,
        template_name: Union[str, Sequence[str]],
        template_prefix: Optional[str] = None,
        template_suffix: Optional[str] = None,
    ) -> list:
        """The full template names django-templated-email renders ``template_name``
        from: the prefix (``templated_email/``) and the suffix (``.email``) added."""
        prefix = template_prefix or self.template_prefix
        extension = "." + (template_suffix or self.template_suffix).lstrip(".")
        names = (
            [template_name] if isinstance(template_name, str) else list(template_name)
        )
        return [
            prefix + name + ("" if name.endswith(extension) else extension)
            for name in names
        ]
