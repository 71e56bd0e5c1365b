"""The MIME form of the plugin's emails, built in one pass.

Django's ``EmailMessage.message()`` builds a tree of ``email.mime`` objects that the
SMTP backend then flattens with ``as_bytes()``; for the plugin's emails (a text part,
an HTML alternative, a dozen headers) the two took 0.47 ms of CPU an email, more than
rendering the templates. :class:`EcrmEmailMessage` is Django's
``EmailMultiAlternatives`` whose ``message()`` builds the same MIME structure
directly as bytes when the message is of the plain kind the plugin sends (no
attachments, UTF-8, text parts); anything else goes through Django's own code.

What is kept from Django (``django.core.mail.message``): a header value with a line
break is refused (``BadHeaderError``); non-ASCII values are encoded as Django encodes
them (``Header(...).encode()``, addresses through ``sanitize_address``); the subject
goes through ``Header`` as in Django; a part with a line over 998 bytes is sent
quoted-printable, otherwise 7bit or 8bit; header order; ``Date`` and ``Message-ID``
unless given. What differs: long ASCII header values are folded at spaces only
(a long URL stays on one line, which RFC 5322 allows up to 998 characters; longer
goes through Django), and quoted-printable comes from ``binascii`` (same encoding,
lines broken at other places).

Every backend still works: the SMTP, console and file backends call
``message().as_bytes()``; backends that read the message's attributes (django-anymail's
providers, locmem) never call it, or get a full ``email.message.Message`` parsed from
the same bytes for anything but ``as_bytes`` / ``as_string``.
"""

from __future__ import annotations

import binascii
import email
import random
import re
import time
from email.header import Header
from email.utils import formatdate, getaddresses, make_msgid
from functools import lru_cache
from typing import Any, List, Optional, Tuple

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import (
    ADDRESS_HEADERS,
    DNS_NAME,
    RFC5322_EMAIL_LINE_LENGTH_LIMIT,
    BadHeaderError,
    sanitize_address,
)

CRLF = b"\r\n"
FOLD_AT = 78
HEADER_LINE = 76  # email.header.MAXLINELEN
_NEWLINES = re.compile(r"\r\n|\r")


class EcrmEmailMessage(EmailMultiAlternatives):
    """``EmailMultiAlternatives`` with a one-pass ``message()`` (see the module)."""

    @classmethod
    def adopt(cls, message: EmailMessage) -> EmailMessage:
        """The same message as an :class:`EcrmEmailMessage` (a copy of its fields);
        a message of another class than Django's two is returned unchanged."""
        if type(message) not in (EmailMessage, EmailMultiAlternatives):
            return message
        adopted = cls.__new__(cls)
        adopted.__dict__.update(message.__dict__)
        for name in ("to", "cc", "bcc", "reply_to", "attachments"):
            setattr(adopted, name, list(getattr(message, name)))
        adopted.extra_headers = dict(message.extra_headers)
        adopted.alternatives = list(getattr(message, "alternatives", []))
        return adopted

    def message(self) -> Any:
        data = mime_bytes(self)
        if data is None:
            return super().message()
        return BuiltMessage(data)


class BuiltMessage:
    """MIME bytes standing in for Django's message object: ``as_bytes`` and
    ``as_string`` return them; any other use parses them into an
    ``email.message.Message`` (the same message, boundary and date included)."""

    def __init__(self, data: bytes) -> None:
        self._data = data  # with CRLF line ends
        self._parsed: Optional[email.message.Message] = None

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        if linesep == "\r\n":
            return self._data
        return self._data.replace(CRLF, linesep.encode("ascii"))

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def _message(self) -> email.message.Message:
        if self._parsed is None:
            self._parsed = email.message_from_bytes(self._data)
        return self._parsed

    def __getattr__(self, name: str) -> Any:
        # only for what a Message has (not for this object's own state: copy, pickle)
        if name.startswith("__") or name in ("_data", "_parsed"):
            raise AttributeError(name)
        return getattr(self._message(), name)

    def __getitem__(self, name: str) -> Any:
        return self._message()[name]

    def __contains__(self, name: str) -> bool:
        return name in self._message()


