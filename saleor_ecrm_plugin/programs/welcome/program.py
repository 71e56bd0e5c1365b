"""Welcome: one email to a customer who just created an account.

Trigger: Saleor's ``customer_created`` hook. Step ``welcome`` is due a configurable
number of minutes after sign-up. Re-check before sending: the account still exists,
is active and still has the address the email was planned for.

This is the smallest complete program; the larger ones follow the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Optional

from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from ...fields import ConfigField, FieldType, ProgramOptions, int_parser, parse_bool
from ...host import port as host
from ...ledger import PlannedSend, plan_send
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings
    from ...models import ScheduledSend


@dataclass(frozen=True)
class WelcomeOptions(ProgramOptions):
    welcome_enabled: bool
    welcome_delay_minutes: int

    FIELDS = (
        ConfigField(
            "welcome_enabled",
            gettext_lazy("Welcome email: on"),
            gettext_lazy("Send a welcome email to customers who create an account."),
            False,
            parse_bool,
            FieldType.BOOLEAN,
        ),
        ConfigField(
            "welcome_delay_minutes",
            gettext_lazy("Welcome email: delay (minutes)"),
            gettext_lazy("Minutes between account creation and the welcome email."),
            "10",
            int_parser(0, 7 * 24 * 60, gettext_noop("minutes")),
        ),
    )


class WelcomeProgram(Program):
    id = "welcome"
    category = "account"
    enabled_field = "welcome_enabled"
    Options = WelcomeOptions
    hook_methods = ("plan_welcome",)

    def options(self, settings: EcrmSettings) -> WelcomeOptions:
        return settings.options(self.id, WelcomeOptions)

    def plan_welcome(
        self,
        settings: EcrmSettings,
        user_id: str,
        email: str,
        now: Optional[datetime] = None,
    ) -> bool:
        if not self.is_enabled(settings) or not email:
            return False
        now = now or timezone.now()
        delay = timedelta(minutes=self.options(settings).welcome_delay_minutes)
        return plan_send(
            PlannedSend(
                program=self.id,
                step="welcome",
                recipient=email,
                subject_type="user",
                subject_id=str(user_id),
                due_at=now + delay,
            )
        )

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        customer = host.customer_by_id(send.subject_id)
        if customer is None:
            return skip("account_deleted")
        if not customer.is_active:
            return skip("account_inactive")
        if customer.email.lower() != send.recipient.lower():
            return skip("email_changed")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        customer = host.customer_by_id(send.subject_id)
        first_name = customer.first_name if customer else ""
        return EmailSpec(
            template="ecrm/welcome",
            context={"first_name": first_name, "shop_url": settings.storefront_url},
        )
