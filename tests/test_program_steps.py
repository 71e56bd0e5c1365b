"""The steps a program answers for the dispatcher: the re-check only decides, the
prepare step makes the side effects, the replan step writes the new plan.

Cart reminders are the program whose re-check used to write ledger rows and whose
"message" used to create a Saleor voucher."""

from __future__ import annotations

import pytest
from django.utils import timezone
from saleor.discount.models import Voucher

from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.decision import SEND
from tests.program_cases import AbandonedCheckoutCase


@pytest.fixture
def cart(shop) -> AbandonedCheckoutCase:
    case = AbandonedCheckoutCase()
    case.configure()
    case.setup()
    case.plan()
    return case


def ledger():
    return sorted(
        ScheduledSend.objects.values_list("id", "step", "status", "skip_reason")
    )


def test_a_changed_cart_is_a_skip_asking_for_a_new_plan_and_the_recheck_writes_nothing(
    cart,
):
    step1 = cart.rows().get(step="step1")
    assert cart.program.recheck(step1, cart.settings) == SEND
    before = ledger()

    line = cart.checkout.lines.get()
    line.quantity = 5  # Saleor 2.10's line update does not touch last_change
    line.save()
    decision = cart.program.recheck(step1, cart.settings)

    assert decision.skip_reason == "checkout_changed"
    assert decision.replan and decision.replan_activity is not None
    assert ledger() == before  # nothing cancelled, nothing planned

    cart.program.replan(step1, cart.settings, decision)
    old = cart.rows().filter(pk__in=[row[0] for row in before])
    assert set(old.values_list("status", flat=True)) == {SendStatus.CANCELLED}
    new = cart.rows().filter(status=SendStatus.PLANNED)
    assert sorted(new.values_list("step", flat=True)) == ["step1", "step2", "step3"]
    assert all(row.due_at > timezone.now() for row in new)


def test_the_last_steps_voucher_is_made_by_prepare_not_by_the_recheck(cart):
    last = cart.rows().get(step="step3")
    assert cart.program.recheck(last, cart.settings) == SEND
    assert not Voucher.objects.exists()

    spec = cart.program.prepare(last, cart.settings)

    assert spec.template == "ecrm/abandoned_checkout_last"
    voucher = Voucher.objects.get()
    assert spec.context["voucher"].code == voucher.code
    # a retried send gets the same voucher
    assert cart.program.prepare(last, cart.settings).context["voucher"].code == (
        voucher.code
    )
    assert Voucher.objects.count() == 1
