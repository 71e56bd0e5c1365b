"""A real SMTP server for tests (aiosmtpd), recording every message it accepts."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Callable, List, Optional

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: List[str]
    message: EmailMessage

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part else ""

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part else ""


class RecordingHandler:
    def __init__(self) -> None:
        self.messages: List[Received] = []
        self.lock = threading.Lock()
        #: if set, called with the envelope; a returned string is the SMTP reply
        self.reply_override: Optional[Callable[[object], Optional[str]]] = None
        #: if set, called with the address; a returned string refuses it (MAIL FROM
        #: for mail_override, each RCPT TO for rcpt_override)
        self.mail_override: Optional[Callable[[str], Optional[str]]] = None
        self.rcpt_override: Optional[Callable[[str], Optional[str]]] = None

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        refusal = self.mail_override(address) if self.mail_override else None
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        refusal = self.rcpt_override(address) if self.rcpt_override else None
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        if self.reply_override is not None:
            reply = self.reply_override(envelope)
            if reply:
                return reply
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=email.policy.default
        )
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, decode_data=False
        )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def restart(self) -> None:
        """Serve again on the same port after :meth:`stop` (an outage's end)."""
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, decode_data=False
        )
        self.controller.start()

    @property
    def messages(self) -> List[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def wait_for(self, count: int, timeout: float = 30.0) -> List[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        return self.messages
