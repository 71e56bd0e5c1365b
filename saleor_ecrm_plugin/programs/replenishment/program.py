"""Replenishment: remind a customer to reorder what should be running out.

The reorder interval of a product (:mod:`.models`), rebuilt by the daily scan
:meth:`ReplenishmentProgram.learn_intervals`:

* learned from the shop's repeat purchases, once at least
  ``replenishment_min_repeats`` exist: the median days between two consecutive
  orders of the product by the same address, divided by the quantity of the earlier
  order (a line of 2 bags lasts twice as long) — window functions over the host's
  orders (:func:`saleor_ecrm_plugin.host.port.repeat_purchase_intervals`);
* otherwise the lifetime in days the merchant set in the product's metadata
  ``ecrm.lifetime_days``, else in its product type's.

Planning (:meth:`ReplenishmentProgram.plan_reminders`, daily): every line of a
customer's latest order of a product is due ``share x interval x quantity`` after
the order; the lines whose time falls between the last tick's horizon and a day
ahead are planned, one reminder per order line (the ledger's unique key). A line
the customer already re-ordered is not planned at all.

Re-check before sending: not re-ordered since the order (``reordered``), the
variant still exists (``product_gone``), is sold (``not_sold``) and in stock
(``out_of_stock``). A customer buying on schedule re-orders before the reminder is
due: nothing is sent.

The email's "order again" link (:mod:`.views`) recreates a checkout with the same
line and sends the customer to the storefront's cart (the cart reminders' URL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ...attribution import record_conversions
from ...errors import RenderingError
from ...host import port as host
from ...ledger import PlannedSend, plan_sends
from ...models import ScanCursor, ScheduledSend, SendStatus
from ...preferences.links import public_base_url
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from .models import IntervalSource, ReorderInterval
from .options import LIFETIME_KEY, PROGRAM_ID, ReplenishmentOptions
from .tokens import make_reorder_token

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

SUBJECT = "order_line"
STEP = "reminder"
SCAN_CURSOR = "replenishment.due_until"
#: reminders are planned this far ahead of their due time
PLAN_AHEAD = timedelta(days=1)
#: on the first tick, reminders due this long ago are still planned (not older)
FIRST_LOOKBACK = timedelta(days=1)
#: product page of the storefront (Saleor 2.10 storefront route, as cross-sell)
PRODUCT_PATH = "product/{slug}/{id}/"


class ReplenishmentProgram(Program):
    id = PROGRAM_ID
    category = "replenishment"
    Options = ReplenishmentOptions
    enabled_field = "replenishment_enabled"
    scan_methods = ("learn_intervals", "plan_reminders")

    def options(self, settings: EcrmSettings) -> ReplenishmentOptions:
        return settings.options(self.id, ReplenishmentOptions)

    # --- the scans --------------------------------------------------------------

    def learn_intervals(self, settings: EcrmSettings) -> Dict[str, int]:
        """Daily: rebuild the interval table (learned, else the set lifetime)."""
        if not self.is_enabled(settings):
            return {"learned": 0, "lifetimes": 0}
        return learn_intervals(self.options(settings).replenishment_min_repeats)

    def plan_reminders(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """Daily: plan the reminders falling due up to a day ahead (from where
        the last pass stopped)."""
        if not self.is_enabled(settings):
            return {"due": 0, "planned": 0}
        now = now or timezone.now()
        share = self.options(settings).replenishment_share_percent / 100.0
        intervals = dict(
            ReorderInterval.objects.values_list("product_id", "days_per_unit")
        )
        if not intervals:  # nothing learned yet: keep the window for later
            return {"due": 0, "planned": 0}
        cursor, _ = ScanCursor.objects.get_or_create(name=SCAN_CURSOR)
        due_from = cursor.position or now - FIRST_LOOKBACK
        due_until = now + PLAN_AHEAD
        if due_from >= due_until:
            return {"due": 0, "planned": 0}
        due = host.due_reorders(intervals, share, due_from, due_until)
        planned = plan_sends(
            PlannedSend(
                program=self.id,
                step=STEP,
                recipient=line.email,
                subject_type=SUBJECT,
                subject_id=line.line_id,
                due_at=max(
                    now,
                    line.ordered_at + timedelta(days=share * line.interval_days),
                ),
                payload={
                    "order_id": line.order_id,
                    "product_id": line.product_id,
                    "variant_id": line.variant_id,
                    "quantity": line.quantity,
                    "ordered_at": line.ordered_at.isoformat(),
                    "interval_days": round(line.interval_days, 2),
                },
                key=f"{self.id}:{line.line_id}",
            )
            for line in due
        )
        cursor.position = due_until
        cursor.save(update_fields=["position", "updated_at"])
        return {"due": len(due), "planned": planned}

    # --- the send ---------------------------------------------------------------

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        payload = send.payload or {}
        ordered_at = _moment(payload.get("ordered_at"))
        variant_id = payload.get("variant_id")
        product_id = payload.get("product_id")
        if (
            ordered_at is None
            or not isinstance(variant_id, int)
            or not isinstance(product_id, int)
        ):
            return skip("bad_payload")
        if host.email_bought_products_since(send.recipient, [product_id], ordered_at):
            return skip("reordered")
        stock = host.variant_stock([variant_id]).get(variant_id)
        if stock is None:
            return skip("product_gone")
        if not stock.visible:
            return skip("not_sold")
        if not stock.in_stock:
            return skip("out_of_stock")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        payload = send.payload
        card = host.variant_card(int(payload["variant_id"]))
        if card is None:
            raise RenderingError(f"variant {payload['variant_id']} no longer exists")
        base = public_base_url(settings, host.shop_info())
        reorder_url = base + reverse(
            "ecrm:order-again", kwargs={"token": make_reorder_token(send.pk)}
        )
        return EmailSpec(
            template="ecrm/replenishment",
            context={
                "product_name": card.product_name,
                "variant_name": card.variant_name,
                "price": card.price,
                "image_url": card.image_url,
                "quantity": payload.get("quantity", 1),
                "ordered_at": _moment(payload.get("ordered_at")),
                "product_url": settings.storefront_url
                + PRODUCT_PATH.format(slug=card.slug, id=card.product_id),
                "reorder_url": reorder_url,
            },
        )

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """Credit an order holding a reminded product to the reminders sent to its
        address within the attribution window."""
        order = host.order_facts(order_id)
        window = timedelta(days=self.options(settings).replenishment_attribution_days)
        if order is None or not order.email or not window:
            return 0
        products = host.order_product_ids(order_id)
        reminders = ScheduledSend.objects.filter(
            program=self.id,
            status=SendStatus.SENT,
            recipient__iexact=order.email,
            payload__product_id__in=products,
            sent_at__gte=order.created - window,
            sent_at__lte=order.created,
        )
        return record_conversions(self.id, list(reminders), order)


def learn_intervals(min_repeats: int) -> Dict[str, int]:
    """Replace the interval table: learned intervals, then set lifetimes for the
    products not learned. Returns ``{"learned": …, "lifetimes": …}``."""
    now = timezone.now()
    learned = {
        row.product_id: row for row in host.repeat_purchase_intervals(min_repeats)
    }
    lifetimes = {
        product: days
        for product, days in host.product_lifetimes(LIFETIME_KEY).items()
        if product not in learned
    }
    rows = [
        ReorderInterval(
            product_id=row.product_id,
            days_per_unit=row.days_per_unit,
            source=IntervalSource.LEARNED,
            repeats=row.repeats,
            updated_at=now,
        )
        for row in learned.values()
    ] + [
        ReorderInterval(
            product_id=product,
            days_per_unit=days,
            source=IntervalSource.LIFETIME,
            repeats=0,
            updated_at=now,
        )
        for product, days in lifetimes.items()
    ]
    with transaction.atomic():
        ReorderInterval.objects.all().delete()
        ReorderInterval.objects.bulk_create(rows, batch_size=2000)
    return {"learned": len(learned), "lifetimes": len(lifetimes)}


def _moment(value: Any) -> Optional[datetime]:
    return parse_datetime(value) if isinstance(value, str) else None
