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


class Unprintable:
    """A context value whose rendering raises (a bug in a template's data)."""

    def __str__(self) -> str:
        raise RuntimeError("this value cannot be shown")


class FragileProgram(PingProgram):
    """Test-only: ``payload["fail"]`` names the step that raises for that row."""

    id = "test_fragile"

    def recheck(self, send, settings) -> Decision:
        if send.payload.get("fail") == "recheck":
            raise ValueError(f"cannot re-check row {send.subject_id}")
        if send.payload.get("skip"):
            return skip(send.payload["skip"], replan=not send.payload.get("no_replan"))
        return SEND

    def prepare(self, send, settings) -> EmailSpec:
        spec = super().prepare(send, settings)
        if send.payload.get("fail") == "render":
            return EmailSpec(
                spec.template, {**spec.context, "first_name": Unprintable()}
            )
        return spec

    def replan(self, send, settings, decision: Decision) -> None:
        if send.payload.get("fail") == "replan":
            raise LookupError("nothing to plan from")
        from tests.programs import plan_fragile

        plan_fragile(1, prefix="replanned", subject=f"after-{send.subject_id}")
