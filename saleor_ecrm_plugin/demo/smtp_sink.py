"""A local SMTP server that accepts every message, for the demo.

It stands in for the shop's mail provider: Django's SMTP backend delivers to it,
and each accepted message is kept (raw bytes, exactly as received) and handed to a
callback, which the demo uses to print a line and grow the email gallery.
"""

from __future__ import annotations

import email.parser
import email.policy
import logging
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, List, Optional

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedEmail:
    number: int
    mail_from: str
    rcpt_tos: List[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        policy = email.policy.default
        return email.parser.BytesParser(_class=EmailMessage, policy=policy).parsebytes(
            self.raw
        )

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def program(self) -> str:
        """``program/step`` of an e-CRM email; "" for Saleor's own emails."""
        return str(self.message.get("X-Ecrm-Program", ""))

    @property
    def headers(self) -> EmailMessage:
        return self.message

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


class _Handler:
    def __init__(self, on_message: Optional[Callable[[ReceivedEmail], None]]) -> None:
        self.messages: List[ReceivedEmail] = []
        self.lock = threading.Lock()
        self.on_message = on_message

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        with self.lock:
            received = ReceivedEmail(
                number=len(self.messages) + 1,
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=envelope.original_content or envelope.content,
            )
            self.messages.append(received)
        if self.on_message is not None:
            self.on_message(received)
        return "250 Message accepted for delivery"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """An aiosmtpd server on a free port of 127.0.0.1, running in its own thread."""

    def __init__(
        self,
        on_message: Optional[Callable[[ReceivedEmail], None]] = None,
        host: str = "127.0.0.1",
        port: Optional[int] = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._handler = _Handler(on_message)
        self._controller = Controller(
            self._handler, hostname=host, port=self.port, decode_data=False
        )

    @property
    def url(self) -> str:
        """The ``EMAIL_URL`` (dj-email-url) that points Django's SMTP backend here."""
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> SmtpSink:
        # aiosmtpd logs each session at INFO on "mail.log"; the demo prints its own
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> List[ReceivedEmail]:
        with self._handler.lock:
            return list(self._handler.messages)

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
