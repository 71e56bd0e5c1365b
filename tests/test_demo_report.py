"""The demo's report: its numbers come from the ledger and are checked against what
the demo's SMTP sink received, message by message."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from prices import Money

from saleor_ecrm_plugin.attribution import record_conversions
from saleor_ecrm_plugin.demo.gallery import EmailGallery, kind_of
from saleor_ecrm_plugin.demo.report import (
    check_against_sink,
    format_table,
    tally_ledger,
)
from saleor_ecrm_plugin.demo.smtp_sink import SmtpSink
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.host.port import OrderFacts
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from tests.configuration import configure_plugin
from tests.programs import plan_pings


@pytest.fixture
def sink(settings):
    with SmtpSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = sink.host, sink.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield sink


def wait_for(sink: SmtpSink, count: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while len(sink.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_report_counts_agree_with_the_sink_and_each_order_counts_once(
    shop, sink, tmp_path
):
    configure_plugin()
    since = timezone.now() - timedelta(seconds=1)
    plan_pings(3)
    plan_pings(1, due_at=timezone.now() + timedelta(days=1), prefix="later")
    assert Dispatcher().run().sent == 3
    wait_for(sink, 3)

    tallies = tally_ledger(since)
    assert (tallies["test_ping"].planned, tallies["test_ping"].sent) == (4, 3)
    assert tallies["test_ping"].pending == 1
    assert check_against_sink(tallies, sink.messages, since) == []

    # one order credited to two emails: one conversion, its revenue once
    order = OrderFacts(7, "", "customer0@example.org", Money("42.50", "USD"), since)
    sent = list(ScheduledSend.objects.filter(status=SendStatus.SENT)[:2])
    assert record_conversions("test_ping", sent, order) == 2
    assert record_conversions("test_ping", sent, order) == 0  # replayed: no change
    tally = tally_ledger(since)["test_ping"]
    assert (tally.converted, tally.revenue) == (1, Decimal("42.50"))
    table = format_table(tally_ledger(since))
    assert table[0].split() == [
        "program",
        "planned",
        "sent",
        "delayed",
        "skipped",
        "cancelled",
        "failed",
        "pending",
        "converted",
        "revenue",
    ]
    assert table[1].split() == [
        "test_ping", "4", "3", "0", "0", "0", "0", "1", "1", "42.50", "USD"
    ]  # fmt: skip

    # a row the ledger calls sent that never arrived is reported
    ScheduledSend.objects.filter(status=SendStatus.PLANNED).update(
        status=SendStatus.SENT, message_id="<lost@example.org>"
    )
    problems = check_against_sink(tally_ledger(since), sink.messages, since)
    assert "test_ping row <lost@example.org> arrived 0 times" in problems
    assert "test_ping: ledger says 4 sent, sink got 3" in problems

    # the gallery shows one example of each kind first
    gallery = EmailGallery(tmp_path / "emails")
    gallery.reset()
    for message in sink.messages:
        gallery.add(message)
    page = gallery.index.read_text()
    assert kind_of(sink.messages[0]) == "test_ping/ping"
    assert page.count("<li><a href=") == 1
    assert page.count('<div class="mail" id="mail-') == 3
