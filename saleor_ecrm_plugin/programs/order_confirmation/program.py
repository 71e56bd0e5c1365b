"""The order confirmation with its cross-sell block, where Saleor sends none.

Which host sends it: Saleor 2.10 sends its own confirmation (its task renders
``templated_email/order/confirm_order.email``, the plugin's template, which adds
the cross-sell block through the ``ecrm`` tags), so there this program plans
nothing: a second confirmation would be a duplicate. Saleor 3.21 sends no customer
email unless the merchant set up the UserEmailPlugin; there the plugin sends the
confirmation. The host says which (:attr:`Host.sends_order_confirmation
<saleor_ecrm_plugin.host.port.Host.sends_order_confirmation>`): a fact of the
Saleor line, not a merchant's choice. The merchant can still switch ours off
(``order_confirmation_enabled``) when another sender (Saleor's UserEmailPlugin,
an app) already writes to customers; README says how to keep Saleor's off instead.

Trigger: the plugin's ``order_created`` hook (after Saleor's commit) calls
:meth:`OrderConfirmationProgram.plan_confirmation` with the order's id and address.
One step, ``confirmation``, due at once; its idempotency key is the order's id, so
a second ``order_created`` (a retried hook, a re-run task) plans nothing new and
one order never gets two confirmations, even if its address changed between.

Re-check before sending: the order still exists and was not cancelled (an order
cancelled in the seconds before the dispatcher's tick gets no confirmation), and
it is still addressed to the planned recipient.

Consent: transactional (category ``order``): no marketing consent, no quiet hours,
no frequency cap, no unsubscribe link. An address the mail provider reported as
undeliverable (hard bounce, rejected) gets nothing (``preferences/policy.py``).

Rendered from ``templated_email/ecrm/order_confirmation.email`` with the order's
lines, totals and addresses (plain values from the host), the link to the order in
the storefront, and the cross-sell block of :class:`CrossSellProgram` (its own
switch, count and excluded categories apply) after the confirmation proper; in the
customer's language (the order's, else the channel's, see ``localisation.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Optional

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from ...errors import ConfigurationError, PermanentSendError
from ...fields import ConfigField, ConfigValue, FieldType, ProgramOptions, parse_bool
from ...host import port as host
from ...ledger import PlannedSend, plan_send
from ..base import EmailSpec, Program
from ..cross_sell.program import CrossSellProgram
from ..decision import SEND, Decision, skip
from ..registry import program_of

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings
    from ...models import ScheduledSend

PROGRAM_ID = "order_confirmation"
STEP = "confirmation"
TEMPLATE = "ecrm/order_confirmation"
#: what the order page's address may name
ORDER_URL_FIELDS = {"storefront", "number", "id"}
#: order statuses after which a confirmation is pointless or wrong
_NOT_CONFIRMED = ("canceled", "draft", "expired")


def parse_order_url(value: ConfigValue) -> str:
    """Empty (no link), or an address starting with ``{storefront}`` or
    http(s):// that names only ``{storefront}``, ``{number}`` and ``{id}``."""
    text = str(value or "").strip()
    if not text:
        return ""
    names = set(re.findall(r"{([^{}]*)}", text))
    try:
        text.format(storefront="", number="", id="")
        well_formed = not names - ORDER_URL_FIELDS
    except (ValueError, KeyError, IndexError, AttributeError):
        well_formed = False
    if not well_formed:
        raise ConfigurationError(
            gettext("Only {storefront}, {number} and {id} can be used in the address.")
        )
    if not (text.startswith("{storefront}") or re.match(r"https?://", text)):
        raise ConfigurationError(
            gettext(
                "Start with {storefront} or http(s)://, e.g."
                " {storefront}account/orders/{number}/."
            )
        )
    return text


@dataclass(frozen=True)
class OrderConfirmationOptions(ProgramOptions):
    order_confirmation_enabled: bool
    order_confirmation_url: str

    FIELDS = (
        ConfigField(
            "order_confirmation_enabled",
            gettext_lazy("Order confirmation: send it (Saleor 3.21)"),
            gettext_lazy(
                "Send customers the order confirmation, with the suggested products"
                " block. Saleor 3.21 sends none of its own; keep its UserEmailPlugin"
                " order confirmation off, or customers get two. No effect on Saleor"
                " 2.10, which sends its own."
            ),
            True,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "order_confirmation_url",
            gettext_lazy("Order confirmation: order page address"),
            gettext_lazy(
                "Link to the order in your storefront. {storefront} is the storefront"
                " address, {number} the order's number, {id} its id. Empty: no link."
            ),
            "",
            parse_order_url,
        ),
    )


def confirmation_key(order_id: str) -> str:
    """One confirmation per order, whatever the address."""
    return f"{PROGRAM_ID}:{STEP}:order:{order_id}"


class OrderConfirmationProgram(Program):
    id = PROGRAM_ID
    category = "order"
    transactional = True
    frequency_capped = False
    enabled_field = "order_confirmation_enabled"
    Options = OrderConfirmationOptions
    hook_methods = ("plan_confirmation",)

    def options(self, settings: EcrmSettings) -> OrderConfirmationOptions:
        return settings.options(self.id, OrderConfirmationOptions)

    def plan_confirmation(
        self,
        settings: EcrmSettings,
        order_id: str,
        email: str,
        now: Optional[datetime] = None,
    ) -> bool:
        """Plan the order's confirmation, due now; False when nothing new was
        planned (Saleor sends it on this host, the program is off, the order has
        no address, or it was planned already)."""
        if host.sends_order_confirmation() or not self.is_enabled(settings):
            return False
        email = (email or "").strip()
        if not email or not order_id:
            return False
        return plan_send(
            PlannedSend(
                program=self.id,
                step=STEP,
                recipient=email,
                subject_type="order",
                subject_id=str(order_id),
                due_at=now or timezone.now(),
                key=confirmation_key(str(order_id)),
            )
        )

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        if host.sends_order_confirmation():
            return skip("sent_by_saleor")
        order = host.order_confirmation(send.subject_id)
        if order is None:
            return skip("order_deleted")
        if order.status in _NOT_CONFIRMED:
            return skip(f"order_{order.status}")
        if order.email.lower() != send.recipient.strip().lower():
            return skip("email_changed")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        order = host.order_confirmation(send.subject_id)
        if order is None:  # deleted between the re-check and now
            raise PermanentSendError(f"order {send.subject_id} is gone")
        suggestions = program_of(CrossSellProgram).suggestions(
            send.subject_id, settings
        )
        url = self.options(settings).order_confirmation_url
        return EmailSpec(
            template=TEMPLATE,
            context={
                "order": order,
                "first_name": order.first_name,
                "order_url": url.format(
                    storefront=settings.storefront_url, number=order.number, id=order.id
                ),
                "suggestions": suggestions,
            },
        )
