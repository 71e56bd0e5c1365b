"""Signed tokens for the links in emails (Django's signing, keyed by SECRET_KEY).

A token names an address and, for unsubscribe links, the kind of email it came from.
It is the only authentication of the unsubscribe POST and the preference page:
mailbox providers POST without cookies, and guests have no account.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import zlib
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from django.conf import settings
from django.core import signing
from django.utils import baseconv

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


#: shorter JSON payloads are not offered to zlib: its header and checksum (6 bytes)
#: outweigh what it finds to compress in one address
COMPRESS_FROM = 96
# per (salt, SECRET_KEY): an HMAC object keyed with Django's derived key, copied
# for each token
_KEYED: Dict[Tuple[str, Any], Any] = {}


def dumps(payload: Dict[str, str], salt: str) -> str:
    """A token ``signing.loads(token, salt=salt)`` reads, as
    ``signing.dumps(payload, salt=salt, compress=True)`` makes it, for a quarter of
    the CPU (every email carries two or three): the HMAC key Django derives from the
    salt and ``SECRET_KEY`` for every token is derived once per salt and key, and a
    payload under ``COMPRESS_FROM`` bytes is not compressed (Django would try zlib,
    setting up its 256 KB window, and keep the longer result's original)."""
    secret = settings.SECRET_KEY
    keyed = _KEYED.get((salt, secret))
    if keyed is None:
        # django.utils.crypto.salted_hmac(salt + "signer", value, secret)
        secret_bytes = secret if isinstance(secret, bytes) else str(secret).encode()
        key = hashlib.sha1(f"{salt}signer".encode() + secret_bytes).digest()
        keyed = _KEYED[(salt, secret)] = hmac.new(key, digestmod=hashlib.sha1)
    data = json.dumps(payload, separators=(",", ":")).encode("latin-1")
    dot = ""
    if len(data) >= COMPRESS_FROM:
        compressed = zlib.compress(data)
        if len(compressed) < len(data) - 1:
            data, dot = compressed, "."
    # TimestampSigner: "<base64>:<base62 time>:<base64 HMAC-SHA1 of the two>"
    stamp = baseconv.base62.encode(int(time.time()))
    value = f"{dot}{signing.b64_encode(data).decode()}:{stamp}"
    mac = keyed.copy()
    mac.update(value.encode())
    return f"{value}:{signing.b64_encode(mac.digest()).decode()}"


def make_preferences_token(email: str, category: Optional[str] = None) -> str:
    payload = {"e": email.strip().lower()}
    if category:
        payload["c"] = category
    return dumps(payload, PREFERENCES_SALT)


def read_preferences_token(token: object) -> PreferenceClaims:
    payload = _load(token, PREFERENCES_SALT, max_age=None)
    return PreferenceClaims(email=payload["e"], category=payload.get("c"))


def make_newsletter_token(email: str) -> str:
    return dumps({"e": email.strip().lower()}, NEWSLETTER_SALT)


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
