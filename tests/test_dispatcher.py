"""The dispatcher against a real SMTP server: outcomes, retries, failures, leases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.delivery import Courier
from saleor_ecrm_plugin.dispatcher import (
    Dispatcher,
    claim_due_sends,
    load_context,
    retry_delay,
)
from saleor_ecrm_plugin.ledger import PlannedSend, plan_send, plan_sends
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from tests.configuration import configure_plugin
from tests.programs import plan_pings
from tests.smtp import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def active_plugin(shop):
    configure_plugin(retry_delay_seconds="60", max_attempts="3")


def test_planning_the_same_send_twice_leaves_one_row():
    planned = PlannedSend(
        program="test_ping",
        step="ping",
        recipient="Ada@Example.org",
        subject_type="test",
        subject_id="1",
        due_at=timezone.now(),
    )
    assert plan_send(planned) is True
    assert plan_send(planned) is False
    assert plan_sends([planned, planned]) == 0
    assert ScheduledSend.objects.count() == 1


def test_plan_send_writes_the_row_bulk_create_writes():
    """plan_send is one INSERT ... ON CONFLICT of our own: its row must be, column
    by column, the one Django's bulk_create writes through plan_sends (payload,
    defaults, the due index's column, key), and a conflict must add nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    due = timezone.now()
    planned = [
        PlannedSend(
            program="test_ping",
            step="ping",
            recipient=f"ada{n}@example.org",
            subject_type="order",
            subject_id=str(n),
            due_at=due,
            payload={"name": "Ada", "lines": [1, 2], "nested": {"n": n}},
            key=f"same:{n}" if n else None,
        )
        for n in range(2)
    ]
    ignored = {"id", "created_at", "updated_at"}

    def rows():
        return [
            {k: v for k, v in row.items() if k not in ignored}
            for row in ScheduledSend.objects.order_by("subject_id").values()
        ]

    with CaptureQueriesContext(connection) as queries:
        assert plan_send(planned[0]) is True
    assert len(queries.captured_queries) == 1
    assert plan_send(planned[1]) is True
    assert [plan_send(p) for p in planned] == [False, False]
    ours = rows()
    ScheduledSend.objects.all().delete()
    assert plan_sends(planned) == 2
    assert ours == rows()
    assert ours[0]["status"] == SendStatus.PLANNED and ours[0]["next_attempt_at"] == due
    assert ours[1]["idempotency_key"] == "same:1"
    sent = ScheduledSend.objects.get(subject_id="0")
    assert sent.created_at <= sent.updated_at


def test_due_sends_are_delivered_with_their_headers(smtp_server):
    plan_pings(3, payload={"name": "Ada"})
    plan_pings(2, due_at=timezone.now() + timedelta(hours=1), prefix="later")

    report = Dispatcher().run()

    assert (report.claimed, report.sent) == (3, 3)
    received = smtp_server.wait_for(3)
    assert sorted(r.rcpt_tos[0] for r in received) == [
        f"customer{i}@example.org" for i in range(3)
    ]
    for message in received:
        assert message.message["Subject"] == "Welcome to Test Shop, Ada"
        assert message.message["Message-ID"].endswith("@shop.example.com>")
    sent = ScheduledSend.objects.filter(status=SendStatus.SENT)
    assert sorted(sent.values_list("message_id", flat=True)) == sorted(
        r.message["Message-ID"] for r in received
    )
    assert ScheduledSend.objects.filter(status=SendStatus.PLANNED).count() == 2


def test_failed_recheck_skips_with_its_reason(smtp_server):
    plan_pings(1, payload={"skip": "customer_bought"})
    report = Dispatcher().run()
    assert report.skipped == 1
    assert smtp_server.messages == []
    send = ScheduledSend.objects.get()
    assert (send.status, send.skip_reason) == (SendStatus.SKIPPED, "customer_bought")
    assert send.attempt_log.get().detail == "customer_bought"


def test_inactive_plugin_skips_instead_of_sending(smtp_server):
    configure_plugin(active=False)
    plan_pings(1)
    assert Dispatcher().run().skipped == 1
    assert ScheduledSend.objects.get().skip_reason == "plugin_inactive"
    assert smtp_server.messages == []


def test_unknown_program_is_a_permanent_failure(smtp_server):
    plan_send(
        PlannedSend(
            "retired_program", "x", "a@example.org", "test", "1", timezone.now()
        )
    )
    assert Dispatcher().run().failed == 1
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.FAILED
    assert "UnknownProgram" in send.last_error


