"""Claim due sends, re-check, render, deliver, record. Safe to run anywhere at once.

Claiming: one short transaction selects due rows with ``FOR UPDATE SKIP LOCKED`` and
marks them ``sending`` under a random lease token, until ``lease_expires_at``.
Concurrent dispatchers skip each other's rows. A dispatcher that dies leaves its rows
``sending``; once the lease has expired they are due again and another dispatcher
takes them over. The claim writes no indexed column (``next_attempt_at`` keeps the
due time), so it is a HOT update whose cost does not grow with the ledger; the price
is that a claim's index scan steps over the rows other loops are sending (at most
threads x batch size per process) before it finds free ones.

Finishing: every outcome is written with ``WHERE id = … AND lease_token = …``, so a
dispatcher that lost its lease cannot overwrite the newer holder's result, and a
dispatcher that notices its lease is running out hands its remaining rows back
instead of sending them.

Preferences and consent are checked before each send against the recipients'
preference rows, read for the whole batch in one query and read again once they
are more than a second old (``RecipientContacts``): a change committed more than a
second before a send's check is always honoured.

Re-check and delivery run inside the program's ``send_guard``: a program whose
email an event can make pointless (the cart reminder, made pointless by the order)
holds a lock there that the event's hook also takes, so the event either waits for
the delivery or is seen by the re-check.

The frequency cap: a capped send counts the address's recent ``sent`` rows, so two
loops sending to one address at once could both find room under the cap. Such a
send's count, delivery and ``sent`` mark run in one transaction holding an advisory
lock on the address (``recipient_lock``): the second loop waits, then counts the
first one's email. Its mark commits with that transaction, one round-trip later
than an uncapped send's.

Threads: a run has ``threads`` claim loops (``ECRM_DISPATCH_THREADS``, default 16),
each with its own claims (``DEFAULT_BATCH_SIZE`` rows at a time), database connection
and SMTP connection, as separate workers would have. Every rule above holds per
loop. At most threads x batch size rows (800) are in flight per process.

The duplicate window: an email can be delivered twice only if the process stops
after the mail server accepted the message and before the ``sent`` update committed
(one UPDATE round-trip, about a millisecond; each loop commits its mark before its
next delivery, so at most one email per thread is in that window), or if a single
delivery outlasts the lease (the SMTP timeout is kept far below it). The Message-ID
is derived from the ledger row, so even such a duplicate carries the same Message-ID.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple

from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from .config import EcrmSettings, default_configuration, parse_configuration
from .constants import DEFAULT_ACTIVE, PLUGIN_ID
from .delivery import Courier
from .errors import PermanentSendError, SendError, TransientSendError, UnknownProgram
from .models import (
    AttemptOutcome,
    ChoiceValue,
    ScheduledSend,
    SendAttempt,
    SendStatus,
)
from .preferences.policy import (
    RecipientContacts,
    consent_skip_reason,
    frequency_cap_applies,
    postpone_until,
)

if TYPE_CHECKING:
    from .host.port import ShopInfo
    from .programs.base import Program

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 50
DEFAULT_LEASE_SECONDS = 300
#: claim loops per dispatcher run, each with its own database and SMTP connection;
#: 16 loops of 50 send 11-12 % more than 8 of 100 (bench/README.md, session 5)
DEFAULT_THREADS = 16
MAX_RETRY_DELAY = timedelta(hours=6)


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    deferred: int = 0
    released: int = 0

    def add(self, other: DispatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True)
class SendContext:
    """What every send of a run needs: the plugin's state and the shop's identity."""

    active: bool
    settings: EcrmSettings
    shop: ShopInfo


def load_context() -> SendContext:
    from .host import port as host

    active, items = host.stored_plugin_configuration(PLUGIN_ID)
    if items is None:
        active, items = DEFAULT_ACTIVE, default_configuration()
    # a stored value that no longer parses falls back to its default
    settings, _errors = parse_configuration(items)
    return SendContext(active=active, settings=settings, shop=host.shop_info())


@dataclass
class Claim:
    token: str
    expires_at: datetime
    sends: List[ScheduledSend]


def claim_due_sends(
    limit: int = DEFAULT_BATCH_SIZE,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: Optional[datetime] = None,
) -> Claim:
    """Take up to ``limit`` due rows for this process, oldest due first."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    expires_at = now + timedelta(seconds=lease_seconds)
    free = Q(status=SendStatus.PLANNED) | Q(
        status=SendStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic():
        ids = list(
            ScheduledSend.objects.select_for_update(skip_locked=True)
            .filter(free, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            # only unindexed columns: a HOT update (see models.py)
            ScheduledSend.objects.filter(id__in=ids).update(
                status=SendStatus.SENDING,
                lease_token=token,
                lease_expires_at=expires_at,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    sends = (
        list(ScheduledSend.objects.filter(id__in=ids, lease_token=token)) if ids else []
    )
    sends.sort(key=lambda send: send.due_at)
    return Claim(token=token, expires_at=expires_at, sends=sends)


#: the first key of the two-key advisory locks the dispatcher takes on addresses
ADDRESS_LOCK_SPACE = 0x45434D  # "ECM"


@contextmanager
def recipient_lock(recipient: str) -> Iterator[None]:
    """A transaction that holds a lock on ``recipient``'s address until it ends.

    ``pg_advisory_xact_lock`` on (``ADDRESS_LOCK_SPACE``, CRC-32 of the address in
    lower case): the same key in every process; two addresses sharing a checksum
    only wait for each other."""
    key = zlib.crc32(recipient.strip().lower().encode("utf-8"))
    if key >= 2**31:  # int4, as PostgreSQL's two-key form takes
        key -= 2**32
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [ADDRESS_LOCK_SPACE, key]
            )
        yield


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """Exponential backoff with a little jitter: base, 2×base, 4×base… capped."""
    seconds = base_seconds * (2 ** max(attempts - 1, 0))
    seconds *= random.uniform(0.9, 1.1)
    return min(timedelta(seconds=seconds), MAX_RETRY_DELAY)


class Dispatcher:
    """Sends due emails. ``threads`` claim loops run at once in one process.

    Each loop is what a separate worker would be (its own claims, database
    connection and SMTP connection): they share the due rows through
    ``SKIP LOCKED``. Threads pay off because most of an email's time is spent
    waiting for the mail server and the database, not in Python. Called inside a
    transaction (``connection.in_atomic_block``), the dispatcher runs one loop on the
    caller's connection, so that it sees what the caller has not committed.
    """

    def __init__(
        self,
        batch_size: int = DEFAULT_BATCH_SIZE,
        lease_seconds: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> None:
        self.batch_size = batch_size
        self.lease_seconds: int = lease_seconds or int(
            getattr(django_settings, "ECRM_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        )
        self.threads: int = max(
            1,
            threads
            or int(getattr(django_settings, "ECRM_DISPATCH_THREADS", DEFAULT_THREADS)),
        )
        # keep this much of the lease unused: a send started later is handed back
        self.lease_margin = timedelta(seconds=max(self.lease_seconds // 5, 1))

    def run(self, max_seconds: Optional[float] = None) -> DispatchReport:
        """Dispatch batches until nothing is due (or ``max_seconds`` have passed).

        A loop's exception stops the other loops after their current batch and is
        raised here (any further ones are logged)."""
        context = load_context()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        if self.threads == 1 or connection.in_atomic_block:
            return self._loop(context, deadline, threading.Event())
        stop = threading.Event()
        report = DispatchReport()
        errors: List[BaseException] = []
        with ThreadPoolExecutor(self.threads, "ecrm-dispatch") as pool:
            loops = [
                pool.submit(self._thread_loop, context, deadline, stop)
                for _ in range(self.threads)
            ]
            for loop in loops:
                try:
                    report.add(loop.result())
                except Exception as exc:  # re-raised below, after the other loops
                    errors.append(exc)
        for extra in errors[1:]:
            logger.error("Another dispatcher loop failed too", exc_info=extra)
        if errors:
            raise errors[0]
        return report

    def _thread_loop(
        self, context: SendContext, deadline: Optional[float], stop: threading.Event
    ) -> DispatchReport:
        try:
            return self._loop(context, deadline, stop)
        except BaseException:
            stop.set()
            raise
        finally:
            connections.close_all()  # this thread's own connections

    def _loop(
        self, context: SendContext, deadline: Optional[float], stop: threading.Event
    ) -> DispatchReport:
        report = DispatchReport()
        with Courier() as courier:
            while not stop.is_set():
                claim = claim_due_sends(self.batch_size, self.lease_seconds)
                if not claim.sends:
                    break
                report.add(self._process(claim, context, courier))
                if deadline is not None and time.monotonic() > deadline:
                    break
        return report

    def _process(
        self, claim: Claim, context: SendContext, courier: Courier
    ) -> DispatchReport:
        report = DispatchReport(claimed=len(claim.sends))
        attempts: List[Attempt] = []
        # the preference rows of the whole batch in one query (re-read when stale)
        contacts = RecipientContacts(send.recipient for send in claim.sends)
        for index, send in enumerate(claim.sends):
            if timezone.now() > claim.expires_at - self.lease_margin:
                report.released += release(claim.sends[index:], claim.token)
                break
            attempt = self._send_one(send, claim.token, context, courier, contacts)
            attempts.append(attempt)
            field = _REPORT_FIELD[attempt.outcome]
            setattr(report, field, getattr(report, field) + 1)
        record_attempts(attempts)
        return report

    def _send_one(
        self,
        send: ScheduledSend,
        token: str,
        context: SendContext,
        courier: Courier,
        contacts: Optional[RecipientContacts] = None,
    ) -> Attempt:
        from .programs.registry import get_program

        settings = context.settings
        try:
            program = get_program(send.program)
        except UnknownProgram as exc:
            return finish_failed(send, token, exc)
        if not context.active:
            return finish_skipped(send, token, "plugin_inactive")
        if not program.is_enabled(settings):
            return finish_skipped(send, token, "program_disabled")
        reason = consent_skip_reason(send, program, settings, contacts)
        if reason:
            return finish_skipped(send, token, reason)
        if frequency_cap_applies(program, settings):
            # the cap's count, the delivery and its mark, one address at a time
            with recipient_lock(send.recipient):
                return self._send_now(send, token, program, context, courier, contacts)
        return self._send_now(send, token, program, context, courier, contacts)

    def _send_now(
        self,
        send: ScheduledSend,
        token: str,
        program: Program,
        context: SendContext,
        courier: Courier,
        contacts: Optional[RecipientContacts],
    ) -> Attempt:
        """Quiet hours and the cap, then re-check, render, deliver, record."""
        from .rendering import render_send

        settings = context.settings
        until = postpone_until(send, program, settings, timezone.now(), contacts)
        if until is not None:
            return finish_deferred(send, token, until)
        reason = None
        try:
            # re-check and delivery under the program's guard: an event that would
            # make the email pointless either waits for the delivery or is seen
            with program.send_guard(send):
                reason = program.skip_reason(send, settings)
                if not reason:
                    message = render_send(
                        send,
                        program.message(send, settings),
                        settings,
                        context.shop,
                        program,
                    )
                    courier.deliver(message)
        except TransientSendError as exc:
            if send.attempts >= settings.max_attempts:
                return finish_failed(send, token, exc)
            return finish_retry(send, token, exc, settings.retry_delay_seconds)
        except PermanentSendError as exc:
            return finish_failed(send, token, exc)
        if reason:
            return finish_skipped(send, token, reason)
        return finish_sent(send, token, message.extra_headers["Message-ID"])


_REPORT_FIELD = {
    AttemptOutcome.DEFERRED: "deferred",
    AttemptOutcome.SENT: "sent",
    AttemptOutcome.SKIPPED: "skipped",
    AttemptOutcome.RETRY: "retried",
    AttemptOutcome.FAILED: "failed",
}


@dataclass
class Attempt:
    """What a :class:`SendAttempt` row records of one attempt, before it is written
    (the dispatcher writes a batch's attempts in one INSERT)."""

    send_id: int
    number: int
    outcome: ChoiceValue
    error_type: str
    detail: str
    created_at: datetime


def record_attempts(attempts: List[Attempt]) -> None:
    """Write ``attempts`` as :class:`SendAttempt` rows, in one statement."""
    if not attempts:
        return
    meta = SendAttempt._meta
    quote = connection.ops.quote_name
    columns = ("send_id", "number", "outcome", "error_type", "detail", "created_at")
    names = ", ".join(quote(meta.get_field(name).column) for name in columns)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(attempts))
    params: List[Any] = []
    for attempt in attempts:
        params += [getattr(attempt, name) for name in columns]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({names}) VALUES {rows}", params
        )


def _finish(
    send: ScheduledSend,
    token: str,
    outcome: ChoiceValue,
    error: Optional[BaseException] = None,
    detail: str = "",
    **fields: Any,
) -> Attempt:
    now = timezone.now()
    fields["lease_token"] = ""
    fields["lease_expires_at"] = None
    fields.setdefault("next_attempt_at", None)  # closed, unless planned again
    fields["updated_at"] = now
    updated = _update_held_row(send.id, token, fields)
    if not updated:
        detail = f"lease lost before recording: {detail}"
    for name, value in fields.items():
        setattr(send, name, value)
    return Attempt(
        send_id=send.id,
        number=send.attempts,
        outcome=str(outcome),
        error_type=type(error).__name__ if error else "",
        detail=detail or (str(error) if error else ""),
        created_at=now,
    )


# per tuple of field names, the UPDATE that sets them
_UPDATE_SQL: Dict[Tuple[str, ...], str] = {}


def _update_held_row(send_id: int, token: str, fields: Dict[str, Any]) -> int:
    """``filter(id=…, lease_token=…).update(**fields)`` in plain SQL, once per email:
    the ORM's compilation of that UPDATE cost as much as its round-trip. The values
    are strings, integers and aware datetimes, which the driver adapts as the ORM
    would (no field conversion)."""
    names = tuple(fields)
    sql = _UPDATE_SQL.get(names)
    if sql is None:
        meta = ScheduledSend._meta
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(meta.get_field(n).column)} = %s" for n in names)
        sql = _UPDATE_SQL[names] = (
            f"UPDATE {quote(meta.db_table)} SET {columns} "
            f"WHERE {quote(meta.pk.column)} = %s "
            f"AND {quote(meta.get_field('lease_token').column)} = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*fields.values(), send_id, token])
        return cursor.rowcount


def finish_sent(send: ScheduledSend, token: str, message_id: str) -> Attempt:
    now = timezone.now()
    return _finish(
        send,
        token,
        AttemptOutcome.SENT,
        status=SendStatus.SENT,
        sent_at=now,
        message_id=message_id or "",
    )


def finish_skipped(send: ScheduledSend, token: str, reason: str) -> Attempt:
    return _finish(
        send,
        token,
        AttemptOutcome.SKIPPED,
        detail=reason,
        status=SendStatus.SKIPPED,
        skip_reason=reason,
    )


def finish_failed(send: ScheduledSend, token: str, error: BaseException) -> Attempt:
    return _finish(
        send,
        token,
        AttemptOutcome.FAILED,
        error,
        status=SendStatus.FAILED,
        last_error=f"{type(error).__name__}: {error}",
    )


def finish_retry(
    send: ScheduledSend, token: str, error: SendError, base_seconds: int
) -> Attempt:
    next_at = timezone.now() + retry_delay(send.attempts, base_seconds)
    return _finish(
        send,
        token,
        AttemptOutcome.RETRY,
        error,
        status=SendStatus.PLANNED,
        next_attempt_at=next_at,
        last_error=f"{type(error).__name__}: {error}",
    )


def finish_deferred(send: ScheduledSend, token: str, until: datetime) -> Attempt:
    """Not now (quiet hours, frequency cap): planned again; the attempt not counted."""
    return _finish(
        send,
        token,
        AttemptOutcome.DEFERRED,
        detail=f"delayed until {until.isoformat()}",
        status=SendStatus.PLANNED,
        next_attempt_at=until,
        attempts=max(send.attempts - 1, 0),
    )


def release(sends: List[ScheduledSend], token: str) -> int:
    """Hand claimed rows back untouched (their attempt is not counted)."""
    return ScheduledSend.objects.filter(
        id__in=[s.id for s in sends], lease_token=token
    ).update(
        status=SendStatus.PLANNED,
        lease_token="",
        lease_expires_at=None,  # next_attempt_at still holds the due time
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )
