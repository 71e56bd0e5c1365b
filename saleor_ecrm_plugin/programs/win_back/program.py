"""Win-back: write to customers who stopped ordering, with VIP care for the best.

Trigger: a daily scan (:meth:`WinBackProgram.plan_win_backs`, in the manifest).
For each step (``win_back_steps``, default 90, 180 and 365 days), the addresses
whose last counted order lies between ``days`` and ``days`` + :data:`LOOKBACK`
ago get the step, due now. The candidates come from the RFM table
(:mod:`saleor_ecrm_plugin.rfm`, which holds each address's last order; refreshed
first when older than :data:`RFM_MAX_AGE_HOURS`): an index range per step, bounded
by the number of customers who crossed a threshold that day, never a loop over the
customer base. The key is ``win_back:<days>:<email>:<last order time>``: one email
per step and per last order, so a customer who orders again starts a new series.

VIP care: an address the VIP rule (``win_back_vip_groups`` or a total score of at
least ``win_back_vip_min_score``) matches when the step is planned gets the VIP
variant, step ``day<days>_vip``: the merchant's words instead of a discount, and
the VIP offer (``win_back_vip_incentive``, default none). The report lists the VIP
steps apart.

Re-check before sending: no counted order since the last order the step was
planned for (``ordered_since``). Consent, the "We miss you" preference, quiet hours
and the frequency cap are the dispatcher's (category ``win_back``).

The email: the step's offer (a single-use free-shipping or percentage code, made in
:meth:`prepare` with the ledger key as reference: a retried send mails the same
code) and products suggested from the customer's own purchases.

Conversions: an order by the address within ``win_back_attribution_days`` after a
sent win-back email is credited to it; the order also cancels the address's
planned win-back emails.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ...attribution import record_conversions
from ...host import port as host
from ...ledger import PlannedSend, plan_sends
from ...models import ScheduledSend, SendStatus
from ...rfm.models import RfmScore
from ...rfm.scoring import VipRule, ensure_fresh
from ..base import EmailSpec, Program
from ..decision import SEND, Decision, skip
from ..suggestions import from_own_history
from .options import (
    DISCOUNT,
    FREE_SHIPPING,
    NO_INCENTIVE,
    PROGRAM_ID,
    WinBackOptions,
)

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

#: a step reaches those who crossed its threshold this long ago at most (missed
#: daily scans are caught up; older crossings are not mailed late)
LOOKBACK = timedelta(days=3)
#: the scan refreshes the RFM scores first when they are older than this
RFM_MAX_AGE_HOURS = 20.0
VIP_SUFFIX = "_vip"
DISCOUNT_PREFIX = "BACK"
SHIPPING_PREFIX = "SHIP"


def is_vip_step(step: str) -> bool:
    return step.endswith(VIP_SUFFIX)


class WinBackProgram(Program):
    id = PROGRAM_ID
    category = "win_back"
    enabled_field = "win_back_enabled"
    Options = WinBackOptions
    scan_methods = ("plan_win_backs",)

    def options(self, settings: EcrmSettings) -> WinBackOptions:
        return settings.options(self.id, WinBackOptions)

    def vip_rule(self, settings: EcrmSettings) -> VipRule:
        options = self.options(settings)
        return VipRule.of(options.win_back_vip_groups, options.win_back_vip_min_score)

    # --- the trigger ---------------------------------------------------------------

    def plan_win_backs(
        self, settings: EcrmSettings, now: Optional[datetime] = None
    ) -> Dict[str, int]:
        """The daily scan: plan each step for the addresses that just crossed it."""
        if not self.is_enabled(settings):
            return {"planned": 0, "vip": 0}
        now = now or timezone.now()
        rescored = ensure_fresh(RFM_MAX_AGE_HOURS, now)
        options = self.options(settings)
        rule = self.vip_rule(settings)
        planned: List[PlannedSend] = []
        vips = 0
        for step in options.win_back_steps:
            end = now - timedelta(days=step.days)
            rows = RfmScore.objects.filter(
                last_order_at__gte=end - LOOKBACK, last_order_at__lt=end
            ).order_by("last_order_at", "email")
            for score in rows.iterator(chunk_size=2000):
                vip = rule.matches(score)
                vips += vip
                last = score.last_order_at.isoformat()
                planned.append(
                    PlannedSend(
                        program=self.id,
                        step=step.name + (VIP_SUFFIX if vip else ""),
                        recipient=score.email,
                        subject_type="last_order",
                        subject_id=last,
                        due_at=now,
                        payload={"days": step.days, "last_order_at": last},
                        key=f"{self.id}:{step.days}:{score.email}:{last}"[:200],
                    )
                )
        return {
            "planned": plan_sends(planned),
            "vip": vips,
            "seen": len(planned),
            "rfm_recomputed": int(rescored),
        }

    def order_placed(self, settings: EcrmSettings, order_id: Any) -> int:
        """The address ordered again: its planned win-back emails are pointless;
        credit the win-back emails sent to it within the window."""
        order = host.order_facts(order_id)
        if order is None or not order.email:
            return 0
        ScheduledSend.objects.filter(
            program=self.id,
            recipient__iexact=order.email,
            status=SendStatus.PLANNED,
        ).update(
            status=SendStatus.CANCELLED,
            skip_reason="ordered_again",
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        days = self.options(settings).win_back_attribution_days
        if not days:
            return 0
        sends = ScheduledSend.objects.filter(
            program=self.id,
            recipient__iexact=order.email,
            status=SendStatus.SENT,
            sent_at__gte=order.created - timedelta(days=days),
            sent_at__lte=order.created,
        )
        return record_conversions(self.id, list(sends), order)

    # --- the send ------------------------------------------------------------------

    @staticmethod
    def _last_order(send: ScheduledSend) -> Optional[datetime]:
        return parse_datetime(str((send.payload or {}).get("last_order_at", "")))

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        last = self._last_order(send)
        if last is None:
            return skip("no_last_order")
        if host.email_ordered_since(send.recipient, last + timedelta(microseconds=1)):
            return skip("ordered_since")
        return SEND

    def _incentive(self, send: ScheduledSend, options: WinBackOptions) -> str:
        if is_vip_step(send.step):
            return options.win_back_vip_incentive
        days = (send.payload or {}).get("days")
        for step in options.win_back_steps:
            if step.days == days:
                return step.incentive
        return NO_INCENTIVE  # the step was removed from the configuration

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        options = self.options(settings)
        incentive = self._incentive(send, options)
        now = timezone.now()
        voucher = None
        if incentive == DISCOUNT:
            voucher = host.issue_single_use_voucher(
                reference=send.idempotency_key,
                prefix=DISCOUNT_PREFIX,
                percentage=options.win_back_discount_percent,
                valid_days=options.win_back_voucher_days,
                now=now,
            )
        elif incentive == FREE_SHIPPING:
            voucher = host.issue_free_shipping_voucher(
                reference=send.idempotency_key,
                prefix=SHIPPING_PREFIX,
                valid_days=options.win_back_voucher_days,
                now=now,
            )
        last = self._last_order(send)
        days = int((send.payload or {}).get("days") or 0)
        return EmailSpec(
            template="ecrm/win_back",
            context={
                "vip": is_vip_step(send.step),
                "vip_message": options.win_back_vip_message,
                "days": days,
                "months": max(1, round(days / 30.4)),
                "last_order_at": last,
                "incentive": incentive,
                "voucher_code": voucher.code if voucher else "",
                "voucher_percentage": voucher.percentage if voucher else 0,
                "voucher_end_date": voucher.end_date if voucher else None,
                "products": from_own_history(
                    send.recipient,
                    settings.storefront_url,
                    options.win_back_recommendations,
                ),
                "shop_url": settings.storefront_url,
            },
        )
