"""Win-back's options (VIP care included), typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

from django.utils.translation import gettext, gettext_lazy, gettext_noop

from ...errors import ConfigurationError
from ...fields import (
    ConfigField,
    ConfigValue,
    FieldType,
    ProgramOptions,
    int_parser,
    parse_bool,
    parse_text,
)
from ...rfm.groups import DEFAULT_VIP_GROUPS, GROUPS

PROGRAM_ID = "win_back"

NO_INCENTIVE = "none"
FREE_SHIPPING = "free_shipping"
DISCOUNT = "discount"
INCENTIVES = (NO_INCENTIVE, FREE_SHIPPING, DISCOUNT)
MAX_STEPS = 5
#: three years: a customer gone longer is not won back by an email
MAX_DAYS = 3 * 365


@dataclass(frozen=True)
class WinBackStep:
    """One step: due ``days`` after the last order, with its ``incentive``."""

    days: int
    incentive: str

    @property
    def name(self) -> str:
        return f"day{self.days}"


def parse_incentive(value: ConfigValue) -> str:
    text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if text not in INCENTIVES:
        raise ConfigurationError(
            gettext("'%(value)s': choose none, free_shipping or discount.")
            % {"value": value}
        )
    return text


def parse_steps(value: ConfigValue) -> Tuple[WinBackStep, ...]:
    """Parse "90:none, 180:free_shipping, 365:discount" (days after the last
    order, then the step's incentive; a step without one has none)."""
    parts = [part.strip() for part in str(value or "").split(",") if part.strip()]
    if not parts:
        raise ConfigurationError(
            gettext("Give at least one step, e.g. 90:none, 180:free_shipping.")
        )
    if len(parts) > MAX_STEPS:
        raise ConfigurationError(
            gettext("At most %(count)s steps.") % {"count": MAX_STEPS}
        )
    steps: List[WinBackStep] = []
    for part in parts:
        days_text, _, incentive = part.partition(":")
        days_text = days_text.strip()
        if not days_text.isdigit() or not 1 <= int(days_text) <= MAX_DAYS:
            raise ConfigurationError(
                gettext("'%(value)s': the days must be a number from 1 to %(max)s.")
                % {"value": part, "max": MAX_DAYS}
            )
        days = int(days_text)
        if steps and days <= steps[-1].days:
            raise ConfigurationError(gettext("Days must increase: 90, 180, 365."))
        steps.append(WinBackStep(days, parse_incentive(incentive or NO_INCENTIVE)))
    return tuple(steps)


def parse_groups(value: ConfigValue) -> Tuple[str, ...]:
    names = [
        part.strip().lower().replace(" ", "_").replace("'", "")
        for part in str(value or "").split(",")
        if part.strip()
    ]
    unknown = [name for name in names if name not in GROUPS]
    if unknown:
        raise ConfigurationError(
            gettext("Unknown group(s): %(names)s. Choose among: %(groups)s.")
            % {"names": ", ".join(unknown), "groups": ", ".join(GROUPS)}
        )
    return tuple(names)


@dataclass(frozen=True)
class WinBackOptions(ProgramOptions):
    win_back_enabled: bool
    win_back_steps: Tuple[WinBackStep, ...]
    win_back_discount_percent: int
    win_back_voucher_days: int
    win_back_recommendations: int
    win_back_vip_groups: Tuple[str, ...]
    win_back_vip_min_score: int
    win_back_vip_message: str
    win_back_vip_incentive: str
    win_back_attribution_days: int

    FIELDS = (
        ConfigField(
            "win_back_enabled",
            gettext_lazy("Win-back: on"),
            gettext_lazy(
                "Write to customers who have not ordered for a while (checked every"
                " day; never after they order again)."
            ),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "win_back_steps",
            gettext_lazy("Win-back: steps (days after the last order: offer)"),
            gettext_lazy(
                "Each step as days:offer, the offer none, free_shipping or discount,"
                " e.g. 90:none, 180:free_shipping, 365:discount."
            ),
            "90:none, 180:free_shipping, 365:discount",
            parse_steps,
        ),
        ConfigField(
            "win_back_discount_percent",
            gettext_lazy("Win-back: discount (%)"),
            gettext_lazy("Percentage off a whole order, for the steps with discount."),
            "15",
            int_parser(1, 100, gettext_noop("%")),
        ),
        ConfigField(
            "win_back_voucher_days",
            gettext_lazy("Win-back: codes valid for (days)"),
            gettext_lazy(
                "Days a win-back code (free shipping or discount) can be used; each"
                " code is for one customer and one order."
            ),
            "30",
            int_parser(1, 365, gettext_noop("days")),
        ),
        ConfigField(
            "win_back_recommendations",
            gettext_lazy("Win-back: products suggested"),
            gettext_lazy(
                "Products chosen from what the customer bought before (0: none)."
            ),
            "4",
            int_parser(0, 8),
        ),
        ConfigField(
            "win_back_vip_groups",
            gettext_lazy("VIP customers: groups"),
            gettext_lazy(
                "Customers of these groups (scored every day from your orders) get"
                " the VIP version of each win-back email. Groups: champions, loyal,"
                " potential_loyalists, new, promising, need_attention,"
                " about_to_sleep, at_risk, cant_lose, hibernating, lost."
            ),
            ", ".join(DEFAULT_VIP_GROUPS),
            parse_groups,
        ),
        ConfigField(
            "win_back_vip_min_score",
            gettext_lazy("VIP customers: also from a total score of"),
            gettext_lazy(
                "A customer whose recency + frequency + amount scores (each 1 to 5)"
                " reach this total is a VIP too. 0: groups only."
            ),
            "0",
            int_parser(0, 15),
        ),
        ConfigField(
            "win_back_vip_message",
            gettext_lazy("VIP customers: your words"),
            gettext_lazy(
                "What VIP customers read instead of an offer (e.g. an invitation, a"
                " private preview). Empty: a thank-you for their loyalty."
            ),
            "",
            parse_text,
        ),
        ConfigField(
            "win_back_vip_incentive",
            gettext_lazy("VIP customers: offer"),
            gettext_lazy(
                "none, free_shipping or discount: the VIP emails' own offer, at"
                " every step."
            ),
            NO_INCENTIVE,
            parse_incentive,
        ),
        ConfigField(
            "win_back_attribution_days",
            gettext_lazy("Win-back: credit orders within (days)"),
            gettext_lazy(
                "An order placed this many days after a win-back email is credited"
                " to it in the report. 0: no credit."
            ),
            "14",
            int_parser(0, 60, gettext_noop("days")),
        ),
    )
