"""Reactivation then list cleaning: the email read from a real SMTP server, the
sunset 30 days later, and the way back by subscribing again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service
from saleor_ecrm_plugin.preferences.models import (
    ConsentAction,
    ConsentEvent,
    EmailContact,
)
from saleor_ecrm_plugin.preferences.policy import consent_skip_reason
from saleor_ecrm_plugin.programs.registry import get_program
from saleor_ecrm_plugin.segments.service import recompute_segments
from tests.configuration import configure_plugin
from tests.segment_history import SCANNER, clicked, days_ago, opened, sent_email

SLEEPY = "sleepy@example.org"  # never reacts: sunset
WAKER = "waker@example.org"  # clicks the reactivation email: kept
SCANNED = "scanned@example.org"  # only a scanner "clicks" it: sunset
KEEN = "keen@example.org"  # engaged: never gets the email
BOUNCED = "bounced@example.org"  # inactive but hard-bounced: not planned


def configure() -> None:
    configure_plugin(
        reactivation_enabled=True,
        reactivation_subject="We kept your seat warm",
        reactivation_offer="Free delivery on your next order",
        reactivation_voucher_percentage="20",
        reactivation_sunset_days="30",
        consent_mode="everyone",
        quiet_hours="",
        frequency_cap="",
    )


def plant() -> None:
    for email in (SLEEPY, WAKER, SCANNED, BOUNCED):
        sent_email(email, days_ago(200))
        sent_email(email, days_ago(100))
    for days in (90, 60, 30):
        opened(sent_email(KEEN, days_ago(days)))
    service.suppress(BOUNCED, "hard_bounce", "provider:test")


def daily(days_later: float = 0):
    settings = load_context().settings
    now = timezone.now() + timedelta(days=days_later)
    recompute_segments(settings, now=now)
    return get_program("reactivation").daily_run(settings, now=now)


@pytest.mark.django_db
def test_inactives_get_the_reactivation_email_then_the_silent_are_sunset(
    shop, smtp_server
):
    configure()
    plant()

    assert daily() == {"sunset": 0, "planned": 3}
    rows = ScheduledSend.objects.filter(program="reactivation")
    assert sorted(rows.values_list("recipient", flat=True)) == [
        SCANNED,
        SLEEPY,
        WAKER,
    ]
    assert daily()["planned"] == 0  # one email per spell of inactivity

    report = Dispatcher(threads=1).run()
    assert report.sent == 3
    received = {m.rcpt_tos[0]: m for m in smtp_server.wait_for(3)}
    email = received[SLEEPY]
    assert email.message["Subject"] == "We kept your seat warm"
    assert email.message["X-Ecrm-Program"] == "reactivation/offer"
    assert "Free delivery on your next order" in email.text
    assert "Free delivery on your next order" in email.html
    assert "Welcome back: 20% off your next order" in email.text
    assert "    BACK" in email.text  # the single-use code
    assert str(email.message["List-Unsubscribe"]).strip().startswith("<http")
    assert email.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    sent = {s.recipient: s for s in rows}
    clicked(sent[WAKER], after=timedelta(days=2))
    clicked(sent[SCANNED], after=timedelta(seconds=3), bot_reason=SCANNER)

    # 29 days later nobody is sunset yet; 31 days later the silent two are
    assert daily(29)["sunset"] == 0
    assert daily(31) == {"sunset": 2, "planned": 0}

    contacts = {c.email: c for c in EmailContact.objects.all()}
    for email in (SLEEPY, SCANNED):
        assert contacts[email].suppressed_at is not None
        assert contacts[email].suppression_reason == "sunset"
        event = ConsentEvent.objects.get(
            contact=contacts[email], action=ConsentAction.SUPPRESSED
        )
        assert (event.scope, event.source) == ("marketing", "sunset")
        assert event.detail == (
            "no real open or click within 30 days of reactivation email"
            f" {sent[email].id}"
        )
    assert WAKER not in contacts or contacts[WAKER].suppressed_at is None
    # the bounce keeps its own reason
    assert contacts[BOUNCED].suppression_reason == "hard_bounce"
    # a sunset address gets no marketing email
    program = get_program("reactivation")
    assert consent_skip_reason(sent[SLEEPY], program, load_context().settings) == (
        "suppressed"
    )
    assert daily(32)["sunset"] == 0  # once


@pytest.mark.django_db
def test_a_sunset_address_comes_back_when_it_subscribes_again(shop, smtp_server):
    configure()
    plant()
    daily()
    Dispatcher(threads=1).run()
    smtp_server.wait_for(3)
    assert daily(31)["sunset"] == 3

    # the newsletter's double opt-in: its confirmation still reaches a sunset
    # address (the customer asked for it), and confirming lifts the sunset
    assert service.request_newsletter(SLEEPY, "test")
    assert Dispatcher(threads=1).run().sent == 1
    [confirmation] = [
        message
        for message in smtp_server.wait_for(4)
        if message.message["X-Ecrm-Program"].startswith("newsletter")
    ]
    assert confirmation.rcpt_tos == [SLEEPY]
    assert confirmation.message["X-Ecrm-Program"] == "newsletter_confirmation/confirm"
    service.confirm_newsletter(SLEEPY, "double_opt_in")
    sleepy = EmailContact.objects.get(email=SLEEPY)
    assert (sleepy.suppressed_at, sleepy.suppression_reason) == (None, "")
    assert ConsentEvent.objects.filter(
        contact=sleepy, action=ConsentAction.UNSUPPRESSED, detail="sunset"
    ).exists()

    # an opt-in on the preference page lifts it too
    service.update_preferences(
        SCANNED, categories={"reactivation": True}, source="preference_page"
    )
    assert EmailContact.objects.get(email=SCANNED).suppressed_at is None
    # a time zone change is no opt-in
    service.update_preferences(
        WAKER, time_zone="Europe/Paris", source="preference_page"
    )
    assert EmailContact.objects.get(email=WAKER).suppression_reason == "sunset"

    # the next runs do not sunset them again for the old email
    assert daily(40)["sunset"] == 0
    for email in (SLEEPY, SCANNED):
        assert EmailContact.objects.get(email=email).suppressed_at is None


@pytest.mark.django_db
def test_an_opt_in_never_lifts_a_bounce(shop):
    configure()
    service.suppress(BOUNCED, "hard_bounce", "provider:test")
    service.update_preferences(
        BOUNCED, categories={"newsletter": True}, source="preference_page"
    )
    service.confirm_newsletter(BOUNCED, "double_opt_in")
    contact = EmailContact.objects.get(email=BOUNCED)
    assert contact.suppression_reason == "hard_bounce"
    assert contact.suppressed_at is not None


@pytest.mark.django_db
def test_the_reactivation_is_skipped_for_an_address_that_came_back(shop, smtp_server):
    configure()
    plant()
    daily()
    # SLEEPY opens an older email before the reactivation goes out
    old = ScheduledSend.objects.filter(recipient=SLEEPY, program="welcome").first()
    opened(old, after=timezone.now() - old.sent_at)
    Dispatcher(threads=1).run()
    row = ScheduledSend.objects.get(program="reactivation", recipient=SLEEPY)
    assert (row.status, row.skip_reason) == (SendStatus.SKIPPED, "reengaged")
    assert SLEEPY not in [m.rcpt_tos[0] for m in smtp_server.wait_for(2)]
