"""The one-pass MIME form of :class:`EcrmEmailMessage` against Django's own.

Both are parsed back with the standard library (``policy.default``) and compared
header by header and part by part: what a mail client reads must not depend on
which of the two built the bytes. The boundary and ``Date`` are drawn anew by each,
and so is ``Message-ID`` when the message does not give one.
"""

from __future__ import annotations

import email
import email.message
import email.policy
from email.header import Header
from email.utils import formatdate
from typing import Any, Dict, List, Tuple
from unittest import mock

import pytest
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.core.mail.message import sanitize_address

from saleor_ecrm_plugin import mime
from saleor_ecrm_plugin.delivery import envelope_address
from saleor_ecrm_plugin.mime import BuiltMessage, EcrmEmailMessage

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


def build(cls: type, case: Dict[str, Any]) -> EmailMessage:
    message = cls(
        subject=case.get("subject", "Hello"),
        body=case.get("body", "Hello, this is the text part.\n"),
        from_email=case.get("from_email", "Test Shop <hello@shop.example.com>"),
        to=case.get("to", ["ada@example.org"]),
        cc=case.get("cc"),
        bcc=case.get("bcc"),
        reply_to=case.get("reply_to"),
        headers=dict(case.get("headers", {})),
    )
    for (content,) in case.get("alternatives", []):
        message.attach_alternative(content, "text/html")
    if "content_subtype" in case:
        message.content_subtype = case["content_subtype"]
    return message


def both_bytes(case: Dict[str, Any]) -> Tuple[bytes, bytes]:
    """(Django's bytes, the one-pass bytes) of the same message."""
    django_message = build(EmailMultiAlternatives, case).message()
    fast_message = build(EcrmEmailMessage, case).message()
    assert isinstance(fast_message, BuiltMessage)
    assert not isinstance(django_message, BuiltMessage)
    return (
        django_message.as_bytes(linesep="\r\n"),
        fast_message.as_bytes(linesep="\r\n"),
    )


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)


def header_items(part: email.message.Message, ignore: Tuple[str, ...]) -> List[Any]:
    """The part's headers in order, decoded; the boundary parameter left out."""
    items: List[Any] = []
    for name, value in part.items():
        if name.lower() in ignore:
            continue
        if name.lower() == "content-type":
            params = {k: v for k, v in value.params.items() if k != "boundary"}
            items.append((name, value.content_type, params))
        else:
            items.append((name, str(value).strip()))
    return items


def structure(data: bytes, ignore: Tuple[str, ...]) -> List[Any]:
    """Every part's headers (decoded) and leaf content, in document order."""
    parts = []
    for part in parse(data).walk():
        leaf = not part.is_multipart()
        parts.append(
            {
                "headers": header_items(part, ignore),
                "type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "cte": part.get("Content-Transfer-Encoding"),
                "content": part.get_content() if leaf else None,
            }
        )
    return parts


def ignored_headers(case: Dict[str, Any]) -> Tuple[str, ...]:
    given = {name.lower() for name in case.get("headers", {})}
    return ("date",) if "message-id" in given else ("date", "message-id")


def assert_same_message(django_data: bytes, fast_data: bytes, ignore) -> None:
    expected = structure(django_data, ignore)
    actual = structure(fast_data, ignore)
    assert len(actual) == len(expected)
    for django_part, fast_part in zip(expected, actual):
        assert fast_part == django_part


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_one_pass_message_reads_as_djangos(case):
    django_data, fast_data = both_bytes(case)

    assert_same_message(django_data, fast_data, ignored_headers(case))
    for data in (django_data, fast_data):
        message = parse(data)
        assert message["Date"]
        assert message["Message-ID"].startswith("<")
        assert message["Message-ID"].endswith(">")


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_one_pass_bytes_use_crlf_and_short_lines(case):
    _, fast_data = both_bytes(case)

    lines = fast_data.split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line  # no bare CR or LF
        assert len(line) <= 998
    # the part of the message before the body (headers and blank line) is complete
    assert b"\r\n\r\n" in fast_data


def test_long_ascii_subject_is_folded_at_spaces():
    _, fast_data = both_bytes(CASES["long_ascii_subject"])

    head = fast_data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject: "))
    subject_lines = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith((" ", "\t")):
            break
        subject_lines.append(line)

    assert len(subject_lines) > 1, "a subject over 78 characters must be folded"
    assert all(line.startswith(" ") for line in subject_lines[1:])
    assert all(line.strip() for line in subject_lines)  # no whitespace-only line
    assert all(len(line) <= 998 for line in subject_lines)
    # unfolding (removing the CRLFs) gives back the subject exactly
    assert "".join(subject_lines) == f"Subject: {LONG_SUBJECT}"
    assert parse(fast_data)["Subject"] == LONG_SUBJECT