def test_temporary_smtp_failure_retries_with_backoff_then_gives_up(smtp_server):
    smtp_server.handler.reply_override = lambda envelope: "451 4.3.0 Try again later"
    plan_pings(1)

    before = timezone.now()
    assert Dispatcher().run().retried == 1
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.PLANNED
    assert send.attempts == 1
    assert "451" in send.last_error
    # first retry after ~60 s (configured), with at most 10 % jitter
    delay = (send.next_attempt_at - before).total_seconds()
    assert 53 <= delay <= 67
    # not due again yet
    assert Dispatcher().run().claimed == 0

    for expected_attempts in (2, 3):
        ScheduledSend.objects.update(next_attempt_at=timezone.now())
        Dispatcher().run()
        send.refresh_from_db()
        assert send.attempts == expected_attempts
    # max_attempts = 3: the third temporary failure is final
    assert send.status == SendStatus.FAILED
    assert [a.outcome for a in send.attempt_log.all()] == ["retry", "retry", "failed"]
    assert smtp_server.messages == []


def test_retry_delay_doubles():
    delays = [retry_delay(n, 60).total_seconds() for n in (1, 2, 3, 4)]
    for n, seconds in enumerate(delays):
        assert 60 * 2**n * 0.9 <= seconds <= 60 * 2**n * 1.1
    assert retry_delay(30, 60) == timedelta(hours=6)


def test_permanent_smtp_refusal_fails_at_once_with_the_reason(smtp_server):
    smtp_server.handler.reply_override = lambda envelope: "550 5.1.1 Mailbox unknown"
    plan_pings(1)
    assert Dispatcher().run().failed == 1
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.FAILED
    assert send.attempts == 1
    assert "550" in send.last_error and "Mailbox unknown" in send.last_error
    assert send.attempt_log.get().error_type == "PermanentSendError"


