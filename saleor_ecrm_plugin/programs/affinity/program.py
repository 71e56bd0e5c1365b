"""Affinity: products that go with what a customer bought, from other categories.

Trigger: a daily scan (:meth:`AffinityProgram.plan_suggestions`, in the manifest).
It first rebuilds the category model (:mod:`.model`) when older than
:data:`MODEL_MAX_AGE_HOURS` (about a week), then reads the orders created between
its cursor and ``affinity_delay_days`` ago (a day's orders: bounded by the shop's
daily volume) and plans one email per address (its latest order of the batch),
due now, unless the address already has an affinity email planned or sent within
``affinity_period_days``. The daily part reads a day's orders only: a diary of
the host's order mark (one page a day, :func:`note_order_mark`) bounds them to a
range of the order sequence (Saleor 2.10 has no index on the order date). The
weekly model rebuild reads every order line: it is not part of a daily tick's
cost (``bench/lifecycle.py`` times it in the install phase).

Re-check before sending: the order still counts (not cancelled), no other affinity
email was sent to the address within the period (``recently_sent``), and there is
something to suggest (``nothing_to_suggest``): products of the categories most
associated with the order's (lift first), published and in stock, never one the
address already bought. Consent, the preference, quiet hours and the frequency cap
are the dispatcher's (category ``affinity``).

Conversions: an order by the address within ``affinity_attribution_days`` after a
sent affinity email is credited to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from django.utils import timezone

from ...attribution import record_conversions
from ...host import port as host
from ...ledger import PlannedSend, plan_sends
from ...models import ScanCursor, ScheduledSend, SendStatus
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from ..suggestions import available_cards
from .model import build_category_affinity, last_built_at, related_categories
from .options import PROGRAM_ID, AffinityOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

#: the category model is rebuilt weekly: category co-purchase over years of
#: orders barely moves in a day, and the rebuild reads every order line
MODEL_MAX_AGE_HOURS = 7 * 24 - 4.0
ORDERS_CURSOR = "affinity_orders"
#: the diary of the host's order mark, one cursor a day (``position``: when it
#: was read, ``after_key``: the mark): orders placed after that moment are above
#: it, so a day's orders are a range of the host's order sequence
MARK_DIARY = "affinity_mark."
#: diary pages kept (more than the longest delay a merchant can set)
MARK_DIARY_DAYS = 120
#: categories whose products an email may show
RELATED_CATEGORIES = 3
STEP = "suggestions"
#: rows that do not count against the once-per-period rule
_NOT_COUNTED = (SendStatus.CANCELLED, SendStatus.SKIPPED)


class AffinityProgram(Program):
    id = PROGRAM_ID
    category = "affinity"
    enabled_field = "affinity_enabled"
    Options = AffinityOptions
    scan_methods = ("plan_suggestions",)

    def options(self, settings: EcrmSettings) -> AffinityOptions:
        return settings.options(self.id, AffinityOptions)

    # --- the trigger ---------------------------------------------------------------

    def refresh_model(self, settings: EcrmSettings, now: datetime) -> bool:
        last = last_built_at()
        if last is not None and now - last < timedelta(hours=MODEL_MAX_AGE_HOURS):
            return False
        options = self.options(settings)
        build_category_affinity(
            options.affinity_min_customers, options.affinity_min_lift, now
        )
        return True

    def plan_suggestions(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """The daily scan: the orders that reached the delay since the last scan."""
        if not self.is_enabled(settings):
            return {"planned": 0}
        now = now or timezone.now()
        options = self.options(settings)
        rebuilt = self.refresh_model(settings, now)
        end = now - timedelta(days=options.affinity_delay_days)
        cursor, _ = ScanCursor.objects.get_or_create(name=ORDERS_CURSOR)
        # first scan: the last day's orders only (no backlog of old orders)
        start = cursor.position or end - timedelta(days=1)
        if start >= end:
            return {"planned": 0, "orders": 0, "model_rebuilt": int(rebuilt)}
        note_order_mark(now)
        latest: Dict[str, str] = {}
        orders = host.orders_placed_between(start, end, order_mark_before(start))
        for order_id, email, _created in orders:
            if email:
                latest[email] = order_id  # oldest first: the last one wins
        period_start = now - timedelta(days=options.affinity_period_days)
        capped = set(
            ScheduledSend.objects.filter(
                program=self.id,
                recipient__in=list(latest),
                due_at__gte=period_start,
            )
            .exclude(status__in=_NOT_COUNTED)
            .values_list("recipient", flat=True)
        )
        planned = [
            PlannedSend(
                program=self.id,
                step=STEP,
                recipient=email,
                subject_type="order",
                subject_id=order_id,
                due_at=now,
            )
            for email, order_id in latest.items()
            if email not in capped
        ]
        created = plan_sends(planned)
        cursor.position = end
        cursor.save(update_fields=["position", "updated_at"])
        return {
            "planned": created,
            "orders": len(orders),
            "capped": len(capped),
            "model_rebuilt": int(rebuilt),
        }

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        days = self.options(settings).affinity_attribution_days
        order = host.order_facts(order_id) if days else None
        if order is None or not order.email:
            return 0
        sends = ScheduledSend.objects.filter(
            program=self.id,
            recipient__iexact=order.email,
            status=SendStatus.SENT,
            sent_at__gte=order.created - timedelta(days=days),
            sent_at__lte=order.created,
        )
        return record_conversions(self.id, list(sends), order)

    # --- the send ------------------------------------------------------------------

    def suggestions(
        self, send: ScheduledSend, settings: EcrmSettings
    ) -> List[Dict[str, Any]]:
        """The products of the email: from the categories bought with the order's."""
        options = self.options(settings)
        categories = sorted(
            {
                category
                for category in host.product_categories(
                    host.order_product_ids(send.subject_id)
                ).values()
                if category is not None
            }
        )
        related = related_categories(categories, RELATED_CATEGORIES)
        if not related:
            return []
        bought = host.email_product_ids(send.recipient)
        limit = options.affinity_products
        # some candidates may be out of stock: read a few more than shown
        candidates = host.product_ids_in_categories(related, bought, limit * 3)
        return available_cards(candidates, settings.storefront_url)[:limit]

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        order = host.order_for_review(send.subject_id)
        if order is None or order.canceled:
            return skip("order_canceled")
        period = timedelta(days=self.options(settings).affinity_period_days)
        recent = (
            ScheduledSend.objects.filter(
                program=self.id,
                recipient__iexact=send.recipient,
                status=SendStatus.SENT,
                sent_at__gte=timezone.now() - period,
            )
            .exclude(pk=send.pk)
            .exists()
        )
        if recent:
            return skip("recently_sent")
        if not self.suggestions(send, settings):
            return skip("nothing_to_suggest")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        order = host.order_for_review(send.subject_id)
        return EmailSpec(
            template="ecrm/affinity",
            context={
                "first_name": order.first_name if order else "",
                "products": self.suggestions(send, settings),
                "shop_url": settings.storefront_url,
            },
        )


def note_order_mark(now: datetime) -> None:
    """Write today's page of the order mark diary (once a day), drop old pages."""
    name = f"{MARK_DIARY}{now.date().isoformat()}"
    if not ScanCursor.objects.filter(name=name).exists():
        ScanCursor.objects.create(
            name=name,
            position=now,
            after_key=str(host.counted_orders_high_water_mark()),
        )
    ScanCursor.objects.filter(
        name__startswith=MARK_DIARY,
        position__lt=now - timedelta(days=MARK_DIARY_DAYS),
    ).delete()


def order_mark_before(moment: datetime) -> int:
    """The order mark read last before ``moment`` (0: none known, every order)."""
    mark = (
        ScanCursor.objects.filter(name__startswith=MARK_DIARY, position__lte=moment)
        .order_by("-position")
        .values_list("after_key", flat=True)
        .first()
    )
    return int(mark) if mark and mark.isdigit() else 0
