"""What a mail client reads of our emails, built by Django's ``EmailMultiAlternatives``
and delivered by the Courier to a real SMTP server (tests/smtp.py): headers (subject,
sender, recipients, Message-ID, List-Unsubscribe), encodings and line lengths.
"""

from __future__ import annotations

from typing import Any, Dict

import pytest
from django.core.mail import EmailMultiAlternatives

from saleor_ecrm_plugin.delivery import Courier
from saleor_ecrm_plugin.errors import PermanentSendError

LONG_SUBJECT = (
    "Your weekly selection of new arrivals, hand-picked favourites and "
    "limited offers, chosen just for you this week"
)
LONG_HTML_LINE = (
    '<table><tr><td style="padding: 0; color: #333333">'
    + "Ça coûte 10 € = une affaire. " * 60
    + "</td></tr></table>"
)
UNSUBSCRIBE_URL = "https://shop.example.com/ecrm/unsubscribe/" + "Ab9-_" * 60 + "/"

CASES: Dict[str, Dict[str, Any]] = {
    "ascii_text_and_html": {
        "subject": "Your order has shipped",
        "body": "Hello Ada,\n\nyour order is on its way.\n",
        "alternatives": [("<p>Hello Ada,</p>\n<p>your order is on its way.</p>\n",)],
    },
    "non_ascii_subject": {
        "subject": "Ça y est : votre commande n° 42 est partie — à bientôt 🚚",
        "body": "Bonjour Éloïse,\nvotre colis arrive.\n",
        "alternatives": [("<p>Bonjour Éloïse,</p>",)],
    },
    "sender_name_with_accents": {
        "from_email": "Boutique Éloïse <shop@example.com>",
        "alternatives": [("<p>Hi</p>",)],
    },
    "recipient_non_ascii_name_and_idn_domain": {
        "to": ["Jürgen Müller <jurgen@bücher.example>", "plain@example.org"],
        "alternatives": [("<p>Hallo</p>",)],
    },
    "reply_to_and_cc": {
        "cc": ["carla@example.org", "Dan Doe <dan@example.org>"],
        "reply_to": ["Support <support@example.com>"],
        "alternatives": [("<p>Hi</p>",)],
    },
    "many_ascii_recipients": {
        "to": [f"Customer Number {n} <customer{n}@example.org>" for n in range(8)],
    },
    "long_ascii_subject": {
        "subject": LONG_SUBJECT,
        "alternatives": [("<p>New this week</p>",)],
    },
    "html_line_over_998_bytes": {
        "body": "Short text.\n",
        "alternatives": [(LONG_HTML_LINE + "\n<p>end</p>\n",)],
    },
    "crlf_and_lone_cr_line_ends": {
        "body": "one\r\ntwo\rthree\nfour\r\n\r\nfive",
        "alternatives": [("<p>one</p>\r\n<p>two</p>\r<p>three</p>\n",)],
    },
    "html_only": {
        "body": "<html><body><p>Only HTML, caf\u00e9</p></body></html>\n",
        "content_subtype": "html",
    },
    "text_only": {"body": "Just text.\nSecond line, naïve.\n"},
    "list_unsubscribe_with_a_300_char_url": {
        "headers": {
            "List-Unsubscribe": f"<{UNSUBSCRIBE_URL}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "alternatives": [("<p>News</p>",)],
    },
    "message_id_and_extra_headers_given": {
        "headers": {
            "Message-ID": "<ecrm.42.0123456789abcdef@shop.example.com>",
            "X-Ecrm-Program": "test_ping/ping",
            "X-Note": "Prix spécial",
        },
        "alternatives": [("<p>Hi</p>",)],
    },
}

assert len(UNSUBSCRIBE_URL) >= 300
assert len(LONG_SUBJECT) > 78
assert len(LONG_HTML_LINE.encode("utf-8")) > 998


def build(case: Dict[str, Any]) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=case.get("subject", "Hello"),
        body=case.get("body", "Hello, this is the text part.\n"),
        from_email=case.get("from_email", "Test Shop <hello@shop.example.com>"),
        to=case.get("to", ["ada@example.org"]),
        cc=case.get("cc"),
        reply_to=case.get("reply_to"),
        headers=dict(case.get("headers", {})),
    )
    for (content,) in case.get("alternatives", []):
        message.attach_alternative(content, "text/html")
    if "content_subtype" in case:
        message.content_subtype = case["content_subtype"]
    return message


def _normalised(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_what_the_server_receives_reads_as_written(smtp_server, case):
    with Courier() as courier:
        courier.deliver(build(case))
    [received] = smtp_server.wait_for(1)
    message = received.message

    # a folded encoded subject reads back with the fold's space (as Django's ever did)
    assert message["Subject"].strip() == case.get("subject", "Hello")
    assert message["Date"]
    given = case.get("headers", {})
    if "Message-ID" in given:
        assert message["Message-ID"] == given["Message-ID"]
    else:
        assert message["Message-ID"].startswith("<")
        assert message["Message-ID"].endswith(">")
    for name, value in given.items():
        assert str(message[name]).strip() == value
    sender = case.get("from_email", "Test Shop <hello@shop.example.com>")
    assert str(message["From"]) == sender
    assert received.mail_from == sender.rpartition("<")[2].rstrip(">")
    to = case.get("to", ["ada@example.org"])
    assert len(received.rcpt_tos) == len(to) + len(case.get("cc") or [])
    if case.get("reply_to"):
        assert str(message["Reply-To"]) == ", ".join(case["reply_to"])
    body = case.get("body", "Hello, this is the text part.\n")
    if case.get("content_subtype") == "html":
        assert _normalised(received.html) == _normalised(body)
    else:
        assert _normalised(received.text) == _normalised(body)
    for (html,) in case.get("alternatives", []):
        assert _normalised(received.html) == _normalised(html)
    raw = message.as_bytes()
    assert all(len(line) <= 998 for line in raw.splitlines())


def test_an_idn_recipient_is_delivered_to_its_ascii_domain(smtp_server):
    with Courier() as courier:
        courier.deliver(build(CASES["recipient_non_ascii_name_and_idn_domain"]))
    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos[0] == "jurgen@xn--bcher-kva.example"


def test_a_header_value_with_a_line_break_is_refused_and_nothing_is_sent(smtp_server):
    message = build({"subject": "Hello\nBcc: victim@example.org"})
    with Courier() as courier, pytest.raises(PermanentSendError):
        courier.deliver(message)
    assert smtp_server.messages == []
