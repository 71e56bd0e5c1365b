"""The review flows, shared by the star-link page and the GraphQL API.

Every writing function receives the claims of a review token the caller has read
(:func:`claims_from_token`) and either does all it says or raises
:class:`ReviewError` having changed nothing. The rules:

* a token is good for one review: once its order line, or another line of the same
  product in the same order, has a review, it is refused (``already_reviewed``);
* the order must still exist, not be cancelled, still be addressed to the token's
  email, and the line must have been shipped (a fulfilment not cancelled);
* ratings are whole numbers from 1 to 5, comments at most 2,000 characters;
* a new review waits for moderation (``pending``) unless the merchant switched on
  "publish reviews without moderation";
* with the review reward on, a thank-you email with a single-use voucher is planned
  once per order (see :mod:`..programs.review_request`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, gettext_noop

from ...context import load_context
from ...errors import EcrmError
from ...host import port as host
from ...ledger import PlannedSend, plan_send
from ...preferences.tokens import InvalidToken
from ...reviews.tokens import ReviewClaims, read_review_token
from .models import Review, ReviewStatus
from .options import PROGRAM_ID, ReviewRequestOptions

if TYPE_CHECKING:
    from ...ecrm_settings import EcrmSettings

THANK_YOU_PROGRAM_ID = "review_thank_you"

MAX_COMMENT_LENGTH = 2000
#: control characters other than tab and line breaks: invisible, and PostgreSQL
#: refuses NUL in text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ReviewError(EcrmError, ValueError):
    """A review that cannot be recorded; ``field`` and ``code`` say why."""

    def __init__(self, message: str, field: str = "input", code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code


INVALID = "invalid"
ALREADY_REVIEWED = "already_reviewed"
INVALID_TOKEN = "invalid_token"
NOT_REVIEWABLE = "not_reviewable"
NOT_FOUND = "not_found"
REQUIRED = "required"


def claims_from_token(token: object) -> ReviewClaims:
    try:
        return read_review_token(token)
    except InvalidToken as exc:
        raise ReviewError(str(exc), "token", INVALID_TOKEN) from exc


#: in the catalogue (gettext at the raise)
RATING_MESSAGE = gettext_noop("Choose a rating from 1 to 5 stars.")


def clean_rating(rating: object) -> int:
    """The one rule for a rating, the GraphQL mutation's and the star page's: a
    whole number from 1 to 5, or (from a link or a form) its one ASCII digit.
    ``" 5"``, ``"4.0"``, ``"1e0"``, 3.5, ``True`` and non-ASCII digits are refused,
    never coerced."""
    if isinstance(rating, str):
        if len(rating) != 1 or rating not in "12345":
            raise ReviewError(gettext(RATING_MESSAGE), "rating")
        rating = int(rating)
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ReviewError(gettext(RATING_MESSAGE), "rating")
    return rating


def clean_comment(comment: object) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ReviewError(gettext("The comment must be text."), "comment")
    comment = _CONTROL.sub("", comment).strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ReviewError(
            gettext("Keep the comment under %(limit)s characters (it has %(length)s).")
            % {
                "limit": number_format(MAX_COMMENT_LENGTH, force_grouping=True),
                "length": number_format(len(comment), force_grouping=True),
            },
            "comment",
        )
    return comment


def reviewable_line(
    claims: ReviewClaims,
) -> Tuple[host.OrderForReview, host.ReviewableLine]:
    """The order and line a token is about, if they may still be reviewed."""
    order = host.order_for_review(claims.order_id)
    if order is None or order.email != claims.email:
        raise ReviewError(
            gettext("This review link is not valid."), "token", INVALID_TOKEN
        )
    if order.canceled:
        raise ReviewError(
            gettext("This order was cancelled, so it cannot be reviewed."),
            "token",
            NOT_REVIEWABLE,
        )
    lines = host.fulfilled_lines(order.id, claims.order_line_id)
    if not lines:
        raise ReviewError(
            gettext("This product can no longer be reviewed."),
            "token",
            NOT_REVIEWABLE,
        )
    return order, lines[0]


def existing_review(claims: ReviewClaims) -> Optional[Review]:
    """The review already given with this token, if any."""
    return Review.objects.filter(
        order_id=claims.order_id, order_line_id=claims.order_line_id
    ).first()


def _already_reviewed(line: host.ReviewableLine) -> bool:
    return Review.objects.filter(
        Q(order_line_id=str(line.id))
        | Q(order_id=str(line.order_id), product_id=line.product_id)
    ).exists()


def _author_name(order: host.OrderForReview) -> str:
    initial = order.last_name.strip()[:1]
    name = order.first_name.strip()
    return (f"{name} {initial}." if initial else name)[:64]


def current_settings() -> EcrmSettings:
    return load_context().settings


def _options(settings: EcrmSettings) -> ReviewRequestOptions:
    return settings.options(PROGRAM_ID, ReviewRequestOptions)


def plan_thank_you(settings: EcrmSettings, order_id: Any, email: str) -> bool:
    """Plan the thank-you of an order's first review (no-op when off/planned)."""
    if not _options(settings).review_incentive_enabled:
        return False
    return plan_send(
        PlannedSend(
            program=THANK_YOU_PROGRAM_ID,
            step="thank_you",
            recipient=email,
            subject_type="order",
            subject_id=str(order_id),
            due_at=timezone.now(),
        )
    )


