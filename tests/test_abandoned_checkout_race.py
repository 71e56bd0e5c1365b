"""The race issue 4 asks for: checkouts completed while their reminder is being sent.

200 checkouts, each with its first reminder due now. Two OS processes start at the
same moment: a dispatcher sending the reminders (through a deliberately slow SMTP
server, so that sending spans the whole race) and a storefront completing all 200
checkouts through Saleor's GraphQL ``checkoutComplete`` from two threads.

The SMTP server itself is the judge: when it receives a reminder, it asks the
database, on a connection of its own, whether the order of that checkout exists
(is committed). Any "yes" is a reminder delivered after the customer bought.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import List

import graphene
import pytest
from django.utils import timezone
from saleor.checkout import calculations
from saleor.checkout.models import Checkout
from saleor.checkout.utils import add_variant_to_checkout
from saleor.order.models import Order
from saleor.payment.utils import create_payment
from saleor.shipping.models import ShippingMethod

from saleor_ecrm_plugin.dispatcher import load_context
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
    PROGRAM_ID,
    abandoned_checkout_program,
)
from tests.celery_support import child_env, stop_process_group, wait_until
from tests.configuration import configure_plugin
from tests.factories import make_address, make_product, variant_of
from tests.race_support import STOREFRONT_PROCESS, OrderWitness, start_process
from tests.test_abandoned_checkout import PLUGIN_VALUES
from tests.test_dispatch_race import DISPATCHER_PROCESS

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUTS = 200

COMPLETE = """mutation Complete($id: ID!) { checkoutComplete(checkoutId: $id) {
  checkoutErrors { code message } order { id } } }"""


def prepare_checkouts(count: int) -> List[str]:
    """Checkouts ready for ``checkoutComplete``: lines, addresses, shipping, payment."""
    product = make_product("Race Shoes", price="50.00", stock=count * 2)
    variant = variant_of(product)
    method = ShippingMethod.objects.get()
    tokens = []
    for number in range(count):
        checkout = Checkout.objects.create(
            email=f"racer{number}@example.com",
            shipping_address=make_address(),
            billing_address=make_address(),
            shipping_method=method,
        )
        add_variant_to_checkout(checkout, variant, 1)
        total = calculations.checkout_total(checkout=checkout, lines=list(checkout))
        create_payment(
            gateway="mirumee.payments.dummy",
            total=total.gross.amount,
            currency=total.currency,
            email=checkout.email,
            payment_token="charged",
            checkout=checkout,
        )
        tokens.append(str(checkout.token))
    return tokens


def test_no_reminder_is_delivered_after_its_order_exists(shop, smtp_server, tmp_path):
    configure_plugin(**PLUGIN_VALUES)
    tokens = prepare_checkouts(CHECKOUTS)
    program = abandoned_checkout_program()
    settings = load_context().settings
    for token in tokens:
        program.note_activity(settings, token)
    # every first reminder falls due now, in the order of ``tokens``; the storefront
    # completes them in the opposite order, so the two meet in the middle
    now = timezone.now()
    for number, token in enumerate(tokens):
        ScheduledSend.objects.filter(step="step1", subject_id=token).update(
            next_attempt_at=now - timedelta(milliseconds=CHECKOUTS - number)
        )

    witness = OrderWitness()
    smtp_server.handler.reply_override = witness
    ids = tmp_path / "ids.json"
    ids.write_text(
        json.dumps(
            [graphene.Node.to_global_id("Checkout", t) for t in reversed(tokens)]
        )
    )
    start = tmp_path / "start"
    env = child_env(smtp_server.port)
    processes = [
        start_process(
            DISPATCHER_PROCESS,
            ["10", str(tmp_path / "ready-d"), str(start), str(tmp_path / "dispatch")],
            env,
            tmp_path / "dispatcher.log",
        ),
        start_process(
            STOREFRONT_PROCESS,
            [
                str(ids),
                str(tmp_path / "ready-s"),
                str(start),
                str(tmp_path / "orders"),
                COMPLETE,
            ],
            env,
            tmp_path / "storefront.log",
        ),
    ]

    def logs() -> str:
        return "".join(
            f"\n--- {path.name} ---\n{path.read_text(errors='replace')[-3000:]}"
            for path in tmp_path.glob("*.log")
        )

    try:
        ready = [tmp_path / "ready-d", tmp_path / "ready-s"]
        assert wait_until(lambda: all(p.exists() for p in ready), 60), logs()
        start.touch()
        for process in processes:
            process.wait(timeout=120)
        assert all(p.returncode == 0 for p in processes), logs()
    finally:
        for process in processes:
            if process.poll() is None:
                stop_process_group(process)
        witness.connection.close()

    # every checkout became an order
    completed = json.loads((tmp_path / "orders").read_text())
    assert all(r["checkoutErrors"] == [] for r in completed.values()), completed
    assert Order.objects.filter(checkout_token__in=tokens).count() == CHECKOUTS

    # THE property: no reminder reached the mail server once its order existed
    assert witness.late == []

    first = ScheduledSend.objects.filter(program=PROGRAM_ID, step="step1")
    outcomes = Counter(
        (send.status, send.skip_reason) for send in first.only("status", "skip_reason")
    )
    sent = outcomes[(SendStatus.SENT, "")]
    assert (
        sent
        == witness.checked
        == len([m for m in smtp_server.messages if "cart" in m.message["Subject"]])
    )
    # the race really happened: some reminders went before their order, the others
    # were stopped by it (cancelled by order_created, or skipped by the re-check of
    # a reminder already claimed), none is left over
    assert sent > 0, outcomes
    stopped = sum(
        n
        for (status, reason), n in outcomes.items()
        if status in (SendStatus.SKIPPED, SendStatus.CANCELLED)
        and reason in ("checkout_converted", "checkout_deleted")
    )
    assert sent + stopped == CHECKOUTS, outcomes
    assert stopped > 0, outcomes
    # later steps were all cancelled by order_created
    later = ScheduledSend.objects.filter(program=PROGRAM_ID).exclude(step="step1")
    assert set(later.values_list("status", flat=True)) == {SendStatus.CANCELLED}
