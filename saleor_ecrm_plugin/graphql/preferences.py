"""Email preferences over GraphQL: thin adapters over ``preferences.service``.

Authentication: a signed ``token`` from an email link, or the signed-in customer.
Mutations report problems as ``ecrmErrors { field message code }`` like Saleor's own;
no answer tells whether the shop knows an address.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

import graphene
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from graphql import GraphQLError

from ..clients import client_key
from ..host import port as host
from ..preferences import service
from ..preferences.categories import CATEGORIES
from ..preferences.service import PreferenceError, Preferences
from ..preferences.tokens import (
    InvalidToken,
    read_newsletter_token,
    read_preferences_token,
)
from .host_types import BaseMutation, Error, KeepErrorCodes

# error code values (graphene enums give their members no static type)
INVALID = "invalid"
INVALID_TOKEN = "invalid_token"
REQUIRED = "required"


class EcrmErrorCode(graphene.Enum):
    INVALID = "invalid"
    INVALID_TOKEN = "invalid_token"
    REQUIRED = "required"
    NOT_FOUND = "not_found"
    LOCKED = "locked"
    RATE_LIMITED = "rate_limited"


class EcrmError(Error):
    code = EcrmErrorCode(description="The error code.", required=True)


class EmailCategoryPreference(graphene.ObjectType):
    category = graphene.String(required=True, description="Kind of email (slug).")
    label = graphene.String(required=True)
    description = graphene.String(required=True)
    subscribed = graphene.Boolean(required=True)
    can_unsubscribe = graphene.Boolean(
        required=True, description="False for order emails, which are always sent."
    )


class EmailPreferences(graphene.ObjectType):
    email = graphene.String(required=True)
    marketing_opt_out = graphene.Boolean(
        required=True, description="True: no email but order emails."
    )
    newsletter = graphene.String(
        required=True, description="none, pending (awaiting confirmation) or confirmed."
    )
    categories = graphene.List(graphene.NonNull(EmailCategoryPreference), required=True)
    time_zone = graphene.String(
        required=True,
        description="The time zone the customer chose (IANA name, e.g. Europe/Paris);"
        " empty: inferred from their address, else the shop's.",
    )


def to_graphql(preferences: Preferences) -> EmailPreferences:
    categories = [
        EmailCategoryPreference(
            category=category.slug,
            label=category.label,
            description=category.description,
            subscribed=True
            if category.transactional
            else preferences.categories[category.slug]
            and not preferences.marketing_opt_out,
            can_unsubscribe=not category.transactional,
        )
        for category in CATEGORIES.values()
    ]
    return EmailPreferences(
        email=preferences.email,
        marketing_opt_out=preferences.marketing_opt_out,
        newsletter=str(preferences.newsletter),
        categories=categories,
        time_zone=preferences.time_zone,
    )


def _field_error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def email_of(info: Any, token: Optional[str]) -> str:
    """The address the caller may manage: the token's, else the signed-in customer's."""
    if token is not None:
        try:
            return read_preferences_token(token).email
        except InvalidToken as exc:
            raise _field_error("token", str(exc), INVALID_TOKEN) from exc
    # anonymous: AnonymousUser on Saleor 2.10, a falsy lazy None on 3.x
    user = getattr(info.context, "user", None)
    if user and user.is_authenticated and user.email:
        return user.email
    raise _field_error(
        "token",
        gettext("Sign in, or use the link from one of our emails."),
        REQUIRED,
    )


def as_validation_error(exc: PreferenceError) -> ValidationError:
    return _field_error(exc.field or "input", str(exc), exc.code)


class PreferenceQueries(graphene.ObjectType):
    email_preferences = graphene.Field(
        EmailPreferences,
        token=graphene.String(description="Signed token from an email link."),
        description="Email preferences of the signed-in customer or a token's address.",
    )

    def resolve_email_preferences(self, info: Any, token: Optional[str] = None) -> Any:
        try:
            return to_graphql(service.get_preferences(email_of(info, token)))
        except ValidationError as exc:
            raise GraphQLError(exc.messages[0]) from exc
        except PreferenceError as exc:  # a signed-in account with an odd address
            raise GraphQLError(str(exc)) from exc


@contextmanager
def preference_errors() -> Iterator[None]:
    """Report a refused change as a typed, field-keyed mutation error."""
    try:
        yield
    except PreferenceError as exc:
        raise as_validation_error(exc) from exc


class CategoryPreferenceInput(graphene.InputObjectType):
    category = graphene.String(required=True)
    subscribed = graphene.Boolean(required=True)


class EmailPreferencesInput(graphene.InputObjectType):
    categories = graphene.List(graphene.NonNull(CategoryPreferenceInput))
    marketing_opt_out = graphene.Boolean()
    time_zone = graphene.String(
        description="IANA time zone for sending hours, e.g. Europe/Paris; empty"
        " forgets it."
    )


class EmailPreferencesUpdate(KeepErrorCodes, BaseMutation):
    preferences = graphene.Field(EmailPreferences)

    class Arguments:
        token = graphene.String(description="Signed token; omit when signed in.")
        input = EmailPreferencesInput(required=True)

    class Meta:
        description = "Change which kinds of email an address receives."
        error_type_class = EcrmError
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        email = email_of(info, data.get("token"))
        input = data["input"]
        categories = {}
        for item in input.get("categories") or []:
            categories[item["category"]] = item["subscribed"]
        with preference_errors():
            preferences = service.update_preferences(
                email,
                categories=categories,
                marketing_opt_out=input.get("marketing_opt_out"),
                source="graphql",
                time_zone=input.get("time_zone"),
            )
        return cls(preferences=to_graphql(preferences))


class EmailUnsubscribe(KeepErrorCodes, BaseMutation):
    preferences = graphene.Field(EmailPreferences)

    class Arguments:
        token = graphene.String(description="Signed token; omit when signed in.")
        category = graphene.String(description="Kind of email; default: the link's.")
        everything = graphene.Boolean(
            description="Unsubscribe from all marketing email."
        )

    class Meta:
        description = "Unsubscribe from one kind of email, or from all marketing email."
        error_type_class = EcrmError
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        token = data.get("token")
        category, everything = data.get("category"), bool(data.get("everything"))
        email = email_of(info, token)
        if not everything and category is None and token is not None:
            category = read_preferences_token(token).category
        if not everything and category is None:
            raise _field_error(
                "category",
                gettext("Choose a kind of email, or everything."),
                REQUIRED,
            )
        with preference_errors():
            preferences = service.unsubscribe(
                email, None if everything else category, "graphql"
            )
        return cls(preferences=to_graphql(preferences))


class NewsletterSubscribe(KeepErrorCodes, BaseMutation):
    class Arguments:
        email = graphene.String(
            description="Address to subscribe; omit when signed in."
        )

    class Meta:
        description = (
            "Subscribe to the newsletter. A confirmation email is sent (double opt-in);"
            " the answer is the same whether or not the address was known."
        )
        error_type_class = EcrmError
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        email = data.get("email")
        if email is None:
            email = email_of(info, None)
        client = client_key("newsletter", host.client_address(info.context))
        with preference_errors():
            service.request_newsletter(email, "graphql", client)
        return cls()


class NewsletterConfirm(KeepErrorCodes, BaseMutation):
    preferences = graphene.Field(EmailPreferences)

    class Arguments:
        token = graphene.String(
            required=True, description="Token from the confirmation email."
        )

    class Meta:
        description = "Confirm a newsletter subscription with the emailed token."
        error_type_class = EcrmError
        error_type_field = "ecrm_errors"

    @classmethod
    def perform_mutation(cls, _root: Any, info: Any, **data: Any) -> Any:
        try:
            email = read_newsletter_token(data["token"])
        except InvalidToken as exc:
            raise _field_error("token", str(exc), INVALID_TOKEN) from exc
        with preference_errors():
            preferences = service.confirm_newsletter(email, "double_opt_in")
        return cls(preferences=to_graphql(preferences))


class PreferenceMutations(graphene.ObjectType):
    email_preferences_update = EmailPreferencesUpdate.Field()
    email_unsubscribe = EmailUnsubscribe.Field()
    newsletter_subscribe = NewsletterSubscribe.Field()
    newsletter_confirm = NewsletterConfirm.Field()
