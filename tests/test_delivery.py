"""The Courier's SMTP transaction, against a real SMTP server (tests/smtp.py)."""

from __future__ import annotations

import smtplib

import pytest
from django.core.mail import EmailMessage

from saleor_ecrm_plugin.delivery import Courier, send_mail_transaction
from saleor_ecrm_plugin.errors import InvalidAddress, TransientSendError

# lines that SMTP's end-of-data marker makes special: a leading dot, two, a lone dot
DOTTED = (
    b"From: shop@example.org\r\nTo: ada@example.org\r\nSubject: Dots\r\n\r\n"
    b".starts with a dot\r\nmiddle\r\n..two dots\r\n.\r\nlast line, no line end"
)


@pytest.fixture
def smtp(smtp_server):
    connection = smtplib.SMTP("127.0.0.1", smtp_server.port, timeout=10)
    yield connection
    connection.quit()


def test_the_transaction_delivers_what_smtplib_sendmail_delivers(smtp_server, smtp):
    sender, recipients = "shop@example.org", ["ada@example.org"]
    assert send_mail_transaction(smtp, sender, recipients, DOTTED) == {}
    smtp.sendmail(sender, recipients, DOTTED)
    ours, stdlib = smtp_server.wait_for(2)
    assert ours.mail_from == stdlib.mail_from == sender
    assert ours.rcpt_tos == stdlib.rcpt_tos == recipients
    assert ours.message.as_bytes() == stdlib.message.as_bytes()
    assert ours.message.get_payload() == (
        ".starts with a dot\r\nmiddle\r\n..two dots\r\n.\r\n"
        "last line, no line end\r\n"
    )


def test_an_address_that_is_not_plain_is_quoted_as_smtplib_quotes_it(smtp_server, smtp):
    send_mail_transaction(smtp, "Shop <shop@example.org>", ["ada@example.org"], DOTTED)
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "shop@example.org"


def test_refused_recipients_are_returned_and_all_refused_raises(smtp_server, smtp):
    smtp_server.handler.rcpt_override = lambda address: (
        "550 5.1.1 No such user" if address.startswith("gone") else None
    )
    refused = send_mail_transaction(
        smtp, "shop@example.org", ["gone@example.org", "ada@example.org"], DOTTED
    )
    assert refused == {"gone@example.org": (550, b"5.1.1 No such user")}
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refusal:
        send_mail_transaction(smtp, "shop@example.org", ["gone@example.org"], DOTTED)
    assert refusal.value.recipients == {
        "gone@example.org": (550, b"5.1.1 No such user")
    }
    # the transaction was reset: the same connection sends the next message
    send_mail_transaction(smtp, "shop@example.org", ["ada@example.org"], DOTTED)
    assert [m.rcpt_tos for m in smtp_server.wait_for(2)] == [
        ["ada@example.org"],
        ["ada@example.org"],
    ]


def test_a_refused_sender_raises_and_the_connection_goes_on(smtp_server, smtp):
    smtp_server.handler.mail_override = lambda address: "553 5.7.1 Not allowed"
    with pytest.raises(smtplib.SMTPSenderRefused) as refusal:
        send_mail_transaction(smtp, "shop@example.org", ["ada@example.org"], DOTTED)
    assert refusal.value.smtp_code == 553
    smtp_server.handler.mail_override = None
    send_mail_transaction(smtp, "shop@example.org", ["ada@example.org"], DOTTED)
    assert len(smtp_server.wait_for(1)) == 1


@pytest.mark.parametrize(
    "where, reply, error",
    [
        ("rcpt", "550 5.1.1 No such user", InvalidAddress),
        ("rcpt", "450 4.2.1 Try again later", TransientSendError),
        ("mail", "451 4.3.0 Busy", TransientSendError),
    ],
)
def test_the_courier_classifies_envelope_refusals(smtp_server, where, reply, error):
    setattr(smtp_server.handler, f"{where}_override", lambda address: reply)
    message = EmailMessage("Hi", "Hello", "shop@example.org", ["ada@example.org"])
    with Courier() as courier, pytest.raises(error) as raised:
        courier.deliver(message)
    assert reply.split()[0] in str(raised.value)
    assert smtp_server.messages == []
