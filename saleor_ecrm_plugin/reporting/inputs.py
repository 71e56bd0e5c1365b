"""What the report and the timeline accept: checked once, refused with a typed error.

Callers (GraphQL, the staff page) may rely on :class:`ReportInputError` carrying a
``field`` and a ``code`` and on nothing having been read or written when it is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from django.utils import timezone
from django.utils.translation import gettext

from ..errors import EcrmError
from ..preferences.service import PreferenceError, normalise_email

#: the longest period one report covers (a year and a leap day, and some slack)
MAX_PERIOD_DAYS = 400
#: the most events one timeline returns
MAX_TIMELINE_EVENTS = 500
DEFAULT_TIMELINE_EVENTS = 100


class ReportInputError(EcrmError, ValueError):
    """A report or timeline request that cannot be answered as asked."""

    def __init__(self, message: str, field: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Period:
    """``[since, until)``, both aware datetimes."""

    since: datetime
    until: datetime


def checked_period(since: object, until: object) -> Period:
    """The period ``[since, until)``; refuses naive or non-datetime values, an
    ``until`` not after ``since`` and a period over :data:`MAX_PERIOD_DAYS`."""
    for name, value in (("since", since), ("until", until)):
        if not isinstance(value, datetime):
            raise ReportInputError(gettext("Give a date and time."), name)
        if timezone.is_naive(value):
            raise ReportInputError(
                gettext("Give a date and time with its time zone."), name
            )
    assert isinstance(since, datetime) and isinstance(until, datetime)
    if until <= since:
        raise ReportInputError(
            gettext("The end of the period must come after its start."),
            "until",
            "period_reversed",
        )
    if until - since > timedelta(days=MAX_PERIOD_DAYS):
        raise ReportInputError(
            gettext("A report covers at most %(days)s days.")
            % {"days": MAX_PERIOD_DAYS},
            "until",
            "period_too_long",
        )
    return Period(since, until)


def checked_email(email: object) -> str:
    """The address, normalised as the ledger and the consent log store it."""
    try:
        return normalise_email(email)
    except PreferenceError as exc:
        raise ReportInputError(str(exc), "email") from exc


def checked_first(first: Optional[object]) -> int:
    if first is None:
        return DEFAULT_TIMELINE_EVENTS
    if isinstance(first, bool) or not isinstance(first, int):
        raise ReportInputError(gettext("Give a whole number."), "first")
    if not 1 <= first <= MAX_TIMELINE_EVENTS:
        raise ReportInputError(
            gettext("first must be between 1 and %(limit)s.")
            % {"limit": MAX_TIMELINE_EVENTS},
            "first",
        )
    return first
