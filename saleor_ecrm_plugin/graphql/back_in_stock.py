"""``backInStockSubscribe``: a thin adapter over ``back_in_stock.service.subscribe``.

A signed-in customer subscribes with their account's address (or another they
give); a guest gives an address. Refusals are typed errors in
``ecrmErrors { field message code }``, with codes of their own
(:class:`BackInStockErrorCode`), and nothing is written.
"""

from __future__ import annotations

from typing import Any, Optional

import graphene
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from ..host import port as host
from ..programs.back_in_stock import service
from ..programs.back_in_stock.service import SubscriptionError
from .host_types import BaseMutation, DateTime, Error, KeepErrorCodes
from .ids import pk_from_global_id

VARIANT_TYPE = "ProductVariant"


class BackInStockErrorCode(graphene.Enum):
    REQUIRED = service.REQUIRED
    INVALID = service.INVALID
    NOT_FOUND = service.NOT_FOUND
    IN_STOCK = service.IN_STOCK
    ALREADY_SUBSCRIBED = service.ALREADY_SUBSCRIBED
    RATE_LIMITED = service.RATE_LIMITED
    UNAVAILABLE = service.UNAVAILABLE


class BackInStockError(Error):
    code = BackInStockErrorCode(description="The error code.", required=True)


class BackInStockSubscription(graphene.ObjectType):
    variant_id = graphene.ID(required=True, description="The variant waited for.")
    email = graphene.String(required=True, description="Where the alert will go.")
    created_at = DateTime(required=True)


def variant_pk(global_id: Any) -> Optional[int]:
    """The database id of a canonical ``ProductVariant`` global id, or None."""
    return pk_from_global_id(global_id, VARIANT_TYPE)


class BackInStockSubscribe(KeepErrorCodes, BaseMutation):
    subscription = graphene.Field(BackInStockSubscription)

    class Arguments:
        variant_id = graphene.ID(
            required=True, description="ID of the sold-out product variant."
        )
        email = graphene.String(
            description="Address to alert; omit when signed in to use the account's."
        )

    class Meta:
        description = (
            "Ask to be told by email when a sold-out product variant is back in"
            " stock. Alerts go in the order of the requests, in waves sized to the"
            " stock that came back."
        )
        error_type_class = BackInStockError
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        # an anonymous user is AnonymousUser on Saleor 2.10, a falsy lazy None on 3.x
        user = getattr(info.context, "user", None)
        if not user or not user.is_authenticated:
            user = None
        try:
            subscription = service.subscribe(
                variant_pk(data["variant_id"]),
                data.get("email"),
                user_id=user.pk if user else None,
                user_email=user.email if user else None,
                client_address=host.client_address(info.context),
            )
        except SubscriptionError as exc:
            raise ValidationError(
                {
                    exc.field or NON_FIELD_ERRORS: ValidationError(
                        str(exc), code=exc.code
                    )
                }
            ) from exc
        return cls(
            subscription=BackInStockSubscription(
                variant_id=data["variant_id"],
                email=subscription.email,
                created_at=subscription.created_at,
            )
        )


class BackInStockMutations(graphene.ObjectType):
    back_in_stock_subscribe = BackInStockSubscribe.Field()
