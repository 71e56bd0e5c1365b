"""The tests' SMTP server: the shared sink of ``saleor_ecrm_plugin.testing.smtp``.

``SmtpServer().start()`` records every message it accepts (``messages``,
``wait_for``); ``handler.mail_override`` / ``rcpt_override`` / ``reply_override``
make it refuse on purpose.
"""

from __future__ import annotations

from saleor_ecrm_plugin.testing.smtp import (
    ReceivedEmail,
    SinkHandler,
    SmtpSink,
    free_port,
)

#: the names the tests used before the sink was shared
Received = ReceivedEmail
RecordingHandler = SinkHandler


class SmtpServer(SmtpSink):
    """A capturing :class:`SmtpSink` on a free port of 127.0.0.1."""


__all__ = ["Received", "RecordingHandler", "SmtpServer", "free_port"]
