"""What every e-CRM program provides, and what the dispatcher asks of it.

A program is one package (``programs/<name>/``, declared by its ``MANIFEST``, see
:mod:`.manifest`) holding its whole story:

* its ``id`` and ``category`` (the kind of email, for the customer's preferences);
* ``Options``: its typed options, a :class:`~..fields.ProgramOptions` dataclass
  whose ``FIELDS`` are the dashboard fields it adds;
* its triggers: hooks (``hook_methods``) the plugin's Saleor hooks call, directly or
  through the generic ``run_program_hook`` task, and periodic scans
  (``scan_methods``, scheduled by its manifest); they plan steps through
  :func:`saleor_ecrm_plugin.ledger.plan_send`;
* the steps the dispatcher runs for each send, in this order: :meth:`Program.recheck`
  (decide: send, or skip with a reason), :meth:`Program.prepare` (side effects such
  as a voucher, then the template and context), and after a recorded skip that
  asked for it, :meth:`Program.replan`.

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
    Tuple,
    Type,
)

from ..fields import NoOptions, ProgramOptions
from .decision import SEND, Decision

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings
    from ..fields import ConfigField
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
    :meth:`recheck` and :meth:`prepare` (or, the older pair, :meth:`skip_reason`
    and :meth:`message`, which the defaults of the first two call)."""

    #: stable identifier stored in the ledger; never rename once emails were planned
    id: ClassVar[str] = ""
    #: the customer-facing kind of email (preference category)
    category: ClassVar[str] = ""
    #: True for mail a customer cannot opt out of (order confirmation, shipping)
    transactional: ClassVar[bool] = False
    #: the typed options; their ``FIELDS`` are the program's dashboard fields
    Options: ClassVar[Type[ProgramOptions]] = NoOptions
    #: name of the boolean option that switches the program on, if any
    enabled_field: ClassVar[Optional[str]] = None
    #: counted against the merchant's frequency cap (cart reminders are not)
    frequency_capped: ClassVar[bool] = True
    #: methods a periodic scan of the manifest may run: ``(settings) -> counts``
    scan_methods: ClassVar[Tuple[str, ...]] = ()
    #: methods the generic hook task may run: ``(settings, *plain values)``
    hook_methods: ClassVar[Tuple[str, ...]] = ()

    @property
    def config_fields(self) -> Sequence[ConfigField]:
        return self.Options.FIELDS

    def is_enabled(self, settings: EcrmSettings) -> bool:
        if self.enabled_field is None:
            return True
        return bool(getattr(self.options(settings), self.enabled_field))

    def consent_mode(self, settings: EcrmSettings) -> str:
        """Who may receive this program's emails, if its category is marketing."""
        return settings.consent_mode

    def options(self, settings: EcrmSettings) -> Any:
        """The program's typed options (an instance of :attr:`Options`); subclasses
        narrow the return type."""
        return settings.options(self.id, self.Options)

    def run_scan(self, method: str, settings: EcrmSettings) -> Mapping[str, int]:
        """Run the periodic scan ``method`` (one of :attr:`scan_methods`)."""
        if method not in self.scan_methods:
            raise ValueError(f"{self.id} has no scan {method!r}")
        result: Mapping[str, int] = getattr(self, method)(settings)
        return result

    def run_hook(self, method: str, settings: EcrmSettings, *args: Any) -> Any:
        """Run the hook ``method`` (one of :attr:`hook_methods`) with plain values."""
        if method not in self.hook_methods:
            raise ValueError(f"{self.id} has no hook {method!r}")
        return getattr(self, method)(settings, *args)

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
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
