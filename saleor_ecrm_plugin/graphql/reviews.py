"""Reviews over GraphQL: thin adapters over ``reviews.service``.

* ``productReviews(productId, first)``: a product's published reviews, their count
  and average rating (anyone: it is what the storefront shows);
* ``reviewSubmit(token, rating, comment)``: a review with the token of a review
  request's link (no account needed; the token is the authentication);
* ``reviews(status, first)`` and ``reviewModerate(id, status)``: for staff with
  the "Manage products" permission.

Mutation errors are ``ecrmErrors { field message code }``, like the plugin's other
mutations; a refused mutation changes nothing.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

import graphene
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from graphql import GraphQLError

from ..programs.review_request import reviews as service
from ..programs.review_request.models import Review
from ..programs.review_request.reviews import ReviewError
from .host_types import (
    MANAGE_PRODUCTS,
    BaseMutation,
    DateTime,
    Error,
    KeepErrorCodes,
    permission_required,
)
from .ids import pk_from_global_id

MAX_FIRST = 100
REVIEW_TYPE = "ProductReview"


class ReviewErrorCode(graphene.Enum):
    INVALID = "invalid"
    INVALID_TOKEN = "invalid_token"
    ALREADY_REVIEWED = "already_reviewed"
    NOT_REVIEWABLE = "not_reviewable"
    NOT_FOUND = "not_found"
    REQUIRED = "required"


class ReviewErrorType(Error):
    code = ReviewErrorCode(description="The error code.", required=True)

    class Meta:
        name = "ReviewError"


class ProductReviewStatus(graphene.Enum):
    # the values of ReviewStatus (Django 3.0's TextChoices have no static types)
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ProductReview(graphene.ObjectType):
    id = graphene.ID(required=True)
    product_id = graphene.ID(required=True, description="The Saleor product's ID.")
    rating = graphene.Int(required=True, description="1 to 5 stars.")
    comment = graphene.String(required=True, description="Empty when none.")
    author_name = graphene.String(
        required=True, description="First name and initial, from the order."
    )
    status = ProductReviewStatus(required=True)
    created_at = DateTime(required=True)

    class Meta:
        description = "A customer's review of a product they bought."


def to_graphql(review: Review) -> ProductReview:
    return ProductReview(
        id=graphene.Node.to_global_id(REVIEW_TYPE, review.pk),
        product_id=graphene.Node.to_global_id("Product", review.product_id),
        rating=review.rating,
        comment=review.comment,
        author_name=review.author_name,
        status=str(review.status),
        created_at=review.created_at,
    )


class ProductReviews(graphene.ObjectType):
    count = graphene.Int(required=True, description="Number of published reviews.")
    average_rating = graphene.Float(
        description="Average of the published ratings (null: none yet)."
    )
    reviews = graphene.List(
        graphene.NonNull(ProductReview),
        required=True,
        description="The newest published reviews.",
    )


def _pk_of(global_id: object, type_name: str) -> Optional[int]:
    """The primary key in a canonical global ID of ``type_name``; None otherwise."""
    return pk_from_global_id(global_id, type_name)


def _first(first: Optional[int], default: int) -> int:
    if first is None:
        return default
    if not 0 <= first <= MAX_FIRST:
        raise GraphQLError(
            gettext("first must be between 0 and %(limit)s.") % {"limit": MAX_FIRST}
        )
    return first


class ReviewQueries(graphene.ObjectType):
    product_reviews = graphene.Field(
        graphene.NonNull(ProductReviews),
        product_id=graphene.ID(required=True, description="ID of a Saleor product."),
        first=graphene.Int(
            description=f"How many reviews (default 10, at most {MAX_FIRST})."
        ),
        description="A product's published reviews and average rating.",
    )
    reviews = graphene.List(
        graphene.NonNull(ProductReview),
        status=ProductReviewStatus(description="Only reviews with this status."),
        first=graphene.Int(description=f"How many (default 50, at most {MAX_FIRST})."),
        description="Reviews to moderate, newest first. Requires MANAGE_PRODUCTS.",
    )

    def resolve_product_reviews(
        self, info: Any, product_id: str, first: Optional[int] = None
    ) -> ProductReviews:
        pk = _pk_of(product_id, "Product")
        if pk is None:
            raise GraphQLError(gettext("productId is not the ID of a product."))
        rating = service.product_rating(pk, _first(first, 10))
        return ProductReviews(
            count=rating.count,
            average_rating=rating.average,
            reviews=[to_graphql(review) for review in rating.reviews],
        )

    @permission_required(MANAGE_PRODUCTS)
    def resolve_reviews(
        self, info: Any, status: Optional[str] = None, first: Optional[int] = None
    ) -> List[ProductReview]:
        reviews = service.reviews_for_moderation(status, _first(first, 50))
        return [to_graphql(review) for review in reviews]


@contextmanager
def review_errors() -> Iterator[None]:
    """Report a refused review as a typed, field-keyed mutation error."""
    try:
        yield
    except ReviewError as exc:
        raise ValidationError(
            {exc.field: ValidationError(str(exc), code=exc.code)}
        ) from exc


class ReviewSubmit(KeepErrorCodes, BaseMutation):
    review = graphene.Field(ProductReview)

    class Arguments:
        token = graphene.String(
            required=True, description="Token of a review request's link."
        )
        rating = graphene.Int(required=True, description="1 to 5 stars.")
        comment = graphene.String(description="Optional, up to 2,000 characters.")

    class Meta:
        description = (
            "Review a product bought, with the token of the review request email."
            " One review per product and order: a used token is refused."
        )
        error_type_class = ReviewErrorType
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        with review_errors():
            claims = service.claims_from_token(data["token"])
            review = service.submit_review(
                claims, data["rating"], data.get("comment") or ""
            )
        return cls(review=to_graphql(review))


class ReviewModerate(KeepErrorCodes, BaseMutation):
    review = graphene.Field(ProductReview)

    class Arguments:
        id = graphene.ID(required=True, description="ID of the review.")
        status = ProductReviewStatus(
            required=True, description="approved publishes it, rejected hides it."
        )

    class Meta:
        description = "Publish or hide a review. Requires MANAGE_PRODUCTS."
        permissions = (MANAGE_PRODUCTS,)
        error_type_class = ReviewErrorType
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        pk = _pk_of(data["id"], REVIEW_TYPE)
        with review_errors():
            if pk is None:
                raise ReviewError(
                    gettext("No review has this id."), "id", service.NOT_FOUND
                )
            review = service.moderate(pk, data["status"])
        return cls(review=to_graphql(review))


class ReviewMutations(graphene.ObjectType):
    review_submit = ReviewSubmit.Field()
    review_moderate = ReviewModerate.Field()
