"""The bench's SMTP server: the shared sink in a process of its own, counting only.

``SmtpSink()`` accepts at once (the CPU-bound local-sink figures);
``SmtpSink(reply_delay=0.025, max_connections=16)`` answers like a provider a city
away that allows 16 connections at once. See :mod:`saleor_ecrm_plugin.testing.smtp`.
"""

from __future__ import annotations

from saleor_ecrm_plugin.testing.smtp import SmtpSinkProcess as SmtpSink
from saleor_ecrm_plugin.testing.smtp import free_port

__all__ = ["SmtpSink", "free_port"]
