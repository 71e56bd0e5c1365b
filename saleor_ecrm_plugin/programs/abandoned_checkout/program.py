"""Abandoned checkout: a series of reminders that never mails a customer who bought.

Triggers
    * Saleor's ``checkout_quantity_changed`` hook (checkoutCreate, lines added or
      updated) notes activity at once;
    * a beat scan (:func:`scan_checkouts`) pages through ``Checkout.last_change``
      for what the hook misses (email set later, customer attached, shipping chosen);
    * the re-check before each send notices line deletions (the cart's fingerprint),
      which Saleor 2.10 reports nowhere.

The series
    Steps ``step1``… are due the configured hours (default 2, 24, 48) after the
    checkout's last activity. New activity restarts the clock: the steps not yet
    sent are planned again from the new activity and the old ones cancelled. A step
    already sent for a checkout is never sent again for it.

Re-check right before EACH step, under locks shared with the ``order_created`` hook
(:func:`saleor_ecrm_plugin.host.port.lock_checkout_and_email`), so that a
reminder is either delivered before the order commits or re-checked after it did:
the checkout still exists and did not become an order, its cart and address are the
ones planned for, and the same address placed no order since the series began.
Consent (reminders are marketing) is checked by the dispatcher with this program's
consent mode.

The last step can carry a unique voucher made in Saleor's voucher model when, and
only when, that step is delivered (made inside the send's transaction, so a failed
delivery leaves no voucher behind).

The re-check writes nothing: a cart that changed is skipped with
``skip(..., replan=True)`` and :meth:`AbandonedCheckoutProgram.replan` plans the new
series once the skip is recorded; the voucher is made in ``prepare``.

``order_created`` cancels what is still planned for the checkout and credits the
order to the reminders sent within the attribution window
(:mod:`saleor_ecrm_plugin.attribution`).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ...attribution import record_conversions
from ...errors import PermanentSendError
from ...host import port as host
from ...ledger import PlannedSend, cancel_pending, plan_sends
from ...models import ScanCursor, ScheduledSend, SendStatus
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from .options import AbandonedCheckoutOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

PROGRAM_ID = "abandoned_checkout"
SUBJECT = "checkout"
SCAN_CURSOR = "abandoned_checkout.last_change"
#: changes committed late (a long transaction) are read again by the next scans
SCAN_OVERLAP = timedelta(minutes=2)
#: a step that should have gone this long ago when first planned is not planned
#: (installing the plugin must not mail every old cart at once)
LATE_PLANNING_LIMIT = timedelta(hours=1)


class CheckoutGone(PermanentSendError, LookupError):
    """The checkout disappeared between the re-check and the rendering."""


def _activity_key(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1_000_000))


class AbandonedCheckoutProgram(Program):
    id = PROGRAM_ID
    category = "abandoned_checkout"
    Options = AbandonedCheckoutOptions
    enabled_field = "abandoned_enabled"
    # a cart reminder delayed by a weekly cap is a sale lost: exempt (still marketing)
    frequency_capped = False
    scan_methods = ("scan_checkouts",)
    hook_methods = ("note_activity",)

    def options(self, settings: EcrmSettings) -> AbandonedCheckoutOptions:
        return settings.options(self.id, AbandonedCheckoutOptions)

    # --- triggers ---------------------------------------------------------------

    def note_activity(
        self,
        settings: EcrmSettings,
        token: str,
        seen_at: Union[datetime, str, None] = None,
    ) -> int:
        """Plan (or re-plan) the series of one checkout; returns the rows planned.

        ``seen_at`` is when activity was observed (the hook's time, a datetime or
        its ISO form as a task passes it); the checkout's own ``last_change``
        counts too, whichever is later.
        """
        seen = parse_datetime(seen_at) if isinstance(seen_at, str) else seen_at
        if not self.is_enabled(settings):
            return 0
        with transaction.atomic():
            host.lock_checkout_and_email(token, "")
            return self._replan(settings, token, seen, timezone.now())

    def _replan(
        self,
        settings: EcrmSettings,
        token: str,
        seen_at: Optional[datetime],
        now: datetime,
    ) -> int:
        state = host.checkout_state(token)
        rows = list(
            ScheduledSend.objects.filter(
                program=self.id, subject_type=SUBJECT, subject_id=str(token)
            ).only("id", "step", "status", "payload", "recipient")
        )
        if state is None or not state.line_count or not state.email:
            reason = (
                "checkout_deleted"
                if state is None
                else ("cart_emptied" if not state.line_count else "no_email")
            )
            cancel_pending(self.id, SUBJECT, str(token), reason)
            return 0
        activity = max(filter(None, (seen_at, state.last_change)))
        if _is_current(_latest_series(rows), state, activity):
            return 0  # nothing new since this series was planned
        cancel_pending(self.id, SUBJECT, str(token), "checkout_changed")
        sent_steps = {row.step for row in rows if row.status == SendStatus.SENT}
        hours = self.options(settings).abandoned_steps_hours
        planned = []
        for index, delay in enumerate(hours):
            step = f"step{index + 1}"
            due = activity + timedelta(hours=delay)
            if step in sent_steps or due < now - LATE_PLANNING_LIMIT:
                continue
            planned.append(
                PlannedSend(
                    program=self.id,
                    step=step,
                    recipient=state.email,
                    subject_type=SUBJECT,
                    subject_id=str(token),
                    due_at=due,
                    payload={
                        "activity": activity.isoformat(),
                        "fingerprint": state.fingerprint,
                        "last": index == len(hours) - 1,
                    },
                    key=f"{self.id}:{token}:{step}:{_activity_key(activity)}",
                )
            )
        return plan_sends(planned)

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """After an order committed: stop the checkout's series, credit the reminders.

        Returns the number of reminders credited with the order.
        """
        order = host.order_facts(order_id)
        if order is None:
            return 0
        if order.checkout_token:
            cancel_pending(self.id, SUBJECT, order.checkout_token, "checkout_converted")
        window = timedelta(days=self.options(settings).abandoned_attribution_days)
        if not window:
            return 0
        credited = ScheduledSend.objects.filter(
            program=self.id,
            status=SendStatus.SENT,
            sent_at__gte=order.created - window,
            sent_at__lte=order.created,
        )
        # the reminded checkout itself, or a new checkout by the same address
        by_checkout = credited.filter(subject_id=order.checkout_token)
        sends = list(by_checkout) if order.checkout_token else []
        if not sends and order.email:
            sends = list(credited.filter(recipient__iexact=order.email))
        return record_conversions(self.id, sends, order)

    def scan_checkouts(self, settings: EcrmSettings) -> Dict[str, int]:
        """The periodic scan (its manifest schedules it): :func:`scan_checkouts`."""
        return scan_checkouts(settings)

    # --- the send ---------------------------------------------------------------

    def consent_mode(self, settings: EcrmSettings) -> str:
        return self.options(settings).abandoned_consent_mode or settings.consent_mode

    @contextmanager
    def send_guard(self, send: ScheduledSend) -> Iterator[None]:
        with transaction.atomic():
            host.lock_checkout_and_email(send.subject_id, send.recipient)
            yield

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        """Is the reminder still wanted? Writes nothing: a change of the cart asks
        for a new series (``replan``), planned by :meth:`replan` once the skip is
        recorded."""
        token = send.subject_id
        if host.order_for_checkout(token) is not None:
            return skip("checkout_converted")
        state = host.checkout_state(token)
        if state is None:
            return skip("checkout_deleted")
        if not state.line_count:
            return skip("cart_emptied")
        if state.email.lower() != send.recipient.lower():
            return skip("email_changed", replan=True)
        activity = _activity_of(send)
        if activity is None:
            return skip("bad_payload")
        if state.fingerprint != send.payload.get("fingerprint"):
            # lines deleted or edited without Saleor noting it: activity, now
            return skip("checkout_changed", replan=True, replan_activity=timezone.now())
        if state.last_change > activity:
            return skip("checkout_changed", replan=True)
        latest = _latest_series(
            ScheduledSend.objects.filter(
                program=self.id, subject_type=SUBJECT, subject_id=token
            ).only("id", "payload")
        )
        if latest is not None and (_activity_of(latest) or activity) > activity:
            return skip("superseded")
        if host.email_ordered_since(send.recipient, activity):
            return skip("customer_ordered")
        return SEND

    def replan(
        self, send: ScheduledSend, settings: EcrmSettings, decision: Decision
    ) -> None:
        """Plan the series again from the cart as it is now (after a skip)."""
        with transaction.atomic():
            host.lock_checkout_and_email(send.subject_id, "")
            self._replan(
                settings, send.subject_id, decision.replan_activity, timezone.now()
            )

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        """The step's email; the last step's voucher is made here, inside the send's
        guard (its transaction): a failed delivery leaves no voucher behind."""
        options = self.options(settings)
        cart = host.checkout_cart(send.subject_id, settings.storefront_url)
        if cart is None:  # the re-check just saw it: deleted in between
            raise CheckoutGone(f"checkout {send.subject_id} was deleted")
        steps = len(options.abandoned_steps_hours)
        number = int(send.step.replace("step", "") or 1)
        last = bool(send.payload.get("last")) or number >= steps
        context: Dict[str, Any] = {
            "first_name": cart.first_name,
            "lines": cart.lines,
            "subtotal": cart.subtotal,
            "cart_url": options.abandoned_cart_url.format(
                storefront=settings.storefront_url, token=send.subject_id
            ),
            "step": number,
            "voucher": None,
        }
        percent = options.abandoned_voucher_percent
        if last and percent:
            context["voucher"] = host.issue_single_use_voucher(
                reference=send.idempotency_key[:200],
                prefix="CART",
                percentage=percent,
                valid_days=options.abandoned_voucher_days,
                now=timezone.now(),
                usage_limit=options.abandoned_voucher_usage_limit,
            )
        template = "ecrm/abandoned_checkout_last" if last else "ecrm/abandoned_checkout"
        return EmailSpec(template=template, context=context)


def _activity_of(send: ScheduledSend) -> Optional[datetime]:
    value = (send.payload or {}).get("activity")
    return parse_datetime(value) if isinstance(value, str) else None


def _is_current(
    latest: Optional[ScheduledSend], state: host.CheckoutState, activity: datetime
) -> bool:
    """Was ``latest`` (the newest planned row) planned for this cart as it is now?"""
    if latest is None:
        return False
    planned_at = _activity_of(latest)
    return (
        planned_at is not None
        and planned_at >= activity
        and latest.payload.get("fingerprint") == state.fingerprint
        and latest.recipient.lower() == state.email.lower()
    )


def _latest_series(rows: Iterable[ScheduledSend]) -> Optional[ScheduledSend]:
    """The row of the newest series (the latest ``activity``) among ``rows``."""
    latest: Optional[ScheduledSend] = None
    latest_at: Optional[datetime] = None
    for row in rows:
        moment = _activity_of(row)
        if moment is not None and (latest_at is None or moment > latest_at):
            latest, latest_at = row, moment
    return latest


def abandoned_checkout_program() -> AbandonedCheckoutProgram:
    """An instance of the program (it holds no state: any instance will do)."""
    return AbandonedCheckoutProgram()


# --- the periodic scan ----------------------------------------------------------


def _changed_since_planned(tokens: Sequence[str]) -> List[str]:
    """The checkouts among ``tokens`` whose reminders are not planned for their
    current state (three queries for the lot: the overlap of successive scans
    re-reads recent checkouts, and most of them have not changed again)."""
    states = host.checkout_states(tokens)
    rows: Dict[str, List[ScheduledSend]] = {}
    for row in ScheduledSend.objects.filter(
        program=PROGRAM_ID, subject_type=SUBJECT, subject_id__in=list(states)
    ).only("id", "subject_id", "payload", "recipient"):
        rows.setdefault(row.subject_id, []).append(row)
    return [
        token
        for token, state in states.items()
        if not _is_current(
            _latest_series(rows.get(token, [])), state, state.last_change
        )
    ]


def scan_checkouts(
    settings: EcrmSettings, now: Optional[datetime] = None, page_size: int = 500
) -> Dict[str, int]:
    """Beat tick: plan reminders for every checkout changed since the last scan.

    Reads Saleor's checkouts by ``(last_change, token)`` after the stored cursor, so
    one tick costs what changed, not the table. ``last_change`` is set before its
    transaction commits: the cursor never passes ``tick start - SCAN_OVERLAP``, so a
    change committed up to that long after its timestamp is still read by the next
    tick. Returns ``{"seen": …, "planned": …}``.
    """
    program = abandoned_checkout_program()
    if not program.is_enabled(settings):
        return {"seen": 0, "planned": 0}
    started = now or timezone.now()
    cursor, _ = ScanCursor.objects.get_or_create(name=SCAN_CURSOR)
    if cursor.position is None:
        hours = program.options(settings).abandoned_steps_hours
        position, after = started - timedelta(hours=hours[-1]), ""
    else:
        position, after = cursor.position, cursor.after_key
    seen = planned = 0
    while True:
        page: List[Tuple[str, Any]] = host.checkouts_changed_since(
            position, after, page_size
        )
        seen += len(page)
        for token in _changed_since_planned([token for token, _ in page]):
            planned += program.note_activity(settings, token)
        if page:
            position, after = page[-1][1], page[-1][0]
        if len(page) < page_size:
            break
    safe = started - SCAN_OVERLAP
    if position > safe:
        position, after = safe, ""  # re-read the recent past next time
    if cursor.position is None or position > cursor.position:
        cursor.position, cursor.after_key = position, after
        cursor.save(update_fields=["position", "after_key", "updated_at"])
    return {"seen": seen, "planned": planned}
