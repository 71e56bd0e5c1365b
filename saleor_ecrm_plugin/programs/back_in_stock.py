"""Back-in-stock alerts: "tell me when it is back", in waves sized to the stock.

Trigger: a customer (signed in, or a guest giving an address) subscribes to a sold-out
variant through the ``backInStockSubscribe`` mutation. Saleor 2.10 has no stock hook
and changes stock with ``bulk_update``, so a Celery beat tick
(:func:`..back_in_stock.service.run_detection`) reads the availability of the
variants that have open subscriptions, and only of those.

Waves: once at least ``back_in_stock_min_units`` units are available (quantity minus
allocated, all warehouses), the oldest open subscriptions are notified, at most
``floor(units x back_in_stock_alerts_per_unit)`` of them. If stock remains, the next
wave goes ``back_in_stock_wave_interval_minutes`` later, sized to the stock left then.
A restock after a sell-out is announced at once. Each subscription is notified once,
then closed.

Re-check before sending: the subscription was not cancelled, the variant still exists
and can be bought. If the stock went between planning and sending, the email is
skipped (``out_of_stock_again``) and the subscription reopened in its original place
in the queue, so the customer hears about the next restock.

Category ``back_in_stock``: the customer asked for these alerts, so no marketing
consent is needed, but they carry the one-click unsubscribe of their category.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Optional

from ..config import ConfigField, FieldType, int_parser, parse_bool
from ..errors import ConfigurationError, RenderingError
from ..host import port as host
from .base import EmailSpec, Program
from .registry import register

if TYPE_CHECKING:
    from ..config import ConfigValue, EcrmSettings
    from ..models import ScheduledSend

#: product page of the storefront (Saleor 2.10 storefront route, as cross-sell)
PRODUCT_PATH = "product/{slug}/{id}/"
MIN_ALERTS_PER_UNIT = Decimal("0.1")
MAX_ALERTS_PER_UNIT = Decimal("100")


def parse_alerts_per_unit(value: ConfigValue) -> Decimal:
    """Parse "2" or "1.5" (alerts per available unit)."""
    text = "" if value is None else str(value).strip().replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConfigurationError(f"'{text}' is not a number (e.g. 2 or 1.5).") from exc
    if not number.is_finite() or not (
        MIN_ALERTS_PER_UNIT <= number <= MAX_ALERTS_PER_UNIT
    ):
        raise ConfigurationError(
            f"Enter a number from {MIN_ALERTS_PER_UNIT} to {MAX_ALERTS_PER_UNIT}."
        )
    return number


#: an order of the variant within this time after its alert counts as brought by it
ATTRIBUTION_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class BackInStockOptions:
    """The program's configuration, typed."""

    min_units: int
    alerts_per_unit: Decimal
    wave_interval: timedelta
    max_open_per_email: int
    max_per_client_per_hour: int


@register
class BackInStockProgram(Program):
    id = "back_in_stock"
    category = "back_in_stock"
    enabled_field = "back_in_stock_enabled"
    # the customer asked for this alert: it is not held back by the marketing cap
    frequency_capped = False
    config_fields = (
        ConfigField(
            "back_in_stock_enabled",
            "Back-in-stock alerts: on",
            "Let customers ask to be told by email when a sold-out product is back.",
            True,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "back_in_stock_min_units",
            "Back-in-stock: minimum stock before alerting",
            "Alerts go only once at least this many units can be sold again"
            " (stock minus units reserved by orders, all warehouses).",
            "1",
            int_parser(1, 1_000_000, "units"),
        ),
        ConfigField(
            "back_in_stock_alerts_per_unit",
            "Back-in-stock: alerts per unit in stock",
            "How many waiting customers are told per unit available, first come"
            " first served: with 3 units and 2, the first 6 customers are alerted."
            " Use 1 to alert no more people than there are units.",
            "2",
            parse_alerts_per_unit,
        ),
        ConfigField(
            "back_in_stock_wave_interval_minutes",
            "Back-in-stock: minutes between waves",
            "If stock is left after a wave of alerts, the next customers in line are"
            " told this many minutes later (sized to the stock left then).",
            "60",
            int_parser(1, 7 * 24 * 60, "minutes"),
        ),
        ConfigField(
            "back_in_stock_max_per_email",
            "Back-in-stock: open alerts per email address",
            "Most products one email address can wait for at the same time.",
            "20",
            int_parser(1, 1000, "alerts"),
        ),
        ConfigField(
            "back_in_stock_max_per_client_hour",
            "Back-in-stock: sign-ups per visitor per hour",
            "Most alert sign-ups accepted from one network address in an hour"
            " (against abuse).",
            "30",
            int_parser(1, 100_000, "sign-ups"),
        ),
    )

    def typed_options(self, settings: EcrmSettings) -> BackInStockOptions:
        options = self.options(settings)
        return BackInStockOptions(
            min_units=options["back_in_stock_min_units"],
            alerts_per_unit=options["back_in_stock_alerts_per_unit"],
            wave_interval=timedelta(
                minutes=options["back_in_stock_wave_interval_minutes"]
            ),
            max_open_per_email=options["back_in_stock_max_per_email"],
            max_per_client_per_hour=options["back_in_stock_max_per_client_hour"],
        )

    def order_placed(self, settings: EcrmSettings, order_id: int) -> int:
        """Credit the order to the alerts for one of its variants, sent to its
        address in the week before."""
        from ..attribution import record_conversions
        from ..models import ScheduledSend, SendStatus

        order = host.order_facts(order_id)
        if order is None or not order.email:
            return 0
        variants = [str(pk) for pk in host.order_variant_ids(order_id)]
        alerts = ScheduledSend.objects.filter(
            program=self.id,
            status=SendStatus.SENT,
            subject_type="variant",
            subject_id__in=variants,
            recipient__iexact=order.email,
            sent_at__gte=order.created - ATTRIBUTION_WINDOW,
            sent_at__lte=order.created,
        )
        return record_conversions(self.id, list(alerts), order)

    def skip_reason(self, send: ScheduledSend, settings: EcrmSettings) -> Optional[str]:
        from ..back_in_stock import service

        return service.recheck_before_send(send)

    def message(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        from ..back_in_stock.models import BackInStockSubscription

        card = host.variant_card(int(send.subject_id))
        if card is None:
            raise RenderingError(f"variant {send.subject_id} no longer exists")
        subscription = BackInStockSubscription.objects.filter(
            pk=send.payload.get("subscription_id")
        ).first()
        return EmailSpec(
            template="ecrm/back_in_stock",
            context={
                "product_name": card.product_name,
                "variant_name": card.variant_name,
                "price": card.price,
                "image_url": card.image_url,
                "product_url": settings.storefront_url
                + PRODUCT_PATH.format(slug=card.slug, id=card.product_id),
                "subscribed_at": subscription.created_at if subscription else None,
            },
        )
