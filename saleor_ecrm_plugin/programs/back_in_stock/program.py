"""Back-in-stock alerts: "tell me when it is back", in waves sized to the stock.

Trigger: a customer (signed in, or a guest giving an address) subscribes to a sold-out
variant through the ``backInStockSubscribe`` mutation. Saleor 2.10 has no stock hook
and changes stock with ``bulk_update``, so a Celery beat tick
(:func:`.service.run_detection`) reads the availability of the
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

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Dict

from ...attribution import record_conversions
from ...errors import RenderingError
from ...host import port as host
from ...models import ScheduledSend, SendStatus
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from . import service
from .models import BackInStockSubscription
from .options import PROGRAM_ID, BackInStockOptions, BackInStockRawOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

#: product page of the storefront (Saleor 2.10 storefront route, as cross-sell)
PRODUCT_PATH = "product/{slug}/{id}/"


#: an order of the variant within this time after its alert counts as brought by it
ATTRIBUTION_WINDOW = timedelta(days=7)


class BackInStockProgram(Program):
    id = PROGRAM_ID
    category = "back_in_stock"
    enabled_field = "back_in_stock_enabled"
    # the customer asked for this alert: it is not held back by the marketing cap
    frequency_capped = False
    Options = BackInStockRawOptions
    scan_methods = ("detect_restocks",)

    def options(self, settings: EcrmSettings) -> BackInStockRawOptions:
        return settings.options(self.id, BackInStockRawOptions)

    def typed_options(self, settings: EcrmSettings) -> BackInStockOptions:
        return self.options(settings).typed()

    def detect_restocks(self, settings: EcrmSettings) -> Dict[str, int]:
        """The periodic scan: plan waves for watched variants back in stock."""
        return vars(service.run_detection())

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """Credit the order to the alerts for one of its variants, sent to its
        address in the week before."""
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

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        reason = service.recheck_before_send(send)
        return SEND if reason is None else skip(reason)

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
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
                # the name a sentence of the email names the product by
                "product_label": f"{card.product_name} ({card.variant_name})"
                if card.variant_name
                else card.product_name,
                "price": card.price,
                "image_url": card.image_url,
                "product_url": settings.storefront_url
                + PRODUCT_PATH.format(slug=card.slug, id=card.product_id),
                "subscribed_at": subscription.created_at if subscription else None,
            },
        )
