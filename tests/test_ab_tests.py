"""A/B tests: deterministic assignment, variants in the emails a real SMTP server
receives, and a winner declared only past both thresholds (planted figures)."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.errors import ConfigurationError
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.segments import abtests
from saleor_ecrm_plugin.segments.abconfig import parse_ab_tests
from saleor_ecrm_plugin.segments.bayes import probability_b_beats_a
from saleor_ecrm_plugin.segments.models import AbAssignment, AbTestState
from saleor_ecrm_plugin.segments.service import judge_ab_tests
from tests.configuration import configure_plugin
from tests.programs import PROMO, plan_promo
from tests.segment_history import clicked

TEST = {
    "id": "promo-subject",
    "program": PROMO,
    "step": "promo",
    "metric": "click_rate",
    "variants": [
        {"name": "A"},
        {
            "name": "B",
            "subject": "Only for you, at {{ shop_name }}",
            "block": "Free delivery this week.",
        },
    ],
}


def configure(*tests: dict) -> None:
    configure_plugin(
        ab_tests=json.dumps(list(tests or [TEST])),
        consent_mode="everyone",
        quiet_hours="",
        frequency_cap="",
    )


def test_the_exact_posterior_matches_a_simulation():
    rng = random.Random(7)
    draws = 100_000
    for (sa, na), (sb, nb) in [((50, 500), (67, 500)), ((3, 40), (1, 35))]:
        simulated = (
            sum(
                rng.betavariate(1 + sa, 1 + na - sa)
                < rng.betavariate(1 + sb, 1 + nb - sb)
                for _ in range(draws)
            )
            / draws
        )
        assert probability_b_beats_a(sa, na, sb, nb) == pytest.approx(
            simulated, abs=0.005
        )
    assert probability_b_beats_a(10, 100, 10, 100) == pytest.approx(0.5)
    assert probability_b_beats_a(0, 0, 0, 0) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        probability_b_beats_a(5, 4, 0, 1)


def test_assignment_is_deterministic_per_test_and_address():
    index = abtests.variant_index
    assert index("t1", "Ada@Example.org", 2) == index("t1", " ada@example.org", 2)
    emails = [f"customer{i}@example.org" for i in range(4000)]
    split = Counter(index("t1", email, 2) for email in emails)
    assert abs(split[0] - split[1]) < 250  # about half each
    # another test splits the same people independently
    same = sum(index("t1", e, 2) == index("t2", e, 2) for e in emails)
    assert 1800 < same < 2200
    assert Counter(index("t3", e, 3) for e in emails).keys() == {0, 1, 2}


def test_bad_configuration_is_refused_with_a_message():
    for bad in (
        "{",
        '{"id": "x"}',
        json.dumps([{**TEST, "variants": [{"name": "A"}]}]),
        json.dumps([{**TEST, "metric": "revenue"}]),
        json.dumps([TEST, {**TEST, "id": "other"}]),  # two tests on one step
        json.dumps([{**TEST, "variants": [{"name": "A"}, {"name": "A"}]}]),
    ):
        with pytest.raises(ConfigurationError):
            parse_ab_tests(bad)
    assert parse_ab_tests("").tests == ()


@pytest.mark.django_db
def test_each_recipient_receives_its_variant(shop, smtp_server):
    configure()
    emails = [f"reader{i}@example.org" for i in range(12)]
    for email in emails:
        plan_promo(email)
    assert Dispatcher(threads=1).run().sent == 12

    received = smtp_server.wait_for(12)
    for message in received:
        email = message.rcpt_tos[0]
        variant = "AB"[abtests.variant_index("promo-subject", email, 2)]
        assert message.message["X-Ecrm-Variant"] == f"promo-subject/{variant}"
        if variant == "B":
            assert message.message["Subject"] == "Only for you, at Test Shop"
            assert "Free delivery this week." in message.text
            assert "Free delivery this week." in message.html
        else:
            assert message.message["Subject"] != "Only for you, at Test Shop"
            assert "Free delivery this week." not in message.text
    assignments = dict(AbAssignment.objects.values_list("send__recipient", "variant"))
    assert assignments == {
        m.rcpt_tos[0]: m.message["X-Ecrm-Variant"][-1] for m in received
    }
    assert {"A", "B"} == set(assignments.values())


def plant(variant: str, sent: int, clicks: int, start: int = 0):
    """``sent`` emails of ``variant``, ``clicks`` of them really clicked (and as
    many scanner clicks on the others, which must not count)."""
    now = timezone.now() - timedelta(days=1)
    rows = ScheduledSend.objects.bulk_create(
        ScheduledSend(
            program=PROMO,
            step="promo",
            recipient=f"{variant.lower()}{i}@example.org",
            subject_type="test",
            subject_id=f"{variant}{i}",
            due_at=now,
            status=SendStatus.SENT,
            sent_at=now,
            idempotency_key=f"plant:{variant}:{i}",
        )
        for i in range(start, start + sent)
    )
    AbAssignment.objects.bulk_create(
        AbAssignment(send=row, test_id="promo-subject", variant=variant) for row in rows
    )
    for row in rows[:clicks]:
        clicked(row)
    for row in rows[clicks : 2 * clicks]:
        clicked(row, after=timedelta(seconds=1), bot_reason="too_soon")
    return rows


def state() -> AbTestState:
    return AbTestState.objects.get(test_id="promo-subject")


def judge() -> str:
    return judge_ab_tests(load_context().settings)["promo-subject"]


@pytest.mark.django_db
def test_a_winner_needs_500_recipients_per_variant(shop):
    configure()
    plant("A", 499, 50)
    plant("B", 500, 68)  # P(B beats A) = 96 %, but A has 499 emails
    assert judge() == "running"
    assert state().probability == pytest.approx(0.9598, abs=0.0005)
    assert state().winner == ""

    # one more email of A (not clicked): both thresholds are met
    plant("A", 1, 0, start=499)
    assert judge() == "winner"
    assert (state().winner, state().decided_at is not None) == ("B", True)
    assert state().probability == pytest.approx(0.9608, abs=0.0005)


@pytest.mark.django_db
def test_a_winner_needs_95_percent(shop):
    configure()
    plant("A", 500, 50)
    plant("B", 500, 66)  # P(B beats A) = 94 %: not yet
    assert judge() == "running"
    assert state().probability == pytest.approx(0.9424, abs=0.0005)
    # two more real clicks for B: 96 %
    clicked_rows = ScheduledSend.objects.filter(
        recipient__in=["b66@example.org", "b67@example.org"]
    )
    for row in clicked_rows:
        clicked(row, after=timedelta(hours=5))
    assert judge() == "winner"
    assert state().winner == "B"
    results = {r.name: r for r in abtests.results(abtests_test())}
    assert (results["A"].sent, results["A"].clicked) == (500, 50)
    assert (results["B"].sent, results["B"].clicked) == (500, 68)


def abtests_test():
    return load_context().settings.ab_tests.for_step(PROMO, "promo")


@pytest.mark.django_db
def test_after_the_winner_all_traffic_goes_to_it(shop, smtp_server):
    configure()
    AbTestState.objects.create(
        test_id="promo-subject",
        program=PROMO,
        step="promo",
        metric="click_rate",
        status="winner",
        winner="B",
    )
    emails = [f"later{i}@example.org" for i in range(6)]
    for email in emails:
        plan_promo(email)
    Dispatcher(threads=1).run()
    for message in smtp_server.wait_for(6):
        assert message.message["X-Ecrm-Variant"] == "promo-subject/B"
        assert message.message["Subject"] == "Only for you, at Test Shop"
    # outside the test's figures
    assert not AbAssignment.objects.filter(in_test=True).exists()
    report = abtests.test_report(load_context().settings.ab_tests)
    assert report[0]["status"] == "winner" and report[0]["winner"] == "B"


@pytest.mark.django_db
def test_the_state_is_queryable_from_the_shell(shop):
    from io import StringIO

    from django.core.management import call_command

    configure()
    plant("A", 500, 50)
    plant("B", 500, 68)
    out = StringIO()
    call_command("ecrm_ab_tests", "--judge", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        f"promo-subject on {PROMO}/promo (click_rate): winner (B),"
        " P(leader better) 96.1%"
    )
    assert lines[1:] == [
        "  A: sent 500, opened 50, clicked 50, orders 0, revenue 0.00",
        "  B: sent 500, opened 68, clicked 68, orders 0, revenue 0.00",
    ]
