"""The production path: Celery beat ticks, a real worker dispatches over Redis and SMTP.

The worker is ``celery worker -B`` of the running interpreter's environment, started
as its own process against the test database (see ``tests/celery_support.py``). It
does not import the tests' ping program, so these tests plan the real welcome email.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.ledger import PlannedSend, plan_send
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.settings_helper import DISPATCH_TASK
from tests.celery_support import (  # noqa: F401  (celery_worker, redis_broker_url: fixtures)
    SETTINGS_MODULE,
    celery_worker,
    redis_broker_url,
    run_script,
    venv_script,
    wait_until,
)
from tests.configuration import configure_plugin
from tests.hosts import SALEOR3


def run_celery(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=SETTINGS_MODULE)
    env.pop("CELERY_BROKER_URL", None)
    return run_script([str(venv_script("celery")), *args], env)


def test_the_celery_command_starts_on_this_python():
    # On 3.11 the `celery` script imports vine before any app code: only the venv's
    # .pth start-up hook can have restored inspect.formatargspec by then.
    version = run_celery("--version")
    assert version.returncode == 0, version.stderr
    # celery 4 on Saleor 2.10, Saleor 3.21's own celery 5
    assert version.stdout.startswith("5." if SALEOR3 else "4."), version.stdout

    # loading Saleor's app also loads the demo settings, beat schedule included
    report = run_celery("-A", "saleor.celeryconf:app", "report")
    assert report.returncode == 0, report.stderr
    assert "'ecrm-dispatch-due-sends'" in report.stdout, report.stdout
    assert DISPATCH_TASK in report.stdout


@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_send_a_due_welcome_email_exactly_once(
    shop,
    smtp_server,
    celery_worker,  # noqa: F811  (the imported fixture)
):
    from saleor.account.models import User

    configure_plugin(welcome_enabled=True)
    user = User.objects.create_user("grace@example.org", "correct-horse-1")
    assert plan_send(
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

    assert wait_until(lambda: any(tick["sent"] for tick in ticks()), 30), log()
    received = smtp_server.wait_for(1, timeout=5)
    sent_at_tick = next(i for i, tick in enumerate(ticks()) if tick["sent"])
    # two more complete beat ticks after the one that sent
    assert wait_until(lambda: len(ticks()) >= sent_at_tick + 3, 15), log()

    assert len(smtp_server.messages) == 1, log()
    [message] = received
    assert message.rcpt_tos == ["grace@example.org"]
    assert message.message["To"] == "grace@example.org"
    assert message.message["Subject"] == "Welcome to Test Shop"
    assert message.message["X-Ecrm-Program"] == "welcome/welcome"

    send = ScheduledSend.objects.get()
    assert send.status == SendStatus.SENT, log()
    assert send.message_id and send.message_id == message.message["Message-ID"]
    assert send.attempts == 1
    assert [a.outcome for a in send.attempt_log.all()] == ["sent"]
    assert sum(tick["sent"] for tick in ticks()) == 1, log()
    assert sum(tick["claimed"] for tick in ticks()) == 1, log()
