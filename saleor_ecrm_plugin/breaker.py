"""The email provider's circuit breaker, shared by every dispatcher loop and process.

One :class:`~.models.DeliveryBreaker` row holds it. Provider-down errors
(:class:`~.errors.ProviderUnavailable`: connection refused or lost, timeouts, SMTP 421)
on ``BREAKER_THRESHOLD`` deliveries in a row *open* it: sending pauses everywhere until
``open_until``, ``BREAKER_BASE_SECONDS`` doubled at each opening in a row, at most
``BREAKER_MAX_SECONDS``, with ±20 % jitter so that processes do not return together.
Once that time has passed the breaker is *half-open*: one loop (of every process)
takes the probe and sends one email; its delivery closes the breaker, a provider-down
error opens it again for twice as long. Any delivery that goes through closes it.

Every loop reads the row once per claim (one primary-key SELECT per batch) and writes
it only on provider-down errors and on the first delivery after one, so the healthy
path costs no write. The loops of one process also share what they learn at once
(:class:`ProviderBreaker`), so a process stops within one email per loop.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from django.db import connection, transaction
from django.utils import timezone

from .models import DeliveryBreaker

#: provider-down errors in a row (any loop, any process) that open the breaker
BREAKER_THRESHOLD = 5
#: the first pause; each further opening in a row doubles it
BREAKER_BASE_SECONDS = 10.0
BREAKER_MAX_SECONDS = 300.0
#: how long a probe may take before another loop may probe instead
PROBE_SECONDS = 120.0
BREAKER_NAME = "default"


def pause_for(openings: int) -> timedelta:
    """The pause after the ``openings``-th opening in a row (1, 2, ...): jittered."""
    seconds = min(BREAKER_BASE_SECONDS * 2 ** max(openings - 1, 0), BREAKER_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


@dataclass(frozen=True)
class Admission:
    """What a loop may do now: claim a batch, send one probe email, or wait until
    ``until``."""

    send: bool
    probe: bool = False
    until: Optional[datetime] = None


CLOSED = Admission(send=True)


class ProviderBreaker:
    """A process's view of the shared breaker row, shared by the loops of a run."""

    def __init__(self, name: str = BREAKER_NAME) -> None:
        self.name = name
        self._lock = threading.Lock()
        #: the pause in force as this process last saw it
        self._open_until: Optional[datetime] = None
        #: the row may hold failures or an opening that a delivery should clear
        self._dirty = False

    def admission(self, now: Optional[datetime] = None) -> Admission:
        """Read the row: may this loop claim a batch, probe, or must it wait?"""
        now = now or timezone.now()
        row = (
            DeliveryBreaker.objects.filter(name=self.name)
            .values("consecutive_failures", "open_until", "probe_until")
            .first()
        )
        with self._lock:
            if row is None or (
                row["open_until"] is None and not row["consecutive_failures"]
            ):
                self._open_until = None
                return CLOSED
            self._dirty = True
            self._open_until = row["open_until"]
        if row["open_until"] is None:
            return CLOSED
        if row["open_until"] > now:
            return Admission(send=False, until=row["open_until"])
        # half-open: one loop anywhere takes the probe
        taken = DeliveryBreaker.objects.filter(
            name=self.name, open_until__lte=now
        ).exclude(probe_until__gt=now)
        if taken.update(probe_until=now + timedelta(seconds=PROBE_SECONDS)):
            return Admission(send=True, probe=True)
        return Admission(send=False, until=now + timedelta(seconds=1))

    def paused(self, now: datetime) -> bool:
        """Whether this process knows of a pause in force (no query)."""
        until = self._open_until
        return until is not None and until > now

    def delivered(self) -> None:
        """A delivery went through: close the breaker if it held anything."""
        if not self._dirty:
            return
        DeliveryBreaker.objects.filter(name=self.name).update(
            consecutive_failures=0,
            openings=0,
            open_until=None,
            probe_until=None,
            updated_at=timezone.now(),
        )
        with self._lock:
            self._dirty = False
            self._open_until = None

    def probe_done(self) -> None:
        """The probe ended without a delivery (skipped, deferred...): free it."""
        DeliveryBreaker.objects.filter(
            name=self.name, probe_until__isnull=False
        ).update(probe_until=None)

    def provider_down(self, error: BaseException) -> bool:
        """Count a provider-down error; True if the breaker is now open (the row
        that met it is then handed back rather than counted)."""
        now = timezone.now()
        with transaction.atomic():
            with connection.cursor() as cursor:
                # the row may be missing (first failure ever, or a flushed table)
                cursor.execute(
                    f"INSERT INTO {DeliveryBreaker._meta.db_table} "
                    "(name, consecutive_failures, openings, last_error, updated_at) "
                    "VALUES (%s, 0, 0, '', %s) ON CONFLICT (name) DO NOTHING",
                    [self.name, now],
                )
            row = DeliveryBreaker.objects.select_for_update().get(name=self.name)
            row.last_error = f"{type(error).__name__}: {error}"[:1000]
            row.updated_at = now
            if row.open_until is not None and row.open_until > now:
                opened = True  # already open (another loop's error came first)
            else:
                half_open = row.open_until is not None
                row.consecutive_failures += 1
                opened = half_open or row.consecutive_failures >= BREAKER_THRESHOLD
                if opened:
                    row.openings += 1
                    row.open_until = now + pause_for(row.openings)
                    row.consecutive_failures = 0
                    row.probe_until = None
            row.save()
        with self._lock:
            self._dirty = True
            self._open_until = row.open_until
        return opened
