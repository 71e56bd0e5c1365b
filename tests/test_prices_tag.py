"""``{% load prices %}`` in the email templates: django-prices' own library on
Saleor 2.10, the plugin's ``templating/prices.py`` on Saleor 3 (no django-prices
there): the same text in each language."""

from __future__ import annotations

from django.template import engines
from django.utils import translation
from prices import Money


def render(language: str, money: Money) -> str:
    template = engines.all()[0].from_string("{% load prices %}{{ price|amount }}")
    with translation.override(language):
        return template.render({"price": money})


def test_amounts_read_in_the_emails_language_on_every_host():
    assert render("en", Money("1234.5", "USD")) == "$1,234.50"
    french = render("fr", Money("12.5", "USD"))
    assert french.startswith("12,50") and french.endswith("$US")
    assert render("de", Money("12.5", "EUR")).startswith("12,50")
