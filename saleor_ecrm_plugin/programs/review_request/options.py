"""Review requests' options (the reviews and the reward included), typed."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy, gettext_noop

from ...fields import ConfigField, FieldType, ProgramOptions, int_parser, parse_bool

PROGRAM_ID = "review_request"


@dataclass(frozen=True)
class ReviewRequestOptions(ProgramOptions):
    review_request_enabled: bool
    review_request_delay_days: int
    review_request_reminder_days: int
    reviews_auto_approve: bool
    review_incentive_enabled: bool
    review_incentive_percentage: int
    review_incentive_valid_days: int

    FIELDS = (
        ConfigField(
            "review_request_enabled",
            gettext_lazy("Review requests: on"),
            gettext_lazy(
                "Ask customers to rate what they bought, some days after it was"
                " shipped."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "review_request_delay_days",
            gettext_lazy("Review requests: days after shipping"),
            gettext_lazy(
                "Days between shipping an order and asking for a review (time to"
                " deliver and try the products)."
            ),
            "7",
            int_parser(0, 90, gettext_noop("days")),
        ),
        ConfigField(
            "review_request_reminder_days",
            gettext_lazy("Review requests: reminder after (days)"),
            gettext_lazy(
                "One reminder this many days after the request, only if nothing was"
                " reviewed yet. 0: no reminder."
            ),
            "3",
            int_parser(0, 60, gettext_noop("days")),
        ),
        ConfigField(
            "reviews_auto_approve",
            gettext_lazy("Reviews: publish without moderation"),
            gettext_lazy(
                "On: reviews appear on the storefront at once. Off: a staff member"
                " approves each review first (reviewModerate, Manage products)."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "review_incentive_enabled",
            gettext_lazy("Review reward: on"),
            gettext_lazy(
                "Thank customers who review with a single-use discount code, whatever"
                " their rating (one per order)."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "review_incentive_percentage",
            gettext_lazy("Review reward: discount (%)"),
            gettext_lazy("Percentage off a whole next order."),
            "10",
            int_parser(1, 100, gettext_noop("%")),
        ),
        ConfigField(
            "review_incentive_valid_days",
            gettext_lazy("Review reward: valid for (days)"),
            gettext_lazy("Days the discount code can be used."),
            "30",
            int_parser(1, 365, gettext_noop("days")),
        ),
    )