def test_unreachable_mail_server_is_temporary(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    plan_pings(1)
    assert Dispatcher().run().retried == 1
    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.PLANNED
    assert send.attempt_log.get().error_type == "ProviderUnavailable"


def test_rows_held_by_another_dispatcher_are_left_alone_until_the_lease_expires(
    smtp_server,
):
    plan_pings(2)
    stale = claim_due_sends(limit=1, lease_seconds=60)  # a worker that then dies
    assert len(stale.sends) == 1

    assert Dispatcher().run().sent == 1  # only the free row
    later = timezone.now() + timedelta(seconds=61)
    taken_over = claim_due_sends(now=later)
    assert [s.id for s in taken_over.sends] == [stale.sends[0].id]
    assert taken_over.sends[0].attempts == 2


def test_a_dispatcher_near_the_end_of_its_lease_hands_rows_back(smtp_server):
    plan_pings(3)
    claim = claim_due_sends(limit=3, lease_seconds=60)
    claim.expires_at = timezone.now()  # as if the batch had taken the whole lease
    with Courier() as courier:
        report = Dispatcher(lease_seconds=60)._process(claim, load_context(), courier)
    assert report.released == 3 and report.sent == 0
    assert smtp_server.messages == []
    for send in ScheduledSend.objects.all():
        assert (send.status, send.attempts, send.lease_token) == (
            SendStatus.PLANNED,
            0,
            "",
        )
    assert Dispatcher().run().sent == 3


# --- what the dispatcher reads per batch rather than per email ------------------------


def test_preferences_of_a_batch_are_read_in_one_query(smtp_server):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from saleor_ecrm_plugin.preferences.models import EmailContact

    recipients = plan_pings(6)
    EmailContact.objects.create(email=recipients[1], marketing_opt_out=True)
    EmailContact.objects.create(email=recipients[2], opted_out_categories=["account"])
    EmailContact.objects.create(email=recipients[3], suppressed_at=timezone.now())
    EmailContact.objects.create(email=recipients[4])  # a row, nothing switched off

    with CaptureQueriesContext(connection) as queries:
        report = Dispatcher().run()

    assert (report.sent, report.skipped) == (3, 3)
    reasons = dict(
        ScheduledSend.objects.filter(status=SendStatus.SKIPPED).values_list(
            "recipient", "skip_reason"
        )
    )
    assert reasons == {
        recipients[1]: "unsubscribed_all",
        recipients[2]: "unsubscribed_category",
        recipients[3]: "suppressed",
    }
    sql = [query["sql"] for query in queries.captured_queries]
    assert sum(EmailContact._meta.db_table in q for q in sql) == 1
    # the claim's UPDATE, then one statement per email recording its outcome (an
    # UPDATE with its attempt row's INSERT)
    table = ScheduledSend._meta.db_table
    updates = [q for q in sql if f'UPDATE "{table}"' in q]
    assert len(updates) == 1 + 6


def test_preferences_older_than_max_age_are_read_again():
    from saleor_ecrm_plugin.preferences.models import EmailContact
    from saleor_ecrm_plugin.preferences.policy import RecipientContacts

    fresh = RecipientContacts(["Ada@Example.org", "bob@example.org"], max_age=0)
    cached = RecipientContacts(["Ada@Example.org", "bob@example.org"], max_age=3600)
    assert fresh.get("ada@example.org") is None
    assert cached.get("ada@example.org") is None

    EmailContact.objects.create(email="ada@example.org", marketing_opt_out=True)
    assert fresh.get(" ADA@example.org").marketing_opt_out is True
    assert cached.get("ada@example.org") is None  # within max_age: the batch's view
    # an address the batch did not name is read on its own
    assert cached.get("carol@example.org") is None


# --- the ledger's shape: the claim touches no index, closed rows leave the due index


def _update_counts() -> tuple:
    """This transaction's (updates, HOT updates) of the ledger table, so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables"
            " WHERE relname = %s",
            [ScheduledSend._meta.db_table],
        )
        row = cursor.fetchone()
    return tuple(row) if row else (0, 0)


def test_a_claim_is_a_hot_update_that_writes_no_index():
    """PostgreSQL writes an update HOT (in the row's page, no index entry) only when
    no indexed column changed and the page has room: a few rows of one page here
    (the table keeps 20 % of a page free; in one transaction the old versions
    cannot be pruned yet). An index naming a column the claim changes makes it 0."""
    plan_pings(40)
    before = _update_counts()
    claim = claim_due_sends(limit=3, lease_seconds=60)
    updates, hot = (a - b for a, b in zip(_update_counts(), before))

    assert len(claim.sends) == 3
    assert (updates, hot) == (3, 3)
    for send in claim.sends:
        assert send.status == SendStatus.SENDING
        assert send.lease_expires_at == claim.expires_at
        assert send.next_attempt_at == send.due_at  # the due time is kept


def test_closed_rows_leave_the_due_index_and_reopened_rows_keep_their_turn(
    smtp_server,
):
    from django.db import connection

    plan_pings(3)
    claim = claim_due_sends(limit=3, lease_seconds=60)
    claim.expires_at = timezone.now()  # the batch hands everything back...
    with Courier() as courier:
        Dispatcher(lease_seconds=60)._process(claim, load_context(), courier)
    for send in ScheduledSend.objects.all():
        assert (send.status, send.lease_expires_at) == (SendStatus.PLANNED, None)
        assert send.next_attempt_at == send.due_at  # ...in its place in the queue

    assert Dispatcher().run().sent == 3
    for send in ScheduledSend.objects.all():
        assert send.status == SendStatus.SENT
        assert (send.next_attempt_at, send.lease_expires_at, send.lease_token) == (
            None,
            None,
            "",
        )
    # the indexes' conditions name no status: a status change can stay a HOT update
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s",
            [ScheduledSend._meta.db_table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert definitions and not [d for d in definitions if "status" in d]


@pytest.mark.django_db
def test_loops_claiming_side_by_side_split_the_last_rows_between_them(shop):
    """A run's last rows go to every loop, not to the first few in full batches."""
    plan_pings(30)
    first = claim_due_sends(limit=50, share=4)
    assert len(first.sends) == 8  # 30 free rows, 4 loops: ceil(30 / 4)
    second = claim_due_sends(limit=50, share=4)
    assert len(second.sends) == 6  # 22 left: ceil(22 / 4)
    assert not {s.id for s in first.sends} & {s.id for s in second.sends}
    assert len(claim_due_sends(limit=50, share=1).sends) == 16  # alone: all of it


@pytest.mark.django_db
def test_no_more_rows_than_loops_go_to_one_loop_in_their_order(shop):
    plan_pings(3)
    claim = claim_due_sends(limit=50, share=4)
    assert sorted(send.recipient for send in claim.sends) == [
        "customer0@example.org",
        "customer1@example.org",
        "customer2@example.org",
    ]


@pytest.mark.django_db
def test_a_full_queue_still_gives_every_loop_a_full_batch(shop):
    plan_pings(100)
    assert len(claim_due_sends(limit=10, share=4).sends) == 10
    assert len(claim_due_sends(limit=10, share=4).sends) == 10
    # 80 left for 4 loops of 10: still full batches
    assert len(claim_due_sends(limit=10, share=8).sends) == 10
