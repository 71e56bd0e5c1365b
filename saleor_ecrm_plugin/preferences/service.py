"""The preference flows, shared by the HTML pages and the GraphQL API.

Every function takes an address the caller has already authenticated (a signed token
or a signed-in customer) and answers the same way whether the shop knew the address
or not. Changes are written with their consent event in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Dict, Mapping, Optional, Set

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from ..errors import EcrmError
from ..localisation import valid_time_zone
from ..models import ChoiceValue
from ..programs.newsletter.planning import plan_confirmation
from .categories import CATEGORIES, NEWSLETTER, choosable
from .models import (
    SUNSET,
    ConsentAction,
    ConsentEvent,
    EmailContact,
    NewsletterStatus,
)

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


#: in the catalogue; translated where raised (the request's language)
INVALID_EMAIL_MESSAGE = gettext_noop("Enter a valid email address.")


def normalise_email(email: object) -> str:
    """The address, stripped and lower-cased, as SMTP will use it.

    Raises :class:`PreferenceError` for anything Django's validator refuses and for
    an address Django's mail code would send elsewhere: it decodes RFC 2047 encoded
    words (``=?utf-8?q?...?=@example.org``) into another local part, so the
    address is checked as :func:`~django.core.mail.message.sanitize_address` will
    put it in the envelope (only an international domain may change: to its
    IDNA form, the same domain)."""
    if not isinstance(email, str):
        raise PreferenceError(gettext(INVALID_EMAIL_MESSAGE), "email")
    email = email.strip().lower()
    if len(email) > 254:
        raise PreferenceError(gettext(INVALID_EMAIL_MESSAGE), "email")
    try:
        validate_email(email)
        envelope = sanitize_address(email, "utf-8")
    except (ValidationError, ValueError, IndexError) as exc:
        raise PreferenceError(gettext(INVALID_EMAIL_MESSAGE), "email") from exc
    if envelope.rpartition("@")[0] != email.rpartition("@")[0]:
        raise PreferenceError(gettext(INVALID_EMAIL_MESSAGE), "email")
    return email


def mailbox_of(address: str) -> str:
    """The mailbox a normalised address delivers to, for abuse limits: the address
    without its ``+tag`` (``victim+1@example.org`` and ``victim@example.org`` are
    one mailbox at nearly every provider). Dots are kept: only some providers
    ignore them."""
    local, _, domain = address.rpartition("@")
    return f"{local.split('+', 1)[0] or local}@{domain}"


def mailbox_filter(address: str) -> Q:
    """The rows whose ``email`` delivers to the same mailbox as ``address``."""
    mailbox = mailbox_of(address)
    local, _, domain = mailbox.rpartition("@")
    return Q(email=mailbox) | Q(
        email__startswith=f"{local}+", email__endswith=f"@{domain}"
    )


def _contact(email: str) -> Optional[EmailContact]:
    return EmailContact.objects.filter(email=email).first()


def _contact_for_update(email: str) -> EmailContact:
    """The address's contact row, locked; created if new. The same statements run
    whether or not the row existed (an insert that does nothing on conflict, then
    the locked read), so a caller's timing does not tell known addresses apart."""
    EmailContact.objects.bulk_create([EmailContact(email=email)], ignore_conflicts=True)
    return EmailContact.objects.select_for_update().get(email=email)


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
                gettext("Unknown kind of email: %(category)s.")
                % {"category": repr(slug[:40])},
                "categories",
                "not_found",
            )
        if category.transactional and not wanted:
            raise PreferenceError(
                gettext("'%(category)s' emails are always sent.")
                % {"category": category.label},
                "categories",
                "locked",
            )
        if not isinstance(wanted, bool):
            raise PreferenceError(gettext("Use true or false."), "categories")


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
            gettext("Choose a time zone such as Europe/Paris."), "timeZone", "invalid"
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
        if marketing_opt_out is False or any(categories.values()):
            lift_sunset(contact, source)  # an opt-in: list cleaning is over
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
        raise PreferenceError(
            gettext("Unknown kind of email."), "category", "not_found"
        )
    if CATEGORIES[category].transactional:
        raise PreferenceError(
            gettext("Order emails are always sent."), "category", "locked"
        )
    return update_preferences(email, categories={category: False}, source=source)


