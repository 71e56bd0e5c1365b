"""Attribution by click on the production path: the order's hook enqueues
``order_placed`` on Redis and a real Celery worker credits the clicked email."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from saleor_ecrm_plugin.engagement.models import ClickConversion, EmailClick
from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.programs.abandoned_checkout.program import PROGRAM_ID
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_product
from tests.graphql import create_checkout, line
from tests.orders import complete_checkout
from tests.test_click_tracking import BROWSER, PLUGIN_VALUES, tracked


@pytest.mark.django_db(transaction=True)
def test_the_worker_credits_the_order_to_the_clicked_email(
    shop,
    smtp_server,
    api_client,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    lamp = make_product("Camp Lamp", price="15.50")
    configure_plugin(**PLUGIN_VALUES)
    checkout = create_checkout(api_client, "ida@example.com", [line(lamp)])

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    reminders = ScheduledSend.objects.filter(program=PROGRAM_ID)
    assert wait_until(lambda: reminders.count() == 3, 30), log()
    reminders.filter(step="step1").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert wait_until(lambda: len(smtp_server.messages) == 1, 30), log()
    assert wait_until(lambda: reminders.get(step="step1").sent_at is not None, 10)
    send = reminders.get(step="step1")
    ScheduledSend.objects.filter(pk=send.pk).update(
        sent_at=timezone.now() - timedelta(hours=2)
    )
    [received] = smtp_server.messages
    link = tracked(received)[0]
    assert Client().get(urlsplit(link).path, HTTP_USER_AGENT=BROWSER).status_code == 302
    assert EmailClick.objects.get().bot_reason == ""

    order_id = complete_checkout(api_client, checkout)
    assert wait_until(lambda: ClickConversion.objects.exists(), 30), log()
    credit = ClickConversion.objects.get()
    assert (credit.order_id, credit.send_id) == (str(order_id), send.pk)
