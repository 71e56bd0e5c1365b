"""What every e-CRM program provides, and what the dispatcher asks of it.

A program is one module holding its whole story:

* its ``id`` and ``category`` (the kind of email, for the customer's preferences);
* ``config_fields``: the dashboard fields it adds (typed in :mod:`..config`);
* its triggers: methods the plugin's Saleor hooks or a beat scan call, which plan
  steps through :func:`saleor_ecrm_plugin.ledger.plan_send`;
* :meth:`Program.skip_reason`: the condition re-checked right before each send;
* :meth:`Program.message`: the template and context of a step.

Programs talk to Saleor only through :mod:`saleor_ecrm_plugin.host` and receive plain
values (ids, emails), never Saleor model instances.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    ContextManager,
    Dict,
    Mapping,
    Optional,
    Sequence,
)

from .decision import SEND, Decision

if TYPE_CHECKING:
    from ..config import ConfigField, EcrmSettings
    from ..models import ScheduledSend


@dataclass(frozen=True)
class EmailSpec:
    """What to render for one send: a django-templated-email template and its context.

    ``template`` is a name under ``templated_email/`` without the ``.email`` suffix,
    e.g. ``"ecrm/welcome"``. ``context`` holds plain values only.
    """

    template: str
    context: Dict[str, Any] = field(default_factory=dict)
    headers: Dict[str, str] = field(default_factory=dict)


class Program:
    """Base class of the programs. Subclasses set the class attributes and implement
    :meth:`skip_reason` and :meth:`message`."""

    #: stable identifier stored in the ledger; never rename once emails were planned
    id: ClassVar[str] = ""
    #: the customer-facing kind of email (preference category)
    category: ClassVar[str] = ""
    #: True for mail a customer cannot opt out of (order confirmation, shipping)
    transactional: ClassVar[bool] = False
    config_fields: ClassVar[Sequence[ConfigField]] = ()
    #: name of the boolean config field that switches the program on, if any
    enabled_field: ClassVar[Optional[str]] = None
    #: counted against the merchant's frequency cap (cart reminders are not)
    frequency_capped: ClassVar[bool] = True

    def is_enabled(self, settings: EcrmSettings) -> bool:
        if self.enabled_field is None:
            return True
        return bool(settings.program(self.id).get(self.enabled_field, False))

    def consent_mode(self, settings: EcrmSettings) -> str:
        """Who may receive this program's emails, if its category is marketing."""
        return settings.consent_mode

    def options(self, settings: EcrmSettings) -> Mapping[str, Any]:
        return settings.program(self.id)

    def order_placed(self, settings: EcrmSettings, order_id: int) -> int:
        """An order committed: stop what it makes pointless, credit what brought it.

        Returns the number of sent emails credited with the order
        (:func:`saleor_ecrm_plugin.attribution.record_conversions`). Default: none.
        """
        return 0

    def send_guard(self, send: ScheduledSend) -> ContextManager[Any]:
        """What the re-check, the rendering and the delivery of a send run inside.

        The default guards nothing. A program whose condition can be made false by a
        concurrent event (an order placed while its reminder is being sent) returns
        a transaction holding the locks that event's hook also takes.
        """
        return nullcontext()

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        """Re-check, right before sending and inside :meth:`send_guard`, that the
        email is still wanted: :data:`~.decision.SEND` or :func:`~.decision.skip`.

        It writes nothing. The default asks :meth:`skip_reason`."""
        reason = self.skip_reason(send, settings)
        return SEND if reason is None else Decision(reason)

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        """The send's side effects (a voucher to create...) and its template and
        context, inside :meth:`send_guard` after a :data:`SEND` decision: a failed
        delivery rolls back what the guard's transaction holds. Default:
        :meth:`message`."""
        return self.message(send, settings)

    def replan(
        self, send: ScheduledSend, settings: EcrmSettings, decision: Decision
    ) -> None:
        """Plan again after a skip that asked for it (``decision.replan``), once
        the skip is recorded. Default: nothing."""

    def skip_reason(self, send: ScheduledSend, settings: EcrmSettings) -> Optional[str]:
        """Re-check, right before sending, that the email is still wanted.

        Return ``None`` to send, or a short machine-readable reason to skip
        (recorded on the ledger row, e.g. ``"checkout_converted"``).
        """
        raise NotImplementedError

    def message(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        """Return the template and the context of this send's step."""
        raise NotImplementedError
