"""A dispatcher that nothing stalls: a row's exception is that row's attempt, a
provider outage pauses sending (the circuit breaker) instead of burning every row's
attempts, and every attempt leaves its attempt row.

The test program (``test_fragile``, tests/programs/ping/program.py) raises in the
step a row's payload names; emails go to a real SMTP server.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any, Optional

import pytest
from django.utils import timezone

from saleor_ecrm_plugin import dispatcher as dispatcher_module
from saleor_ecrm_plugin.breaker import BREAKER_THRESHOLD
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import (
    DeliveryBreaker,
    ScheduledSend,
    SendAttempt,
    SendStatus,
)
from tests.conftest import configure_plugin
from tests.programs import plan_fragile, plan_pings


def make_due_again() -> None:
    ScheduledSend.objects.filter(status=SendStatus.PLANNED).update(
        next_attempt_at=timezone.now()
    )


def assert_each_delivered_once(smtp_server, count: int) -> None:
    received = smtp_server.messages
    message_ids = Counter(message.message["Message-ID"] for message in received)
    assert len(message_ids) == count, len(message_ids)
    assert set(message_ids.values()) == {1}
    recipients = Counter(rcpt for message in received for rcpt in message.rcpt_tos)
    assert len(recipients) == count and set(recipients.values()) == {1}
    sent_ids = set(
        ScheduledSend.objects.filter(status=SendStatus.SENT).values_list(
            "message_id", flat=True
        )
    )
    assert sent_ids == set(message_ids)


# --- a row's exception is that row's attempt ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_recheck_raising_among_300_rows_fails_that_row_only(shop, smtp_server):
    configure_plugin(max_attempts="3", retry_delay_seconds="1")
    plan_fragile(300)
    plan_fragile(1, payload={"fail": "recheck"}, prefix="bad")

    report = Dispatcher(batch_size=10, threads=4).run()  # returns normally

    assert (report.claimed, report.sent, report.retried) == (301, 300, 1), report
    assert len(smtp_server.wait_for(300)) == 300
    assert_each_delivered_once(smtp_server, 300)
    bad = ScheduledSend.objects.get(recipient="bad0@example.org")
    assert (bad.status, bad.attempts) == (SendStatus.PLANNED, 1)

    for _ in range(2):  # its retries, due at once rather than after the backoff
        make_due_again()
        Dispatcher(threads=4).run()
    bad.refresh_from_db()
    assert bad.status == SendStatus.FAILED
    assert bad.last_error == "ValueError: cannot re-check row bad0"
    log = list(bad.attempt_log.values_list("number", "outcome", "error_type", "detail"))
    assert log == [
        (1, "retry", "ValueError", "cannot re-check row bad0"),
        (2, "retry", "ValueError", "cannot re-check row bad0"),
        (3, "failed", "ValueError", "cannot re-check row bad0"),
    ]
    assert len(smtp_server.messages) == 300


@pytest.mark.django_db
def test_an_exception_in_rendering_is_recorded_on_the_row(shop, smtp_server):
    configure_plugin(max_attempts="3")
    plan_fragile(1, payload={"fail": "render"}, prefix="bad")
    plan_fragile(2)

    report = Dispatcher().run()

    assert (report.sent, report.retried) == (2, 1)
    bad = ScheduledSend.objects.get(recipient="bad0@example.org")
    assert bad.status == SendStatus.PLANNED and bad.next_attempt_at > timezone.now()
    attempt = bad.attempt_log.get()
    # RuntimeError from the value; under template debug, Django 3.0 with the
    # current template walk turns it into an AttributeError: either is recorded
    assert attempt.outcome == "retry"
    assert attempt.error_type in ("RuntimeError", "AttributeError")
    assert bad.last_error == f"{attempt.error_type}: {attempt.detail}"
    assert sorted(m.rcpt_tos[0] for m in smtp_server.wait_for(2)) == [
        "good0@example.org",
        "good1@example.org",
    ]


@pytest.mark.django_db
def test_a_claimed_row_already_at_the_limit_fails_without_delivery(shop, smtp_server):
    configure_plugin(max_attempts="3")
    plan_pings(1)
    # three claims whose outcome was never written (a process killed each time)
    ScheduledSend.objects.update(attempts=3, last_error="TimeoutError: timed out")

    report = Dispatcher().run()

    assert report.failed == 1 and report.sent == 0
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.FAILED
    assert send.last_error == (
        "RetriesExhausted: 3 attempts already made (at most 3); "
        "last error: TimeoutError: timed out"
    )
    assert send.attempt_log.get().error_type == "RetriesExhausted"
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_row_still_failing_after_the_retry_window_fails(shop, smtp_server):
    configure_plugin(max_attempts="20", retry_hours="1")
    smtp_server.handler.reply_override = lambda envelope: "451 4.3.0 Try later"
    plan_pings(1)

    Dispatcher().run()
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.PLANNED and send.failing_since is not None
    # the retries never go past the window's end
    assert send.next_attempt_at <= send.failing_since + timedelta(hours=1)

    ScheduledSend.objects.update(
        failing_since=timezone.now() - timedelta(minutes=61),
        next_attempt_at=timezone.now(),
    )
    assert Dispatcher().run().failed == 1
    send.refresh_from_db()
    assert send.status == SendStatus.FAILED
    assert send.last_error.startswith("RetriesExhausted: still failing 1 h after")
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_a_skip_asking_for_it_is_replanned_after_it_is_recorded(shop, smtp_server):
    configure_plugin()
    plan_fragile(1, payload={"skip": "moved_on"}, prefix="first")
    plan_fragile(1, payload={"skip": "moved_on", "fail": "replan"}, prefix="broken")

    report = Dispatcher().run()

    assert report.skipped == 2
    first = ScheduledSend.objects.get(recipient="first0@example.org")
    assert (first.status, first.skip_reason) == (SendStatus.SKIPPED, "moved_on")
    replanned = ScheduledSend.objects.get(subject_id="after-first0")
    assert replanned.status in (SendStatus.PLANNED, SendStatus.SENT)
    broken = ScheduledSend.objects.get(recipient="broken0@example.org")
    assert (broken.status, broken.skip_reason) == (SendStatus.SKIPPED, "moved_on")
    assert broken.last_error == "replan failed: LookupError: nothing to plan from"
    assert not ScheduledSend.objects.filter(subject_id="after-broken0").exists()


class Killed(BaseException):
    """The process going away (as SystemExit would), right after a delivery."""


@pytest.mark.django_db(transaction=True)
def test_a_sent_row_has_its_attempt_row_even_if_the_batch_never_ends(
    shop, smtp_server, monkeypatch
):
    configure_plugin()
    plan_pings(5)
    real_finish_sent = dispatcher_module.finish_sent

    def finish_then_die(*args: Any, **kwargs: Any):
        real_finish_sent(*args, **kwargs)
        raise Killed()

    monkeypatch.setattr(dispatcher_module, "finish_sent", finish_then_die)

    with pytest.raises(Killed):  # not an Exception: not a row's failure
        Dispatcher(threads=1).run()

    # read on this test's connection, outside the dispatcher's: committed
    sent = ScheduledSend.objects.get(status=SendStatus.SENT)
    assert list(sent.attempt_log.values_list("number", "outcome")) == [(1, "sent")]
    assert SendAttempt.objects.count() == 1
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.django_db
def test_a_delivered_email_whose_record_fails_is_not_retried(
    shop, smtp_server, monkeypatch
):
    from django.db import OperationalError

    configure_plugin()
    plan_pings(1)

    def database_gone(*args: Any, **kwargs: Any):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dispatcher_module, "finish_sent", database_gone)

    # not a row's failure: retrying would send the email twice
    with pytest.raises(OperationalError):
        Dispatcher().run()

    send = ScheduledSend.objects.get()
    # still held: after the lease another dispatcher takes it over (the documented
    # duplicate window, with the same Message-ID)
    assert (send.status, send.attempts) == (SendStatus.SENDING, 1)
    assert not send.attempt_log.exists()
    assert len(smtp_server.wait_for(1)) == 1


# --- the provider down: the circuit breaker -------------------------------------------


@pytest.mark.django_db
def test_provider_down_opens_the_breaker_and_hands_the_rows_back(shop, smtp_server):
    configure_plugin()
    smtp_server.handler.reply_override = (
        lambda envelope: "421 4.3.2 Service not available"
    )
    plan_pings(20)
    due = dict(ScheduledSend.objects.values_list("id", "next_attempt_at"))

    report = Dispatcher().run()  # returns normally, without waiting

    assert report.retried == BREAKER_THRESHOLD and report.sent == 0
    assert report.released == 20 - BREAKER_THRESHOLD
    breaker = DeliveryBreaker.objects.get()
    assert breaker.open_until > timezone.now() and breaker.openings == 1
    assert "421" in breaker.last_error
    rows = list(ScheduledSend.objects.order_by("due_at", "id"))
    assert {row.status for row in rows} == {SendStatus.PLANNED}
    counted = [row for row in rows if row.attempts]
    # the errors before the breaker opened count once; the rest keep their due time
    assert len(counted) == BREAKER_THRESHOLD - 1
    for row in rows:
        if row.attempts:
            assert row.next_attempt_at > due[row.id]
        else:
            assert row.next_attempt_at == due[row.id]
    held = SendAttempt.objects.filter(detail__startswith="held while the provider")
    assert held.count() == 1 and held.get().error_type == "ProviderUnavailable"
    assert SendAttempt.objects.count() == BREAKER_THRESHOLD

    # still open: a run sends nothing and counts nothing
    assert Dispatcher().run().claimed == 0

    # the pause is over and the provider back: one probe email closes the breaker
    smtp_server.handler.reply_override = None
    DeliveryBreaker.objects.update(open_until=timezone.now() - timedelta(seconds=1))
    report = Dispatcher().run()
    assert report.sent == 20 - (BREAKER_THRESHOLD - 1)
    breaker.refresh_from_db()
    assert (breaker.open_until, breaker.openings, breaker.consecutive_failures) == (
        None,
        0,
        0,
    )


@pytest.mark.parametrize(
    "where, reply, down",
    [
        ("data", "421 4.3.2 Service not available", True),
        ("rcpt", "421 4.7.0 Too many connections", True),
        ("mail", "421 4.3.0 Closing", True),
        ("data", "451 4.3.0 Try again later", False),  # this message: counted
        ("rcpt", "450 4.2.1 Mailbox busy", False),
    ],
)
def test_the_courier_tells_the_provider_down_from_a_message_deferred(
    smtp_server, where, reply, down
):
    from django.core.mail import EmailMessage

    from saleor_ecrm_plugin.delivery import Courier
    from saleor_ecrm_plugin.errors import ProviderUnavailable, TransientSendError

    if where == "data":
        smtp_server.handler.reply_override = lambda envelope: reply
    else:
        setattr(smtp_server.handler, f"{where}_override", lambda address: reply)
    message = EmailMessage("Hi", "Hello", "shop@example.org", ["ada@example.org"])
    with Courier() as courier, pytest.raises(TransientSendError) as raised:
        courier.deliver(message)
    assert isinstance(raised.value, ProviderUnavailable) is down
    assert reply.split()[0] in str(raised.value)


def test_a_refused_connection_is_the_provider_down(settings):
    from django.core.mail import EmailMessage

    from saleor_ecrm_plugin.delivery import Courier
    from saleor_ecrm_plugin.errors import ProviderUnavailable
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    message = EmailMessage("Hi", "Hello", "shop@example.org", ["ada@example.org"])
    with Courier() as courier, pytest.raises(ProviderUnavailable) as raised:
        courier.deliver(message)
    assert "ConnectionRefusedError" in str(raised.value)


def test_smtp_gets_a_timeout_below_the_lease_when_none_is_set():
    from saleor_ecrm_plugin.delivery import DEFAULT_SMTP_TIMEOUT
    from saleor_ecrm_plugin.dispatcher import DEFAULT_LEASE_SECONDS
    from saleor_ecrm_plugin.settings_helper import enable_ecrm

    namespace: dict = {"INSTALLED_APPS": [], "TEMPLATES": [{"OPTIONS": {}}]}
    enable_ecrm(namespace)
    assert namespace["EMAIL_TIMEOUT"] * 5 <= DEFAULT_LEASE_SECONDS
    assert DEFAULT_SMTP_TIMEOUT * 5 <= DEFAULT_LEASE_SECONDS
    mine = {"INSTALLED_APPS": [], "TEMPLATES": [{"OPTIONS": {}}], "EMAIL_TIMEOUT": 7}
    enable_ecrm(mine)
    assert mine["EMAIL_TIMEOUT"] == 7  # a project's own value stands


OUTAGE_ROWS = 2000
OUTAGE_SECONDS = 60


@pytest.mark.django_db(transaction=True)
def test_a_60_second_outage_during_2000_emails_loses_none(shop, smtp_server):
    """The server goes away after 300 emails and comes back 60 s later; the retry
    window is 10 minutes. Every email goes out once, none fails, and the breaker
    held the rows instead of counting their attempts."""
    configure_plugin(retry_hours=str(10 / 60))
    plan_pings(OUTAGE_ROWS)
    handler = smtp_server.handler
    down = threading.Event()
    back = threading.Event()

    def refuse_after_300(envelope: Any) -> Optional[str]:
        # messages accepted before the outage got their reply; none after it is kept
        if down.is_set() or len(handler.messages) >= 300:
            down.set()
            return "421 4.3.2 Shutting down"
        return None

    handler.reply_override = refuse_after_300

    def outage() -> None:
        down.wait(timeout=120)
        time.sleep(0.5)  # the replies in flight are written
        smtp_server.stop()  # connection refused from now on
        time.sleep(OUTAGE_SECONDS)
        handler.reply_override = None
        smtp_server.restart()
        back.set()

    outage_thread = threading.Thread(target=outage, daemon=True)
    outage_thread.start()
    give_up = time.monotonic() + 400  # a bound on the test, not a measurement
    try:
        while time.monotonic() < give_up:
            Dispatcher(batch_size=20, threads=4).run(max_seconds=20)
            open_rows = ScheduledSend.objects.exclude(
                status__in=[SendStatus.SENT, SendStatus.FAILED]
            ).count()
            if back.is_set() and open_rows == 0:
                break
            if back.is_set():  # rows counted before the breaker opened wait ~60 s
                time.sleep(1)
    finally:
        outage_thread.join(timeout=OUTAGE_SECONDS + 30)
        if not back.is_set():
            smtp_server.restart()

    assert down.is_set() and back.is_set()
    counts = Counter(ScheduledSend.objects.values_list("status", flat=True))
    assert counts == {SendStatus.SENT: OUTAGE_ROWS}, counts
    assert_each_delivered_once(smtp_server, OUTAGE_ROWS)
    retries = SendAttempt.objects.filter(outcome="retry").count()
    held = SendAttempt.objects.filter(detail__startswith="held while").count()
    print(f"outage: {retries} retry attempt rows, {held} of them held by the breaker")
    assert 0 < held <= retries < 100, (held, retries)
    assert SendAttempt.objects.filter(outcome="sent").count() == OUTAGE_ROWS
    assert DeliveryBreaker.objects.get().open_until is None
