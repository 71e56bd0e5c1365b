"""The production path of reorder reminders: a real ``celery worker -B`` on Redis
runs the learning and planning scans from beat (1 s here instead of daily and
hourly), then the dispatcher delivers the reminder once to a real SMTP server."""

from __future__ import annotations

from datetime import timedelta
from typing import Iterator

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.programs.manifest import RUN_SCAN_TASK
from tests.celery_support import (  # noqa: F401  (redis_broker_url: a fixture)
    CeleryWorker,
    child_env,
    redis_broker_url,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.factories import make_order, make_product


@pytest.fixture
def lifecycle_worker(
    transactional_db,
    smtp_server,
    redis_broker_url,  # noqa: F811  (the imported fixture)
    tmp_path,
) -> Iterator[CeleryWorker]:
    env = child_env(
        smtp_server.port,
        CELERY_BROKER_URL=redis_broker_url,
        ECRM_DISPATCH_INTERVAL="1",
        ECRM_CHECKOUT_SCAN_INTERVAL="60",
        ECRM_LIFECYCLE_SCAN_INTERVAL="1",
    )
    worker = CeleryWorker(env, tmp_path)
    try:
        yield worker.start()
    finally:
        worker.stop()


@pytest.mark.django_db(transaction=True)
def test_beat_learns_plans_and_the_worker_sends_the_reminder_once(
    shop, smtp_server, request
):
    configure_plugin(
        replenishment_enabled=True, replenishment_min_repeats="2", quiet_hours=""
    )
    now = timezone.now()
    coffee = make_product("Coffee beans", price="12.00")
    for number in range(2):
        for age in (100, 70):  # 30 days a bag
            make_order(
                [coffee],
                email=f"past{number}@example.org",
                created=now - timedelta(age),
            )
    make_order([coffee], email="ada@example.org", created=now - timedelta(23))

    worker = request.getfixturevalue("lifecycle_worker")

    def log() -> str:
        return "\n--- worker output ---\n" + worker.output()

    def planned() -> int:
        return sum(
            result.get("planned", 0) for result in worker.task_results(RUN_SCAN_TASK)
        )

    assert wait_until(lambda: planned() >= 1, 40), log()
    [received] = smtp_server.wait_for(1, timeout=20)
    assert received.rcpt_tos == ["ada@example.org"]
    assert received.message["Subject"] == "Time to reorder Coffee beans?"
    assert received.message["X-Ecrm-Program"] == "replenishment/reminder"
    # more scan and dispatch ticks: nothing more
    ticks = len(worker.task_results(RUN_SCAN_TASK))
    assert wait_until(lambda: len(worker.task_results(RUN_SCAN_TASK)) >= ticks + 4, 20)
    assert len(smtp_server.messages) == 1, log()
    assert planned() == 1, log()
