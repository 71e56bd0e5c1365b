"""Cart reminders on the production path: a real Celery worker with beat on Redis
runs the checkout scan and the dispatcher; the reminder arrives at a real SMTP
server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.programs.abandoned_checkout.program import PROGRAM_ID
from saleor_ecrm_plugin.settings_helper import DISPATCH_TASK, SCAN_CHECKOUTS_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_product
from tests.graphql import create_checkout, line
from tests.test_abandoned_checkout import PLUGIN_VALUES


@pytest.mark.django_db(transaction=True)
def test_beat_scans_checkouts_and_the_worker_sends_the_reminder(
    shop,
    smtp_server,
    api_client,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    lamp = make_product("Camp Lamp", price="15.50")
    # made while reminders are off: only the beat's scan can find this checkout
    configure_plugin(**{**PLUGIN_VALUES, "abandoned_enabled": False})
    create_checkout(api_client, "hal@example.com", [line(lamp)])
    configure_plugin(**PLUGIN_VALUES)

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    reminders = ScheduledSend.objects.filter(program=PROGRAM_ID)
    assert wait_until(lambda: reminders.count() == 3, 30), log()
    # the worker logs the task's result just after its transaction committed
    assert wait_until(
        lambda: any(
            scan["planned"] == 3
            for scan in celery_worker.task_results(SCAN_CHECKOUTS_TASK)
        ),
        10,
    ), log()

    reminders.filter(step="step1").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert wait_until(lambda: len(smtp_server.messages) == 1, 30), log()
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["hal@example.com"]
    assert "1 x Camp Lamp: $15.50" in received.text
    # the dispatcher's run has ended (its result is logged): the mark is committed
    assert wait_until(
        lambda: sum(t["sent"] for t in celery_worker.task_results(DISPATCH_TASK)) == 1,
        10,
    ), log()
    assert reminders.get(step="step1").status == SendStatus.SENT
