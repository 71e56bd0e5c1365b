"""Cart reminders' options: the dashboard fields and their typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Tuple

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from ...errors import ConfigurationError
from ...fields import (
    ConfigField,
    ConfigValue,
    FieldType,
    ProgramOptions,
    hours_list_parser,
    int_parser,
    parse_bool,
)
from ...preferences.sending_rules import parse_consent_mode

#: Saleor deletes anonymous checkouts after 30 days: the series must end before
MAX_SERIES_HOURS = 29 * 24
CART_URL_FIELDS = {"storefront", "token"}


def parse_steps(value: ConfigValue) -> Tuple[float, ...]:
    hours = hours_list_parser(max_steps=5)(value)
    if hours[-1] > MAX_SERIES_HOURS:
        raise ConfigurationError(
            gettext(
                "The last reminder must go within %(limit)s hours: Saleor deletes"
                " unfinished checkouts after 30 days."
            )
            % {"limit": MAX_SERIES_HOURS}
        )
    return hours


def parse_cart_url(value: ConfigValue) -> str:
    text = str(value or "").strip()
    names = set(re.findall(r"{(\w*)}", text))
    if "token" not in names:
        raise ConfigurationError(
            gettext("The address must contain {token}, e.g. {storefront}cart/{token}/.")
        )
    unknown = names - CART_URL_FIELDS
    if unknown or text.count("{") != text.count("}"):
        raise ConfigurationError(
            gettext("Only {storefront} and {token} can be used in the address.")
        )
    if not (text.startswith("{storefront}") or re.match(r"https?://", text)):
        raise ConfigurationError(
            gettext(
                "Start with {storefront} or http(s)://, e.g. {storefront}cart/{token}/."
            )
        )
    return text


def parse_optional_consent_mode(value: ConfigValue) -> str:
    if not str(value or "").strip():
        return ""
    return parse_consent_mode(value)


@dataclass(frozen=True)
class AbandonedCheckoutOptions(ProgramOptions):
    abandoned_enabled: bool
    abandoned_steps_hours: Tuple[float, ...]
    abandoned_cart_url: str
    abandoned_consent_mode: str
    abandoned_voucher_percent: int
    abandoned_voucher_days: int
    abandoned_voucher_usage_limit: int
    abandoned_attribution_days: int

    FIELDS = (
        ConfigField(
            "abandoned_enabled",
            gettext_lazy("Cart reminders: on"),
            gettext_lazy(
                "Email customers who left items in their checkout without ordering."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "abandoned_steps_hours",
            gettext_lazy("Cart reminders: send after (hours)"),
            gettext_lazy(
                "Hours of inactivity before each reminder, e.g. 2, 24, 48 for three"
                " reminders. Activity on the checkout restarts the clock."
            ),
            "2, 24, 48",
            parse_steps,
        ),
        ConfigField(
            "abandoned_cart_url",
            gettext_lazy("Cart reminders: return-to-cart address"),
            gettext_lazy(
                "Link back to the customer's cart in your storefront. {storefront} is"
                " the storefront address, {token} the checkout's token."
            ),
            "{storefront}cart/{token}/",
            parse_cart_url,
        ),
        ConfigField(
            "abandoned_consent_mode",
            gettext_lazy("Cart reminders: who may receive them"),
            gettext_lazy(
                "everyone (any checkout with an email), soft_opt_in (customers who"
                " ordered before and opted-in people) or opt_in_only. Empty: the"
                " plugin-wide marketing consent setting."
            ),
            "",
            parse_optional_consent_mode,
        ),
        ConfigField(
            "abandoned_voucher_percent",
            gettext_lazy("Cart reminders: discount in the last reminder (%)"),
            gettext_lazy(
                "A unique single-use voucher for this percentage off the order, in the"
                " last reminder only. 0: no voucher."
            ),
            "10",
            int_parser(0, 90, gettext_noop("percent")),
        ),
        ConfigField(
            "abandoned_voucher_days",
            gettext_lazy("Cart reminders: voucher valid for (days)"),
            gettext_lazy("Days the last reminder's voucher can be used."),
            "3",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "abandoned_voucher_usage_limit",
            gettext_lazy("Cart reminders: voucher uses"),
            gettext_lazy("How many orders can use one voucher (1: single use)."),
            "1",
            int_parser(1, 100, gettext_noop("uses")),
        ),
        ConfigField(
            "abandoned_attribution_days",
            gettext_lazy("Cart reminders: attribution window (days)"),
            gettext_lazy(
                "An order placed within this many days of a reminder counts as"
                " recovered by it in the reports."
            ),
            "7",
            int_parser(0, 90, gettext_noop("days")),
        ),
    )
