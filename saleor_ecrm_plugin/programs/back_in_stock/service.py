"""The back-in-stock flows: subscribe, the detection tick, planning a wave, re-check.

* :func:`subscribe` is called by the GraphQL mutation. Every refusal is a
  :class:`SubscriptionError` with a field and a code, raised before anything is
  written.
* :func:`run_detection` is the beat tick. Its cost follows the watched variants: it
  walks the distinct variant ids of the open-subscription index (a loose index scan)
  and asks the host for the availability of those variants only. It writes only what
  changed.
* :func:`plan_wave` notifies one variant's next subscribers, first come first served.
  One transaction marks them notified and plans their emails in the ledger, holding
  the variant's watch row with ``FOR UPDATE SKIP LOCKED``: two ticks never plan the
  same wave, and the idempotency key of each email (subscription and wave) makes a
  replay a no-op.
* :func:`recheck_before_send` is what the program asks the dispatcher to verify.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Set, Tuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from ...clients import client_key
from ...context import load_context
from ...errors import EcrmError
from ...host import port as host
from ...ledger import PlannedSend, plan_sends
from ...models import ScheduledSend
from ...preferences.models import EmailContact
from ...preferences.service import (
    RATE_LIMITED_MESSAGE,
    PreferenceError,
    mailbox_filter,
    mailbox_of,
    normalise_email,
    update_preferences,
)
from .models import BackInStockSubscription, SubscriptionStatus, VariantWatch
from .options import PROGRAM_ID, BackInStockOptions, BackInStockRawOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

CATEGORY = "back_in_stock"
#: what a variant that does not track inventory counts as: enough for everyone
UNLIMITED_UNITS = 2**31 - 1
CLIENT_WINDOW = timedelta(hours=1)

# error codes (the GraphQL enum ``BackInStockErrorCode`` has the same values)
REQUIRED = "required"
INVALID = "invalid"
NOT_FOUND = "not_found"
IN_STOCK = "in_stock"
ALREADY_SUBSCRIBED = "already_subscribed"
RATE_LIMITED = "rate_limited"
UNAVAILABLE = "unavailable"


class SubscriptionError(EcrmError, ValueError):
    """A subscription that cannot be made; nothing was written. ``field`` and
    ``code`` say why."""

    def __init__(self, message: str, field: Optional[str], code: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def _options(settings: EcrmSettings) -> BackInStockRawOptions:
    return settings.options(PROGRAM_ID, BackInStockRawOptions)


def _plugin_settings() -> Tuple[bool, EcrmSettings]:
    """(plugin active, parsed settings), as the dashboard stored them."""
    context = load_context()
    return context.active, context.settings


# --- subscribing ----------------------------------------------------------------------


def client_hash(address: Optional[str]) -> str:
    """A keyed hash of the client's network (:mod:`saleor_ecrm_plugin.clients`: an
    IPv6 client owns a whole /64, an IPv4-mapped IPv6 address counts as its IPv4
    address). Empty when the address is unknown."""
    return client_key("back_in_stock", address)


def _advisory_lock(scope: str, value: str) -> None:
    """Serialise the limit checks of one address (or one client) until commit."""
    digest = hashlib.sha256(f"{scope}:{value}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def subscribe(
    variant_id: Optional[int],
    email: Optional[str],
    *,
    user_id: Optional[int] = None,
    user_email: Optional[str] = None,
    client_address: Optional[str] = None,
    now: Optional[datetime] = None,
) -> BackInStockSubscription:
    """Subscribe an address to a sold-out variant.

    ``email`` defaults to the signed-in customer's (``user_email``). Raises
    :class:`SubscriptionError` (nothing written) when the alerts are off, the address
    is missing or invalid, the variant is unknown or hidden, it can be bought now,
    the address already waits for it, or an abuse limit is reached.
    """
    active, settings = _plugin_settings()
    raw_options = _options(settings)
    if not active or not raw_options.back_in_stock_enabled:
        raise SubscriptionError(
            gettext("Back-in-stock alerts are not available in this shop."),
            None,
            UNAVAILABLE,
        )
    options = raw_options.typed()
    raw_email = email if email is not None else user_email
    if raw_email is None or not str(raw_email).strip():
        raise SubscriptionError(
            gettext("Enter an email address, or sign in."), "email", REQUIRED
        )
    try:
        address = normalise_email(raw_email)
    except PreferenceError as exc:
        raise SubscriptionError(str(exc), "email", INVALID) from exc
    if variant_id is None:
        raise SubscriptionError(
            gettext("No such product variant."), "variantId", NOT_FOUND
        )
    stock = host.variant_stock([variant_id]).get(variant_id)
    if stock is None or not stock.visible:
        raise SubscriptionError(
            gettext("No such product variant."), "variantId", NOT_FOUND
        )
    if stock.in_stock:
        raise SubscriptionError(
            gettext("This product is in stock: it can be ordered now."),
            "variantId",
            IN_STOCK,
        )
    now = now or timezone.now()
    client = client_hash(client_address)
    own_address = _same_address(address, user_email)
    with transaction.atomic():
        # the limit counts the mailbox: victim+1@, victim+2@... are one address
        _advisory_lock("email", mailbox_of(address))
        if client:
            _advisory_lock("client", client)
        open_subscriptions = BackInStockSubscription.objects.filter(
            mailbox_filter(address), status=SubscriptionStatus.OPEN
        )
        if open_subscriptions.filter(email=address, variant_id=variant_id).exists():
            raise SubscriptionError(
                gettext("This address already waits for this product."),
                "email",
                ALREADY_SUBSCRIBED,
            )
        if open_subscriptions.count() >= options.max_open_per_email:
            raise SubscriptionError(
                ngettext(
                    "An address can wait for at most %(count)s product at a time.",
                    "An address can wait for at most %(count)s products at a time.",
                    options.max_open_per_email,
                )
                % {"count": options.max_open_per_email},
                "email",
                RATE_LIMITED,
            )
        if client and (
            BackInStockSubscription.objects.filter(
                client_hash=client, created_at__gt=now - CLIENT_WINDOW
            ).count()
            >= options.max_per_client_per_hour
        ):
            raise SubscriptionError(
                gettext(RATE_LIMITED_MESSAGE),
                None,
                RATE_LIMITED,
            )
        try:
            with transaction.atomic():
                subscription = BackInStockSubscription.objects.create(
                    variant_id=variant_id,
                    product_id=stock.product_id,
                    email=address,
                    user_id=user_id,
                    client_hash=client,
                    created_at=now,
                )
        except IntegrityError as exc:  # the same request, twice at once
            raise SubscriptionError(
                gettext("This address already waits for this product."),
                "email",
                ALREADY_SUBSCRIBED,
            ) from exc
        if own_address:
            _grant_category_if_withdrawn(address)
    return subscription


def _same_address(address: str, user_email: Optional[str]) -> bool:
    try:
        return bool(user_email) and address == normalise_email(user_email)
    except PreferenceError:
        return False


def _grant_category_if_withdrawn(address: str) -> None:
    """A signed-in customer asking for an alert wants this kind of email again.

    Only for the account's own address: a guest could otherwise turn alerts back on
    for someone else. A guest's subscription to an address that refused these
    emails stays, and the wave cancels it (reason ``unsubscribed``).
    """
    withdrawn = EmailContact.objects.filter(
        email=address, opted_out_categories__contains=[CATEGORY]
    ).exists()
    if withdrawn:
        update_preferences(
            address, categories={CATEGORY: True}, source="back_in_stock_request"
        )


# --- detection ------------------------------------------------------------------------


@dataclass
class TickReport:
    """What one detection tick saw and did (returned by the beat task)."""

    watched: int = 0
    back_in_stock: int = 0
    waves: int = 0
    notified: int = 0
    cancelled: int = 0


# Distinct variant ids with open subscriptions: a loose index scan of the partial
# index ecrm_bis_open_queue_idx, one index probe per watched variant, instead of a
# scan over every open subscription.
WATCHED_VARIANTS_SQL = """
WITH RECURSIVE watched(variant_id) AS (
    (SELECT variant_id FROM {table} WHERE status = 'open'
     ORDER BY variant_id LIMIT 1)
    UNION ALL
    SELECT (SELECT s.variant_id FROM {table} AS s
            WHERE s.status = 'open' AND s.variant_id > w.variant_id
            ORDER BY s.variant_id LIMIT 1)
    FROM watched AS w WHERE w.variant_id IS NOT NULL
)
SELECT variant_id FROM watched WHERE variant_id IS NOT NULL
"""


def watched_variant_ids() -> List[int]:
    table = connection.ops.quote_name(BackInStockSubscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(WATCHED_VARIANTS_SQL.format(table=table))
        return [row[0] for row in cursor.fetchall()]


def effective_units(stock: host.VariantStock) -> int:
    """Units a wave may count on: none while hidden, plenty if not tracked."""
    if not stock.visible:
        return 0
    if not stock.track_inventory:
        return UNLIMITED_UNITS
    return max(min(stock.units, UNLIMITED_UNITS), 0)


def wave_size(units: int, alerts_per_unit: Decimal) -> int:
    """floor(units x alerts per unit), at least one once stock is back."""
    if units <= 0:
        return 0
    if units >= UNLIMITED_UNITS:
        return UNLIMITED_UNITS
    return max(int(math.floor(units * alerts_per_unit)), 1)


def run_detection(now: Optional[datetime] = None) -> TickReport:
    """One beat tick: find watched variants back above the threshold, plan waves."""
    report = TickReport()
    active, settings = _plugin_settings()
    raw_options = _options(settings)
    if not active or not raw_options.back_in_stock_enabled:
        return report
    options = raw_options.typed()
    now = now or timezone.now()
    ids = watched_variant_ids()
    report.watched = len(ids)
    stocks = host.variant_stock(ids)
    deleted = [pk for pk in ids if pk not in stocks]
    if deleted:
        report.cancelled += BackInStockSubscription.objects.filter(
            variant_id__in=deleted, status=SubscriptionStatus.OPEN
        ).update(status=SubscriptionStatus.CANCELLED, cancel_reason="variant_deleted")
    units = {pk: effective_units(stock) for pk, stock in stocks.items()}
    next_waves = _record_availability(units, options.min_units, now)
    for variant_id, available in units.items():
        if available < options.min_units:
            continue
        report.back_in_stock += 1
        next_wave_at = next_waves.get(variant_id)
        if next_wave_at is not None and next_wave_at > now:
            continue
        wave = plan_wave(variant_id, available, options, now)
        if wave.notified:
            report.waves += 1
            report.notified += wave.notified
        report.cancelled += wave.cancelled
    _forget_unwatched()
    return report


def _record_availability(
    units: Dict[int, int], min_units: int, now: datetime
) -> Dict[int, Optional[datetime]]:
    """Keep each watched variant's state; write only rows whose state changed.

    Returns each watched variant's ``next_wave_at``.
    """
    # the tick removes the rows of variants no longer watched: read the table whole,
    # as tuples (model instances would cost more than the rest of the tick)
    known = {
        variant_id: (pk, available, next_wave_at)
        for pk, variant_id, available, next_wave_at in VariantWatch.objects.values_list(
            "id", "variant_id", "available", "next_wave_at"
        )
    }
    missing = [
        VariantWatch(variant_id=variant_id, available=count, changed_at=now)
        for variant_id, count in units.items()
        if variant_id not in known
    ]
    if missing:
        VariantWatch.objects.bulk_create(missing, ignore_conflicts=True)
    next_waves: Dict[int, Optional[datetime]] = {}
    changed = []
    for variant_id, count in units.items():
        if variant_id not in known:
            next_waves[variant_id] = None
            continue
        pk, available, next_wave_at = known[variant_id]
        below = count < min_units
        if available != count or (below and next_wave_at is not None):
            if below:
                # sold out (or below the threshold) since the last wave: the next
                # restock is announced at once
                next_wave_at = None
            changed.append(
                VariantWatch(
                    pk=pk,
                    variant_id=variant_id,
                    available=count,
                    changed_at=now,
                    next_wave_at=next_wave_at,
                )
            )
        next_waves[variant_id] = next_wave_at
    if changed:
        VariantWatch.objects.bulk_update(
            changed, ["available", "changed_at", "next_wave_at"], batch_size=1000
        )
    return next_waves


def _forget_unwatched() -> None:
    """Drop the state of variants nobody waits for any more (an index probe each)."""
    watches = connection.ops.quote_name(VariantWatch._meta.db_table)
    subscriptions = connection.ops.quote_name(BackInStockSubscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {watches} AS w
            WHERE NOT EXISTS (
                SELECT 1 FROM {subscriptions} AS s
                WHERE s.variant_id = w.variant_id AND s.status = 'open')
            """
        )


