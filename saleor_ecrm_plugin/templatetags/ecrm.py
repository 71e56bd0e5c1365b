"""Template tags of the shared email layout: ``{% load ecrm %}``.

They let one layout serve both the plugin's emails and Saleor's own order emails,
whose context (``site_name``, ``domain``, ``order``...) Saleor builds in its
Celery tasks; the tags add what that context lacks, by asking the plugin's services:

* ``{% email_language as lang %}``: the language to render in;
* ``{% in_language lang %}…{% endin_language %}``: Django's ``{% language %}``,
  without the switch when ``lang`` is the active language already;
* ``{% shop_identity as shop %}``: ``shop.name`` and ``shop.url`` (storefront);
* ``{% cross_sell_for order as suggestions %}``: the cross-sell block's products;
* ``{{ address|address_lines }}``: a Saleor address as the lines of its country;
* ``{{ price|amount }}``: a ``Money`` in the active language's currency format, as
  django-prices' ``amount`` filter writes it (Saleor 2.10 ships django-prices,
  Saleor 3.21 does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional

from django import template
from django.conf import settings
from django.templatetags.i18n import LanguageNode
from django.utils import translation

from ..context import load_context
from ..host import port as host
from ..inlining import AUDIENCE_KEY
from ..programs.cross_sell.program import CrossSellProgram
from ..programs.registry import get_program

register = template.Library()


def _supported(code: Any) -> Optional[str]:
    if not code or not isinstance(code, str):
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def _audience(context: template.Context) -> str:
    """Whose email this is ("customer" or "staff"): ``email_audience``, which the
    email backend (:class:`..inlining.CssInliningTemplateBackend`) sets from the
    template's ``audience`` block. A child template declares its audience in a
    block because blocks are the only thing a child gives its layout."""
    return str(context.get(AUDIENCE_KEY) or "customer")


@register.simple_tag(takes_context=True)
def email_language(context: template.Context) -> str:
    """The language of this email.

    ``email_language`` in the context if given (the plugin's own emails: the
    customer's language, see :mod:`..localisation`); else, for staff emails, the shop's
    language (``LANGUAGE_CODE``); else the language the customer ordered in
    (``order.language_code``); else the active language.
    """
    explicit = _supported(context.get("email_language"))
    if explicit:
        return explicit
    if _audience(context) == "staff":
        return settings.LANGUAGE_CODE
    order = context.get("order")
    ordered_in = _supported(getattr(order, "language_code", None))
    return ordered_in or translation.get_language() or settings.LANGUAGE_CODE


class InLanguageNode(LanguageNode):
    """``{% language %}``'s node. A switch and its undo are two writes to the
    translation's asgiref local (on Django 3.0, each several microseconds), three
    times an email: skipped when the language is already the active one, as it is
    for every customer email rendered in the shop's language."""

    def render(self, context: template.Context) -> str:
        language = self.language.resolve(context)
        if language == translation.get_language():
            return self.nodelist.render(context)
        with translation.override(language):
            return self.nodelist.render(context)


@register.tag
def in_language(parser: Any, token: Any) -> InLanguageNode:
    """``{% in_language lang %}…{% endin_language %}``: as ``{% language %}``."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' takes one argument (language)")
    language = parser.compile_filter(bits[1])
    nodelist = parser.parse(("endin_language",))
    parser.delete_first_token()
    return InLanguageNode(nodelist, language)


@dataclass(frozen=True)
class ShopIdentity:
    name: str
    url: str


@register.simple_tag(takes_context=True)
def shop_identity(context: template.Context) -> ShopIdentity:
    """The shop's name and storefront address: from the context when the plugin
    rendered the email (``shop_name``, ``storefront_url``), else from Saleor's
    ``site_name`` and the plugin's configured storefront address."""
    name = context.get("shop_name") or context.get("site_name")
    url = context.get("storefront_url")
    if not (name and url):
        stored = load_context()
        name = name or stored.shop.name
        url = url or stored.settings.storefront_url
    return ShopIdentity(name=str(name), url=str(url))


@register.simple_tag
def cross_sell_for(order: Any) -> List[Any]:
    """The cross-sell products for an order's confirmation; empty when the plugin
    or the block is off (Saleor gives the template the order instance)."""
    order_id = getattr(order, "pk", None)
    if not order_id:
        return []
    stored = load_context()
    if not stored.active:
        return []
    program = get_program(CrossSellProgram.id)
    assert isinstance(program, CrossSellProgram)
    return list(program.suggestions(order_id, stored.settings))


@register.filter
def address_lines(address: Any) -> List[str]:
    return host.address_lines(address) if address else []


@register.filter
def amount(price: Any) -> str:
    """A ``Money`` as text in the active language's standard currency format
    (babel's, as django-prices' ``amount`` filter formats it); "" for no amount."""
    from decimal import Decimal, InvalidOperation

    from babel.core import Locale, UnknownLocaleError
    from babel.numbers import format_currency

    try:
        value = Decimal(price.amount)
    except (AttributeError, TypeError, InvalidOperation):
        return ""
    locale_code = translation.to_locale(
        translation.get_language() or settings.LANGUAGE_CODE
    )
    try:
        locale = Locale.parse(locale_code)
    except (ValueError, UnknownLocaleError):
        locale_code = translation.to_locale(settings.LANGUAGE_CODE)
        locale = Locale.parse(locale_code)
    pattern = locale.currency_formats["standard"].pattern
    return format_currency(value, price.currency, format=pattern, locale=locale_code)
