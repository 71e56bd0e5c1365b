"""Migration 0009 on a ledger that already has rows: leases move to their own column,
closed rows leave the due index, and the way back restores the old shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

APP = "saleor_ecrm"
BEFORE = (APP, "0008_drop_unused_recipient_index")
AFTER = (APP, "0009_hot_claim")
STATUSES = ("planned", "sending", "sent", "skipped", "failed", "cancelled")


def migrate_to(target) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes(APP))


def rows() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, next_attempt_at, lease_expires_at"
            " FROM saleor_ecrm_scheduledsend"
        )
        return {status: (due, lease) for status, due, lease in cursor.fetchall()}


def index_conditions() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename = 'saleor_ecrm_scheduledsend'"
        )
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_migration_0009_converts_existing_rows_and_reverses():
    now = timezone.now().replace(microsecond=0)
    times = {status: now + timedelta(minutes=i) for i, status in enumerate(STATUSES)}
    migrate_to(BEFORE)
    try:
        with connection.cursor() as cursor:
            for status in STATUSES:
                cursor.execute(
                    "INSERT INTO saleor_ecrm_scheduledsend (program, step, recipient,"
                    " subject_type, subject_id, due_at, status, idempotency_key,"
                    " payload, attempts, next_attempt_at, lease_token, last_error,"
                    " skip_reason, message_id, sent_at, created_at, updated_at)"
                    " VALUES ('p', 's', %s, 't', %s, %s, %s, %s, '{}', 1, %s, '',"
                    " '', '', '', NULL, %s, %s)",
                    [
                        f"{status}@example.org",
                        status,
                        now,
                        status,
                        f"key:{status}",
                        times[status],
                        now,
                        now,
                    ],
                )
        migrate_to(AFTER)
        after = rows()
        # a row being sent: its next_attempt_at was the end of its lease
        assert after["sending"] == (times["sending"], times["sending"])
        assert after["planned"] == (times["planned"], None)
        for status in ("sent", "skipped", "failed", "cancelled"):
            assert after[status] == (None, None), status
        indexes = index_conditions()
        assert (
            "ecrm_send_due_idx" in indexes and "ecrm_send_open_due_idx" not in indexes
        )
        assert not [d for d in indexes.values() if "status" in d]

        migrate_to(BEFORE)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM saleor_ecrm_scheduledsend"
                " WHERE next_attempt_at IS NULL"
            )
            assert cursor.fetchone()[0] == 0  # NOT NULL again
        assert "ecrm_send_open_due_idx" in index_conditions()
    finally:
        migrate_to_latest()  # as every other test expects the schema
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM saleor_ecrm_scheduledsend")