def mime_bytes(message: EmailMultiAlternatives) -> Optional[bytes]:
    """The message as MIME bytes (CRLF line ends), or None when it is not of the
    plain kind (attachments, another charset, non-text alternatives, a header value
    this module does not encode): the caller then uses Django's ``message()``."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    if message.attachments or encoding.lower().replace("_", "-") != "utf-8":
        return None
    if not isinstance(message.body, str):
        return None
    alternatives = getattr(message, "alternatives", [])
    body = (message.body, message.content_subtype)
    # Django leaves an empty body out of a message with alternatives
    parts = [body] if message.body or not alternatives else []
    for content, mimetype in alternatives:
        main, _, subtype = mimetype.partition("/")
        if main != "text" or not isinstance(content, str) or not subtype:
            return None
        parts.append((content, subtype))
    headers = _headers(message)
    if headers is None:
        return None
    if not alternatives:
        head, data = _text_part(*body)
        return b"".join([head, headers, CRLF, data])
    encoded = [_text_part(content, subtype) for content, subtype in parts]
    boundary = _boundary(encoded)
    lines = [
        b"Content-Type: multipart/alternative;\r\n"
        b' boundary="' + boundary + b'"\r\n'
        b"MIME-Version: 1.0\r\n",
        headers,
        CRLF,
    ]
    for head, data in encoded:
        lines += [b"--", boundary, CRLF, head, CRLF, data, CRLF]
    lines += [b"--", boundary, b"--", CRLF]
    return b"".join(lines)


def _headers(message: EmailMultiAlternatives) -> Optional[bytes]:
    """The top-level headers after Content-Type / MIME-Version, in Django's order."""
    extra = message.extra_headers
    names = {name.lower() for name in extra}
    if names & {"to", "cc", "reply-to"}:
        return None  # Django 3.0 writes such a header twice, or once: its own code

    pairs = [
        ("Subject", message.subject),
        ("From", extra.get("From", message.from_email)),
    ]
    for name, values in (
        ("To", message.to),
        ("Cc", message.cc),
        ("Reply-To", message.reply_to),
    ):
        if values:
            pairs.append((name, ", ".join(str(v) for v in values)))
    if "date" not in names:
        pairs.append(("Date", _date(settings.EMAIL_USE_LOCALTIME)))
    if "message-id" not in names:
        pairs.append(("Message-ID", make_msgid(domain=DNS_NAME)))
    pairs += [(name, value) for name, value in extra.items() if name.lower() != "from"]
    lines: List[bytes] = []
    for name, value in pairs:
        line = _header_line(name, str(value))
        if line is None:
            return None
        lines.append(line)
    return b"".join(lines)


def _header_line(name: str, value: str) -> Optional[bytes]:
    if "\n" in value or "\r" in value:
        raise BadHeaderError(
            f"Header values can't contain newlines (got {value!r} for header {name!r})"
        )
    if not name.isascii():
        return None
    lowered = name.lower()
    if not value.isascii():
        if lowered in ADDRESS_HEADERS:
            value = _encoded_addresses(value)
        else:
            value = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{name}: {value}\r\n".encode("ascii")
    if lowered == "subject":
        value = _ascii_subject(name, value)
    # an ASCII address header goes as it is, as with Django
    line = f"{name}: {value}"
    folded = _fold(line) if len(line) > FOLD_AT else line
    return None if folded is None else folded.encode("ascii") + CRLF


@lru_cache(maxsize=256)
def _encoded_addresses(value: str) -> str:
    # Django's forbid_multi_line_headers for a non-ASCII address header
    return ", ".join(sanitize_address(addr, "utf-8") for addr in getaddresses((value,)))


def _ascii_subject(name: str, value: str) -> str:
    # what Header returns for a value that fits on the first line: the value
    if len(name) + 2 + len(value) <= HEADER_LINE and "=?" not in value:
        return value
    return _folded_subject(name, value)


@lru_cache(maxsize=1024)
def _folded_subject(name: str, value: str) -> str:
    return Header(value, header_name=name).encode(linesep="\r\n")


# (second, localtime) -> the Date header's value, for every email of that second
_dates: Tuple[Tuple[int, bool], str] = ((0, False), "")


def _date(localtime: bool) -> str:
    """``formatdate(localtime=localtime)``: its value changes once a second."""
    global _dates
    key = (int(time.time()), localtime)
    cached_key, value = _dates
    if cached_key != key:
        value = formatdate(key[0], localtime=localtime)
        _dates = (key, value)
    return value


def _fold(line: str) -> Optional[str]:
    """Fold at spaces to lines of at most 78 characters where it can; a word longer
    than that stays whole. None when a line would still exceed 998 characters."""
    if "\r\n" in line:  # already folded (an encoded subject)
        longest = max(len(part) for part in line.split("\r\n"))
        return line if longest <= RFC5322_EMAIL_LINE_LENGTH_LIMIT else None
    name, _, value = line.partition(": ")
    words = value.split(" ")
    out: List[str] = []
    current = f"{name}: {words[0]}"
    for word in words[1:]:
        if len(current) + 1 + len(word) > FOLD_AT:
            out.append(current)
            current = " " + word
        else:
            current += " " + word
    out.append(current)
    if any(not part.strip() for part in out):
        return None  # a line of blanks only (trailing spaces): Django's folding
    if max(len(part) for part in out) > RFC5322_EMAIL_LINE_LENGTH_LIMIT:
        return None
    return "\r\n".join(out)


def _text_part(text: str, subtype: str) -> Tuple[bytes, bytes]:
    """(the part's headers, its body) as Django's SafeMIMEText sends a UTF-8 text:
    7bit or 8bit, quoted-printable when a line exceeds 998 bytes."""
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    data = text.encode("utf-8")
    if any(len(line) > RFC5322_EMAIL_LINE_LENGTH_LIMIT for line in data.split(b"\n")):
        encoding = b"quoted-printable"
        data = binascii.b2a_qp(data, istext=True)
    else:
        encoding = b"7bit" if data.isascii() else b"8bit"
    head = (
        b"Content-Type: text/" + subtype.encode("ascii") + b'; charset="utf-8"\r\n'
        b"MIME-Version: 1.0\r\n"
        b"Content-Transfer-Encoding: " + encoding + b"\r\n"
    )
    return head, data.replace(b"\n", CRLF)


def _boundary(parts: List[Tuple[bytes, bytes]]) -> bytes:
    """Python's boundary form; drawn again in the unlikely case a part contains it."""
    while True:
        boundary = b"=" * 15 + b"%019d" % random.randrange(10**19) + b"=="
        if not any(boundary in body for _, body in parts):
            return boundary
