"""``Dispatcher(threads=4)``: several claim loops in one process, each row sent once.

The threads open their own database connections, so they only see committed rows:
the multi-thread tests use ``transaction=True``. Called inside a transaction, the
dispatcher runs one loop on the caller's connection instead.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any, List

import pytest
from django.db import connection, connections

from saleor_ecrm_plugin import dispatcher as dispatcher_module
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendAttempt, SendStatus
from tests.configuration import configure_plugin
from tests.programs import plan_pings, plan_promo

ROWS = 300
THREADS = 4
SENDER = "hello@shop.example.com"


def thread_names_of_dispatch_loops() -> List[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("ecrm-dispatch")]


@pytest.mark.django_db(transaction=True)
def test_four_threads_send_300_due_rows_each_exactly_once(
    shop, smtp_server, monkeypatch
):
    configure_plugin()
    recipients = plan_pings(ROWS, payload={"name": "Ada"})

    # every loop's first claim waits for the other loops' first claims: all four
    # threads then really take part (the rows are shared through SKIP LOCKED)
    start = threading.Barrier(THREADS)
    claimed_by: Counter = Counter()
    seen = threading.local()
    lock = threading.Lock()
    real_claim = dispatcher_module.claim_due_sends

    def claim(*args: Any, **kwargs: Any):
        if not getattr(seen, "started", False):
            seen.started = True
            start.wait(timeout=30)
        result = real_claim(*args, **kwargs)
        with lock:
            claimed_by[threading.current_thread().name] += len(result.sends)
        return result

    monkeypatch.setattr(dispatcher_module, "claim_due_sends", claim)

    report = Dispatcher(batch_size=10, threads=THREADS).run()

    assert (report.claimed, report.sent) == (ROWS, ROWS), report
    assert (report.skipped, report.retried, report.failed) == (0, 0, 0), report
    assert (report.deferred, report.released) == (0, 0), report
    loops = {name: n for name, n in claimed_by.items() if n}
    assert len(loops) == THREADS, claimed_by
    assert all(name.startswith("ecrm-dispatch") for name in loops), claimed_by
    assert sum(loops.values()) == ROWS
    assert thread_names_of_dispatch_loops() == []  # the pool was shut down

    received = smtp_server.wait_for(ROWS, timeout=10)
    assert len(received) == ROWS
    by_recipient = Counter(rcpt for message in received for rcpt in message.rcpt_tos)
    assert set(by_recipient) == set(recipients)
    assert set(by_recipient.values()) == {1}
    message_ids = Counter(message.message["Message-ID"] for message in received)
    assert len(message_ids) == ROWS and set(message_ids.values()) == {1}

    rows = {send.recipient: send for send in ScheduledSend.objects.all()}
    assert len(rows) == ROWS
    for message in received:
        headers = message.message
        [recipient] = message.rcpt_tos
        assert message.mail_from == SENDER
        assert headers["To"] == recipient
        assert SENDER in headers["From"]
        assert headers["Subject"] == "Welcome to Test Shop, Ada"
        assert headers["X-Ecrm-Program"] == "test_ping/ping"
        # "account" is not a transactional category: RFC 8058 headers are added
        assert str(headers["List-Unsubscribe"]).strip().startswith("<http")
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.text and message.html
        row = rows[recipient]
        assert headers["Message-ID"] == row.message_id
        assert (row.status, row.attempts, row.lease_token) == (SendStatus.SENT, 1, "")
        assert row.sent_at is not None

    attempts = list(SendAttempt.objects.values_list("send_id", "number", "outcome"))
    assert len(attempts) == ROWS
    assert Counter(send_id for send_id, _, _ in attempts) == Counter(
        {send.id: 1 for send in rows.values()}
    )
    assert {(number, outcome) for _, number, outcome in attempts} == {(1, "sent")}


@pytest.mark.django_db
def test_inside_a_transaction_one_loop_sends_the_callers_uncommitted_rows(
    shop, smtp_server, monkeypatch
):
    configure_plugin()
    recipients = plan_pings(20)
    assert connection.in_atomic_block

    # the rows are not committed: another connection (another thread) sees none
    counts = []

    def count_from_another_connection() -> None:
        try:
            counts.append(ScheduledSend.objects.count())
        finally:
            connections.close_all()

    other = threading.Thread(target=count_from_another_connection)
    other.start()
    other.join()
    assert counts == [0]

    claiming_threads = []
    real_claim = dispatcher_module.claim_due_sends

    def claim(*args: Any, **kwargs: Any):
        claiming_threads.append(threading.current_thread())
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "claim_due_sends", claim)

    report = Dispatcher(batch_size=5, threads=THREADS).run()

    assert (report.claimed, report.sent) == (20, 20), report
    # one loop, on this thread and its connection: 4 batches and the empty claim
    assert claiming_threads == [threading.current_thread()] * 5
    assert connection.in_atomic_block
    received = smtp_server.wait_for(20)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(recipients)
    assert set(ScheduledSend.objects.values_list("status", flat=True)) == {
        SendStatus.SENT
    }
    assert SendAttempt.objects.count() == 20


@pytest.mark.django_db(transaction=True)
def test_an_exception_in_one_loop_is_raised_by_run(shop, smtp_server, monkeypatch):
    configure_plugin()
    recipients = plan_pings(40)

    calls = threading.local()
    lock = threading.Lock()
    raised: List[str] = []
    real_claim = dispatcher_module.claim_due_sends

    def claim(*args: Any, **kwargs: Any):
        calls.count = getattr(calls, "count", 0) + 1
        if calls.count == 2:
            # a loop claims again only after its first claim found rows, which
            # at least one loop's did: this raises exactly once in every run
            with lock:
                if not raised:
                    raised.append(threading.current_thread().name)
                    raise RuntimeError("database went away")
        return real_claim(*args, **kwargs)

    monkeypatch.setattr(dispatcher_module, "claim_due_sends", claim)

    with pytest.raises(RuntimeError, match="database went away"):
        Dispatcher(batch_size=5, threads=THREADS).run()

    assert len(raised) == 1 and raised[0].startswith("ecrm-dispatch")
    # run() returned only after every loop had ended
    assert thread_names_of_dispatch_loops() == []
    # the other loops stop claiming once one failed (how many rows they had sent by
    # then depends on timing): the rest is still planned, not lost, and the next run
    # sends it; every email arrives exactly once
    first = ScheduledSend.objects.filter(status=SendStatus.SENT).count()
    assert set(
        ScheduledSend.objects.exclude(status=SendStatus.SENT).values_list(
            "status", flat=True
        )
    ) <= {SendStatus.PLANNED}
    assert Dispatcher(batch_size=5, threads=THREADS).run().sent == 40 - first
    received = smtp_server.wait_for(40)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(recipients)
    assert set(ScheduledSend.objects.values_list("status", flat=True)) == {
        SendStatus.SENT
    }
    assert SendAttempt.objects.count() == 40


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cap", ["1/7", ""])
def test_the_frequency_cap_holds_when_two_loops_send_to_one_address(
    shop, smtp_server, monkeypatch, cap
):
    """Two capped emails to one address, claimed by two loops at once: with a cap
    of 1 a week one is sent and the other deferred (the second loop waits for the
    first one's mark), without a cap both go. Each delivery takes 0.3 s, so the two
    loops overlap whether or not the address is locked."""
    configure_plugin(consent_mode="everyone", quiet_hours="", frequency_cap=cap)
    plan_promo("ada@example.org", "1")
    plan_promo("Ada@Example.org", "2")

    def slow_delivery(envelope: Any) -> None:
        time.sleep(0.3)
        return None

    smtp_server.handler.reply_override = slow_delivery
    start = threading.Barrier(2)
    real_claim = dispatcher_module.claim_due_sends
    seen = threading.local()

    def claim(*args: Any, **kwargs: Any):
        result = real_claim(*args, **kwargs)
        if not getattr(seen, "started", False):
            seen.started = True
            start.wait(timeout=30)  # both loops hold one row before either sends
        return result

    monkeypatch.setattr(dispatcher_module, "claim_due_sends", claim)

    report = Dispatcher(batch_size=1, threads=2).run()

    statuses = sorted(ScheduledSend.objects.values_list("status", flat=True))
    if cap:
        assert (report.sent, report.deferred) == (1, 1), report
        assert statuses == [SendStatus.PLANNED, SendStatus.SENT]
        assert len(smtp_server.messages) == 1
    else:
        assert (report.sent, report.deferred) == (2, 0), report
        assert statuses == [SendStatus.SENT, SendStatus.SENT]
        assert len(smtp_server.messages) == 2
