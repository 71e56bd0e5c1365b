"""Replenishment: remind a customer to reorder what should be running out.

The reorder interval of a product (:mod:`.models`), kept by the daily scan
:meth:`ReplenishmentProgram.learn_intervals`:

* learned from the shop's repeat purchases, once at least
  ``replenishment_min_repeats`` exist: the median days between two consecutive
  orders of the product by the same address, divided by the quantity of the earlier
  order (a line of 2 bags lasts twice as long) — window functions over the host's
  orders (:func:`saleor_ecrm_plugin.host.port.repeat_purchase_intervals`). The
  learning reads a year of orders: it runs **weekly** (:data:`LEARN_MAX_AGE`; at
  once when ``replenishment_min_repeats`` changes), a median over a year barely
  moves in a day;
* otherwise the lifetime in days the merchant set in the product's metadata
  ``ecrm.lifetime_days``, else in its product type's (read daily: a small query).

Planning (:meth:`ReplenishmentProgram.plan_reminders`, daily) works on the
program's own copy of the history, :class:`.models.LatestPurchase`: each address's
latest line of each product with the time its reminder falls due (``share x
interval x quantity`` after the order, at most a year). Each pass first catches up
with the orders placed since the previous one (the host's order mark: work in
proportion to the day's orders; the first pass reads the last year once), a later
order of a product replacing the address's earlier line (re-ordered: no reminder
for it); then it plans the lines whose time falls between the last pass's horizon
and a day ahead, an index range scan, one reminder per order line (the ledger's
unique key). When the intervals or the share change, the due times are computed
again (one statement over the program's table).

Re-check before sending: the order still counts (``order_canceled``: a
cancellation after the catch-up), not re-ordered since the order
(``reordered``), the variant still exists (``product_gone``), is sold
(``not_sold``) and in stock (``out_of_stock``). A customer buying on schedule
re-orders before the reminder is due: nothing is sent.

The email's "order again" link (:mod:`.views`) recreates a checkout with the same
line and sends the customer to the storefront's cart (the cart reminders' URL).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Optional

from django.db import connection, transaction
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
from .models import IntervalSource, LatestPurchase, ReorderInterval
from .options import LIFETIME_KEY, PROGRAM_ID, ReplenishmentOptions
from .tokens import make_reorder_token

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

SUBJECT = "order_line"
STEP = "reminder"
SCAN_CURSOR = "replenishment.due_until"
#: the host's order mark the program's copy of the history is caught up to
ORDERS_CURSOR = "replenishment.orders"
#: when the intervals were last learned (``after_key``: the minimum repeats used)
LEARN_CURSOR = "replenishment.learned"
#: the share of the interval the due times were computed with (``after_key``)
SHARE_CURSOR = "replenishment.share"
#: the learning over a year of orders runs this often (beat asks daily)
LEARN_MAX_AGE = timedelta(days=7) - timedelta(hours=4)
#: a reminder is never due more than this long after its order (days)
MAX_REMINDER_DAYS = 365
#: the temporary table the host writes the new order lines into
NEW_LINES_TABLE = "ecrm_new_order_lines"
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

    def learn_intervals(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """Daily: the merchant's lifetimes; weekly (or when the minimum repeats
        changed) the learned intervals too."""
        if not self.is_enabled(settings):
            return {"learned": 0, "lifetimes": 0}
        now = now or timezone.now()
        options = self.options(settings)
        before = _intervals()
        counts = learn_intervals(options.replenishment_min_repeats, now)
        refresh_due_times(
            options.replenishment_share_percent / 100.0, before != _intervals()
        )
        return counts

    def plan_reminders(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """Daily: catch up with the new orders, then plan the reminders falling due
        up to a day ahead (from where the last pass stopped)."""
        if not self.is_enabled(settings):
            return {"due": 0, "planned": 0}
        now = now or timezone.now()
        share = self.options(settings).replenishment_share_percent / 100.0
        refresh_due_times(share, intervals_changed=False)
        catch_up_purchases(now)
        if not ReorderInterval.objects.exists():  # nothing learned: keep the window
            return {"due": 0, "planned": 0}
        cursor, _ = ScanCursor.objects.get_or_create(name=SCAN_CURSOR)
        due_from = cursor.position or now - FIRST_LOOKBACK
        due_until = now + PLAN_AHEAD
        if due_from >= due_until:
            return {"due": 0, "planned": 0}
        due = list(
            LatestPurchase.objects.filter(
                due_at__gte=due_from, due_at__lt=due_until
            ).order_by("due_at", "pk")
        )
        planned = plan_sends(
            PlannedSend(
                program=self.id,
                step=STEP,
                recipient=line.email,
                subject_type=SUBJECT,
                subject_id=line.line_id,
                due_at=max(now, line.due_at),
                payload={
                    "order_id": line.order_id,
                    "product_id": line.product_id,
                    "variant_id": line.variant_id,
                    "quantity": line.quantity,
                    "ordered_at": line.ordered_at.isoformat(),
                    "interval_days": round(line.interval_days or 0.0, 2),
                },
                key=f"{self.id}:{line.line_id}",
            )
            for line in due
            if line.due_at is not None
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
        order = host.order_for_review(payload.get("order_id"))
        if order is not None and order.canceled:
            return skip("order_canceled")
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


def learn_intervals(min_repeats: int, now: Optional[datetime] = None) -> Dict[str, int]:
    """Replace the interval table: learned intervals (learned again when older than
    :data:`LEARN_MAX_AGE` or learned with another ``min_repeats``, else kept), then
    set lifetimes for the products not learned. Returns ``{"learned": …,
    "lifetimes": …, "relearned": 0 or 1}``."""
    now = now or timezone.now()
    cursor, _ = ScanCursor.objects.get_or_create(name=LEARN_CURSOR)
    relearn = (
        cursor.position is None
        or now - cursor.position >= LEARN_MAX_AGE
        or cursor.after_key != str(min_repeats)
    )
    if relearn:
        learned = {
            row.product_id: (row.days_per_unit, row.repeats)
            for row in host.repeat_purchase_intervals(min_repeats)
        }
    else:
        learned = {
            product: (days, repeats)
            for product, days, repeats in ReorderInterval.objects.filter(
                source=IntervalSource.LEARNED
            ).values_list("product_id", "days_per_unit", "repeats")
        }
    lifetimes = {
        product: days
        for product, days in host.product_lifetimes(LIFETIME_KEY).items()
        if product not in learned
    }
    rows = [
        ReorderInterval(
            product_id=product,
            days_per_unit=days,
            source=IntervalSource.LEARNED,
            repeats=repeats,
            updated_at=now,
        )
        for product, (days, repeats) in learned.items()
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
        if relearn:
            cursor.position = now
            cursor.after_key = str(min_repeats)
            cursor.save()
    return {
        "learned": len(learned),
        "lifetimes": len(lifetimes),
        "relearned": int(relearn),
    }


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _due_sql(share: str, days: str, ordered_at: str) -> str:
    """The due time of a line lasting ``days``, ``share`` of it after the order."""
    return (
        f"{ordered_at} + make_interval(secs => 86400 * least({share} * {days},"
        f" {MAX_REMINDER_DAYS}))"
    )


def catch_up_purchases(now: datetime) -> int:
    """Bring :class:`.models.LatestPurchase` up to the host's order mark: the lines
    of the orders placed since the last pass (the first pass: the last
    :data:`MAX_REMINDER_DAYS` of orders), the latest per address and product
    replacing an earlier one. Returns the number of new lines read."""
    mark = host.counted_orders_high_water_mark()
    cursor, _ = ScanCursor.objects.get_or_create(name=ORDERS_CURSOR)
    after = int(cursor.after_key) if cursor.after_key.isdigit() else 0
    if mark <= after:
        return 0
    share = _share_in_force()
    purchases, intervals = _table(LatestPurchase), _table(ReorderInterval)
    with transaction.atomic(), connection.cursor() as sql:
        # inside an outer transaction (a test's), ON COMMIT has not dropped the
        # previous pass's table yet
        sql.execute(f"DROP TABLE IF EXISTS {NEW_LINES_TABLE}")
        sql.execute(
            f"CREATE TEMPORARY TABLE {NEW_LINES_TABLE} (order_id varchar(64),"
            " line_id varchar(64), email varchar(254), product_id integer,"
            " variant_id integer, quantity integer, created timestamptz)"
            " ON COMMIT DROP"
        )
        lines = host.write_new_order_lines(
            NEW_LINES_TABLE, after, mark, now - timedelta(days=MAX_REMINDER_DAYS)
        )
        sql.execute(
            f"""
            INSERT INTO {purchases} AS p (email, product_id, order_id, line_id,
                variant_id, quantity, ordered_at, interval_days, due_at, share)
            SELECT DISTINCT ON (n.email, n.product_id) n.email, n.product_id,
                   n.order_id, n.line_id, n.variant_id, n.quantity, n.created,
                   i.days_per_unit * n.quantity,
                   {_due_sql("%(share)s", "i.days_per_unit * n.quantity", "n.created")},
                   %(share)s
            FROM {NEW_LINES_TABLE} AS n
            LEFT JOIN {intervals} AS i ON i.product_id = n.product_id
            ORDER BY n.email, n.product_id, n.created DESC, n.line_id DESC
            ON CONFLICT (email, product_id) DO UPDATE SET
                order_id = EXCLUDED.order_id, line_id = EXCLUDED.line_id,
                variant_id = EXCLUDED.variant_id, quantity = EXCLUDED.quantity,
                ordered_at = EXCLUDED.ordered_at,
                interval_days = EXCLUDED.interval_days, due_at = EXCLUDED.due_at,
                share = EXCLUDED.share
            WHERE EXCLUDED.ordered_at > p.ordered_at
            """,
            {"share": share},
        )
        sql.execute(f"DROP TABLE {NEW_LINES_TABLE}")
        cursor.after_key = str(mark)
        cursor.position = now
        cursor.save()
    return lines


def _share_in_force() -> float:
    cursor = ScanCursor.objects.filter(name=SHARE_CURSOR).first()
    try:
        return float(cursor.after_key) if cursor else 0.0
    except ValueError:
        return 0.0


def _intervals() -> Dict[int, float]:
    return dict(ReorderInterval.objects.values_list("product_id", "days_per_unit"))


def refresh_due_times(share: float, intervals_changed: bool) -> int:
    """Compute the due times again when the intervals or the share changed (after
    a learning, or a new share in the options): one statement over the program's
    table, the lines whose interval changed (every line for a new share). Returns
    the number of lines changed."""
    purchases, intervals = _table(LatestPurchase), _table(ReorderInterval)
    cursor, _ = ScanCursor.objects.get_or_create(name=SHARE_CURSOR)
    fingerprint = f"{share!r}"
    changed_share = cursor.after_key != fingerprint
    if not (changed_share or intervals_changed):
        return 0
    with transaction.atomic(), connection.cursor() as sql:
        sql.execute(
            f"""
            UPDATE {purchases} AS p
            SET interval_days = n.days, share = %(share)s,
                due_at = {_due_sql("%(share)s", "n.days", "p.ordered_at")}
            FROM (
                SELECT p2.id, i.days_per_unit * p2.quantity AS days
                FROM {purchases} AS p2
                LEFT JOIN {intervals} AS i ON i.product_id = p2.product_id
            ) AS n
            WHERE n.id = p.id
              AND (p.interval_days IS DISTINCT FROM n.days OR %(all)s)
            """,
            {"share": share, "all": changed_share},
        )
        changed = int(sql.rowcount)
        if changed_share:
            cursor.after_key = fingerprint
            cursor.save()
    return changed


def _moment(value: Any) -> Optional[datetime]:
    return parse_datetime(value) if isinstance(value, str) else None
