"""Signed tokens for the links in emails: Django's ``django.core.signing``, keyed by
``SECRET_KEY``, exactly as the host's Django signs.

A token names an address and, for unsubscribe links, the kind of email it came from.
It is the only authentication of the unsubscribe POST and the preference page:
mailbox providers POST without cookies, and guests have no account.

Every link the plugin sends is made by :func:`dumps` and read by :func:`load_signed`
(the review links of :mod:`..reviews.tokens` too). What a caller may rely on:

* A token is ``signing.dumps(payload, salt=salt, compress=True)``: on Django 3.0 an
  HMAC-SHA1 signature, on Django >= 3.1 HMAC-SHA256 (the host's default).
* A token made by an older Django keeps working after the host upgrades: where the
  default signer refuses a signature, the SHA-1 signer of Django 3.0 is tried
  (``TimestampSigner(algorithm="sha1")``, on Djangos that have the argument).
* ``SECRET_KEY_FALLBACKS`` (Django >= 4.1) is honoured by both readers: Django's
  signers read the setting themselves, nothing here passes keys.
* Every link expires: unsubscribe and preference links after
  :data:`PREFERENCES_MAX_AGE` (one year: RFC 8058 links must keep working for a
  long time, not forever), newsletter confirmations after
  :data:`NEWSLETTER_MAX_AGE`, review links after their own maximum age.
"""

from __future__ import annotations

import inspect
import zlib
from dataclasses import dataclass
from typing import Any, Dict, Optional

from django.core import signing
from django.utils.translation import gettext

from ..errors import EcrmError
from .service import PreferenceError, normalise_email

PREFERENCES_SALT = "saleor_ecrm_plugin.preferences"
NEWSLETTER_SALT = "saleor_ecrm_plugin.newsletter-confirm"
#: an unsubscribe or preference link works for a year after the email was rendered
PREFERENCES_MAX_AGE = 365 * 24 * 3600
#: a newsletter confirmation link works for a week
NEWSLETTER_MAX_AGE = 7 * 24 * 3600
MAX_TOKEN_LENGTH = 512
#: what Django 3.0 signs with, and what links sent before a host upgrade carry
LEGACY_ALGORITHM = "sha1"


class InvalidToken(EcrmError, ValueError):
    """The link is altered, forged, expired or not one of ours."""


@dataclass(frozen=True)
class PreferenceClaims:
    email: str
    category: Optional[str]


def dumps(payload: Dict[str, str], salt: str) -> str:
    """A token of ``payload`` that :func:`load_signed` reads with the same ``salt``:
    ``signing.dumps(payload, salt=salt, compress=True)``, the host's own format."""
    return signing.dumps(payload, salt=salt, compress=True)


def make_preferences_token(email: str, category: Optional[str] = None) -> str:
    payload = {"e": email.strip().lower()}
    if category:
        payload["c"] = category
    return dumps(payload, PREFERENCES_SALT)


def read_preferences_token(token: object) -> PreferenceClaims:
    payload = _load(token, PREFERENCES_SALT, max_age=PREFERENCES_MAX_AGE)
    return PreferenceClaims(email=payload["e"], category=payload.get("c"))


def make_newsletter_token(email: str) -> str:
    return dumps({"e": email.strip().lower()}, NEWSLETTER_SALT)


def read_newsletter_token(token: object) -> str:
    return _load(token, NEWSLETTER_SALT, max_age=NEWSLETTER_MAX_AGE)["e"]


def load_signed(token: object, salt: str, max_age: int, noun: str = "link") -> dict:
    """The payload of a genuine token signed with ``salt`` at most ``max_age``
    seconds ago, a dict.

    :class:`InvalidToken` otherwise, saying "This <noun> is not valid." or "…has
    expired." Callers check the payload's own keys.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(_not_valid(noun))
    try:
        payload = _loads(token, salt, max_age)
    except signing.SignatureExpired as exc:
        raise InvalidToken(
            gettext("This review link has expired.")
            if noun == "review link"
            else gettext("This link has expired.")
        ) from exc
    except (signing.BadSignature, ValueError, UnicodeError, zlib.error) as exc:
        raise InvalidToken(_not_valid(noun)) from exc
    if not isinstance(payload, dict):
        raise InvalidToken(_not_valid(noun))
    return payload


def _not_valid(noun: str) -> str:
    # whole sentences, in the active language (the page's)
    if noun == "review link":
        return gettext("This review link is not valid.")
    return gettext("This link is not valid.")


def _loads(token: str, salt: str, max_age: int) -> Any:
    """``signing.loads``; then, for a signature it refuses, Django 3.0's SHA-1
    signer, on a Django whose default is another algorithm."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise
    except signing.BadSignature:
        legacy = _legacy_signer(salt)
        if legacy is None:
            raise
    # unsign_object (Django >= 3.1, as is the algorithm argument) decompresses
    # and deserialises as signing.loads does
    return legacy.unsign_object(token, max_age=max_age)


def _legacy_signer(salt: str) -> Optional[signing.TimestampSigner]:
    """A SHA-1 ``TimestampSigner`` where the default signer uses another
    algorithm, else None (Django 3.0 has no choice: its default is SHA-1)."""
    if not _SIGNER_TAKES_ALGORITHM:
        return None
    if (
        getattr(signing.TimestampSigner(salt=salt), "algorithm", None)
        == LEGACY_ALGORITHM
    ):
        return None
    return signing.TimestampSigner(salt=salt, algorithm=LEGACY_ALGORITHM)  # type: ignore[call-arg]


_SIGNER_TAKES_ALGORITHM = (
    "algorithm" in inspect.signature(signing.Signer.__init__).parameters
)


def _load(token: object, salt: str, max_age: int) -> dict:
    payload = load_signed(token, salt, max_age)
    if not isinstance(payload.get("e"), str):
        raise InvalidToken(_not_valid("link"))
    # a genuine signature over an address no flow accepts manages nothing
    try:
        payload["e"] = normalise_email(payload["e"])
    except PreferenceError as exc:
        raise InvalidToken(_not_valid("link")) from exc
    return payload
