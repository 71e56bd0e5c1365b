"""The merchant's configuration, as declared to Saleor's dashboard and as typed values.

Saleor stores a plugin's configuration as a list of ``{"name", "value"}`` items whose
values are strings or booleans typed by hand in the dashboard. Each item is declared
once, as a :class:`ConfigField`, with the parser that turns the stored value into a
typed one. :class:`EcrmSettings` is the result: the only form in which the rest of
the plugin sees configuration.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from .errors import ConfigurationError
from .preferences.sending_rules import (
    ConsentMode,
    FrequencyCap,
    QuietHours,
    parse_consent_mode,
    parse_frequency_cap,
    parse_quiet_hours,
)

ConfigValue = Union[str, bool, None]


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
    act on.
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
        raise ConfigurationError("Keep this under 200 characters.")
    return text


def parse_bool(value: ConfigValue) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigurationError("Use true or false.")


def parse_optional_email(value: ConfigValue) -> str:
    text = _text(value)
    if text:
        try:
            validate_email(text)
        except ValidationError as exc:
            raise ConfigurationError(f"'{text}' is not a valid email address.") from exc
    return text


def parse_https_url(value: ConfigValue) -> str:
    text = _text(value)
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError as exc:
        raise ConfigurationError(
            f"'{text}' is not a web address (expected https://shop.example/)."
        ) from exc
    return text if text.endswith("/") else text + "/"


def parse_optional_url(value: ConfigValue) -> str:
    return parse_https_url(value) if _text(value) else ""


def parse_timezone(value: ConfigValue) -> str:
    import pytz

    text = _text(value) or "UTC"
    if text not in pytz.all_timezones_set:
        raise ConfigurationError(
            f"'{text}' is not a time zone name (for example Europe/Paris)."
        )
    return text


def int_parser(
    minimum: int, maximum: int, unit: str = ""
) -> Callable[[ConfigValue], int]:
    suffix = f" {unit}" if unit else ""

    def parse_int(value: ConfigValue) -> int:
        text = _text(value)
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise ConfigurationError(f"Enter a whole number of{suffix or ' units'}.")
        number = int(text)
        if not minimum <= number <= maximum:
            raise ConfigurationError(
                f"Enter a number from {minimum} to {maximum}{suffix}."
            )
        return number

    return parse_int


def hours_parser(minimum: float, maximum: float) -> Callable[[ConfigValue], float]:
    def parse_hours(value: ConfigValue) -> float:
        try:
            number = float(_text(value))
        except ValueError as exc:
            raise ConfigurationError("Enter a number of hours, e.g. 48.") from exc
        if not minimum <= number <= maximum:  # also refuses NaN
            raise ConfigurationError(f"Enter from {minimum:g} to {maximum:g} hours.")
        return number

    return parse_hours


def hours_list_parser(max_steps: int = 5) -> Callable[[ConfigValue], Tuple[float, ...]]:
    """Parse "2, 24, 48" (hours after the trigger) into an increasing tuple."""

    def parse_hours(value: ConfigValue) -> Tuple[float, ...]:
        parts = [part.strip() for part in _text(value).split(",") if part.strip()]
        if not parts:
            raise ConfigurationError(
                "Give at least one delay in hours, e.g. 2, 24, 48."
            )
        if len(parts) > max_steps:
            raise ConfigurationError(f"At most {max_steps} steps.")
        hours: List[float] = []
        for part in parts:
            try:
                number = float(part)
            except ValueError as exc:
                raise ConfigurationError(f"'{part}' is not a number of hours.") from exc
            if number != number or number <= 0 or number > 24 * 60:
                raise ConfigurationError(
                    "Each delay must be above 0 and at most 60 days."
                )
            if hours and number <= hours[-1]:
                raise ConfigurationError("Delays must increase: 2, 24, 48.")
            hours.append(number)
        return tuple(hours)

    return parse_hours


# --- the plugin-wide fields ---------------------------------------------------------

GENERAL_FIELDS: Tuple[ConfigField, ...] = (
    ConfigField(
        "sender_name",
        "Sender name",
        "Name shown as the sender of every e-CRM email. Empty: the shop's name.",
        "",
        parse_text,
    ),
    ConfigField(
        "sender_email",
        "Sender address",
        "Address the emails come from. Empty: the shop's default sender address.",
        "",
        parse_optional_email,
    ),
    ConfigField(
        "reply_to",
        "Reply-to address",
        "Where customers' replies go. Empty: replies go to the sender address.",
        "",
        parse_optional_email,
    ),
    ConfigField(
        "storefront_url",
        "Storefront address",
        "Web address of your storefront, used to build every link in the emails.",
        "http://localhost:3000/",
        parse_https_url,
    ),
    ConfigField(
        "public_url",
        "Public address of this Saleor server",
        "Used for unsubscribe and preference links, e.g. https://api.shop.example/."
        " Empty: https:// and the site domain set in Saleor.",
        "",
        parse_optional_url,
    ),
    ConfigField(
        "consent_mode",
        "Marketing consent",
        "Who may receive marketing emails: opt_in_only (people who opted in),"
        " soft_opt_in (also customers who ordered, EU soft opt-in), or everyone.",
        ConsentMode.SOFT_OPT_IN,
        parse_consent_mode,
    ),
    ConfigField(
        "quiet_hours",
        "Quiet hours",
        "No marketing email between these hours, in the customer's time zone when"
        " known, else the shop's: 21-8. Emails wait until the end. Empty: none.",
        "21-8",
        parse_quiet_hours,
    ),
    ConfigField(
        "frequency_cap",
        "Marketing emails per customer",
        "At most this many marketing emails per rolling number of days, e.g. 3/7."
        " Further emails are delayed, not dropped; cart reminders are exempt."
        " Empty: no cap.",
        "3/7",
        parse_frequency_cap,
    ),
    ConfigField(
        "shop_timezone",
        "Shop time zone",
        "Time zone of the shop (e.g. Europe/Paris), used for sending hours.",
        "UTC",
        parse_timezone,
    ),
    ConfigField(
        "max_attempts",
        "Delivery attempts",
        "How many times an email is tried when it fails temporarily (a 4xx reply"
        " to the email, an error in its template). Time while the mail provider"
        " is down does not count: sending pauses instead.",
        "5",
        int_parser(1, 20, "attempts"),
    ),
    ConfigField(
        "retry_hours",
        "Retry failed deliveries for (hours)",
        "An email still failing this long after its first failure is marked"
        " failed, however few attempts it had (e.g. 48; 0.5 is half an hour).",
        "48",
        hours_parser(0.1, 24 * 14),
    ),
    ConfigField(
        "retry_delay_seconds",
        "First retry after (seconds)",
        "Wait before the first retry; each further retry waits twice as long.",
        "60",
        int_parser(1, 86400, "seconds"),
    ),
)


@dataclass(frozen=True)
class EcrmSettings:
    """Typed configuration. ``programs`` maps a program id to its own typed values."""

    sender_name: str = ""
    sender_email: str = ""
    reply_to: str = ""
    storefront_url: str = "http://localhost:3000/"
    public_url: str = ""
    consent_mode: str = ConsentMode.SOFT_OPT_IN
    quiet_hours: Optional[QuietHours] = None
    frequency_cap: Optional[FrequencyCap] = None
    shop_timezone: str = "UTC"
    max_attempts: int = 5
    retry_delay_seconds: int = 60
    retry_hours: float = 48.0
    programs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def program(self, program_id: str) -> Mapping[str, Any]:
        return self.programs.get(program_id, {})


def all_fields() -> List[Tuple[Optional[str], ConfigField]]:
    """Every field with the id of the program that owns it (``None``: plugin-wide)."""
    from .programs import registry

    fields: List[Tuple[Optional[str], ConfigField]] = [
        (None, f) for f in GENERAL_FIELDS
    ]
    for program in registry.all_programs():
        fields.extend((program.id, f) for f in program.config_fields)
    return fields


def parse_configuration(
    items: Optional[Iterable[Mapping[str, Any]]],
) -> Tuple[EcrmSettings, Dict[str, str]]:
    """Turn Saleor's stored configuration into settings, plus errors keyed by field.

    Missing items take their default; a bad item keeps its default in the returned
    settings and is reported in the errors mapping (field name -> message).
    """
    stored = {item.get("name"): item.get("value") for item in items or ()}
    general: Dict[str, Any] = {}
    programs: Dict[str, Dict[str, Any]] = {}
    errors: Dict[str, str] = {}
    for owner, config_field in all_fields():
        raw = stored.get(config_field.name, config_field.default)
        try:
            value = config_field.parse(raw)
        except ConfigurationError as exc:
            errors[config_field.name] = str(exc)
            value = config_field.parse(config_field.default)
        if owner is None:
            general[config_field.name] = value
        else:
            programs.setdefault(owner, {})[config_field.name] = value
    return EcrmSettings(programs=programs, **general), errors


def config_structure() -> Dict[str, Dict[str, str]]:
    return {f.name: f.structure() for _, f in all_fields()}


def default_configuration() -> List[Dict[str, ConfigValue]]:
    return [{"name": f.name, "value": f.default} for _, f in all_fields()]
