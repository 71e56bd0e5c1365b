"""Back-in-stock options: the dashboard fields, their values, and the flows' view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation

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

PROGRAM_ID = "back_in_stock"
MIN_ALERTS_PER_UNIT = Decimal("0.1")
MAX_ALERTS_PER_UNIT = Decimal("100")


def parse_alerts_per_unit(value: ConfigValue) -> Decimal:
    """Parse "2" or "1.5" (alerts per available unit)."""
    text = "" if value is None else str(value).strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConfigurationError(
            gettext("'%(value)s' is not a number (e.g. 2 or 1.5).") % {"value": text}
        ) from exc
    if not number.is_finite() or not (
        MIN_ALERTS_PER_UNIT <= number <= MAX_ALERTS_PER_UNIT
    ):
        raise ConfigurationError(
            gettext("Enter a number from %(minimum)s to %(maximum)s.")
            % {"minimum": MIN_ALERTS_PER_UNIT, "maximum": MAX_ALERTS_PER_UNIT}
        )
    return number


@dataclass(frozen=True)
class BackInStockOptions:
    """What the flows use, in their units (minutes become a timedelta)."""

    min_units: int
    alerts_per_unit: Decimal
    wave_interval: timedelta
    max_open_per_email: int
    max_per_client_per_hour: int


@dataclass(frozen=True)
class BackInStockRawOptions(ProgramOptions):
    """The dashboard's fields, typed (named as the fields)."""

    back_in_stock_enabled: bool
    back_in_stock_min_units: int
    back_in_stock_alerts_per_unit: Decimal
    back_in_stock_wave_interval_minutes: int
    back_in_stock_max_per_email: int
    back_in_stock_max_per_client_hour: int

    FIELDS = (
        ConfigField(
            "back_in_stock_enabled",
            gettext_lazy("Back-in-stock alerts: on"),
            gettext_lazy(
                "Let customers ask to be told by email when a sold-out product is back."
            ),
            True,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "back_in_stock_min_units",
            gettext_lazy("Back-in-stock: minimum stock before alerting"),
            gettext_lazy(
                "Alerts go only once at least this many units can be sold again"
                " (stock minus units reserved by orders, all warehouses)."
            ),
            "1",
            int_parser(1, 1_000_000, gettext_noop("units")),
        ),
        ConfigField(
            "back_in_stock_alerts_per_unit",
            gettext_lazy("Back-in-stock: alerts per unit in stock"),
            gettext_lazy(
                "How many waiting customers are told per unit available, first come"
                " first served: with 3 units and 2, the first 6 customers are alerted."
                " Use 1 to alert no more people than there are units."
            ),
            "2",
            parse_alerts_per_unit,
        ),
        ConfigField(
            "back_in_stock_wave_interval_minutes",
            gettext_lazy("Back-in-stock: minutes between waves"),
            gettext_lazy(
                "If stock is left after a wave of alerts, the next customers in line"
                " are told this many minutes later (sized to the stock left then)."
            ),
            "60",
            int_parser(1, 7 * 24 * 60, gettext_noop("minutes")),
        ),
        ConfigField(
            "back_in_stock_max_per_email",
            gettext_lazy("Back-in-stock: open alerts per email address"),
            gettext_lazy(
                "Most products one email address can wait for at the same time."
            ),
            "20",
            int_parser(1, 1000, gettext_noop("alerts")),
        ),
        ConfigField(
            "back_in_stock_max_per_client_hour",
            gettext_lazy("Back-in-stock: sign-ups per visitor per hour"),
            gettext_lazy(
                "Most alert sign-ups accepted from one network address in an hour"
                " (against abuse)."
            ),
            "30",
            int_parser(1, 100_000, gettext_noop("sign-ups")),
        ),
    )

    def typed(self) -> BackInStockOptions:
        return BackInStockOptions(
            min_units=self.back_in_stock_min_units,
            alerts_per_unit=self.back_in_stock_alerts_per_unit,
            wave_interval=timedelta(minutes=self.back_in_stock_wave_interval_minutes),
            max_open_per_email=self.back_in_stock_max_per_email,
            max_per_client_per_hour=self.back_in_stock_max_per_client_hour,
        )
