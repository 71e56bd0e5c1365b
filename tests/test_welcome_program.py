"""The smallest program, end to end: Saleor's accountRegister -> ledger -> SMTP, on
each host (``register``: Saleor's own mutation in the host's shape)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from tests.configuration import configure_plugin
from tests.graphql import register


@pytest.mark.django_db(transaction=True)
def test_account_registered_through_graphql_gets_one_welcome_email(
    shop, api_client, smtp_server
):
    configure_plugin(welcome_enabled=True, welcome_delay_minutes="10")

    register(api_client, "ada@example.org", "correct-horse-1")

    send = ScheduledSend.objects.get(program="welcome")
    assert send.recipient == "ada@example.org"
    assert send.status == SendStatus.PLANNED
    assert send.due_at > timezone.now() + timedelta(minutes=9)

    # not due yet: nothing goes out
    assert Dispatcher().run().claimed == 0
    assert smtp_server.messages == []

    ScheduledSend.objects.update(next_attempt_at=timezone.now())
    report = Dispatcher().run()
    assert report.sent == 1

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ada@example.org"]
    headers = received.message
    assert headers["To"] == "ada@example.org"
    assert headers["From"] == "Test Shop <hello@shop.example.com>"
    assert headers["Subject"] == "Welcome to Test Shop"
    assert headers["X-Ecrm-Program"] == "welcome/welcome"
    assert "your account at Test Shop is ready" in received.text
    assert "Visit the shop" in received.html

    send.refresh_from_db()
    assert send.status == SendStatus.SENT
    assert send.message_id == headers["Message-ID"]
    assert send.attempt_log.get().outcome == "sent"

    # a second run sends nothing more
    assert Dispatcher().run().claimed == 0
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_welcome_is_not_planned_while_the_program_is_off(shop, api_client):
    configure_plugin(welcome_enabled=False)
    register(api_client, "bob@example.org", "correct-horse-1")
    assert not ScheduledSend.objects.exists()
