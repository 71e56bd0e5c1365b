"""The ``prices`` template library (its ``amount`` filter) where django-prices is
not installed.

Saleor 2.10 installs django-prices, whose ``{{ money|amount }}`` the plugin's email
templates use; Saleor 3.x no longer does. :func:`saleor_ecrm_plugin.settings_helper.
enable_ecrm` registers this module as the ``prices`` library only then. It formats
as django-prices does: babel's standard currency pattern of the active language
(``$120.00`` in English, ``120,00 $US`` in French).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, Tuple

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, to_locale

register = template.Library()


def _locale() -> Tuple[Locale, str]:
    code = to_locale(get_language() or settings.LANGUAGE_CODE)
    try:
        return Locale.parse(code), code
    except (ValueError, UnknownLocaleError):
        code = to_locale(settings.LANGUAGE_CODE)
        return Locale.parse(code), code


def format_price(value: Any, currency: str, html: bool = False) -> SafeString:
    """``value`` in ``currency`` for the active language; "" for a non-number."""
    try:
        number = Decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        return mark_safe("")
    locale, code = _locale()
    pattern = locale.currency_formats["standard"].pattern
    if html:
        pattern = re.sub("(\xa4+)", '<span class="currency">\\1</span>', pattern)
    return mark_safe(format_currency(number, currency, format=pattern, locale=code))


@register.filter
def amount(money: Any, format: str = "text") -> SafeString:
    """A ``prices.Money`` as text (default) or with the currency in a span."""
    return format_price(money.amount, money.currency, html=format == "html")
