"""New-edition options: the dashboard fields, typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy, gettext_noop

from ...fields import ConfigField, FieldType, ProgramOptions, int_parser, parse_bool

PROGRAM_ID = "new_edition"
#: the product metadata key naming the previous edition (its slug or id)
PREVIOUS_EDITION_KEY = "ecrm.previous_edition"


@dataclass(frozen=True)
class NewEditionOptions(ProgramOptions):
    new_edition_enabled: bool
    new_edition_voucher_percent: int
    new_edition_voucher_days: int
    new_edition_wave_size: int
    new_edition_wave_minutes: int
    new_edition_attribution_days: int

    FIELDS = (
        ConfigField(
            "new_edition_enabled",
            gettext_lazy("New edition emails: on"),
            gettext_lazy(
                "When a product whose metadata 'ecrm.previous_edition' names an"
                " earlier edition (its slug or id) is published and in stock, tell"
                " everyone who bought an earlier edition and not this one, once."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "new_edition_voucher_percent",
            gettext_lazy("New edition emails: discount (%)"),
            gettext_lazy(
                "A single-use discount code for loyal buyers, in percent off the"
                " order. 0: no code."
            ),
            "0",
            int_parser(0, 100, gettext_noop("%")),
        ),
        ConfigField(
            "new_edition_voucher_days",
            gettext_lazy("New edition emails: code valid for (days)"),
            gettext_lazy("Days the discount code can be used."),
            "14",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "new_edition_wave_size",
            gettext_lazy("New edition emails: emails per wave"),
            gettext_lazy(
                "When many customers qualify, the emails go in waves of this size"
                " (spares the mail provider and the shop's servers)."
            ),
            "2000",
            int_parser(1, 1_000_000, gettext_noop("emails")),
        ),
        ConfigField(
            "new_edition_wave_minutes",
            gettext_lazy("New edition emails: minutes between waves"),
            gettext_lazy("The time between two waves of emails."),
            "30",
            int_parser(1, 24 * 60, gettext_noop("minutes")),
        ),
        ConfigField(
            "new_edition_attribution_days",
            gettext_lazy("New edition emails: days an order counts as brought"),
            gettext_lazy(
                "An order of the new edition within this many days after the email"
                " is credited to it in the reports."
            ),
            "14",
            int_parser(0, 60, gettext_noop("days")),
        ),
    )
