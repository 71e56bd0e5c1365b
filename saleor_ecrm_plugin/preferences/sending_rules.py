"""The merchant's sending rules as typed values (no Django but its translations:
config parses these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Optional

from django.utils.translation import gettext

from ..errors import ConfigurationError


class ConsentMode:
    EVERYONE = "everyone"
    SOFT_OPT_IN = "soft_opt_in"
    OPT_IN_ONLY = "opt_in_only"
    ALL = (EVERYONE, SOFT_OPT_IN, OPT_IN_ONLY)


def parse_consent_mode(value: object) -> str:
    text = str(value or "").strip().lower()
    if text not in ConsentMode.ALL:
        raise ConfigurationError(
            gettext(
                "Use everyone, soft_opt_in (customers who ordered, plus opted-in"
                " people) or opt_in_only."
            )
        )
    return text


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # spans midnight


def parse_quiet_hours(value: object) -> Optional[QuietHours]:
    """ "21-8" -> no marketing email from 21:00 to 08:00; empty -> none."""
    text = str(value or "").strip()
    if not text:
        return None
    parts = text.split("-")
    try:
        start, end = (int(part) for part in parts)
    except ValueError as exc:
        raise ConfigurationError(
            gettext("Give hours as start-end, e.g. 21-8.")
        ) from exc
    if not (0 <= start <= 23 and 0 <= end <= 23) or start == end:
        raise ConfigurationError(
            gettext("Hours go from 0 to 23, start and end differ: 21-8.")
        )
    return QuietHours(time(start), time(end))


@dataclass(frozen=True)
class FrequencyCap:
    count: int
    days: int


def parse_frequency_cap(value: object) -> Optional[FrequencyCap]:
    """ "3/7" -> at most 3 marketing emails per rolling 7 days; empty or 0 -> none."""
    text = str(value or "").strip()
    if text in ("", "0"):
        return None
    try:
        count, days = (int(part) for part in text.split("/"))
    except ValueError as exc:
        raise ConfigurationError(gettext("Give emails/days, e.g. 3/7.")) from exc
    if not (1 <= count <= 100 and 1 <= days <= 90):
        raise ConfigurationError(
            gettext("From 1 to 100 emails over 1 to 90 days, e.g. 3/7.")
        )
    return FrequencyCap(count, days)
