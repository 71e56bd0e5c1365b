"""Hand rendered messages to Django's ``EMAIL_BACKEND`` and classify its failures.

Any backend works (Django's SMTP backend, console, locmem, django-anymail's
providers), through one public call: ``send_messages([message])`` on a connection
opened once (``get_connection()`` then ``open()``) and reused for every message
of a dispatcher loop, closed at its end. Failures are sorted by
:func:`classify_failure` into :class:`TransientSendError` (retry later) and
:class:`PermanentSendError`.
"""

from __future__ import annotations

import smtplib
import socket
from typing import Any, Optional

from django.core.mail import EmailMessage, get_connection

from .errors import (
    InvalidAddress,
    PermanentSendError,
    ProviderUnavailable,
    TransientSendError,
)

#: the SMTP timeout when Django's EMAIL_TIMEOUT is unset: far below the lease
DEFAULT_SMTP_TIMEOUT = 30


class Courier:
    """One open connection to the email backend, reused for a batch of messages.

    The connection is opened at the first :meth:`deliver` and closed by
    :meth:`close` (or leaving the ``with`` block); after a failed delivery it is
    closed, and the next delivery opens a new one (the SMTP session's state is
    unknown after an error)."""

    def __init__(self) -> None:
        self._connection: Optional[Any] = None

    def __enter__(self) -> Courier:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # the connection is being dropped anyway

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
            sent = self._connection.send_messages([message])
        except Exception as exc:  # classified below; nothing is swallowed
            self.close()
            raise classify_failure(exc) from exc
        if not sent:
            self.close()
            raise TransientSendError("The email backend accepted no message.")


def classify_failure(exc: BaseException) -> Exception:
    """Map a backend exception to a transient or a permanent send error.

    Transient: a 4xx reply, a recipient deferred with 4xx, a dropped connection,
    a timeout, any other ``OSError`` (connection refused...), an anymail error
    without a status or with 429/5xx, and anything unknown (attempts are bounded).
    Permanent: a 5xx reply, the sender refused with 5xx, recipients refused
    (:class:`InvalidAddress`), a message the backend cannot encode."""
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
