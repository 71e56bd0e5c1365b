"""The preference flows, shared by the HTML pages and the GraphQL API.

Every function takes an address the caller has already authenticated (a signed token
or a signed-in customer) and answers the same way whether the shop knew the address
or not. Changes are written with their consent event in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Set

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ..errors import EcrmError
from ..localisation import valid_time_zone
from ..models import ChoiceValue
from ..programs.newsletter.planning import plan_confirmation
from .categories import CATEGORIES, NEWSLETTER, choosable
from .models import ConsentAction, ConsentEvent, EmailContact, NewsletterStatus

MARKETING_SCOPE = "marketing"


class PreferenceError(EcrmError, ValueError):
    """A preference change that cannot be made; ``field`` and ``code`` say why."""

    def __init__(
        self, message: str, field: Optional[str] = None, code: str = "invalid"
    ):
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass(frozen=True)
class Preferences:
    email: str
    #: the "nothing but transactional" switch
    marketing_opt_out: bool
    #: category slug -> receives it (choosable categories only)
    categories: Dict[str, bool]
    newsletter: str
    suppressed: bool
    #: the time zone the customer told us ("" : inferred from their address)
    time_zone: str = ""


def normalise_email(email: object) -> str:
    if not isinstance(email, str):
        raise PreferenceError("Enter a valid email address.", "email")
    email = email.strip().lower()
    if len(email) > 254:
        raise PreferenceError("Enter a valid email address.", "email")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise PreferenceError("Enter a valid email address.", "email") from exc
    return email


def _contact(email: str) -> Optional[EmailContact]:
    return EmailContact.objects.filter(email=email).first()


def _contact_for_update(email: str) -> EmailContact:
    contact, _ = EmailContact.objects.select_for_update().get_or_create(email=email)
    return contact


def _record(
    contact: EmailContact,
    action: ChoiceValue,
    scope: str,
    source: str,
    detail: str = "",
) -> None:
    ConsentEvent.objects.create(
        contact=contact,
        action=action,
        scope=scope,
        source=source[:32],
        detail=detail[:255],
    )


def preferences_of(contact: Optional[EmailContact], email: str) -> Preferences:
    """The address's preferences as the customer sees them.

    The newsletter category is the newsletter subscription: both read subscribed
    (``categories["newsletter"]`` true, ``newsletter`` "confirmed") only for a
    confirmed subscription that neither the category nor the "nothing but order
    emails" switch turned off, so the two always agree.
    """
    opted_out = set(contact.opted_out_categories) if contact else set()
    categories = {c.slug: c.slug not in opted_out for c in choosable()}
    status = str(contact.newsletter if contact else NewsletterStatus.NONE)
    if status == NewsletterStatus.CONFIRMED and (
        not categories[NEWSLETTER.slug] or (contact and contact.marketing_opt_out)
    ):
        status = str(NewsletterStatus.NONE)
    categories[NEWSLETTER.slug] = status == NewsletterStatus.CONFIRMED
    return Preferences(
        email=email,
        marketing_opt_out=bool(contact and contact.marketing_opt_out),
        categories=categories,
        newsletter=status,
        suppressed=bool(contact and contact.suppressed_at),
        time_zone=contact.timezone if contact else "",
    )


def get_preferences(email: str) -> Preferences:
    email = normalise_email(email)
    return preferences_of(_contact(email), email)


def _check_categories(categories: Mapping[str, bool]) -> None:
    for slug, wanted in categories.items():
        category = CATEGORIES.get(slug)
        if category is None:
            raise PreferenceError(
                f"Unknown kind of email: {slug[:40]!r}.", "categories", "not_found"
            )
        if category.transactional and not wanted:
            raise PreferenceError(
                f"'{category.label}' emails are always sent.", "categories", "locked"
            )
        if not isinstance(wanted, bool):
            raise PreferenceError("Use true or false.", "categories")


def update_preferences(
    email: str,
    *,
    categories: Optional[Mapping[str, bool]] = None,
    marketing_opt_out: Optional[bool] = None,
    source: str,
    time_zone: Optional[str] = None,
) -> Preferences:
    """Set some categories, the global switch and/or the customer's time zone
    (an IANA name; "" forgets it); others stay as they are."""
    email = normalise_email(email)
    categories = dict(categories or {})
    _check_categories(categories)
    if time_zone and valid_time_zone(time_zone) is None:
        raise PreferenceError(
            "Choose a time zone such as Europe/Paris.", "timeZone", "invalid"
        )
    with transaction.atomic():
        contact = _contact_for_update(email)
        opted_out = set(contact.opted_out_categories)
        for slug, wanted in categories.items():
            if CATEGORIES[slug].transactional:
                continue
            if slug == NEWSLETTER.slug:
                # the caller proved the address is theirs (a signed link or their
                # account): ticking the newsletter is its confirmed subscription
                changed = _set_newsletter(contact, opted_out, wanted)
            else:
                changed = wanted == (slug in opted_out)
                (opted_out.discard if wanted else opted_out.add)(slug)
            if changed:
                action = ConsentAction.GRANTED if wanted else ConsentAction.WITHDRAWN
                _record(contact, action, slug, source)
        if (
            marketing_opt_out is not None
            and marketing_opt_out != contact.marketing_opt_out
        ):
            contact.marketing_opt_out = marketing_opt_out
            action = (
                ConsentAction.WITHDRAWN if marketing_opt_out else ConsentAction.GRANTED
            )
            _record(contact, action, MARKETING_SCOPE, source)
        contact.opted_out_categories = sorted(opted_out)
        if time_zone is not None:
            contact.timezone = time_zone
        contact.save()
    return preferences_of(contact, email)


def _set_newsletter(contact: EmailContact, opted_out: Set[str], wanted: bool) -> bool:
    """Subscribe (confirmed) or unsubscribe the newsletter; True if that changed it."""
    status = NewsletterStatus.CONFIRMED if wanted else NewsletterStatus.NONE
    changed = contact.newsletter != status or wanted == (NEWSLETTER.slug in opted_out)
    contact.newsletter = status
    (opted_out.discard if wanted else opted_out.add)(NEWSLETTER.slug)
    return changed


def unsubscribe(email: str, category: Optional[str], source: str) -> Preferences:
    """Stop one kind of email, or (``category=None``) everything but transactional."""
    if category is None:
        return update_preferences(email, marketing_opt_out=True, source=source)
    if category not in CATEGORIES:
        raise PreferenceError("Unknown kind of email.", "category", "not_found")
    if CATEGORIES[category].transactional:
        raise PreferenceError("Order emails are always sent.", "category", "locked")
    return update_preferences(email, categories={category: False}, source=source)


def request_newsletter(email: str, source: str) -> bool:
    """Start a double opt-in. Returns True when a confirmation email was planned.

    Already-confirmed addresses get no new email; the caller answers the same way in
    every case, so the answer does not tell whether the address was subscribed.
    """
    email = normalise_email(email)
    # one transaction: a confirmation that cannot be planned leaves no request behind
    with transaction.atomic():
        contact = _contact_for_update(email)
        if contact.newsletter == NewsletterStatus.CONFIRMED:
            return False
        contact.newsletter = NewsletterStatus.PENDING
        contact.save()
        _record(contact, ConsentAction.REQUESTED, "newsletter", source)
        return plan_confirmation(email)


def confirm_newsletter(email: str, source: str) -> Preferences:
    """The customer followed the confirmation link: record newsletter consent."""
    email = normalise_email(email)
    with transaction.atomic():
        contact = _contact_for_update(email)
        if contact.newsletter != NewsletterStatus.CONFIRMED:
            contact.newsletter = NewsletterStatus.CONFIRMED
            opted_out = set(contact.opted_out_categories)
            if contact.marketing_opt_out:
                # they had said "nothing"; now they ask for the newsletter only
                contact.marketing_opt_out = False
                opted_out |= {c.slug for c in choosable() if c.marketing}
                _record(contact, ConsentAction.GRANTED, MARKETING_SCOPE, source)
            opted_out.discard("newsletter")
            contact.opted_out_categories = sorted(opted_out)
            contact.save()
            _record(contact, ConsentAction.GRANTED, "newsletter", source)
    return preferences_of(contact, email)


def record_consent(email: str, scope: str, source: str, detail: str = "") -> None:
    """Record consent given elsewhere (a checkout box, an import)."""
    email = normalise_email(email)
    with transaction.atomic():
        contact = _contact_for_update(email)
        _record(contact, ConsentAction.GRANTED, scope, source, detail)


def has_recorded_consent(contact: EmailContact, scope: str) -> bool:
    """True when the latest grant/withdrawal for ``scope`` or "marketing" is a grant."""
    latest = (
        contact.consent_events.filter(
            scope__in=[scope, MARKETING_SCOPE],
            action__in=[ConsentAction.GRANTED, ConsentAction.WITHDRAWN],
        )
        .order_by("-created_at", "-id")
        .values_list("action", flat=True)
        .first()
    )
    return latest == ConsentAction.GRANTED


def suppress(email: str, reason: str, source: str) -> None:
    """The provider reported a hard bounce or complaint: stop all marketing email."""
    try:
        email = normalise_email(email)
    except PreferenceError:
        return  # a provider event about a malformed address: nothing of ours to stop
    with transaction.atomic():
        contact = _contact_for_update(email)
        if contact.suppressed_at is None:
            contact.suppressed_at = timezone.now()
            contact.suppression_reason = reason[:64]
            contact.save()
            _record(contact, ConsentAction.SUPPRESSED, MARKETING_SCOPE, source, reason)
