"""The shared SMTP sink: capture, counting, the provider's reply delay and its
connection limit, driven by Python's own smtplib."""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage

import pytest

from saleor_ecrm_plugin.testing.smtp import (
    TOO_MANY_CONNECTIONS,
    SmtpSink,
    SmtpSinkProcess,
)


def message(number: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "shop@example.com"
    msg["To"] = f"customer{number}@example.org"
    msg["Subject"] = f"Hello {number}"
    msg["X-Ecrm-Program"] = "welcome/welcome"
    msg.set_content("plain body")
    msg.add_alternative("<p>html body</p>", subtype="html")
    return msg


def test_the_sink_captures_envelope_headers_and_bodies():
    with SmtpSink() as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            client.send_message(message(1))
            client.send_message(message(2))
        [first, second] = sink.wait_for(2)
    assert (first.number, second.number) == (1, 2)
    assert first.mail_from == "shop@example.com"
    assert first.rcpt_tos == ["customer1@example.org"]
    assert first.message["Subject"] == first.subject == "Hello 1"
    assert first.program == "welcome/welcome"
    assert first.text.strip() == "plain body"
    assert first.html.strip() == "<p>html body</p>"
    assert b"Subject: Hello 1" in first.raw
    assert sink.count == 2


def test_a_counting_sink_keeps_no_messages_and_calls_no_callback():
    seen = []
    with SmtpSink(on_message=seen.append, capture=False) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            for number in range(3):
                client.send_message(message(number))
    assert sink.count == 3
    assert sink.messages == []
    assert seen == []


def test_refusal_hooks_refuse_and_nothing_is_recorded():
    with SmtpSink() as sink:
        sink.handler.rcpt_override = lambda address: "550 5.1.1 No such user"
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(message(1))
    assert sink.count == 0
    assert sink.messages == []


def test_the_connection_over_the_limit_is_refused_with_421_and_the_others_work():
    with SmtpSink(max_connections=2) as sink:
        first = smtplib.SMTP(sink.host, sink.port, timeout=10)
        second = smtplib.SMTP(sink.host, sink.port, timeout=10)
        with pytest.raises(smtplib.SMTPConnectError) as refused:
            smtplib.SMTP(sink.host, sink.port, timeout=10)
        assert refused.value.smtp_code == 421
        assert refused.value.smtp_error.decode() == TOO_MANY_CONNECTIONS[4:]
        first.send_message(message(1))
        second.send_message(message(2))
        first.quit()
        # a closed session frees its place
        deadline = time.monotonic() + 10
        while sink.gate.active >= 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        third = smtplib.SMTP(sink.host, sink.port, timeout=10)
        third.send_message(message(3))
        third.quit()
        second.quit()
    assert sink.count == 3
    assert sink.refused_connections == 1
    assert sink.peak_connections == 2


def test_each_reply_waits_the_configured_delay():
    # a lower bound only: waiting longer (a busy machine) cannot fail it
    delay = 0.2
    with SmtpSink(reply_delay=delay) as sink:
        started = time.monotonic()
        client = smtplib.SMTP(sink.host, sink.port, timeout=10)  # greeting
        client.ehlo()  # a multi-line reply: delayed once
        after_ehlo = time.monotonic() - started
        client.send_message(message(1))  # MAIL, RCPT, DATA (354), the final 250
        elapsed = time.monotonic() - started
        client.close()
    assert after_ehlo >= 2 * delay * 0.95
    assert elapsed >= 6 * delay * 0.95
    assert sink.count == 1


def test_bad_settings_are_refused_before_anything_starts():
    with pytest.raises(ValueError, match="max_connections"):
        SmtpSink(max_connections=0)
    with pytest.raises(ValueError, match="reply_delay"):
        SmtpSinkProcess(reply_delay=-1)


def test_the_process_sink_counts_and_refuses_across_processes():
    with SmtpSinkProcess(max_connections=1) as sink:
        client = smtplib.SMTP("127.0.0.1", sink.port, timeout=10)
        with pytest.raises(smtplib.SMTPConnectError):
            smtplib.SMTP("127.0.0.1", sink.port, timeout=10)
        client.send_message(message(1))
        client.quit()
        deadline = time.monotonic() + 10
        while sink.count < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.count == 1
        assert sink.refused_connections == 1
        assert sink.peak_connections == 1
