"""``{% load prices %}`` in the email templates: django-prices' own library on
Saleor 2.10, the plugin's Babel formatting on Saleor 3 (no django-prices there),
the same text in each language."""

from __future__ import annotations

from django.template import engines
from django.utils import translation
from prices import Money

from saleor_ecrm_plugin.templatetags import prices as prices_library


def render(language: str, money: Money) -> str:
    template = engines.all()[0].from_string("{% load prices %}{{ price|amount }}")
    with translation.override(language):
        return template.render({"price": money})


def test_amounts_read_in_the_emails_language_on_every_host():
    assert render("en", Money("1234.5", "USD")) == "$1,234.50"
    french = render("fr", Money("12.5", "USD"))
    assert french.startswith("12,50") and french.endswith("$US")
    assert render("de", Money("12.5", "EUR")).startswith("12,50")


def test_on_saleor_210_the_library_is_django_prices_own():
    try:
        from django_prices.templatetags.prices import register
    except ImportError:  # Saleor 3: ours
        assert "amount" in prices_library.register.filters
    else:
        assert prices_library.register is register
