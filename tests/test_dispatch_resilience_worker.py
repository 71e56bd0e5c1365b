"""The provider down, through the production path: a real Celery worker (beat every
second) keeps ticking normally while the breaker holds the emails, and sends each of
them once when the provider is back.

The worker does not import the tests' programs: these tests plan the welcome email.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.ledger import PlannedSend, plan_send
from saleor_ecrm_plugin.models import (
    DeliveryBreaker,
    ScheduledSend,
    SendAttempt,
    SendStatus,
)
from saleor_ecrm_plugin.settings_helper import DISPATCH_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    celery_worker,
    redis_broker_url,
    wait_until,
)
from tests.conftest import configure_plugin

EMAILS = 8


@pytest.mark.django_db(transaction=True)
def test_a_worker_holds_emails_while_the_provider_is_down_then_sends_each_once(
    shop,
    smtp_server,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    from saleor.account.models import User

    configure_plugin(welcome_enabled=True, retry_delay_seconds="1")
    smtp_server.handler.reply_override = lambda envelope: "421 4.3.2 Not available"
    for index in range(EMAILS):
        user = User.objects.create_user(f"user{index}@example.org", "horse-battery-1")
        plan_send(
            PlannedSend(
                program="welcome",
                step="welcome",
                recipient=user.email,
                subject_type="user",
                subject_id=str(user.pk),
                due_at=timezone.now(),
            )
        )

    def log() -> str:
        return "\n--- worker output ---\n" + celery_worker.output()

    def ticks() -> list:
        return celery_worker.task_results(DISPATCH_TASK)

    def breaker_open() -> bool:
        return DeliveryBreaker.objects.filter(open_until__gt=timezone.now()).exists()

    assert wait_until(breaker_open, 30), log()
    opened_at_tick = len(ticks())
    # the ticks go on and end normally while the breaker is open
    assert wait_until(lambda: len(ticks()) >= opened_at_tick + 2, 30), log()
    assert smtp_server.messages == []
    assert not ScheduledSend.objects.filter(status=SendStatus.FAILED).exists()
    assert SendAttempt.objects.count() <= EMAILS, log()

    smtp_server.handler.reply_override = None  # the provider is back

    def all_sent() -> bool:
        return ScheduledSend.objects.filter(status=SendStatus.SENT).count() == EMAILS

    assert wait_until(all_sent, 60), log()
    received = smtp_server.wait_for(EMAILS, timeout=5)
    assert sorted(m.rcpt_tos[0] for m in received) == sorted(
        f"user{index}@example.org" for index in range(EMAILS)
    )
    assert len({m.message["Message-ID"] for m in received}) == EMAILS
    assert DeliveryBreaker.objects.get().open_until is None
    assert sum(tick["failed"] for tick in ticks()) == 0, log()
