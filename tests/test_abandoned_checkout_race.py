"""The race issue 4 asks for: checkouts completed while their reminder is being sent,
on each host.

200 checkouts, each with its first reminder due now. Two OS processes start at the
same moment: a dispatcher sending the reminders (through a deliberately slow SMTP
server, so that sending spans the whole race) and a storefront completing all 200
checkouts through Saleor's GraphQL ``checkoutComplete`` from two threads (the
processes and the witness: ``tests/race_support.py``).

The SMTP server itself is the judge: when it receives a reminder, it asks the
database, on a connection of its own, whether the order of that checkout exists
(is committed). Any "yes" is a reminder delivered after the customer bought.

What keeps a reminder from following its order differs: on Saleor 2.10 the
``order_created`` hook runs inside the order's transaction; on 3.21 hooks run
after the commit, and the send guard holds the checkout's row ``FOR UPDATE``, the
lock checkout completion takes (``host/saleor321/locks.py``). The property is the
same.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import graphene
import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import load_context
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import (
    PROGRAM_ID,
    abandoned_checkout_program,
)
from tests.celery_support import child_env, stop_process_group, wait_until
from tests.configuration import configure_plugin
from tests.factories import make_product
from tests.orders import CHECKOUT_COMPLETE, checkouts_ready_to_complete
from tests.race_support import STOREFRONT_PROCESS, OrderWitness, start_process
from tests.test_abandoned_checkout import PLUGIN_VALUES
from tests.test_dispatch_race import DISPATCHER_PROCESS

pytestmark = pytest.mark.django_db(transaction=True)

CHECKOUTS = 200


def test_no_reminder_is_delivered_after_its_order_exists(
    shop, smtp_server, tmp_path: Path
) -> None:
    from saleor.order.models import Order

    configure_plugin(**PLUGIN_VALUES)
    product = make_product("Race Shoes", price="50.00", stock=CHECKOUTS * 2)
    tokens = checkouts_ready_to_complete(
        product, [f"racer{number}@example.com" for number in range(CHECKOUTS)]
    )
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
    env = child_env(
        smtp_server.port, DJANGO_SETTINGS_MODULE=os.environ["DJANGO_SETTINGS_MODULE"]
    )
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
                CHECKOUT_COMPLETE,
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
        assert wait_until(lambda: all(p.exists() for p in ready), 90), logs()
        start.touch()
        for process in processes:
            # 3.21's checkoutComplete with the eager tasks of the order takes about
            # a second on a busy 2-CPU machine: 200 of them from two threads
            process.wait(timeout=900)
        assert all(p.returncode == 0 for p in processes), logs()
    finally:
        for process in processes:
            if process.poll() is None:
                stop_process_group(process)
        witness.connection.close()

    # every checkout became an order
    completed = json.loads((tmp_path / "orders").read_text())
    assert all(r["errors"] == [] for r in completed.values()), completed
    assert Order.objects.filter(checkout_token__in=tokens).count() == CHECKOUTS

    # THE property: no reminder reached the mail server once its order existed
    assert witness.late == []

    first = ScheduledSend.objects.filter(program=PROGRAM_ID, step="step1")
    outcomes = Counter(
        (send.status, send.skip_reason) for send in first.only("status", "skip_reason")
    )
    sent = outcomes[(SendStatus.SENT, "")]
    cart_messages = [m for m in smtp_server.messages if "cart" in m.message["Subject"]]
    assert sent == witness.checked == len(cart_messages)
    # the race really happened: some reminders went before their order, the others
    # were stopped by it (cancelled by order_created, or skipped by the re-check of
    # a reminder already claimed), none is left over
    stopped = sum(
        n
        for (status, reason), n in outcomes.items()
        if status in (SendStatus.SKIPPED, SendStatus.CANCELLED)
        and reason in ("checkout_converted", "checkout_deleted")
    )
    assert sent > 0 and stopped > 0, outcomes
    assert sent + stopped == CHECKOUTS, outcomes
    # later steps were all cancelled once the order was placed
    later = ScheduledSend.objects.filter(program=PROGRAM_ID).exclude(step="step1")
    assert set(later.values_list("status", flat=True)) == {SendStatus.CANCELLED}
