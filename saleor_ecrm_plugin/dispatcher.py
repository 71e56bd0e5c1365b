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

The steps of one row, owned here (a program only answers): claim -> consent, quiet
hours and the frequency cap -> ``program.send_guard(send)`` around: ``recheck`` (a
:class:`~.programs.decision.Decision`: send, or skip with a reason) -> ``prepare``
(side effects such as a voucher, and the template) -> render -> deliver -> record.
A skip is recorded first; if its decision asks for it, ``program.replan`` then runs
in its own transaction (its failure is logged and kept in the skipped row's
``last_error``; it never stops the run). A program whose email an event can make
pointless (the cart reminder, made pointless by the order) holds a lock in its guard
that the event's hook also takes, so the event either waits for the delivery or is
seen by the re-check.

Nothing one row does stalls the others. Any :class:`Exception` from a step (a
program's, a template's, a backend's) is that row's attempt, recorded with its type
and message: a :class:`~.errors.PermanentSendError` fails the row at once; anything
else is retried with exponential backoff (``retry_delay_seconds``, doubled, at most
6 h) until the row has had ``max_attempts`` attempts or its retry window
(``retry_hours``, default 48 h, counted from the row's first failure) is over, then
fails it with its reason. A claim whose row already had ``max_attempts`` attempts (its
earlier outcomes never recorded: a process killed each time) fails it without
sending. ``BaseException`` (KeyboardInterrupt, SystemExit) is not a row's failure: it
stops the run.

The provider down is not an email's failure. :class:`~.errors.ProviderUnavailable`
(connection refused or lost, timeouts, SMTP 421, an API with no answer or 502-504)
counts towards the circuit breaker of :mod:`.breaker`: 5 such errors in a row, in any
loop of any process, open it and sending pauses everywhere for 10 s, doubled at each
opening in a row up to 5 minutes (±20 % jitter); then one probe email decides. While
it is open, loops hand their claimed rows back untouched, and a row that meets the
error as it opens is handed back with its due time and its attempt not counted (the
errors before the opening count once each). Only the retry window bounds how long a
row waits for the provider. Loops wait for the pause within ``run(max_seconds)``;
a run without a limit returns instead.

Every attempt leaves its :class:`~.models.SendAttempt` row, written in the same
statement as the row's outcome: a process killed after a delivery leaves both or
neither.

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
delivery outlasts the lease (the SMTP timeout is kept far below it: ``EMAIL_TIMEOUT``
30 s from ``enable_ecrm``, and 30 s where it is unset). The Message-ID
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
from django.utils import timezone, translation

from .breaker import Admission, ProviderBreaker
from .channels import settings_for_send
from .context import SendContext, load_context  # also still importable from here
from .delivery import Courier
from .errors import (
    PermanentSendError,
    ProviderUnavailable,
    RetriesExhausted,
    SendError,
    UnknownProgram,
)
from .localisation import send_language
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
from .programs.registry import get_program
from .rendering import render_send
from .segments import abtests
from .segments.checks import segment_skip_reason

if TYPE_CHECKING:
    from .ecrm_settings import EcrmSettings
    from .programs.base import Program
    from .programs.decision import Decision

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


@dataclass
class Claim:
    token: str
    expires_at: datetime
    sends: List[ScheduledSend]


def claim_due_sends(
    limit: int = DEFAULT_BATCH_SIZE,
    lease_seconds: int = DEFAULT_LEASE_SECONDS,
    now: Optional[datetime] = None,
    share: int = 1,
) -> Claim:
    """Take up to ``limit`` due rows for this process, oldest due first.

    ``share``: how many loops claim side by side. When fewer than ``limit x share``
    but more than ``share`` rows are free, a loop takes only its fair part, so the
    last rows of a run are spread over every loop instead of queueing behind a few
    full batches while the other loops have already found nothing and stopped:
    with a provider that answers in tens of milliseconds, a half-empty last round
    of claims would leave half the connections idle. ``share`` rows or fewer (a
    small back-in-stock wave) go to one loop, which sends them in their due order.
    The count reads at most ``limit x share`` entries of the due index."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    expires_at = now + timedelta(seconds=lease_seconds)
    free = Q(status=SendStatus.PLANNED) | Q(
        status=SendStatus.SENDING, lease_expires_at__lte=now
    )
    with transaction.atomic():
        if share > 1:
            waiting = (
                ScheduledSend.objects.filter(free, next_attempt_at__lte=now)
                .order_by()
                .values("id")[: limit * share]
                .count()
            )
            if waiting > share:  # fewer go to one loop, in their order
                limit = min(limit, -(-waiting // share))
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
        self.breaker = ProviderBreaker()

    def run(self, max_seconds: Optional[float] = None) -> DispatchReport:
        """Dispatch batches until nothing is due (or ``max_seconds`` have passed).

        A row's failure, whatever its exception, is that row's attempt: it never
        reaches here. While the provider's breaker is open the loops wait for it
        within ``max_seconds`` (without a limit they return at once). A loop that
        fails outside any row (the database gone) does not stop the others; its
        exception is raised once they are done (any further ones are logged)."""
        context = load_context()
        deadline = None if max_seconds is None else time.monotonic() + max_seconds
        if self.threads == 1 or connection.in_atomic_block:
            return self._loop(context, deadline, threading.Event(), share=1)
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
            return self._loop(context, deadline, stop, share=self.threads)
        except Exception:
            raise  # the other loops go on: it is not a row's failure
        except BaseException:
            stop.set()  # KeyboardInterrupt, SystemExit: everything stops
            raise
        finally:
            connections.close_all()  # this thread's own connections

    def _loop(
        self,
        context: SendContext,
        deadline: Optional[float],
        stop: threading.Event,
        share: int = 1,
    ) -> DispatchReport:
        """Claim and process batches until nothing is due; ``share`` loops claim
        side by side (see :func:`claim_due_sends`)."""
        report = DispatchReport()
        with Courier() as courier:
            while not stop.is_set():
                admission = self.breaker.admission()
                if not admission.send:
                    if not self._wait(admission, deadline, stop):
                        break
                    continue
                limit = 1 if admission.probe else self.batch_size
                claim = claim_due_sends(limit, self.lease_seconds, share=share)
                try:
                    if claim.sends:
                        report.add(self._process(claim, context, courier))
                finally:
                    if admission.probe:
                        self.breaker.probe_done()  # no-op if its delivery decided
                if not claim.sends:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    break
        return report

    def _wait(
        self, admission: Admission, deadline: Optional[float], stop: threading.Event
    ) -> bool:
        """Wait for the breaker's pause to end; False if the run should end first."""
        assert admission.until is not None
        seconds = (admission.until - timezone.now()).total_seconds()
        if deadline is not None:
            seconds = min(seconds, deadline - time.monotonic())
            if seconds <= 0:
                return False
        elif seconds > 0:
            return False  # no time limit: the next run tries again
        stop.wait(max(seconds, 0.05))
        return not stop.is_set()

    def _process(
        self, claim: Claim, context: SendContext, courier: Courier
    ) -> DispatchReport:
        report = DispatchReport(claimed=len(claim.sends))
        # the preference rows of the whole batch in one query (re-read when stale)
        contacts = RecipientContacts(send.recipient for send in claim.sends)
        for index, send in enumerate(claim.sends):
            now = timezone.now()
            if now > claim.expires_at - self.lease_margin or self.breaker.paused(now):
                report.released += release(claim.sends[index:], claim.token)
                break
            attempt = self._send_one(send, claim.token, context, courier, contacts)
            field = _REPORT_FIELD[attempt.outcome]
            setattr(report, field, getattr(report, field) + 1)
        return report

    def _send_one(
        self,
        send: ScheduledSend,
        token: str,
        context: SendContext,
        courier: Courier,
        contacts: Optional[RecipientContacts] = None,
    ) -> Attempt:
        """One row's steps. Whatever one of them raises (an :class:`Exception`) is
        this row's attempt, recorded on it; the loop goes on."""
        settings = context.settings
        try:
            program = get_program(send.program)
        except UnknownProgram as exc:
            return finish_failed(send, token, exc)
        exhausted = retries_exhausted(send, settings, timezone.now(), claimed=True)
        if exhausted is not None:
            return finish_failed(send, token, exhausted)
        progress = _Progress()
        try:
            outcome = self._run_steps(
                send, token, program, context, courier, contacts, progress
            )
        except Exception as exc:  # the per-row isolation: recorded on the row below
            if progress.delivered:
                # the email went out but its record failed (the database): trying
                # it again would send it twice; the lease's expiry decides instead
                raise
            return self._failed_attempt(send, token, exc, settings)
        attempt, decision = outcome
        if decision is not None:
            self._replan(send, program, settings, decision)
        return attempt

    def _run_steps(
        self,
        send: ScheduledSend,
        token: str,
        program: Program,
        context: SendContext,
        courier: Courier,
        contacts: Optional[RecipientContacts],
        progress: _Progress,
    ) -> Tuple[Attempt, Optional[Decision]]:
        """Consent, then (under the address lock for a capped program) the rest."""
        settings = context.settings
        if not context.active:
            return finish_skipped(send, token, "plugin_inactive"), None
        if not program.is_enabled(settings):
            return finish_skipped(send, token, "program_disabled"), None
        reason = consent_skip_reason(send, program, settings, contacts)
        if reason:
            return finish_skipped(send, token, reason), None
        # the step's segment condition, if the merchant set one (segments/)
        reason = segment_skip_reason(send, settings.segment_conditions)
        if reason:
            return finish_skipped(send, token, reason), None
        if frequency_cap_applies(program, settings):
            # the cap's count, the delivery and its mark, one address at a time
            with recipient_lock(send.recipient):
                return self._send_now(
                    send, token, program, context, courier, contacts, progress
                )
        return self._send_now(
            send, token, program, context, courier, contacts, progress
        )

    def _send_now(
        self,
        send: ScheduledSend,
        token: str,
        program: Program,
        context: SendContext,
        courier: Courier,
        contacts: Optional[RecipientContacts],
        progress: _Progress,
    ) -> Tuple[Attempt, Optional[Decision]]:
        """Quiet hours and the cap, then guard -> re-check -> prepare -> render ->
        deliver, then the record. Returns the attempt and, for a skip that asks to
        be planned again, its decision."""

        settings = context.settings
        until = postpone_until(send, program, settings, timezone.now(), contacts)
        if until is not None:
            return finish_deferred(send, token, until), None
        # re-check and delivery under the program's guard: an event that would
        # make the email pointless either waits for the delivery or is seen
        with program.send_guard(send):
            decision = program.recheck(send, settings)
            if decision.send:
                # the storefront and sender of the purchase's sales channel
                settings = settings_for_send(send, settings)
                # the customer's language for the products' names too
                language = send_language(send)
                with translation.override(language):
                    spec = program.prepare(send, settings)
                    # an A/B test on the step: its variant's block and subject
                    chosen = abtests.assign(send, settings.ab_tests)
                    spec.context.update(abtests.block_context(chosen))
                    message = render_send(
                        send, spec, settings, context.shop, program, language
                    )
                    abtests.apply_variant(message, chosen, context.shop.name, spec)
                courier.deliver(message)
                progress.delivered = True
        if not decision.send:
            attempt = finish_skipped(send, token, decision.skip_reason or "")
            return attempt, decision if decision.replan else None
        attempt = finish_sent(send, token, message.extra_headers["Message-ID"])
        self.breaker.delivered()
        return attempt, None

    def _failed_attempt(
        self, send: ScheduledSend, token: str, error: Exception, settings: EcrmSettings
    ) -> Attempt:
        """Record a step's exception as the row's attempt: failed (permanent error,
        retries used up), handed back (provider down, breaker open) or retried."""
        if isinstance(error, PermanentSendError):
            return finish_failed(send, token, error)
        if not isinstance(error, SendError):
            # a program's, a template's or a backend's own exception: a bug to see
            logger.warning(
                "e-CRM send %s (%s) raised %s",
                send.id,
                send.program,
                error,
                exc_info=error,
            )
        now = timezone.now()
        if isinstance(error, ProviderUnavailable) and self.breaker.provider_down(error):
            if retries_exhausted(send, settings, now) is None:
                return finish_held(send, token, error)
        exhausted = retries_exhausted(send, settings, now)
        if exhausted is not None or send.attempts >= settings.max_attempts:
            return finish_failed(send, token, error)
        return finish_retry(
            send, token, error, settings.retry_delay_seconds, settings.retry_hours
        )

    def _replan(
        self,
        send: ScheduledSend,
        program: Program,
        settings: EcrmSettings,
        decision: Decision,
    ) -> None:
        """``program.replan`` once the skip is recorded, in its own transaction;
        its failure is kept on the (skipped) row and logged, never raised."""
        try:
            with transaction.atomic():
                program.replan(send, settings, decision)
        except Exception as exc:  # the skip stands; the row keeps why replanning failed
            logger.warning("Replanning e-CRM send %s failed", send.id, exc_info=exc)
            ScheduledSend.objects.filter(id=send.id).update(
                last_error=f"replan failed: {type(exc).__name__}: {exc}"
            )


@dataclass
class _Progress:
    """How far one row's steps went: past its delivery, a failure is not retried."""

    delivered: bool = False


def retry_window(settings: EcrmSettings) -> timedelta:
    return timedelta(hours=settings.retry_hours)


def retries_exhausted(
    send: ScheduledSend, settings: EcrmSettings, now: datetime, claimed: bool = False
) -> Optional[RetriesExhausted]:
    """Why ``send`` may not be tried again, if so: its retry window is over, or (for a
    row just ``claimed``, whose claim counted one more attempt) an earlier attempt
    already reached ``max_attempts`` without its outcome being recorded."""
    if claimed and send.attempts > settings.max_attempts:
        last = f"; last error: {send.last_error}" if send.last_error else ""
        return RetriesExhausted(
            f"{send.attempts - 1} attempts already made (at most "
            f"{settings.max_attempts}){last}"
        )
    if send.failing_since is not None and now >= send.failing_since + retry_window(
        settings
    ):
        return RetriesExhausted(
            f"still failing {settings.retry_hours:g} h after its first failure: "
            f"{send.last_error}"
        )
    return None


_REPORT_FIELD = {
    AttemptOutcome.DEFERRED: "deferred",
    AttemptOutcome.SENT: "sent",
    AttemptOutcome.SKIPPED: "skipped",
    AttemptOutcome.RETRY: "retried",
    AttemptOutcome.FAILED: "failed",
}


@dataclass
class Attempt:
    """What the :class:`SendAttempt` row of one attempt records (written in the
    same statement as the row's outcome)."""

    send_id: int
    number: int
    outcome: ChoiceValue
    error_type: str
    detail: str
    created_at: datetime


def _finish(
    send: ScheduledSend,
    token: str,
    outcome: ChoiceValue,
    error: Optional[BaseException] = None,
    detail: str = "",
    **fields: Any,
) -> Attempt:
    """Write the row's outcome and its attempt row in ONE statement (so a process
    killed right after it leaves both or neither), if this claim still holds it."""
    now = timezone.now()
    fields["lease_token"] = ""
    fields["lease_expires_at"] = None
    fields.setdefault("next_attempt_at", None)  # closed, unless planned again
    fields["updated_at"] = now
    attempt = Attempt(
        send_id=send.id,
        number=fields.get("attempts", send.attempts),
        outcome=str(outcome),
        error_type=type(error).__name__ if error else "",
        detail=detail or (str(error) if error else ""),
        created_at=now,
    )
    updated = _update_held_row(send.id, token, fields, attempt)
    if not updated:
        attempt.detail = f"lease lost before recording: {attempt.detail}"
    for name, value in fields.items():
        setattr(send, name, value)
    return attempt


# per tuple of field names, the statement that sets them and logs the attempt
_UPDATE_SQL: Dict[Tuple[str, ...], str] = {}
_ATTEMPT_COLUMNS = (
    "send_id",
    "number",
    "outcome",
    "error_type",
    "detail",
    "created_at",
)


def _update_held_row(
    send_id: int, token: str, fields: Dict[str, Any], attempt: Attempt
) -> int:
    """``filter(id=…, lease_token=…).update(**fields)`` and the attempt's INSERT as
    one plain SQL statement (a data-modifying WITH), once per email: one round-trip,
    atomic on its own. The ORM's compilation of that UPDATE cost as much as its
    round-trip. The values are strings, integers and aware datetimes, which the
    driver adapts as the ORM would (no field conversion). A claim that lost its lease
    changes nothing and still logs its attempt, marked as such."""
    names = tuple(fields)
    sql = _UPDATE_SQL.get(names)
    if sql is None:
        meta, log = ScheduledSend._meta, SendAttempt._meta
        quote = connection.ops.quote_name
        columns = ", ".join(f"{quote(meta.get_field(n).column)} = %s" for n in names)
        log_columns = ", ".join(
            quote(log.get_field(n).column) for n in _ATTEMPT_COLUMNS
        )
        pk = quote(meta.pk.column)
        sql = _UPDATE_SQL[names] = (
            f"WITH held AS (UPDATE {quote(meta.db_table)} SET {columns} "
            f"WHERE {pk} = %s "
            f"AND {quote(meta.get_field('lease_token').column)} = %s "
            f"RETURNING {pk}), "
            f"logged AS (INSERT INTO {quote(log.db_table)} ({log_columns}) "
            "VALUES (%s, %s, %s, %s, "
            "CASE WHEN EXISTS (SELECT 1 FROM held) THEN %s ELSE %s END, %s)) "
            "SELECT count(*) FROM held"
        )
    params = [*fields.values(), send_id, token]
    params += [attempt.send_id, attempt.number, attempt.outcome, attempt.error_type]
    params += [attempt.detail, f"lease lost before recording: {attempt.detail}"]
    params.append(attempt.created_at)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


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
    send: ScheduledSend,
    token: str,
    error: BaseException,
    base_seconds: int,
    window_hours: float = 48.0,
) -> Attempt:
    """Planned again after the backoff, never later than the end of the retry
    window (where the next failure is final)."""
    now = timezone.now()
    failing_since = send.failing_since or now
    next_at = min(
        now + retry_delay(send.attempts, base_seconds),
        failing_since + timedelta(hours=window_hours),
    )
    return _finish(
        send,
        token,
        AttemptOutcome.RETRY,
        error,
        status=SendStatus.PLANNED,
        next_attempt_at=next_at,
        last_error=f"{type(error).__name__}: {error}",
        failing_since=failing_since,
    )


def finish_held(send: ScheduledSend, token: str, error: BaseException) -> Attempt:
    """The provider is down and the breaker open: the row is handed back with its
    due time (``next_attempt_at`` as claimed) and its attempt not counted; the
    attempt row still says what happened."""
    return _finish(
        send,
        token,
        AttemptOutcome.RETRY,
        error,
        detail=f"held while the provider is down: {error}",
        status=SendStatus.PLANNED,
        next_attempt_at=send.next_attempt_at,
        attempts=max(send.attempts - 1, 0),
        last_error=f"{type(error).__name__}: {error}",
        failing_since=send.failing_since or timezone.now(),
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
