"""Replenishment options: the dashboard fields, typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy, gettext_noop

from ...fields import ConfigField, FieldType, ProgramOptions, int_parser, parse_bool

PROGRAM_ID = "replenishment"
#: the product (or product type) metadata key holding a unit's lifetime in days
LIFETIME_KEY = "ecrm.lifetime_days"


@dataclass(frozen=True)
class ReplenishmentOptions(ProgramOptions):
    replenishment_enabled: bool
    replenishment_min_repeats: int
    replenishment_share_percent: int
    replenishment_attribution_days: int

    FIELDS = (
        ConfigField(
            "replenishment_enabled",
            gettext_lazy("Reorder reminders: on"),
            gettext_lazy(
                "Remind customers to order again a product that should be running"
                " out (dog food, coffee, filters), with a one-click link that fills"
                " their cart."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "replenishment_min_repeats",
            gettext_lazy("Reorder reminders: repeat purchases needed to learn"),
            gettext_lazy(
                "A product's reorder interval is learned from customers who bought it"
                " again, once at least this many repeat purchases exist. Before that,"
                " the lifetime in days set in the product's (or product type's)"
                " metadata 'ecrm.lifetime_days' is used; without either, no reminder."
            ),
            "5",
            int_parser(1, 10_000, gettext_noop("purchases")),
        ),
        ConfigField(
            "replenishment_share_percent",
            gettext_lazy("Reorder reminders: when, in % of the interval"),
            gettext_lazy(
                "The reminder is sent this share of the reorder interval after the"
                " order: 75 with a 60-day interval reminds after 45 days."
            ),
            "75",
            int_parser(10, 150, gettext_noop("%")),
        ),
        ConfigField(
            "replenishment_attribution_days",
            gettext_lazy("Reorder reminders: days an order counts as brought"),
            gettext_lazy(
                "An order of the reminded product within this many days after the"
                " reminder is credited to it in the reports."
            ),
            "7",
            int_parser(0, 60, gettext_noop("days")),
        ),
    )
