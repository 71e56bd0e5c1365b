"""Affinity's options, typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from ...errors import ConfigurationError
from ...fields import (
    ConfigField,
    ConfigValue,
    FieldType,
    ProgramOptions,
    int_parser,
    parse_bool,
)

PROGRAM_ID = "affinity"


def parse_lift(value: ConfigValue) -> float:
    try:
        number = float(str(value or "").strip().replace(",", "."))
    except ValueError as exc:
        raise ConfigurationError(gettext("Enter a number, e.g. 1.5.")) from exc
    if not 1.0 <= number <= 100.0:  # also refuses NaN
        raise ConfigurationError(gettext("Enter a number from 1 to 100."))
    return number


@dataclass(frozen=True)
class AffinityOptions(ProgramOptions):
    affinity_enabled: bool
    affinity_delay_days: int
    affinity_period_days: int
    affinity_products: int
    affinity_min_customers: int
    affinity_min_lift: float
    affinity_attribution_days: int

    FIELDS = (
        ConfigField(
            "affinity_enabled",
            gettext_lazy("Goes-with suggestions: on"),
            gettext_lazy(
                "Some time after an order, suggest products from the categories your"
                " customers buy together with the one just bought (garden furniture,"
                " then garden tools)."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "affinity_delay_days",
            gettext_lazy("Goes-with suggestions: days after the order"),
            gettext_lazy("Days between an order and its suggestions."),
            "21",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "affinity_period_days",
            gettext_lazy("Goes-with suggestions: at most one every (days)"),
            gettext_lazy("A customer gets at most one such email in this many days."),
            "30",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "affinity_products",
            gettext_lazy("Goes-with suggestions: products shown"),
            gettext_lazy("Products in each email (never one the customer bought)."),
            "4",
            int_parser(1, 8),
        ),
        ConfigField(
            "affinity_min_customers",
            gettext_lazy("Goes-with suggestions: customers needed"),
            gettext_lazy(
                "Two categories count as bought together once at least this many"
                " customers bought in both."
            ),
            "5",
            int_parser(1, 1000000),
        ),
        ConfigField(
            "affinity_min_lift",
            gettext_lazy("Goes-with suggestions: strength needed (lift)"),
            gettext_lazy(
                "How many times more often than chance the two categories must be"
                " bought together (1: any pair; 1.5 by default)."
            ),
            "1.5",
            parse_lift,
        ),
        ConfigField(
            "affinity_attribution_days",
            gettext_lazy("Goes-with suggestions: credit orders within (days)"),
            gettext_lazy(
                "An order placed this many days after such an email is credited to"
                " it in the report. 0: no credit."
            ),
            "7",
            int_parser(0, 60, gettext_noop("days")),
        ),
    )