def submit_review(claims: ReviewClaims, rating: object, comment: object = "") -> Review:
    """Record the token holder's review of the token's line."""
    rating = clean_rating(rating)
    comment = clean_comment(comment)
    order, line = reviewable_line(claims)
    settings = current_settings()
    options = _options(settings)
    refused = ReviewError(
        gettext("You already reviewed %(product)s: thank you!")
        % {"product": line.product_name},
        "token",
        ALREADY_REVIEWED,
    )
    with transaction.atomic():
        if _already_reviewed(line):
            raise refused
        approved = options.reviews_auto_approve
        try:
            with transaction.atomic():
                review = Review.objects.create(
                    product_id=line.product_id,
                    variant_id=line.variant_id,
                    order_id=str(order.id),
                    order_line_id=str(line.id),
                    email=order.email,
                    user_id=order.user_id,
                    author_name=_author_name(order),
                    rating=rating,
                    comment=comment,
                    status=ReviewStatus.APPROVED if approved else ReviewStatus.PENDING,
                    moderated_at=timezone.now() if approved else None,
                )
        except IntegrityError as exc:  # the same link, submitted twice at once
            raise refused from exc
        plan_thank_you(settings, order.id, order.email)
    return review


def add_comment(claims: ReviewClaims, comment: object) -> Review:
    """Add the optional comment to the review just given with this token (once)."""
    comment = clean_comment(comment)
    if not comment:
        raise ReviewError(gettext("Write a comment first."), "comment", REQUIRED)
    auto_approve = _options(current_settings()).reviews_auto_approve
    with transaction.atomic():
        review = (
            Review.objects.select_for_update()
            .filter(
                order_id=claims.order_id,
                order_line_id=claims.order_line_id,
                email=claims.email,
            )
            .first()
        )
        if review is None:
            raise ReviewError(gettext("Choose a rating first."), "rating", NOT_FOUND)
        if review.comment:
            raise ReviewError(
                gettext("This review already has a comment."),
                "comment",
                ALREADY_REVIEWED,
            )
        review.comment = comment
        if review.status == ReviewStatus.APPROVED and not auto_approve:
            # the rating was approved; the new text was not read yet
            review.status = ReviewStatus.PENDING
            review.moderated_at = None
        review.save(update_fields=["comment", "status", "moderated_at", "updated_at"])
    return review


def moderate(review_id: Any, status: str) -> Review:
    """A staff decision: publish (``approved``) or hide (``rejected``) a review."""
    if status not in ReviewStatus.values:
        raise ReviewError(gettext("Use pending, approved or rejected."), "status")
    with transaction.atomic():
        review = Review.objects.select_for_update().filter(pk=review_id).first()
        if review is None:
            raise ReviewError(gettext("No review has this id."), "id", NOT_FOUND)
        review.status = status
        review.moderated_at = timezone.now()
        review.save(update_fields=["status", "moderated_at", "updated_at"])
    return review


@dataclass(frozen=True)
class ProductRating:
    """The published reviews of a product: how many, their average, the newest."""

    count: int
    average: Optional[float]
    reviews: List[Review]


def product_rating(product_id: int, first: int = 10) -> ProductRating:
    approved = Review.objects.filter(
        product_id=product_id, status=ReviewStatus.APPROVED
    )
    totals = approved.aggregate(count=Count("id"), average=Avg("rating"))
    average = totals["average"]
    return ProductRating(
        count=totals["count"],
        average=round(float(average), 2) if average is not None else None,
        reviews=list(approved.order_by("-created_at", "-id")[: max(first, 0)]),
    )


def reviews_for_moderation(status: Optional[str], first: int = 50) -> List[Review]:
    reviews = Review.objects.all()
    if status:
        reviews = reviews.filter(status=status)
    return list(reviews.order_by("-created_at", "-id")[: max(first, 0)])


def order_has_review(order_id: Any) -> bool:
    return Review.objects.filter(order_id=str(order_id)).exists()
