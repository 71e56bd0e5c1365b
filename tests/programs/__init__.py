"""Test-only programs, each a package as the shipped ones are (``ping``: the
dispatcher's test program; ``sample_digest``: a complete program added the way a
project adds one), and helpers that plan their sends.

``tests/conftest.py`` lists the packages in the ``ECRM_PROGRAMS`` setting. Like
every parent of a program package, this module is imported when a settings module
calls ``enable_ecrm`` (Django not set up yet): the helpers import the ledger when
called, not here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

PING = "test_ping"
PROMO = "test_promo"
FRAGILE = "test_fragile"
PACKAGES = ("tests.programs.ping", "tests.programs.sample_digest")


def plan_pings(
    count: int,
    due_at: Optional[datetime] = None,
    payload: Optional[Dict[str, Any]] = None,
    prefix: str = "customer",
) -> List[str]:
    """Plan ``count`` due pings to distinct addresses; returns the addresses."""
    from django.utils import timezone

    from saleor_ecrm_plugin.ledger import PlannedSend, plan_sends

    due_at = due_at or timezone.now()
    recipients = [f"{prefix}{index}@example.org" for index in range(count)]
    plan_sends(
        PlannedSend(
            program=PING,
            step="ping",
            recipient=recipient,
            subject_type="test",
            subject_id=str(index),
            due_at=due_at,
            payload=dict(payload or {}),
        )
        for index, recipient in enumerate(recipients)
    )
    return recipients


def plan_promo(recipient: str, subject_id: str = "1") -> None:
    from django.utils import timezone

    from saleor_ecrm_plugin.ledger import PlannedSend, plan_sends

    plan_sends(
        [
            PlannedSend(
                program=PROMO,
                step="promo",
                recipient=recipient,
                subject_type="test",
                subject_id=subject_id,
                due_at=timezone.now(),
            )
        ]
    )


def plan_fragile(
    count: int,
    payload: Optional[dict] = None,
    prefix: str = "good",
    subject: str = "",
) -> None:
    from django.utils import timezone

    from saleor_ecrm_plugin.ledger import PlannedSend, plan_sends

    plan_sends(
        PlannedSend(
            program=FRAGILE,
            step="ping",
            recipient=f"{prefix}{index}@example.org",
            subject_type="test",
            subject_id=subject or f"{prefix}{index}",
            due_at=timezone.now(),
            payload=dict(payload or {}),
        )
        for index in range(count)
    )
