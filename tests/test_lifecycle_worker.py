"""The production path of the lifecycle scans: a real Celery worker on Redis runs
the RFM recompute and the win-back scan (sent by name, as beat does once a day),
then the dispatcher it runs from beat delivers to a real SMTP server."""

from __future__ import annotations

import pytest

from saleor_ecrm_plugin.models import ScheduledSend
from saleor_ecrm_plugin.programs.manifest import RUN_SCAN_TASK
from saleor_ecrm_plugin.rfm.models import RfmScore
from saleor_ecrm_plugin.settings_helper import RFM_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_product
from tests.purchase_history import order_days_ago


@pytest.mark.django_db(transaction=True)
def test_the_worker_scores_then_scans_then_sends_once(
    shop,
    smtp_server,
    redis_broker_url,  # noqa: F811
    celery_worker,  # noqa: F811
):
    from celery import Celery

    configure_plugin(win_back_enabled=True, quiet_hours="")
    lamp = make_product("Camp Lamp")
    order_days_ago([lamp], "gone@example.org", 91)
    order_days_ago([lamp], "recent@example.org", 2)

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    client = Celery(broker=redis_broker_url, set_as_current=False)
    client.send_task(RFM_TASK)
    assert wait_until(lambda: celery_worker.task_results(RFM_TASK), 60), log()
    assert celery_worker.task_results(RFM_TASK) == [{"contacts": 2}], log()
    assert RfmScore.objects.count() == 2

    client.send_task(RUN_SCAN_TASK, args=("win_back", "plan_win_backs"))
    assert wait_until(lambda: celery_worker.task_results(RUN_SCAN_TASK), 60), log()
    [counts] = celery_worker.task_results(RUN_SCAN_TASK)
    assert counts["planned"] == 1, log()

    [received] = smtp_server.wait_for(1, timeout=30)
    assert received.rcpt_tos == ["gone@example.org"]
    assert received.message["X-Ecrm-Program"] == "win_back/day90"
    # the worker records the delivery just after the SMTP server has the message
    assert wait_until(
        lambda: ScheduledSend.objects.get(program="win_back").status == "sent", 30
    ), log()
