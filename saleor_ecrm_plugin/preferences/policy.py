"""What the dispatcher asks before each send: may it go, and may it go now?

* :func:`consent_skip_reason`: suppression, the customer's preferences and consent.
  A reason means the email must not be sent at all.
* :func:`postpone_until`: quiet hours and the frequency cap. A time means "not now,
  then": the email is delayed, never dropped.

Both read the recipient's :class:`EmailContact` row. The dispatcher passes a
:class:`RecipientContacts`, which reads the rows of a whole batch in one query and
reads them again once they are older than its ``max_age`` (one second by default):
a preference change committed more than that before a send's check is always
honoured. Without it, each call reads the row itself.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Dict, Iterable, Optional

import pytz

from ..host import port as host
from ..localisation import customer_time_zone
from ..models import ScheduledSend, SendStatus
from ..programs.registry import all_programs
from .categories import CATEGORIES
from .models import SUNSET, EmailContact, NewsletterStatus
from .sending_rules import ConsentMode, FrequencyCap
from .service import has_recorded_consent

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings
    from ..programs.base import Program


#: how old the preference rows a dispatcher checks against may be, in seconds
CONTACTS_MAX_AGE = 1.0
#: suppression reasons (``signals.SUPPRESSING_EVENTS``) that stop even
#: transactional email: the address cannot receive mail
UNDELIVERABLE = frozenset({"hard_bounce", "rejected"})


def _normalised(recipient: str) -> str:
    return recipient.strip().lower()


class RecipientContacts:
    """The :class:`EmailContact` rows of a batch's recipients, read in one query.

    Read again, for every recipient of the batch, when older than ``max_age``
    seconds. An address the batch did not name is read on its own.
    """

    def __init__(
        self, recipients: Iterable[str], max_age: float = CONTACTS_MAX_AGE
    ) -> None:
        self.max_age = max_age
        self._emails = {_normalised(recipient) for recipient in recipients}
        self._rows: Dict[str, EmailContact] = {}
        self._read_at = float("-inf")

    def get(self, recipient: str) -> Optional[EmailContact]:
        email = _normalised(recipient)
        if email not in self._emails:
            return EmailContact.objects.filter(email=email).first()
        if time.monotonic() - self._read_at > self.max_age:
            self._read_at = time.monotonic()
            self._rows = {
                contact.email: contact
                for contact in EmailContact.objects.filter(email__in=self._emails)
            }
        return self._rows.get(email)


def _contact(
    recipient: str, contacts: Optional[RecipientContacts]
) -> Optional[EmailContact]:
    if contacts is not None:
        return contacts.get(recipient)
    return EmailContact.objects.filter(email=_normalised(recipient)).first()


def consent_skip_reason(
    send: ScheduledSend,
    program: Program,
    settings: EcrmSettings,
    contacts: Optional[RecipientContacts] = None,
) -> Optional[str]:
    category = CATEGORIES[program.category]
    email = _normalised(send.recipient)
    if category.transactional:
        # a receipt goes whatever the preferences, but not to an address the
        # provider reported as undeliverable (a complaint about marketing or list
        # cleaning does not stop it)
        contact = _contact(email, contacts)
        if contact is not None and contact.suppressed_at is not None:
            if contact.suppression_reason in UNDELIVERABLE:
                return "suppressed"
        return None
    contact = _contact(email, contacts)
    if contact is not None:
        # list cleaning (sunset) stops marketing only: what the customer asked
        # for (a newsletter confirmation, an alert) still goes
        if contact.suppressed_at is not None and (
            category.marketing or contact.suppression_reason != SUNSET
        ):
            return "suppressed"
        if contact.marketing_opt_out:
            return "unsubscribed_all"
        if category.slug in contact.opted_out_categories:
            return "unsubscribed_category"
    if not category.marketing:
        return None
    mode = program.consent_mode(settings)
    if mode == ConsentMode.EVERYONE:
        return None
    if contact is not None and (
        contact.newsletter == NewsletterStatus.CONFIRMED
        or has_recorded_consent(contact, category.slug)
    ):
        return None
    if mode == ConsentMode.SOFT_OPT_IN:
        if host.is_existing_customer(email):
            return None
    return "no_consent"


def postpone_until(
    send: ScheduledSend,
    program: Program,
    settings: EcrmSettings,
    now: datetime,
    contacts: Optional[RecipientContacts] = None,
) -> Optional[datetime]:
    """When a marketing email may not go now, the earliest time it may."""
    category = CATEGORIES[program.category]
    if not category.marketing:
        return None
    later = now
    quiet = settings.quiet_hours
    if quiet is not None:
        contact = _contact(send.recipient, contacts)
        # the customer's own zone, else their address's, else the shop's
        zone = pytz.timezone(
            customer_time_zone(
                contact.timezone if contact is not None else None,
                send,
                settings.shop_timezone,
            )
        )
        local = later.astimezone(zone)
        if quiet.contains(local.time()):
            end = local.replace(hour=quiet.end.hour, minute=0, second=0, microsecond=0)
            if end <= local:
                end += timedelta(days=1)
            later = zone.normalize(end).astimezone(pytz.utc)
    cap = settings.frequency_cap
    if cap is not None and frequency_cap_applies(program, settings):
        later = max(later, _cap_allows_at(send, cap, later))
    return later if later > now else None


def frequency_cap_applies(program: Program, settings: EcrmSettings) -> bool:
    """Whether :func:`postpone_until` counts this program's sends against the
    frequency cap (a marketing program, not exempt, with a cap configured)."""
    return (
        settings.frequency_cap is not None
        and program.frequency_capped
        and CATEGORIES[program.category].marketing
    )


def _cap_allows_at(send: ScheduledSend, cap: FrequencyCap, now: datetime) -> datetime:
    marketing_programs = [
        p.id for p in all_programs() if CATEGORIES[p.category].marketing
    ]
    window = timedelta(days=cap.days)
    recent = list(
        ScheduledSend.objects.filter(
            recipient__iexact=send.recipient,
            status=SendStatus.SENT,
            program__in=marketing_programs,
            sent_at__gt=now - window,
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)[: cap.count]
    )
    if len(recent) < cap.count:
        return now
    # the oldest of the last `count` sends leaves the window then
    return recent[-1] + window
