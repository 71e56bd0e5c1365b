"""Signed tokens for the links in emails (Django's signing, keyed by SECRET_KEY).

A token names an address and, for unsubscribe links, the kind of email it came from.
It is the only authentication of the unsubscribe POST and the preference page:
mailbox providers POST without cookies, and guests have no account.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Optional

from django.core import signing

from ..errors import EcrmError
from .service import PreferenceError, normalise_email

PREFERENCES_SALT = "saleor_ecrm_plugin.preferences"
NEWSLETTER_SALT = "saleor_ecrm_plugin.newsletter-confirm"
NEWSLETTER_MAX_AGE = 7 * 24 * 3600
MAX_TOKEN_LENGTH = 512


class InvalidToken(EcrmError, ValueError):
    """The link is altered, forged, expired or not one of ours."""


@dataclass(frozen=True)
class PreferenceClaims:
    email: str
    category: Optional[str]


def make_preferences_token(email: str, category: Optional[str] = None) -> str:
    payload = {"e": email.strip().lower()}
    if category:
        payload["c"] = category
    return signing.dumps(payload, salt=PREFERENCES_SALT, compress=True)


def read_preferences_token(token: object) -> PreferenceClaims:
    payload = _load(token, PREFERENCES_SALT, max_age=None)
    return PreferenceClaims(email=payload["e"], category=payload.get("c"))


def make_newsletter_token(email: str) -> str:
    return signing.dumps(
        {"e": email.strip().lower()}, salt=NEWSLETTER_SALT, compress=True
    )


def read_newsletter_token(token: object) -> str:
    return _load(token, NEWSLETTER_SALT, max_age=NEWSLETTER_MAX_AGE)["e"]


def load_signed(
    token: object, salt: str, max_age: Optional[int], noun: str = "link"
) -> dict:
    """The payload of a genuine, unexpired token signed with ``salt``, a dict.

    :class:`InvalidToken` otherwise, saying "This <noun> is not valid." or "…has
    expired." Callers check the payload's own keys.
    """
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidToken(f"This {noun} is not valid.")
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidToken(f"This {noun} has expired.") from exc
    except (signing.BadSignature, ValueError, UnicodeError, zlib.error) as exc:
        raise InvalidToken(f"This {noun} is not valid.") from exc
    if not isinstance(payload, dict):
        raise InvalidToken(f"This {noun} is not valid.")
    return payload


def _load(token: object, salt: str, max_age: Optional[int]) -> dict:
    payload = load_signed(token, salt, max_age)
    if not isinstance(payload.get("e"), str):
        raise InvalidToken("This link is not valid.")
    # a genuine signature over an address no flow accepts manages nothing
    try:
        payload["e"] = normalise_email(payload["e"])
    except PreferenceError as exc:
        raise InvalidToken("This link is not valid.") from exc
    return payload
