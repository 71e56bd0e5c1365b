"""Configuration fields: how one dashboard item is declared and parsed.

Saleor stores a plugin's configuration as a list of ``{"name", "value"}`` items whose
values are strings or booleans typed by hand in the dashboard. Each item is declared
once, as a :class:`ConfigField`, with the parser that turns the stored value into a
typed one. A program groups its fields in a :class:`ProgramOptions` dataclass whose
attributes are named as the fields.

A leaf module: it imports nothing of the package but :mod:`.errors`, so that the
programs, the plugin-wide settings and the dashboard glue can all build on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import (
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Mapping,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext, gettext_noop, ngettext

from .errors import ConfigurationError

ConfigValue = Union[str, bool, None]
#: what a number counts when its field names no unit
UNITS = gettext_noop("units")
OptionsT = TypeVar("OptionsT", bound="ProgramOptions")


class FieldType:
    """The field types Saleor's dashboard can show (``ConfigurationTypeField``)."""

    STRING = "String"
    BOOLEAN = "Boolean"
    SECRET = "Secret"


@dataclass(frozen=True)
class ConfigField:
    """One item of the plugin configuration shown in the dashboard.

    ``parse`` receives the stored value (string, boolean or ``None``) and returns the
    typed value, or raises :class:`ConfigurationError` with a message a merchant can
    act on, in the active language. ``label`` and ``help_text`` may be lazy
    translations (``gettext_lazy``): they become text, in the language of the
    dashboard's request, when Saleor's API writes them out.
    """

    name: str
    label: str
    help_text: str
    default: ConfigValue
    parse: Callable[[ConfigValue], Any]
    type: str = FieldType.STRING

    def structure(self) -> Dict[str, str]:
        return {"type": self.type, "label": self.label, "help_text": self.help_text}


# --- parsers: each turns a stored value into a typed one or raises ----------------


def _text(value: ConfigValue) -> str:
    return "" if value is None else str(value).strip()


def parse_text(value: ConfigValue) -> str:
    text = _text(value)
    if len(text) > 200:
        raise ConfigurationError(gettext("Keep this under 200 characters."))
    return text


def parse_bool(value: ConfigValue) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigurationError(gettext("Use true or false."))


def parse_optional_email(value: ConfigValue) -> str:
    text = _text(value)
    if text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise ConfigurationError(
                gettext("'%(value)s' is not a valid email address.") % {"value": text}
            ) from exc
    return text


def parse_https_url(value: ConfigValue) -> str:
    text = _text(value)
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as exc:
        raise ConfigurationError(
            gettext(
                "'%(value)s' is not a web address (expected https://shop.example/)."
            )
            % {"value": text}
        ) from exc
    return text if text.endswith("/") else text + "/"


def parse_optional_url(value: ConfigValue) -> str:
    return parse_https_url(value) if _text(value) else ""


def parse_timezone(value: ConfigValue) -> str:
    import pytz

    text = _text(value) or "UTC"
    if text not in pytz.all_timezones_set:
        raise ConfigurationError(
            gettext("'%(value)s' is not a time zone name (for example Europe/Paris).")
            % {"value": text}
        )
    return text


def int_parser(
    minimum: int, maximum: int, unit: str = ""
) -> Callable[[ConfigValue], int]:
    """A parser of whole numbers from ``minimum`` to ``maximum``; ``unit`` (in the
    catalogue: mark it with ``gettext_noop``) is translated in its messages."""

    def parse_int(value: ConfigValue) -> int:
        text = _text(value)
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise ConfigurationError(
                gettext("Enter a whole number of %(unit)s.")
                % {"unit": gettext(unit or UNITS)}
            )
        number = int(text)
        if not minimum <= number <= maximum:
            message = (
                gettext("Enter a number from %(minimum)s to %(maximum)s %(unit)s.")
                if unit
                else gettext("Enter a number from %(minimum)s to %(maximum)s.")
            )
            raise ConfigurationError(
                message
                % {
                    "minimum": minimum,
                    "maximum": maximum,
                    "unit": gettext(unit) if unit else "",
                }
            )
        return number

    return parse_int


def hours_parser(minimum: float, maximum: float) -> Callable[[ConfigValue], float]:
    def parse_hours(value: ConfigValue) -> float:
        try:
            number = float(_text(value))
        except ValueError as exc:
            raise ConfigurationError(
                gettext("Enter a number of hours, e.g. 48.")
            ) from exc
        if not minimum <= number <= maximum:  # also refuses NaN
            raise ConfigurationError(
                gettext("Enter from %(minimum)s to %(maximum)s hours.")
                % {"minimum": f"{minimum:g}", "maximum": f"{maximum:g}"}
            )
        return number

    return parse_hours


def hours_list_parser(max_steps: int = 5) -> Callable[[ConfigValue], Tuple[float, ...]]:
    """Parse "2, 24, 48" (hours after the trigger) into an increasing tuple."""

    def parse_hours(value: ConfigValue) -> Tuple[float, ...]:
        parts = [part.strip() for part in _text(value).split(",") if part.strip()]
        if not parts:
            raise ConfigurationError(
                gettext("Give at least one delay in hours, e.g. 2, 24, 48.")
            )
        if len(parts) > max_steps:
            raise ConfigurationError(
                ngettext(
                    "At most %(count)s step.", "At most %(count)s steps.", max_steps
                )
                % {"count": max_steps}
            )
        hours: List[float] = []
        for part in parts:
            try:
                number = float(part)
            except ValueError as exc:
                raise ConfigurationError(
                    gettext("'%(value)s' is not a number of hours.") % {"value": part}
                ) from exc
            if number != number or number <= 0 or number > 24 * 60:
                raise ConfigurationError(
                    gettext("Each delay must be above 0 and at most 60 days.")
                )
            if hours and number <= hours[-1]:
                raise ConfigurationError(gettext("Delays must increase: 2, 24, 48."))
            hours.append(number)
        return tuple(hours)

    return parse_hours


# --- a program's options ------------------------------------------------------------


def parse_fields(
    fields: Tuple[ConfigField, ...], stored: Mapping[str, ConfigValue]
) -> Tuple[Dict[str, Any], Dict[str, str]]:
    """Parse ``fields`` from ``stored`` (field name -> stored value).

    A missing item takes its default; a bad item takes its default too and is
    reported in the errors (field name -> message)."""
    values: Dict[str, Any] = {}
    errors: Dict[str, str] = {}
    for config_field in fields:
        raw = stored.get(config_field.name, config_field.default)
        try:
            values[config_field.name] = config_field.parse(raw)
        except ConfigurationError as exc:
            errors[config_field.name] = str(exc)
            values[config_field.name] = config_field.parse(config_field.default)
    return values, errors


@dataclass(frozen=True)
class ProgramOptions:
    """A program's configuration, typed. Subclasses are frozen dataclasses whose
    attributes are named as the :data:`FIELDS` they parse (one attribute per field)."""

    #: the dashboard fields, in the order the dashboard shows them
    FIELDS: ClassVar[Tuple[ConfigField, ...]] = ()

    @classmethod
    def parse(
        cls: Type[OptionsT], stored: Mapping[str, ConfigValue]
    ) -> Tuple[OptionsT, Dict[str, str]]:
        values, errors = parse_fields(cls.FIELDS, stored)
        return cls(**values), errors

    @classmethod
    def defaults(cls: Type[OptionsT]) -> OptionsT:
        return cls.parse({})[0]


@dataclass(frozen=True)
class NoOptions(ProgramOptions):
    """The options of a program the merchant does not configure."""
