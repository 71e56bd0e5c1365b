"""The signed token of a review link (Django's signing, keyed by SECRET_KEY).

A token names one order line, its order and the order's address. It proves that
whoever holds it received the review request for that line; it does not carry the
rating (the five star links share one token and differ by ``?rating=``). A token is
good for one review: once its line is reviewed, :mod:`.service` refuses it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext

from ..preferences.tokens import InvalidToken, dumps, load_signed

REVIEW_SALT = "saleor_ecrm_plugin.reviews.review-link"
#: a review link works for this long after the email was rendered
REVIEW_LINK_MAX_AGE = 120 * 24 * 3600


@dataclass(frozen=True)
class ReviewClaims:
    order_line_id: str
    order_id: str
    email: str


def make_review_token(order_line_id: object, order_id: object, email: str) -> str:
    payload = {"l": str(order_line_id), "o": str(order_id), "e": email.strip().lower()}
    return dumps(payload, REVIEW_SALT)


def read_review_token(token: object) -> ReviewClaims:
    """The claims of a genuine, unexpired token; :class:`InvalidToken` otherwise."""
    payload = load_signed(token, REVIEW_SALT, REVIEW_LINK_MAX_AGE, "review link")
    if not all(
        isinstance(payload.get(key), str) and payload[key] for key in ("l", "o", "e")
    ):
        raise InvalidToken(gettext("This review link is not valid."))
    return ReviewClaims(
        order_line_id=payload["l"], order_id=payload["o"], email=payload["e"]
    )
