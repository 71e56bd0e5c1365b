"""The demo's stand-in for the shop's mail provider: the shared local SMTP sink.

Django's SMTP backend delivers to it; each accepted message is kept (raw bytes, as
received) and handed to ``on_message``, which the demo uses to print a line and grow
the email gallery. See :mod:`saleor_ecrm_plugin.testing.smtp`.
"""

from __future__ import annotations

from saleor_ecrm_plugin.testing.smtp import ReceivedEmail, SmtpSink, free_port

__all__ = ["ReceivedEmail", "SmtpSink", "free_port"]
