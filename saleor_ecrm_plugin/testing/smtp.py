"""One local SMTP server (aiosmtpd) that the tests, the demo and the bench share.

:class:`SmtpSink` runs an aiosmtpd server on a free port of 127.0.0.1 in a thread of
the calling process; :class:`SmtpSinkProcess` runs the same server in a process of
its own (``spawn``), so that a benchmark's SMTP server does not compete with the
measured process for the GIL. Both can behave like a real provider:

- ``reply_delay``: seconds waited before each SMTP reply (the greeting, EHLO, MAIL,
  RCPT, DATA's 354 and its final 250, ...): one round trip to a provider a city away
  is about 25 ms (:data:`PROVIDER_REPLY_DELAY`). Continuation lines of a multi-line
  reply (EHLO's) go out with the final line, as one TCP segment would.
- ``max_connections``: at most that many sessions at once. One more is **refused**:
  it gets ``421 4.7.0`` as its greeting and is closed, as Microsoft 365 and Gmail do
  (they do not queue), and Python's smtplib raises ``SMTPConnectError`` for it.

The sink records what it accepts (``capture=True``, the tests' and the demo's use:
raw bytes, the parsed message with its headers, envelope) or only counts it
(``capture=False``, the bench's). Tests can refuse on purpose through the handler's
``mail_override``, ``rcpt_override`` and ``reply_override`` hooks.

aiosmtpd is imported when a server is created, not when this module is imported.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import logging
import multiprocessing
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Callable, List, Optional

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

#: one SMTP round trip to a provider a city away
PROVIDER_REPLY_DELAY = 0.025
TOO_MANY_CONNECTIONS = "421 4.7.0 Too many concurrent SMTP connections, try again later"

Override = Callable[[str], Optional[str]]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceivedEmail:
    """One accepted message: envelope, raw bytes as received, parsed message."""

    number: int
    mail_from: str
    rcpt_tos: List[str]
    raw: bytes
    message: EmailMessage = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parser = email.parser.BytesParser(
            _class=EmailMessage, policy=email.policy.default
        )
        self.message = parser.parsebytes(self.raw)

    @property
    def headers(self) -> EmailMessage:
        return self.message

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def program(self) -> str:
        """``program/step`` of an e-CRM email; "" for Saleor's own emails."""
        return str(self.message.get("X-Ecrm-Program", ""))

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""  # type: ignore[attr-defined]


class SinkHandler:
    """aiosmtpd handler: accepts every message unless an override refuses it."""

    def __init__(
        self,
        capture: bool = True,
        on_message: Optional[Callable[[ReceivedEmail], None]] = None,
    ) -> None:
        self.capture = capture
        self.on_message = on_message
        self.messages: List[ReceivedEmail] = []
        self.count = 0
        self.lock = threading.Lock()
        #: called after each accepted message (the process sink's shared counter)
        self.on_accept: Optional[Callable[[], None]] = None
        #: if set, called with the envelope at DATA; a returned string is the reply
        self.reply_override: Optional[Callable[[Any], Optional[str]]] = None
        #: if set, called with the address; a returned string refuses it (MAIL FROM
        #: for mail_override, each RCPT TO for rcpt_override)
        self.mail_override: Optional[Override] = None
        self.rcpt_override: Optional[Override] = None

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd API)
        refusal = self.mail_override(address) if self.mail_override else None
        if refusal:
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 (aiosmtpd API)
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
        received = None
        with self.lock:
            self.count += 1
            if self.capture:
                received = ReceivedEmail(
                    number=self.count,
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    raw=envelope.original_content or envelope.content,
                )
                self.messages.append(received)
        if self.on_accept is not None:
            self.on_accept()
        if received is not None and self.on_message is not None:
            self.on_message(received)
        return "250 Message accepted for delivery"


class ConnectionGate:
    """Counts the open sessions; refuses those over ``limit`` (None: no limit).

    Only the server's event loop changes it; readers in other threads see ints.
    """

    def __init__(self, limit: Optional[int] = None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"max_connections must be at least 1, not {limit}")
        self.limit = limit
        self.active = 0
        self.peak = 0
        self.accepted = 0
        self.refused = 0
        #: called after each change (the process sink publishes the figures)
        self.on_change: Optional[Callable[[ConnectionGate], None]] = None

    def enter(self) -> bool:
        if self.limit is not None and self.active >= self.limit:
            self.refused += 1
            self._changed()
            return False
        self.active += 1
        self.accepted += 1
        self.peak = max(self.peak, self.active)
        self._changed()
        return True

    def leave(self) -> None:
        self.active -= 1
        self._changed()

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)


def _provider_smtp_class() -> Any:
    """aiosmtpd's SMTP with a reply delay and a connection gate (built on first use,
    so that importing this module does not need aiosmtpd)."""
    from aiosmtpd.smtp import SMTP

    class ProviderSMTP(SMTP):
        def __init__(
            self, handler: Any, reply_delay: float, gate: ConnectionGate, **kwargs: Any
        ) -> None:
            super().__init__(handler, **kwargs)
            self.reply_delay = reply_delay
            self.gate = gate
            self.refused = False

        def connection_made(self, transport: Any) -> None:
            if self.transport is None and not self.gate.enter():
                # over the limit: a 421 greeting, then hang up (no session at all)
                self.refused = True
                transport.write(TOO_MANY_CONNECTIONS.encode("ascii") + b"\r\n")
                transport.close()
                return
            super().connection_made(transport)

        def connection_lost(self, error: Optional[Exception]) -> None:
            if self.refused:
                return
            self.gate.leave()
            super().connection_lost(error)

        def eof_received(self) -> Optional[bool]:
            if self.refused:
                return False
            return super().eof_received()

        async def push(self, status: Any) -> None:
            line = (
                status if isinstance(status, str) else status.decode("ascii", "replace")
            )
            if self.reply_delay and line[3:4] != "-":  # the last line of a reply
                await asyncio.sleep(self.reply_delay)
            await super().push(status)

    return ProviderSMTP


