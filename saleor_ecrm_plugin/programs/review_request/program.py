"""Review requests after shipping, one reminder, and the optional reward.

Trigger: Saleor's ``fulfillment_created`` (and ``order_fulfilled``) hooks call
:meth:`ReviewRequestProgram.plan_requests` once the fulfilment is committed. One
request per order, whatever the number of parcels: step ``request`` is due
``review_request_delay_days`` after the first fulfilment, step ``reminder``
``review_request_reminder_days`` after that (0: no reminder). Planning twice is a
no-op (idempotency key per order and step).

Re-check before sending (:meth:`recheck`): the order still exists, is not
cancelled, its last payment was not refunded in full, it is still addressed to the
recipient, something of it was shipped (a fulfilment not cancelled), and no line of
it was reviewed yet; a reminder also needs its request to have been sent, at least a
day earlier. The customer's "Review requests" preference and consent are checked by
the dispatcher (category ``reviews``).

The email shows each shipped product (one per product) with five star links. Each
link holds a signed token bound to the order line
(:mod:`saleor_ecrm_plugin.reviews.tokens`); the page it opens records the rating
(:mod:`.views`).

Reward (:class:`ReviewThankYouProgram`, off by default): after a review is
submitted, one thank-you email per order with a single-use Saleor voucher
(``review_incentive_percentage`` % off, valid ``review_incentive_valid_days``). It
is given for any rating: a reward for good ratings only would buy biased reviews.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from django.utils import timezone, translation

from ...host import port as host
from ...ledger import PlannedSend, plan_sends
from ...models import ScheduledSend, SendStatus
from ...preferences.links import public_base_url, token_path, with_language
from ...reviews.tokens import make_review_token
from ..base import EmailSpec, Program
from ..cross_sell.program import PRODUCT_PATH
from ..decision import SEND, Decision, skip
from .models import Review, ReviewStatus
from .options import PROGRAM_ID, ReviewRequestOptions
from .reviews import THANK_YOU_PROGRAM_ID, order_has_review, plan_thank_you

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings
STARS = (1, 2, 3, 4, 5)
#: a reminder never follows its request closer than this (e.g. after an outage)
MIN_REMINDER_GAP = timedelta(days=1)
VOUCHER_PREFIX = "THX"


def review_link(base: str, line: host.ReviewableLine, email: str) -> str:
    token = make_review_token(line.id, line.order_id, email)
    return base + token_path("ecrm:review", token)


class ReviewRequestProgram(Program):
    id = PROGRAM_ID
    category = "reviews"
    enabled_field = "review_request_enabled"
    Options = ReviewRequestOptions
    hook_methods = ("plan_requests",)

    def options(self, settings: EcrmSettings) -> ReviewRequestOptions:
        return settings.options(self.id, ReviewRequestOptions)

    def plan_requests(
        self, settings: EcrmSettings, order_id: Any, now: Optional[datetime] = None
    ) -> int:
        """Plan the request (and reminder) of an order that was just shipped.

        Returns the number of rows created (0 when already planned or unwanted).
        """
        if not self.is_enabled(settings):
            return 0
        order = host.order_for_review(order_id)
        if order is None or not order.email or order.canceled:
            return 0
        options = self.options(settings)
        due = (now or timezone.now()) + timedelta(
            days=options.review_request_delay_days
        )
        planned = [self._planned("request", order.id, order.email, due)]
        reminder_days = options.review_request_reminder_days
        if reminder_days:
            later = due + timedelta(days=reminder_days)
            planned.append(self._planned("reminder", order.id, order.email, later))
        return plan_sends(planned)

    def _planned(
        self, step: str, order_id: str, email: str, due_at: datetime
    ) -> PlannedSend:
        return PlannedSend(
            program=self.id,
            step=step,
            recipient=email,
            subject_type="order",
            subject_id=str(order_id),
            due_at=due_at,
        )

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        order = host.order_for_review(send.subject_id)
        if order is None:
            return skip("order_deleted")
        if order.canceled:
            return skip("order_canceled")
        if order.refunded:
            return skip("order_refunded")
        if order.email != send.recipient.strip().lower():
            return skip("email_changed")
        if not host.fulfilled_lines(order.id):
            return skip("nothing_shipped")
        if order_has_review(order.id):
            return skip("already_reviewed")
        if send.step == "reminder":
            request = (
                ScheduledSend.objects.filter(
                    program=self.id,
                    step="request",
                    subject_type=send.subject_type,
                    subject_id=send.subject_id,
                    recipient__iexact=send.recipient,
                )
                .values_list("status", "sent_at")
                .first()
            )
            if request is None or request[0] != SendStatus.SENT:
                return skip("request_not_sent")
            if request[1] and timezone.now() - request[1] < MIN_REMINDER_GAP:
                return skip("request_too_recent")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        order = host.order_for_review(send.subject_id)
        base = public_base_url(settings, host.shop_info())
        products: List[Dict[str, Any]] = []
        for line in host.fulfilled_lines(send.subject_id):
            link = review_link(base, line, send.recipient)
            language = translation.get_language()
            products.append(
                {
                    "name": line.product_name,
                    "image_url": line.image_url,
                    "url": settings.storefront_url
                    + PRODUCT_PATH.format(slug=line.product_slug, id=line.product_id),
                    # the review page opens in the email's language
                    "review_url": with_language(link, language),
                    "stars": [
                        (star, with_language(f"{link}?rating={star}", language, "&"))
                        for star in STARS
                    ],
                }
            )
        return EmailSpec(
            template=f"ecrm/review_{send.step}",
            context={
                "first_name": order.first_name if order else "",
                "order_number": order.number if order else send.subject_id,
                "products": products,
            },
        )


class ReviewThankYouProgram(Program):
    """The reward: a single-use voucher, once per order, after a review."""

    id = THANK_YOU_PROGRAM_ID
    category = "reviews"
    # the customer is waiting for it: not delayed by the marketing frequency cap
    frequency_capped = False

    def is_enabled(self, settings: EcrmSettings) -> bool:
        return self.options(settings).review_incentive_enabled

    def options(self, settings: EcrmSettings) -> ReviewRequestOptions:
        # the reward is configured with the review requests
        return settings.options(PROGRAM_ID, ReviewRequestOptions)

    @classmethod
    def plan_thank_you(cls, settings: EcrmSettings, order_id: str, email: str) -> bool:
        """Plan the thank-you of an order's first review (no-op when off/planned)."""
        return plan_thank_you(settings, order_id, email)

    def recheck(self, send: ScheduledSend, settings: EcrmSettings) -> Decision:
        reviews = Review.objects.filter(
            order_id=send.subject_id, email=send.recipient.strip().lower()
        )
        if not reviews.exists():
            return skip("no_review")
        if not reviews.exclude(status=ReviewStatus.REJECTED).exists():
            return skip("review_rejected")
        return SEND

    def prepare(self, send: ScheduledSend, settings: EcrmSettings) -> EmailSpec:
        """The thank-you and its voucher, made here inside the send's guard."""
        options = self.options(settings)
        # the ledger row's key: a retried send mails the voucher made the first time
        voucher = host.issue_single_use_voucher(
            reference=send.idempotency_key,
            prefix=VOUCHER_PREFIX,
            percentage=options.review_incentive_percentage,
            valid_days=options.review_incentive_valid_days,
            now=timezone.now(),
        )
        order = host.order_for_review(send.subject_id)
        return EmailSpec(
            template="ecrm/review_thank_you",
            context={
                "first_name": order.first_name if order else "",
                "voucher_code": voucher.code,
                "voucher_percentage": voucher.percentage,
                "voucher_end_date": voucher.end_date,
                "shop_url": settings.storefront_url,
            },
        )
