"""The production path of the daily recompute: a real Celery worker runs the task
over Redis, against the test database."""

from __future__ import annotations

import pytest
from celery import Celery

from saleor_ecrm_plugin.segments.models import ContactEngagement
from saleor_ecrm_plugin.settings_helper import SEGMENTS_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.segment_history import clicked, days_ago, opened, sent_email


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recomputes_the_levels(
    shop,
    redis_broker_url,  # noqa: F811  (the imported fixture)
    celery_worker,  # noqa: F811
):
    configure_plugin()
    sends = [sent_email("keen@example.org", days_ago(d)) for d in (50, 40, 30)]
    for send in sends:
        opened(send)
    clicked(sends[0])
    sent_email("quiet@example.org", days_ago(250))

    # a sender of its own, not made the current app: the shop's tasks in later
    # tests must still run eagerly in Saleor's app
    sender = Celery(broker=redis_broker_url, set_as_current=False)
    try:
        sender.send_task(SEGMENTS_TASK)
    finally:
        sender.close()

    def done() -> bool:
        return bool(celery_worker.task_results(SEGMENTS_TASK))

    assert wait_until(done, 60), celery_worker.output()
    [result] = celery_worker.task_results(SEGMENTS_TASK)
    assert result["active"] == 1 and result["inactive"] == 1, result
    assert dict(ContactEngagement.objects.values_list("email", "level")) == {
        "keen@example.org": "active",
        "quiet@example.org": "inactive",
    }