# --- waves ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaveResult:
    wave: int
    notified: int
    cancelled: int


def _refusing(emails: Sequence[str]) -> Set[str]:
    """Addresses that no longer take back-in-stock alerts (or any email but orders)."""
    table = connection.ops.quote_name(EmailContact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT email FROM {table}
            WHERE email = ANY(%s::text[])
              AND (marketing_opt_out OR suppressed_at IS NOT NULL
                   OR %s = ANY(opted_out_categories))
            """,
            [list(emails), CATEGORY],
        )
        return {row[0] for row in cursor.fetchall()}


def _set_status(ids: Sequence[int], values: Dict[str, Any]) -> int:
    table = connection.ops.quote_name(BackInStockSubscription._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(name)} = %s" for name in values
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ANY(%s::integer[])",
            [*values.values(), list(ids)],
        )
        return cursor.rowcount


def plan_wave(
    variant_id: int, units: int, options: BackInStockOptions, now: datetime
) -> WaveResult:
    """Notify the next ``wave_size(units)`` open subscriptions of a variant.

    All or nothing, in one transaction: subscriptions marked notified (with the wave
    number) and their emails planned, due now in subscription order. A concurrent
    tick holding the variant skips it; one arriving later finds ``next_wave_at`` in
    the future. Subscribers who refused these emails since are cancelled, not
    counted.
    """
    size = wave_size(units, options.alerts_per_unit)
    with transaction.atomic():
        watch = (
            VariantWatch.objects.select_for_update(skip_locked=True)
            .filter(variant_id=variant_id)
            .first()
        )
        if watch is None or (watch.next_wave_at and watch.next_wave_at > now):
            return WaveResult(0, 0, 0)
        number = watch.waves + 1
        picked: List[Tuple[int, str]] = []
        cancelled = 0
        queue = BackInStockSubscription.objects.select_for_update(
            skip_locked=True
        ).filter(variant_id=variant_id, status=SubscriptionStatus.OPEN)
        while len(picked) < size:
            rows = list(
                queue.order_by("created_at", "id").values_list("id", "email")[
                    : size - len(picked)
                ]
            )
            if not rows:
                break
            refusing = _refusing([email for _, email in rows])
            keep = [(pk, email) for pk, email in rows if email not in refusing]
            dropped = [pk for pk, email in rows if email in refusing]
            if dropped:
                cancelled += _set_status(
                    dropped,
                    {
                        "status": SubscriptionStatus.CANCELLED,
                        "cancel_reason": "unsubscribed",
                    },
                )
            if keep:
                _set_status(
                    [pk for pk, _ in keep],
                    {
                        "status": SubscriptionStatus.NOTIFIED,
                        "notified_at": now,
                        "wave": number,
                    },
                )
                picked.extend(keep)
        if not picked:
            return WaveResult(0, 0, cancelled)
        plan_alerts(variant_id, number, picked, now)
        watch.waves = number
        watch.last_wave_at = now
        watch.next_wave_at = now + options.wave_interval
        watch.available = units
        watch.changed_at = now
        watch.save()
    return WaveResult(number, len(picked), cancelled)


def _planned_alert(
    variant_id: int, wave: int, subscription_id: int, email: str, due_at: datetime
) -> PlannedSend:
    return PlannedSend(
        program=PROGRAM_ID,
        step="alert",
        recipient=email,
        subject_type="variant",
        subject_id=str(variant_id),
        due_at=due_at,
        payload={"subscription_id": subscription_id, "wave": wave},
        key=f"{PROGRAM_ID}:{subscription_id}:{wave}",
    )


#: the ledger columns that differ between the alerts of one wave
_PER_ALERT_COLUMNS = ("recipient", "due_at", "next_attempt_at", "idempotency_key")


def plan_alerts(
    variant_id: int, wave: int, picked: Sequence[Tuple[int, str]], now: datetime
) -> int:
    """Plan the wave's emails in the ledger, one microsecond apart in queue order
    (the dispatcher sends them in that order). Returns the rows created.

    The rows are exactly what :func:`..ledger.plan_sends` writes for the same
    :class:`PlannedSend` values (a template row built by ``PlannedSend.to_row`` gives
    every column's value), but in one ``INSERT ... SELECT FROM unnest(...) ON
    CONFLICT DO NOTHING``: ``plan_sends`` compiles every row in Django, about 0.7 ms
    an alert, 70 s for a wave of 100,000.
    """
    alerts = [
        _planned_alert(
            variant_id, wave, pk, email, now + timedelta(microseconds=position)
        )
        for position, (pk, email) in enumerate(picked)
    ]
    if len(alerts) < 50:  # small waves: the ledger's own path
        return plan_sends(alerts)
    template = alerts[0].to_row()
    fields = [
        field for field in ScheduledSend._meta.concrete_fields if not field.primary_key
    ]
    constants: List[Any] = []
    select: List[str] = []
    for field in fields:
        if field.attname in _PER_ALERT_COLUMNS:
            select.append(f"u.{field.attname}")
        elif field.attname == "payload":
            select.append("u.payload::jsonb")
        else:
            value = field.pre_save(template, add=True)
            constants.append(field.get_db_prep_save(value, connection))
            select.append(f"%s::{field.db_type(connection)}")
    table = connection.ops.quote_name(ScheduledSend._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    arrays = [
        [alert.recipient for alert in alerts],
        [alert.due_at for alert in alerts],
        [alert.due_at for alert in alerts],
        [alert.idempotency_key() for alert in alerts],
        [json.dumps(alert.payload) for alert in alerts],
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} ({columns})
            SELECT {", ".join(select)}
            FROM unnest(%s::text[], %s::timestamptz[], %s::timestamptz[],
                        %s::text[], %s::text[])
                 AS u(recipient, due_at, next_attempt_at, idempotency_key, payload)
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            [*constants, *arrays],
        )
        return cursor.rowcount


# --- before sending -------------------------------------------------------------------


def recheck_before_send(send: ScheduledSend) -> Optional[str]:
    """Why an alert must not go now (``None``: send it).

    When the variant can no longer be bought, the subscription is reopened in its
    original place in the queue (unless the customer subscribed again since), so the
    customer is told about the next restock instead of losing their turn.
    """
    subscription = BackInStockSubscription.objects.filter(
        pk=send.payload.get("subscription_id")
    ).first()
    if subscription is None:
        return "subscription_deleted"
    if subscription.status == SubscriptionStatus.CANCELLED:
        return "subscription_cancelled"
    if subscription.wave != send.payload.get("wave"):
        return "superseded"  # reopened, and planned again in a later wave
    stock = host.variant_stock([subscription.variant_id]).get(subscription.variant_id)
    if stock is None:
        return "variant_deleted"
    if not stock.in_stock:
        if reopen(subscription.pk, send.payload.get("wave")):
            # the stock this wave was sized on is gone: the next restock is
            # announced at once, to these customers first
            VariantWatch.objects.filter(variant_id=subscription.variant_id).update(
                next_wave_at=None
            )
        return "out_of_stock_again" if stock.visible else "product_unavailable"
    return None


def reopen(subscription_id: int, wave: Optional[int]) -> bool:
    """Put a notified subscription whose email did not go back in the queue."""
    table = connection.ops.quote_name(BackInStockSubscription._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS s
            SET status = 'open', notified_at = NULL, wave = NULL
            WHERE s.id = %s AND s.status = 'notified' AND s.wave = %s
              AND NOT EXISTS (
                SELECT 1 FROM {table} AS o
                WHERE o.variant_id = s.variant_id AND o.email = s.email
                  AND o.status = 'open')
            """,
            [subscription_id, wave],
        )
        return cursor.rowcount == 1