def test_list_unsubscribe_url_is_kept_whole():
    _, fast_data = both_bytes(CASES["list_unsubscribe_with_a_300_char_url"])

    assert f"<{UNSUBSCRIBE_URL}>".encode("ascii") in fast_data
    assert parse(fast_data)["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"


def test_html_line_over_998_bytes_is_quoted_printable():
    case = CASES["html_line_over_998_bytes"]
    django_data, fast_data = both_bytes(case)

    for data in (django_data, fast_data):
        text, html = [p for p in parse(data).walk() if not p.is_multipart()]
        assert text["Content-Transfer-Encoding"] == "7bit"
        assert html["Content-Transfer-Encoding"] == "quoted-printable"
        # decoded, with the CRLF line ends of the wire
        expected = case["alternatives"][0][0].replace("\n", "\r\n")
        assert html.get_content() == expected


def test_line_ends_are_normalised_as_django_does():
    case = CASES["crlf_and_lone_cr_line_ends"]
    _, fast_data = both_bytes(case)

    text = next(p for p in parse(fast_data).walk() if not p.is_multipart())
    assert text.get_payload(decode=True) == b"one\r\ntwo\r\nthree\r\nfour\r\n\r\nfive"


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Hello\nBcc: victim@example.org"},
        {"subject": "Hello\rthere"},
        {"headers": {"X-Custom": "one\ntwo"}},
        {"headers": {"List-Unsubscribe": "<https://x.example/>\r\nBcc: v@x.org"}},
        {"to": ["ada@example.org\nBcc: victim@example.org"]},
        {"from_email": "Shop <shop@example.com>\nBcc: victim@example.org"},
    ],
    ids=["subject_lf", "subject_cr", "extra_header", "crlf", "to", "from"],
)
def test_header_value_with_a_line_break_is_refused_as_by_django(changes):
    for cls in (EmailMultiAlternatives, EcrmEmailMessage):
        message = build(cls, changes)
        with pytest.raises(BadHeaderError):
            message.message()


def _with_attachment(message: EmailMessage) -> None:
    message.attach("note.txt", "Thanks for your order.\n", "text/plain")


def _latin1(message: EmailMessage) -> None:
    message.encoding = "iso-8859-1"


def _pdf_alternative(message: EmailMessage) -> None:
    message.attach_alternative(b"%PDF-1.4", "application/pdf")


def _header_word_over_998(message: EmailMessage) -> None:
    message.extra_headers["List-Unsubscribe"] = "<https://x.example/" + "a" * 1200 + ">"


@pytest.mark.parametrize(
    "change",
    [_with_attachment, _latin1, _pdf_alternative, _header_word_over_998],
    ids=["attachment", "iso_8859_1", "non_text_alternative", "header_over_998"],
)
def test_other_messages_fall_back_to_djangos_message(change):
    case = {"subject": "Résumé", "body": "Grüße\n", "alternatives": [("<p>Hi</p>",)]}
    messages = []
    for cls in (EmailMultiAlternatives, EcrmEmailMessage):
        message = build(cls, case)
        change(message)
        messages.append(message.message())
    django_message, fast_message = messages

    assert not isinstance(fast_message, BuiltMessage)
    assert isinstance(fast_message, email.message.Message)
    assert type(fast_message) is type(django_message)
    assert_same_message(
        django_message.as_bytes(linesep="\r\n"),
        fast_message.as_bytes(linesep="\r\n"),
        ("date", "message-id"),
    )


def test_built_message_behaves_like_a_message_object():
    message = build(
        EcrmEmailMessage, {"subject": "Hello Ada", "alternatives": [("<p>Hi</p>",)]}
    ).message()

    assert isinstance(message, BuiltMessage)
    assert message["Subject"] == "Hello Ada"
    assert message["To"] == "ada@example.org"
    assert "Message-ID" in message
    assert "X-Not-There" not in message
    assert message.get_content_type() == "multipart/alternative"
    assert message.is_multipart()
    assert [p.get_content_type() for p in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]

    data = message.as_bytes(linesep="\r\n")
    text = message.as_string()
    assert isinstance(text, str)
    assert "\r" not in text
    assert "Subject: Hello Ada\n" in text
    assert text == data.decode("ascii").replace("\r\n", "\n")
    assert message.as_bytes() == text.encode("ascii")
    assert message.as_string(linesep="\r\n").encode("ascii") == data
    assert message.get_boundary() in text


