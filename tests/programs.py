"""A test-only program: sends whatever the test plans, skips when told to.

Rows carry their behaviour in ``payload``: ``{"skip": "reason"}`` makes the re-check
skip with that reason; ``{"name": "Ada"}`` personalises the (welcome) template.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from django.utils import timezone

from saleor_ecrm_plugin.ledger import PlannedSend, plan_sends
from saleor_ecrm_plugin.programs.base import EmailSpec, Program
from saleor_ecrm_plugin.programs.registry import register


@register
class PingProgram(Program):
    id = "test_ping"
    category = "account"

    def skip_reason(self, send, settings) -> Optional[str]:
        return send.payload.get("skip")

    def message(self, send, settings) -> EmailSpec:
        return EmailSpec(
            template="ecrm/welcome",
            context={"first_name": send.payload.get("name", ""), "shop_url": "/"},
        )


def plan_pings(
    count: int,
    due_at: Optional[datetime] = None,
    payload: Optional[Dict[str, Any]] = None,
    prefix: str = "customer",
) -> List[str]:
    """Plan ``count`` due pings to distinct addresses; returns the addresses."""
    due_at = due_at or timezone.now()
    recipients = [f"{prefix}{index}@example.org" for index in range(count)]
    plan_sends(
        PlannedSend(
            program=PingProgram.id,
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


@register
class PromoProgram(PingProgram):
    """A test-only marketing program (category "newsletter")."""

    id = "test_promo"
    category = "newsletter"


def plan_promo(recipient: str, subject_id: str = "1") -> None:
    plan_sends(
        [
            PlannedSend(
                program=PromoProgram.id,
                step="promo",
                recipient=recipient,
                subject_type="test",
                subject_id=subject_id,
                due_at=timezone.now(),
            )
        ]
    )
