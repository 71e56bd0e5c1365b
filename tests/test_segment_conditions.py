"""A program step restricted to segments: engagement levels and RFM groups; the
others are skipped with reason "segment"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.config import parse_configuration
from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.errors import ConfigurationError
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.rfm.models import RfmScore
from saleor_ecrm_plugin.segments.conditions import parse_segment_conditions
from saleor_ecrm_plugin.segments.service import recompute_segments
from tests.configuration import configure_plugin
from tests.programs import PROMO, plan_promo
from tests.segment_history import clicked, days_ago, opened, sent_email


def make_active(email: str) -> None:
    sends = [sent_email(email, days_ago(days)) for days in (50, 40, 30)]
    for send in sends:
        opened(send)
    clicked(sends[0])


def champion(email: str) -> None:
    RfmScore.objects.create(
        email=email,
        last_order_at=timezone.now(),
        orders=9,
        revenue=Decimal("900.00"),
        recency=5,
        frequency=5,
        monetary=5,
        group="champions",
        computed_at=timezone.now(),
    )


def outcome(email: str):
    row = ScheduledSend.objects.get(program=PROMO, recipient=email)
    return row.status, row.skip_reason


@pytest.mark.django_db
def test_only_the_segment_receives_the_step(shop, smtp_server):
    configure_plugin(
        segment_conditions=f"{PROMO}: engagement=active,super_active",
        consent_mode="everyone",
        quiet_hours="",
        frequency_cap="",
    )
    make_active("keen@example.org")
    sent_email("sleepy@example.org", days_ago(300))
    recompute_segments(load_context().settings)
    for email in ("keen@example.org", "sleepy@example.org", "unknown@example.org"):
        plan_promo(email)

    Dispatcher(threads=1).run()

    assert outcome("keen@example.org") == (SendStatus.SENT, "")
    assert outcome("sleepy@example.org") == (SendStatus.SKIPPED, "segment")
    # never computed: "new", outside the segment
    assert outcome("unknown@example.org") == (SendStatus.SKIPPED, "segment")
    assert [m.rcpt_tos for m in smtp_server.wait_for(1)] == [["keen@example.org"]]


@pytest.mark.django_db
def test_rfm_groups_and_a_step_rule_over_the_program_rule(shop, smtp_server):
    configure_plugin(
        segment_conditions=(
            f"{PROMO}: engagement=inactive; {PROMO}/promo: rfm=champions,loyal"
        ),
        consent_mode="everyone",
        quiet_hours="",
        frequency_cap="",
    )
    champion("vip@example.org")
    for email in ("vip@example.org", "casual@example.org"):
        plan_promo(email)

    Dispatcher(threads=1).run()

    # the step's rule applies (RFM), not the program's (inactive)
    assert outcome("vip@example.org") == (SendStatus.SENT, "")
    assert outcome("casual@example.org") == (SendStatus.SKIPPED, "segment")


def test_conditions_are_parsed_or_refused():
    rules = parse_segment_conditions(
        "welcome: engagement=new ; win_back/step2: rfm=at_risk,cant_lose"
        " engagement=inactive"
    )
    rule = rules.rule_for("win_back", "step2")
    assert rule.rfm == {"at_risk", "cant_lose"} and rule.engagement == {"inactive"}
    assert rules.rule_for("win_back", "step1") is None
    assert rules.rule_for("welcome", "welcome").engagement == {"new"}
    for bad in (
        "welcome engagement=new",
        "welcome: engagement=sleepy",
        "welcome: mood=happy",
        "welcome:",
        "Welcome!: rfm=lost",
    ):
        with pytest.raises(ConfigurationError):
            parse_segment_conditions(bad)


@pytest.mark.django_db
def test_a_bad_rule_in_the_dashboard_is_reported_on_its_field(shop):
    settings, errors = parse_configuration(
        [{"name": "segment_conditions", "value": "welcome: engagement=sleepy"}]
    )
    assert "segment_conditions" in errors
    assert "sleepy" in errors["segment_conditions"]
    assert settings.segment_conditions.rules == {}
