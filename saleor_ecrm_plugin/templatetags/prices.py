"""``{% load prices %}`` for the plugin's email templates on every host.

Saleor 2.10 installs django-prices, whose ``prices`` library (the ``amount``
filter) the templates use: there this module hands over that very library. Saleor
3.21 no longer depends on django-prices: there this module is the library, with an
``amount`` filter that formats as django-prices did (the active language's standard
currency format, by Babel, which both Saleors install).
"""

from __future__ import annotations

from typing import Any

from django import template

try:
    from django_prices.templatetags.prices import register
except ImportError:  # Saleor 3.x: no django-prices
    register = template.Library()

    @register.filter
    def amount(money: Any, format: str = "text") -> str:
        """``Money`` in the active language's currency format: ``$12.00``,
        ``12,00 $US`` (``format`` is accepted for django-prices' signature)."""
        from babel.core import UnknownLocaleError
        from babel.numbers import format_currency
        from django.conf import settings
        from django.utils import translation

        language = translation.get_language() or settings.LANGUAGE_CODE
        try:
            return str(
                format_currency(
                    money.amount, money.currency, locale=translation.to_locale(language)
                )
            )
        except (UnknownLocaleError, ValueError):
            return str(format_currency(money.amount, money.currency, locale="en"))
