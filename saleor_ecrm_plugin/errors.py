"""One root exception for the plugin, with subclasses that say how to react.

Callers branch on two families: :class:`TransientSendError` (try again later, with
backoff) and :class:`PermanentSendError` (mark the send failed and keep the reason).
Each subclass also inherits the matching built-in so that generic handlers still work.
"""

from __future__ import annotations


class EcrmError(Exception):
    """Root of every error raised on purpose by saleor_ecrm_plugin."""


class ConfigurationError(EcrmError, ValueError):
    """A merchant's configuration value is not usable."""


class UnknownProgram(EcrmError, LookupError):
    """A ledger row names a program that is not registered."""


class SendError(EcrmError):
    """Delivering one planned email failed."""


class TransientSendError(SendError):
    """The provider or network failed in a way that may pass: retry with backoff."""


class PermanentSendError(SendError):
    """Retrying cannot help (address refused, template missing): mark failed."""


class InvalidAddress(PermanentSendError, ValueError):
    """The recipient address is not a deliverable address."""


class RenderingError(PermanentSendError):
    """The email's templates could not be rendered."""


class ProviderUnavailable(TransientSendError):
    """The mail provider cannot be reached or says it is not available (connection
    refused or lost, a timeout, SMTP 421): not this email's fault. The dispatcher's
    circuit breaker pauses sending instead of counting it against the email."""


class RetriesExhausted(PermanentSendError):
    """An email's retries are used up (attempts or retry window): mark failed."""


class InvalidChannelSetting(ConfigurationError):
    """A value the merchant set on a sales channel (Saleor 3's Channel metadata
    ``ecrm.*``) is not usable: it is logged once and the global setting applies."""
