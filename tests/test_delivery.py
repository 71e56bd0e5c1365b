"""The Courier: Django's backend's public ``send_messages`` on one reused connection,
its failures classified, against a real SMTP server (tests/smtp.py)."""

from __future__ import annotations

import smtplib
from unittest import mock

import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives

from saleor_ecrm_plugin import delivery
from saleor_ecrm_plugin.delivery import Courier, classify_failure
from saleor_ecrm_plugin.errors import (
    InvalidAddress,
    PermanentSendError,
    ProviderUnavailable,
    TransientSendError,
)


def _message(to: str = "ada@example.org", body: str = "Hello") -> EmailMessage:
    return EmailMessage("Hi", body, "Shop <shop@example.org>", [to])


def test_one_connection_is_opened_and_reused_for_every_message(smtp_server):
    opened = []
    real = delivery.get_connection

    def spy(**kwargs):
        connection = real(**kwargs)
        opened.append(connection)
        return connection

    with mock.patch.object(delivery, "get_connection", spy), Courier() as courier:
        courier.deliver(_message("ada@example.org"))
        smtp = opened[0].connection  # Django's SMTP backend's open smtplib session
        courier.deliver(_message("grace@example.org"))
        courier.deliver(_message("alan@example.org"))
        assert opened[0].connection is smtp
    assert len(opened) == 1
    assert opened[0].connection is None  # closed when the courier is
    received = smtp_server.wait_for(3)
    assert [r.rcpt_tos for r in received] == [
        ["ada@example.org"],
        ["grace@example.org"],
        ["alan@example.org"],
    ]
    assert {r.mail_from for r in received} == {"shop@example.org"}


def test_lines_starting_with_a_dot_arrive_as_written(smtp_server):
    body = ".starts with a dot\nmiddle\n..two dots\n.\nlast line"
    with Courier() as courier:
        courier.deliver(_message(body=body))
    [received] = smtp_server.wait_for(1)
    assert received.text.replace("\r\n", "\n").rstrip("\n") == body


@pytest.mark.parametrize(
    "where, reply, error",
    [
        ("rcpt", "550 5.1.1 No such user", InvalidAddress),
        ("rcpt", "450 4.2.1 Try again later", TransientSendError),
        ("mail", "451 4.3.0 Busy", TransientSendError),
        ("mail", "553 5.7.1 Not allowed", PermanentSendError),
    ],
)
def test_the_courier_classifies_envelope_refusals(smtp_server, where, reply, error):
    setattr(smtp_server.handler, f"{where}_override", lambda address: reply)
    with Courier() as courier, pytest.raises(error) as raised:
        courier.deliver(_message())
    assert reply.split()[0] in str(raised.value)
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "reply, error",
    [
        ("554 5.6.0 Rejected", PermanentSendError),
        ("452 4.3.1 Full", TransientSendError),
    ],
)
def test_the_courier_classifies_a_refused_message(smtp_server, reply, error):
    smtp_server.handler.reply_override = lambda envelope: reply
    with Courier() as courier, pytest.raises(error):
        courier.deliver(_message())


def test_after_a_failure_the_next_message_goes_out_on_a_new_connection(smtp_server):
    smtp_server.handler.rcpt_override = lambda address: (
        "550 5.1.1 No such user" if address.startswith("gone") else None
    )
    with Courier() as courier:
        with pytest.raises(InvalidAddress):
            courier.deliver(_message("gone@example.org"))
        courier.deliver(_message("ada@example.org"))
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["ada@example.org"]


def test_a_server_that_is_down_is_a_transient_failure(settings):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    with Courier() as courier, pytest.raises(TransientSendError) as raised:
        courier.deliver(_message())
    assert "ConnectionRefusedError" in str(raised.value)


def test_another_backend_goes_through_the_same_call(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = EmailMultiAlternatives("Hi", "Hello", "shop@example.org", ["a@b.org"])
    message.attach_alternative("<p>Hello</p>", "text/html")
    with Courier() as courier:
        courier.deliver(message)
        courier.deliver(_message())
    # Django 5 keeps a copy of each message in the outbox, Django 3.0 the message
    assert len(mail.outbox) == 2
    assert (mail.outbox[0].subject, mail.outbox[0].to) == ("Hi", ["a@b.org"])
    assert mail.outbox[0].alternatives[0][0] == "<p>Hello</p>"


@pytest.mark.parametrize(
    "exc, error",
    [
        (smtplib.SMTPServerDisconnected("gone"), ProviderUnavailable),
        (TimeoutError("timed out"), ProviderUnavailable),
        (ConnectionRefusedError(111, "refused"), ProviderUnavailable),
        (smtplib.SMTPResponseException(421, b"closing"), ProviderUnavailable),
        (smtplib.SMTPDataError(552, b"too big"), PermanentSendError),
        (smtplib.SMTPSenderRefused(553, b"no", "s@x.org"), PermanentSendError),
        (smtplib.SMTPRecipientsRefused({"a@x.org": (550, b"no")}), InvalidAddress),
        (
            smtplib.SMTPRecipientsRefused({"a@x.org": (451, b"later")}),
            TransientSendError,
        ),
        (UnicodeEncodeError("ascii", "é", 0, 1, "no"), PermanentSendError),
    ],
)
def test_classify_failure(exc, error):
    assert type(classify_failure(exc)) is error
