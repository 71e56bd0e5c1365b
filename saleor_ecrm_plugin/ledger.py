"""Planning and cancelling sends. The dispatcher (``dispatcher.py``) does the rest.

Planning is idempotent: the idempotency key carries a unique constraint, so planning
the same send twice (two hooks, a hook and a scan, a retried request) leaves one row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, Optional

from django.db import transaction
from django.utils import timezone

from .models import ScheduledSend, SendStatus


@dataclass(frozen=True)
class PlannedSend:
    """A send a program wants. ``key`` defaults to program:step:subject:recipient."""

    program: str
    step: str
    recipient: str
    subject_type: str
    subject_id: str
    due_at: datetime
    payload: Dict[str, Any] = field(default_factory=dict)
    key: Optional[str] = None

    def idempotency_key(self) -> str:
        if self.key:
            return self.key
        key = ":".join(
            (
                self.program,
                self.step,
                self.subject_type,
                self.subject_id,
                self.recipient.lower(),
            )
        )
        if len(key) > 200:  # the column's size; long addresses are hashed
            key = key[:150] + ":" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
        return key

    def to_row(self) -> ScheduledSend:
        return ScheduledSend(
            program=self.program,
            step=self.step,
            recipient=self.recipient,
            subject_type=self.subject_type,
            subject_id=self.subject_id,
            due_at=self.due_at,
            next_attempt_at=self.due_at,
            idempotency_key=self.idempotency_key(),
            payload=self.payload,
        )


def plan_send(planned: PlannedSend) -> bool:
    """Insert the row unless its key exists. Returns True when a row was created.

    One statement, ``INSERT ... ON CONFLICT DO NOTHING RETURNING``, so a hook that
    plans inside a request (the order confirmation in checkoutComplete) costs one
    round trip; the row is the one :func:`plan_sends` would write (the same model
    instance, each field's own ``pre_save`` and ``get_db_prep_save``).
    """
    from django.db import connection

    row, meta = planned.to_row(), ScheduledSend._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} "
            f"({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            "ON CONFLICT DO NOTHING RETURNING 1",
            values,
        )
        return cursor.fetchone() is not None


def plan_sends(planned: Iterable[PlannedSend], batch_size: int = 2000) -> int:
    """Plan many sends in bulk (``INSERT ... ON CONFLICT DO NOTHING``).

    Returns the number of rows actually created; existing keys are left untouched.
    """
    rows = [item.to_row() for item in planned]
    if not rows:
        return 0
    keys = [row.idempotency_key for row in rows]
    with transaction.atomic():
        before = ScheduledSend.objects.filter(idempotency_key__in=keys).count()
        ScheduledSend.objects.bulk_create(
            rows, batch_size=batch_size, ignore_conflicts=True
        )
        after = ScheduledSend.objects.filter(idempotency_key__in=keys).count()
    return after - before


def cancel_pending(
    program: str, subject_type: str, subject_id: str, reason: str
) -> int:
    """Cancel the planned (not yet claimed) sends of a program about one object.

    A row already claimed by a worker is not touched here: the program's
    ``skip_reason`` re-check stops it right before delivery.
    """
    return ScheduledSend.objects.filter(
        program=program,
        subject_type=subject_type,
        subject_id=subject_id,
        status=SendStatus.PLANNED,
    ).update(
        status=SendStatus.CANCELLED,
        skip_reason=reason,
        next_attempt_at=None,  # closed: out of the due index
        updated_at=timezone.now(),
    )


def plan_audience(
    table: str,
    template: PlannedSend,
    key_prefix: str,
    wave: timedelta,
    wave_size: int,
    first_index: int = 0,
) -> int:
    """Plan ``template`` for every address of ``table`` (column ``email``) in one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING``: in address order, in waves of
    ``wave_size`` rows ``wave`` apart from ``template.due_at`` (row ``first_index``
    first), each keyed ``key_prefix + address`` (cut to the column's 200
    characters). For an audience of thousands: no row goes through Python. Returns
    the number of rows created."""
    from django.db import connection

    ledger = connection.ops.quote_name(ScheduledSend._meta.db_table)
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {ledger} (program, step, recipient, subject_type,
                subject_id, due_at, next_attempt_at, status, idempotency_key,
                payload, attempts, lease_token, last_error, skip_reason,
                message_id, created_at, updated_at)
            SELECT %(program)s, %(step)s, a.email, %(subject_type)s,
                   %(subject_id)s, a.due, a.due, %(status)s,
                   left(%(prefix)s || a.email, 200), %(payload)s::jsonb, 0, '',
                   '', '', '', %(now)s, %(now)s
            FROM (
                SELECT email, %(start)s + %(wave)s * ((%(first)s - 1
                           + row_number() OVER (ORDER BY email)) / %(size)s) AS due
                FROM {table}
            ) AS a
            ORDER BY a.email
            ON CONFLICT (idempotency_key) DO NOTHING
            """,
            {
                "program": template.program,
                "step": template.step,
                "subject_type": template.subject_type,
                "subject_id": template.subject_id,
                "status": SendStatus.PLANNED,
                "prefix": key_prefix,
                "payload": json.dumps(template.payload),
                "now": now,
                "start": template.due_at,
                "wave": wave,
                "first": int(first_index),
                "size": max(1, int(wave_size)),
            },
        )
        return int(cursor.rowcount)
