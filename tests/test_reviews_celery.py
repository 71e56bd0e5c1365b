"""The production path for review requests: a real Celery worker (with beat) sends
the request planned by Saleor's fulfilment, over Redis and a real SMTP server."""

from __future__ import annotations

import pytest

from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.settings_helper import DISPATCH_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_order, make_product
from tests.orders import ship


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_review_request_of_a_shipped_order(
    shop,
    smtp_server,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    configure_plugin(
        review_request_enabled=True,
        review_request_delay_days="0",
        review_request_reminder_days="0",
        quiet_hours="",
        frequency_cap="",
    )
    order = make_order([make_product("Tent")], email="grace@example.org")
    ship(order)  # Saleor's own fulfilment: the plugin's hook plans on commit
    send = ScheduledSend.objects.get(program="review_request")

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    sent = wait_until(
        lambda: any(t["sent"] for t in celery_worker.task_results(DISPATCH_TASK)), 30
    )
    assert sent, log()
    [received] = smtp_server.wait_for(1, timeout=5)
    assert received.rcpt_tos == ["grace@example.org"]
    assert received.message["X-Ecrm-Program"] == "review_request/request"
    assert received.message["Subject"] == "How do you like your order from Test Shop?"
    assert received.html.count("?rating=") == 5
    send.refresh_from_db()
    assert send.status == SendStatus.SENT, log()
    assert send.message_id == received.message["Message-ID"]
