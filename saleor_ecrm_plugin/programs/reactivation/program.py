"""Reactivation: one frankly commercial email to inactive subscribers, then list
cleaning for those who still do not react.

Trigger: the daily scan :meth:`ReactivationProgram.daily_run` (beat, from the
manifest), after the engagement recompute (task
``saleor_ecrm_plugin.recompute_segments``):

1. **List cleaning first** (:func:`.sunset.sunset_unresponsive`): an address whose
   reactivation email went out ``reactivation_sunset_days`` (default 30) ago with no
   real open or click since is suppressed as ``sunset``, the reason in the consent
   log. Subscribing again (newsletter confirmation, an opt-in on the preference
   page) lifts it.
2. **Planning** (:func:`.sunset.plan_reactivations`): one ``reactivation/offer`` row
   per inactive address (level ``inactive``), at most ``reactivation_daily_limit``.

Re-check before sending: the address is still ``inactive`` and had no real open or
click since the email was planned. The dispatcher applies marketing consent, the
category (``reactivation``: one-click unsubscribe), quiet hours and the frequency
cap, like any marketing email.

The email: the merchant's subject (``reactivation_subject``) and offer
(``reactivation_offer``), and a single-use Saleor voucher when
``reactivation_voucher_percentage`` is above 0 (made inside the send's guard, reused
by a retry through the ledger row's key).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional

from django.utils import timezone

from ...engagement.models import EmailClick, EmailOpen, OpenProxy
from ...host import port as host
from ...segments.engagement import level_of
from ...segments.levels import INACTIVE
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from .options import PROGRAM_ID, ReactivationOptions
from .sunset import plan_reactivations, sunset_unresponsive

if TYPE_CHECKING:
    from datetime import datetime

    from ...ecrm_settings import EcrmSettings
    from ...models import ScheduledSend

VOUCHER_PREFIX = "BACK"


def engaged_since(email: str, since: datetime) -> bool:
    """A real open or click by ``email`` at or after ``since``."""
    email = email.strip().lower()
    clicked = EmailClick.objects.filter(
        recipient=email, bot_reason="", clicked_at__gte=since
    ).exists()
    return clicked or (
        EmailOpen.objects.filter(recipient=email, opened_at__gte=since)
        .exclude(proxy=OpenProxy.APPLE_MPP)
        .exists()
    )


class ReactivationProgram(Program):
    id = PROGRAM_ID
    category = "reactivation"
    enabled_field = "reactivation_enabled"
    Options = ReactivationOptions
    scan_methods = ("daily_run",)

    def options(self, settings: EcrmSettings) -> ReactivationOptions:
        return settings.options(self.id, ReactivationOptions)

    def daily_run(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """Clean the list, then plan today's reactivation emails."""
        if not self.is_enabled(settings):
            return {"sunset": 0, "planned": 0}
        now = now or timezone.now()
        options = self.options(settings)
        sunset = sunset_unresponsive(now, options.reactivation_sunset_days)
        planned = plan_reactivations(now, options.reactivation_daily_limit)
        return {"sunset": sunset, "planned": planned}

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        if level_of(send.recipient) != INACTIVE:
            return skip("no_longer_inactive")
        if engaged_since(send.recipient, send.created_at):
            return skip("reengaged")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        options = self.options(settings)
        context: Dict[str, object] = {
            "subject": options.reactivation_subject,
            "offer": options.reactivation_offer,
            "shop_url": settings.storefront_url,
        }
        if options.reactivation_voucher_percentage:
            voucher = host.issue_single_use_voucher(
                reference=send.idempotency_key,
                prefix=VOUCHER_PREFIX,
                percentage=options.reactivation_voucher_percentage,
                valid_days=options.reactivation_voucher_valid_days,
                now=timezone.now(),
            )
            context.update(
                voucher_code=voucher.code,
                voucher_percentage=voucher.percentage,
                voucher_end_date=voucher.end_date,
            )
        return EmailSpec(template="ecrm/reactivation", context=context)
