"""Newsletter double opt-in: the confirmation email with its signed link.

Trigger: the ``newsletterSubscribe`` mutation (or any caller of
``preferences.service.request_newsletter``). One step, due at once. Re-check: the
address is still waiting for confirmation. The email is the customer's own request,
so it is sent without marketing consent (category "account").
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Optional

from django.utils import timezone

from ..ledger import PlannedSend, plan_send
from ..preferences.links import newsletter_confirm_url, public_base_url
from ..preferences.models import EmailContact, NewsletterStatus
from .base import EmailSpec, Program
from .registry import register

if TYPE_CHECKING:
    from ..config import EcrmSettings
    from ..models import ScheduledSend


def plan_confirmation(email: str) -> bool:
    now = timezone.now()
    # an address runs to 254 characters; subject_id holds 64 and the key 200
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:40]
    return plan_send(
        PlannedSend(
            program=NewsletterConfirmationProgram.id,
            step="confirm",
            recipient=email,
            subject_type="email",
            subject_id=digest,
            due_at=now,
            # one confirmation email per request, at most one per hour
            key=f"newsletter_confirmation:{digest}:{now:%Y%m%d%H}",
        )
    )


@register
class NewsletterConfirmationProgram(Program):
    id = "newsletter_confirmation"
    category = "account"

    def skip_reason(self, send: ScheduledSend, settings: EcrmSettings) -> Optional[str]:
        status = (
            EmailContact.objects.filter(email=send.recipient)
            .values_list("newsletter", flat=True)
            .first()
        )
        if status != NewsletterStatus.PENDING:
            return "not_pending"
        return None

    def message(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        from ..host import port as host

        base = public_base_url(settings, host.shop_info())
        return EmailSpec(
            template="ecrm/newsletter_confirm",
            context={"confirm_url": newsletter_confirm_url(base, send.recipient)},
        )
