"""Newsletter double opt-in: the confirmation email with its signed link.

Trigger: the ``newsletterSubscribe`` mutation (or any caller of
``preferences.service.request_newsletter``, which plans it with
:func:`.planning.plan_confirmation`). One step, due at once. Re-check: the
address is still waiting for confirmation. The email is the customer's own request,
so it is sent without marketing consent (category "account").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...host import port as host
from ...preferences.links import newsletter_confirm_url, public_base_url
from ...preferences.models import EmailContact, NewsletterStatus
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from .planning import PROGRAM_ID, plan_confirmation  # noqa: F401

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings
    from ...models import ScheduledSend


class NewsletterConfirmationProgram(Program):
    id = PROGRAM_ID
    category = "account"

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        status = (
            EmailContact.objects.filter(email=send.recipient)
            .values_list("newsletter", flat=True)
            .first()
        )
        if status != NewsletterStatus.PENDING:
            return skip("not_pending")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        base = public_base_url(settings, host.shop_info())
        return EmailSpec(
            template="ecrm/newsletter_confirm",
            context={"confirm_url": newsletter_confirm_url(base, send.recipient)},
        )