#: newsletter sign-ups one client network may ask for in an hour (Django setting
#: ``ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR``)
NEWSLETTER_MAX_PER_CLIENT_HOUR = 10
#: sign-ups one mailbox (its +tagged forms included) is sent in an hour (Django
#: setting ``ECRM_NEWSLETTER_MAX_PER_MAILBOX_HOUR``); more are answered alike and
#: write nothing
NEWSLETTER_MAX_PER_MAILBOX_HOUR = 3
NEWSLETTER_WINDOW = timedelta(hours=1)
RATE_LIMITED = "rate_limited"
RATE_LIMITED_MESSAGE = gettext_noop(
    "Too many sign-ups from your network; try again in an hour."
)


def _limit(name: str, default: int) -> int:
    return int(getattr(django_settings, name, default))


def request_newsletter(email: str, source: str, client: str = "") -> bool:
    """Start a double opt-in. Returns True when a confirmation email was planned.

    ``client`` is the keyed hash of the caller's network
    (:func:`saleor_ecrm_plugin.clients.client_key`): past
    ``ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR`` sign-ups in an hour it raises
    :class:`PreferenceError` (``rate_limited``), before anything is written. The
    same address again within the hour, or a mailbox past
    ``ECRM_NEWSLETTER_MAX_PER_MAILBOX_HOUR``, writes nothing and sends nothing.

    Known, confirmed and new addresses get the same work (a consent row and a
    planned confirmation; the dispatcher's re-check skips one to an address that
    is not pending), so neither the answer nor its time tells them apart.
    """
    email = normalise_email(email)
    since = timezone.now() - NEWSLETTER_WINDOW
    requests = ConsentEvent.objects.filter(
        action=ConsentAction.REQUESTED, scope=NEWSLETTER.slug, created_at__gt=since
    )
    # one transaction: a confirmation that cannot be planned leaves no request behind
    with transaction.atomic():
        if client and (
            requests.filter(detail=f"client:{client}").count()
            >= _limit(
                "ECRM_NEWSLETTER_MAX_PER_CLIENT_HOUR", NEWSLETTER_MAX_PER_CLIENT_HOUR
            )
        ):
            raise PreferenceError(gettext(RATE_LIMITED_MESSAGE), None, RATE_LIMITED)
        mailbox = mailbox_of(email)
        local, _, domain = mailbox.rpartition("@")
        family = requests.filter(
            Q(contact__email=mailbox)
            | Q(
                contact__email__startswith=f"{local}+",
                contact__email__endswith=f"@{domain}",
            )
        )
        if family.filter(contact__email=email).exists() or family.count() >= _limit(
            "ECRM_NEWSLETTER_MAX_PER_MAILBOX_HOUR", NEWSLETTER_MAX_PER_MAILBOX_HOUR
        ):
            return False
        contact = _contact_for_update(email)
        if contact.newsletter != NewsletterStatus.CONFIRMED:
            contact.newsletter = NewsletterStatus.PENDING
        contact.save()
        _record(
            contact,
            ConsentAction.REQUESTED,
            NEWSLETTER.slug,
            source,
            f"client:{client}" if client else "",
        )
        return plan_confirmation(email)


def confirm_newsletter(email: str, source: str) -> Preferences:
    """The customer followed the confirmation link: record newsletter consent."""
    email = normalise_email(email)
    with transaction.atomic():
        contact = _contact_for_update(email)
        if lift_sunset(contact, source):
            contact.save()
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


def lift_sunset(contact: EmailContact, source: str) -> bool:
    """The customer opted in again: lift a list-cleaning (``sunset``) suppression,
    never a provider's (bounce, complaint). Records it in the consent log; the
    caller saves the row. Returns True when it was lifted."""
    if contact.suppressed_at is None or contact.suppression_reason != SUNSET:
        return False
    contact.suppressed_at = None
    contact.suppression_reason = ""
    _record(contact, ConsentAction.UNSUPPRESSED, MARKETING_SCOPE, source, SUNSET)
    return True


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
