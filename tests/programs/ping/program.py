"""Test-only programs: send whatever the test plans, skip when told to.

Rows carry their behaviour in ``payload``: ``{"skip": "reason"}`` makes the re-check
skip with that reason; ``{"name": "Ada"}`` personalises the (welcome) template.
"""

from __future__ import annotations

from saleor_ecrm_plugin.programs.base import EmailSpec, Program
from saleor_ecrm_plugin.programs.decision import SEND, Decision, skip


class PingProgram(Program):
    id = "test_ping"
    category = "account"

    def recheck(self, send, settings) -> Decision:
        reason = send.payload.get("skip")
        return skip(reason) if reason else SEND

    def prepare(self, send, settings) -> EmailSpec:
        return EmailSpec(
            template="ecrm/welcome",
            context={"first_name": send.payload.get("name", ""), "shop_url": "/"},
        )


class PromoProgram(PingProgram):
    """A test-only marketing program (category "newsletter")."""

    id = "test_promo"
    category = "newsletter"