def test_adopt_keeps_every_field():
    original = EmailMultiAlternatives(
        subject="Hello",
        body="Text part",
        from_email="Shop <shop@example.com>",
        to=["ada@example.org"],
        cc=["carla@example.org"],
        bcc=["audit@example.com"],
        reply_to=["support@example.com"],
        headers={"Message-ID": "<ecrm.1.abc@example.com>", "X-Ecrm-Program": "p/s"},
    )
    original.attach_alternative("<p>Html part</p>", "text/html")

    adopted = EcrmEmailMessage.adopt(original)

    assert type(adopted) is EcrmEmailMessage
    for name in (
        "subject",
        "body",
        "from_email",
        "to",
        "cc",
        "bcc",
        "reply_to",
        "extra_headers",
        "alternatives",
        "content_subtype",
        "encoding",
        "attachments",
    ):
        assert getattr(adopted, name) == getattr(original, name), name
    assert adopted.recipients() == original.recipients()
    assert isinstance(adopted.message(), BuiltMessage)
    assert_same_message(
        original.message().as_bytes(linesep="\r\n"),
        adopted.message().as_bytes(linesep="\r\n"),
        ("date",),
    )


def test_adopt_of_a_plain_email_message():
    original = EmailMessage(
        subject="Hi", body="<p>Hi</p>", from_email="a@example.com", to=["b@x.org"]
    )
    original.content_subtype = "html"

    adopted = EcrmEmailMessage.adopt(original)

    assert type(adopted) is EcrmEmailMessage
    assert adopted.alternatives == []
    assert adopted.content_subtype == "html"
    assert (adopted.subject, adopted.body, adopted.to) == (
        "Hi",
        "<p>Hi</p>",
        ["b@x.org"],
    )
    assert_same_message(
        original.message().as_bytes(linesep="\r\n"),
        adopted.message().as_bytes(linesep="\r\n"),
        ("date", "message-id"),
    )


def test_adopt_leaves_a_message_of_another_class_unchanged():
    class ProviderMessage(EmailMultiAlternatives):
        pass

    other = ProviderMessage(subject="Hi", body="x", to=["b@x.org"])
    assert EcrmEmailMessage.adopt(other) is other
    assert type(other) is ProviderMessage

    already = EcrmEmailMessage(subject="Hi", body="x", to=["b@x.org"])
    assert EcrmEmailMessage.adopt(already) is already


@pytest.mark.parametrize(
    "address",
    [
        "ada@example.org",
        "Ada.Lovelace@Example.ORG",
        "ada+newsletter@example.org",
        "ada@mail.eu.example.co.uk",
        "o'brien@example.org",
        "a..b@example.org",
        "ada.@example.org",
        '"ada lovelace"@example.org',
        '"a@b"@example.org',
        "Ada Lovelace <ada@example.org>",
        '"Lovelace, Ada" <ada@example.org>',
        "Jürgen Müller <jurgen@example.de>",
        "jurgen@bücher.example",
        "Jürgen <jurgen@bücher.example>",
        "ada@localhost",
        "ada@[127.0.0.1]",
        "x_y-z=1!#$%&*/?^`{|}~@example.org",
    ],
)
def test_envelope_address_equals_django_sanitize_address(address):
    assert envelope_address(address, "utf-8") == sanitize_address(address, "utf-8")


SUBJECT_WORDS = ["Your", "order", "#1042", "has", "shipped,", "Ada!", "=", "(tracking)"]


@pytest.mark.parametrize("length", range(0, 96, 3))
@pytest.mark.parametrize("spacing", ["single", "double", "padded"])
def test_ascii_subject_is_what_header_encodes(length, spacing):
    """The short-subject shortcut returns what email.header.Header returns."""
    words = (SUBJECT_WORDS * 12)[: length // 4 + 1]
    value = ("  " if spacing == "double" else " ").join(words)[:length]
    if spacing == "padded":
        value = f" {value} "
    expected = Header(value, header_name="Subject").encode(linesep="\r\n")
    assert mime._ascii_subject("Subject", value) == expected


def test_date_header_is_formatdate_of_the_second():
    for now in (1_800_000_000.2, 1_800_000_000.9, 1_800_000_001.0):
        with mock.patch("time.time", return_value=now):
            assert mime._date(False) == formatdate(int(now), localtime=False)
            assert mime._date(True) == formatdate(int(now), localtime=True)