def _controller(
    handler: SinkHandler,
    host: str,
    port: int,
    reply_delay: float,
    gate: ConnectionGate,
) -> Controller:
    from aiosmtpd.controller import Controller

    smtp_class = _provider_smtp_class()

    class ProviderController(Controller):
        def factory(self) -> Any:
            return smtp_class(self.handler, reply_delay, gate, **self.SMTP_kwargs)

    return ProviderController(handler, hostname=host, port=port, decode_data=False)


class SmtpSink:
    """An SMTP server on ``host:port`` (a free port by default), in a thread.

    ``with SmtpSink() as sink:`` or ``sink = SmtpSink().start()`` ... ``sink.stop()``.
    """

    def __init__(
        self,
        on_message: Optional[Callable[[ReceivedEmail], None]] = None,
        host: str = "127.0.0.1",
        port: Optional[int] = None,
        *,
        capture: bool = True,
        reply_delay: float = 0.0,
        max_connections: Optional[int] = None,
    ) -> None:
        if reply_delay < 0:
            raise ValueError(f"reply_delay must not be negative, not {reply_delay}")
        self.host = host
        self.port = port or free_port(host)
        self.reply_delay = reply_delay
        self.handler = SinkHandler(capture=capture, on_message=on_message)
        self.gate = ConnectionGate(max_connections)
        self.controller = _controller(
            self.handler, host, self.port, reply_delay, self.gate
        )

    @property
    def url(self) -> str:
        """The ``EMAIL_URL`` (dj-email-url) that points Django's SMTP backend here."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def max_connections(self) -> Optional[int]:
        return self.gate.limit

    def start(self) -> SmtpSink:
        # aiosmtpd logs each session at INFO on "mail.log"
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def restart(self) -> None:
        """Serve again on the same port after :meth:`stop` (an outage's end); the
        messages received before the outage are kept."""
        self.controller = _controller(
            self.handler, self.host, self.port, self.reply_delay, self.gate
        )
        self.controller.start()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def messages(self) -> List[ReceivedEmail]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def count(self) -> int:
        """Messages accepted so far (also when not capturing)."""
        with self.handler.lock:
            return self.handler.count

    @property
    def refused_connections(self) -> int:
        return self.gate.refused

    @property
    def peak_connections(self) -> int:
        return self.gate.peak

    def wait_for(self, count: int, timeout: float = 30.0) -> List[ReceivedEmail]:
        """The messages once there are ``count`` of them, or all after ``timeout``
        seconds (the caller asserts on what it got)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                break
            time.sleep(0.05)
        return self.messages


def _serve_in_process(
    port: int,
    reply_delay: float,
    max_connections: Optional[int],
    figures: Any,
    ready: Any,
    stop: Any,
) -> None:
    sink = SmtpSink(
        port=port,
        capture=False,
        reply_delay=reply_delay,
        max_connections=max_connections,
    )

    def count_message() -> None:
        with figures.get_lock():
            figures[0] += 1

    def publish(gate: ConnectionGate) -> None:
        with figures.get_lock():
            figures[1], figures[2] = gate.refused, gate.peak

    sink.handler.on_accept = count_message
    sink.gate.on_change = publish
    sink.start()
    ready.set()
    try:
        stop.wait()
    finally:
        sink.stop()


class SmtpSinkProcess:
    """:class:`SmtpSink` (counting only) in a ``spawn`` process of its own.

    ``count``, ``refused_connections`` and ``peak_connections`` are read from shared
    memory.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        reply_delay: float = 0.0,
        max_connections: Optional[int] = None,
    ) -> None:
        ConnectionGate(max_connections)  # the same check, before a process starts
        if reply_delay < 0:
            raise ValueError(f"reply_delay must not be negative, not {reply_delay}")
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.reply_delay = reply_delay
        self.max_connections = max_connections
        context = multiprocessing.get_context("spawn")
        self._figures = context.Array("q", 3)  # accepted, refused, peak connections
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve_in_process,
            args=(
                self.port,
                reply_delay,
                max_connections,
                self._figures,
                self._ready,
                self._stop,
            ),
            name="smtp-sink",
            daemon=True,
        )

    @property
    def pid(self) -> Optional[int]:
        return self._process.pid

    @property
    def count(self) -> int:
        return int(self._figures[0])

    @property
    def refused_connections(self) -> int:
        return int(self._figures[1])

    @property
    def peak_connections(self) -> int:
        return int(self._figures[2])

    def start(self) -> SmtpSinkProcess:
        self._process.start()
        deadline = time.monotonic() + 30
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self.stop()
                code = self._process.exitcode
                raise RuntimeError(f"The SMTP sink did not start (exit code {code}).")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)

    def __enter__(self) -> SmtpSinkProcess:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
