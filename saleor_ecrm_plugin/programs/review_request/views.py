"""The page a star link of a review request opens.

Why a GET never records: mail security scanners (Outlook Safe Links, Mimecast, ...)
fetch every link of an email before the customer sees it. Recording on GET would
store the scanner's pick among the five stars and then refuse the customer's own
click as "already reviewed". So:

* GET ``/ecrm/review/<token>/?rating=4`` writes nothing. It shows the product with
  the four stars chosen and a comment box. In a browser, a small script submits the
  rating at once (a POST to the same address), so for a person one click on a star
  records the rating; without JavaScript the page's one button does it.
* POST records the review (rating, and the comment if one was typed) through
  :func:`..service.submit_review`, then offers the optional comment box.
* POST ``/ecrm/review/<token>/comment/`` adds that comment, once.

A forged or altered token gets a 400 page, a link used again a 409 page ("you
already reviewed ..."); neither changes anything.
"""

from __future__ import annotations

from typing import Any, Optional

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from ...preferences.views import _page, signed_link
from ...reviews.tokens import ReviewClaims, read_review_token
from . import reviews as service
from .reviews import ALREADY_REVIEWED, ReviewError

STARS = (1, 2, 3, 4, 5)


def _rating_from(value: Optional[str]) -> Optional[int]:
    try:
        return service.clean_rating(value)
    except ReviewError:
        return None


def _show(
    request: HttpRequest, template: str, status: int = 200, **context: Any
) -> HttpResponse:
    """A review page; every name its template uses is defined (empty by default)."""
    context = {"error": "", "comment": "", "line": None, **context}
    return _page(request, template, status=status, **context)


def _refused(request: HttpRequest, error: ReviewError) -> HttpResponse:
    already = error.code == ALREADY_REVIEWED
    return _page(
        request,
        "message.html",
        status=409 if already else 400,
        title=gettext("Already reviewed")
        if already
        else gettext("This review cannot be recorded"),
        message=str(error),
    )


def _form(
    request: HttpRequest,
    token: str,
    claims: ReviewClaims,
    rating: Optional[int],
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    try:
        _order, line = service.reviewable_line(claims)
    except ReviewError as exc:
        return _refused(request, exc)
    existing = service.existing_review(claims)
    if existing is not None:
        return _page(
            request,
            "message.html",
            title=gettext("Already reviewed"),
            message=gettext("You rated %(product)s %(rating)s out of 5. Thank you!")
            % {"product": line.product_name, "rating": existing.rating},
        )
    return _show(
        request,
        "review.html",
        status=status,
        token=token,
        line=line,
        rating=rating,
        stars=STARS,
        # the link chose a star: the page's script records it at once
        auto_submit=rating is not None and status == 200,
        **context,
    )


@signed_link(read_review_token)
def review_page(request: HttpRequest, token: str, claims: ReviewClaims) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return _form(request, token, claims, _rating_from(request.GET.get("rating")))
    rating, comment = request.POST.get("rating"), request.POST.get("comment", "")
    try:
        review = service.submit_review(claims, rating, comment)
    except ReviewError as exc:
        if exc.field in ("rating", "comment"):
            return _form(
                request,
                token,
                claims,
                _rating_from(rating),
                status=400,
                error=str(exc),
                comment=comment,
            )
        return _refused(request, exc)
    _order, line = service.reviewable_line(claims)
    return _show(request, "review_thanks.html", token=token, review=review, line=line)


@signed_link(read_review_token)
def review_comment(
    request: HttpRequest, token: str, claims: ReviewClaims
) -> HttpResponse:
    review = service.existing_review(claims)
    if request.method in ("GET", "HEAD"):
        if review is None:
            return _form(request, token, claims, None)
        return _show(request, "review_thanks.html", token=token, review=review)
    comment = request.POST.get("comment", "")
    try:
        review = service.add_comment(claims, comment)
    except ReviewError as exc:
        if exc.field == "comment" and exc.code != ALREADY_REVIEWED and review:
            return _show(
                request,
                "review_thanks.html",
                status=400,
                token=token,
                review=review,
                error=str(exc),
                comment=comment,
            )
        return _refused(request, exc)
    return _page(
        request,
        "message.html",
        title=gettext("Thank you"),
        message=gettext(
            "Your comment is saved. It will appear on the shop once it is checked."
        )
        if review.status != "approved"
        else gettext("Your comment is saved."),
    )
