"""Hand rendered messages to Django's ``EMAIL_BACKEND`` and classify its failures.

Any backend works (SMTP, console, django-anymail's providers). Failures are sorted
into :class:`TransientSendError` (retry later) and :class:`PermanentSendError`.

With Django's own SMTP backend, :class:`Courier` does what the backend's
``send_messages`` does for one message (``EmailBackend._send``) on the backend's
open connection, with one difference: an address that is a plain dot-atom
``local@domain`` (every address the plugin plans) is not run through
``sanitize_address``, which would return it unchanged, and the sender's address is
sanitized once per run. Parsing the two addresses cost a fifth of the CPU of an
email. The SMTP transaction itself is smtplib's ``sendmail`` without parsing those
addresses a second time (:func:`send_mail_transaction`). Any other backend, a
subclass of Django's included, gets ``send_messages``.
"""

from __future__ import annotations

import re
import smtplib
import socket
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend
from django.core.mail.message import sanitize_address

from .errors import (
    InvalidAddress,
    PermanentSendError,
    ProviderUnavailable,
    TransientSendError,
)

#: the SMTP timeout when Django's EMAIL_TIMEOUT is unset: far below the lease
DEFAULT_SMTP_TIMEOUT = 30


class Courier:
    """One open connection to the email backend, reused for a batch of messages."""

    def __init__(self) -> None:
        self._connection: Optional[Any] = None

    def __enter__(self) -> Courier:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # the connection is being dropped anyway
            self._connection = None

    def deliver(self, message: EmailMessage) -> None:
        """Deliver one message or raise a classified :class:`SendError`."""
        try:
            if self._connection is None:
                connection = get_connection(fail_silently=False)
                if getattr(connection, "timeout", 0) is None:  # SMTP: never unbounded
                    connection.timeout = DEFAULT_SMTP_TIMEOUT
                # opened once and reused for the batch (send_messages alone would
                # connect and quit around every message)
                connection.open()
                self._connection = connection
            if type(self._connection) is DjangoSmtpBackend:
                sent = _smtp_send(self._connection, message)
            else:
                sent = self._connection.send_messages([message])
        except Exception as exc:  # classified below; nothing is swallowed
            # After a failure the SMTP session state is unknown: start a new one.
            self.close()
            raise classify_failure(exc) from exc
        if not sent:
            self.close()
            raise TransientSendError("The email backend accepted no message.")


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# local@domain that sanitize_address returns as it is: dot-atoms, ASCII, no name
_LABEL = r"[A-Za-z0-9-]{1,63}"  # longer: sanitize_address's IDNA step refuses it
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*\Z")


def envelope_address(address: str, encoding: str) -> str:
    """``sanitize_address(address, encoding)``, without parsing a plain address."""
    # "=?" may open an encoded word, which sanitize_address's parser decodes
    if _PLAIN_ADDRESS.match(address) and "=?" not in address:
        return address
    return _sanitized(address, encoding)


@lru_cache(maxsize=256)
def _sanitized(address: str, encoding: str) -> str:
    return sanitize_address(address, encoding)


def _smtp_send(backend: DjangoSmtpBackend, message: EmailMessage) -> int:
    """Django's ``EmailBackend._send`` (3.0) on the backend's open connection."""
    recipients = message.recipients()
    if not recipients:
        return 0
    encoding = message.encoding or settings.DEFAULT_CHARSET
    with backend._lock:
        send_mail_transaction(
            backend.connection,
            envelope_address(message.from_email, encoding),
            [envelope_address(address, encoding) for address in recipients],
            message.message().as_bytes(linesep="\r\n"),
        )
    return 1


_LINE_START_DOT = re.compile(rb"(?m)^\.")


def send_mail_transaction(
    smtp: smtplib.SMTP, sender: str, recipients: List[str], data: bytes
) -> Dict[str, Tuple[int, bytes]]:
    """``smtp.sendmail(sender, recipients, data)`` for a message of bytes with CRLF
    line ends: the same commands, replies and exceptions (Python 3.8-3.11's
    ``sendmail``), with two costs left out. smtplib writes each address through
    ``quoteaddr``, which parses it with ``email.utils.parseaddr``; a plain
    ``local@domain`` (what :func:`envelope_address` returns for every address the
    plugin plans) is written as ``<local@domain>``, what ``quoteaddr`` returns for
    it. And the message is scanned for lines starting with a dot (to double it)
    only when it has such a line. Together a twentieth of an email's CPU."""
    smtp.ehlo_or_helo_if_needed()
    options = ""
    if smtp.does_esmtp and smtp.has_extn("size"):
        options = f" size={len(data)}"
    code, reply = smtp.docmd("mail", f"FROM:{_quoted(sender)}{options}")
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused: Dict[str, Tuple[int, bytes]] = {}
    for recipient in recipients:
        code, reply = smtp.docmd("rcpt", f"TO:{_quoted(recipient)}")
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon(smtp, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    if data.startswith(b".") or b"\n." in data:
        data = _LINE_START_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data + b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        _abandon(smtp, code)
        raise smtplib.SMTPDataError(code, reply)
    return refused


def _quoted(address: str) -> str:
    if _PLAIN_ADDRESS.match(address):
        return f"<{address}>"
    return _quoteaddr(address)


@lru_cache(maxsize=256)
def _quoteaddr(address: str) -> str:
    # a sender with a name ("Shop <hello@shop.example.com>"): the same every email
    return smtplib.quoteaddr(address)


def _abandon(smtp: smtplib.SMTP, code: int) -> None:
    """After a refusal, as ``sendmail`` does: close on 421, else reset the
    transaction (a server already gone is left closed)."""
    if code == 421:
        smtp.close()
        return
    try:
        smtp.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def classify_failure(exc: BaseException) -> Exception:
    """Map a backend exception to a transient or a permanent send error."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        if 421 in codes:  # the server is closing the session: not this address
            return ProviderUnavailable(f"Service not available: {exc.recipients}")
        if codes and all(400 <= code < 500 for code in codes):
            return TransientSendError(f"Recipient deferred: {exc.recipients}")
        return InvalidAddress(f"Recipient refused: {exc.recipients}")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
        if exc.smtp_code == 421 or isinstance(exc, smtplib.SMTPConnectError):
            return ProviderUnavailable(text)
        if 400 <= exc.smtp_code < 500:
            return TransientSendError(text)
        return PermanentSendError(text)
    if isinstance(exc, (smtplib.SMTPServerDisconnected, socket.timeout, OSError)):
        return ProviderUnavailable(f"{type(exc).__name__}: {exc}")
    anymail_error = _classify_anymail(exc)
    if anymail_error is not None:
        return anymail_error
    if isinstance(exc, (ValueError, UnicodeError)):
        return PermanentSendError(f"{type(exc).__name__}: {exc}")
    # Unknown failure type: retrying is the safe choice; attempts are bounded.
    return TransientSendError(f"{type(exc).__name__}: {exc}")


def _classify_anymail(exc: BaseException) -> Optional[Exception]:
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:
        return None
    if isinstance(exc, AnymailRecipientsRefused):
        return InvalidAddress(str(exc))
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        if status is None or status in (502, 503, 504):  # no answer / not available
            return ProviderUnavailable(str(exc))
        if status == 429 or status >= 500:
            return TransientSendError(str(exc))
        return PermanentSendError(str(exc))
    return None
