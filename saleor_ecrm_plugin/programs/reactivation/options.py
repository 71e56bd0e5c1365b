"""The reactivation program's options, typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy, gettext_noop

from ...fields import (
    ConfigField,
    FieldType,
    ProgramOptions,
    int_parser,
    parse_bool,
    parse_text,
)

PROGRAM_ID = "reactivation"


@dataclass(frozen=True)
class ReactivationOptions(ProgramOptions):
    reactivation_enabled: bool
    reactivation_subject: str
    reactivation_offer: str
    reactivation_voucher_percentage: int
    reactivation_voucher_valid_days: int
    reactivation_sunset_days: int
    reactivation_daily_limit: int

    FIELDS = (
        ConfigField(
            "reactivation_enabled",
            gettext_lazy("Reactivation and list cleaning: on"),
            gettext_lazy(
                "Send inactive subscribers (no real open or click in the engagement"
                " window) one offer to come back; stop marketing to those who still"
                " do not react."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "reactivation_subject",
            gettext_lazy("Reactivation: subject"),
            gettext_lazy('The email\'s subject. Empty: "We miss you at <shop>".'),
            "",
            parse_text,
        ),
        ConfigField(
            "reactivation_offer",
            gettext_lazy("Reactivation: offer"),
            gettext_lazy(
                "The offer, in your words (e.g. 'Free delivery on your next order')."
                " Empty: a discount code if one is set, else an invitation back."
            ),
            "",
            parse_text,
        ),
        ConfigField(
            "reactivation_voucher_percentage",
            gettext_lazy("Reactivation: discount (%)"),
            gettext_lazy("A single-use discount code in the email; 0: none."),
            "15",
            int_parser(0, 100, gettext_noop("%")),
        ),
        ConfigField(
            "reactivation_voucher_valid_days",
            gettext_lazy("Reactivation: code valid for (days)"),
            gettext_lazy("Days the discount code can be used."),
            "30",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "reactivation_sunset_days",
            gettext_lazy("List cleaning: days to react"),
            gettext_lazy(
                "An address with no real open or click this many days after its"
                " reactivation email gets no more marketing email (suppressed as"
                " 'sunset') until the customer subscribes again."
            ),
            "30",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "reactivation_daily_limit",
            gettext_lazy("Reactivation: emails per day"),
            gettext_lazy("At most this many reactivation emails are planned a day."),
            "5000",
            int_parser(1, 1_000_000, gettext_noop("emails")),
        ),
    )
