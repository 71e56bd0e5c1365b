"""Who may see the staff page: a Saleor staff user signed in with their password.

A sign-in checks the Saleor user's password (Django's ``check_password``, the
hashers the host configures), ``is_active``, ``is_staff`` and at least one of the
page's permissions. The proof is kept in Django's signed-cookie session
(:class:`StaffSession`, a cookie of its own, HttpOnly, SameSite=Lax, limited to
the page's path, :data:`SESSION_SECONDS` long) holding the user's id and Django's
session hash of their password: changing the password, losing staff status or the
permissions ends it at the next request. Failed sign-ins are limited per address
and per client network (:data:`MAX_FAILURES` per :data:`FAILURE_WINDOW` seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as SignedCookieSession,
)
from django.core.cache import cache
from django.utils.crypto import constant_time_compare

from ..clients import client_key

#: the report holds orders and revenue: Saleor shows those to order managers
REPORT_PERMISSION = "order.manage_orders"
#: the timeline is a customer's personal data: Saleor shows it to user managers
TIMELINE_PERMISSION = "account.manage_users"
PERMISSIONS = (REPORT_PERMISSION, TIMELINE_PERMISSION)

COOKIE_NAME = "ecrm_staff_session"
SESSION_SECONDS = 8 * 3600
MAX_FAILURES = 10
FAILURE_WINDOW = 15 * 60
_USER_KEY = "ecrm_staff_user"
_HASH_KEY = "ecrm_staff_hash"


class StaffSession(SignedCookieSession):
    """Django's signed-cookie session, expiring after :data:`SESSION_SECONDS`."""

    def get_session_cookie_age(self) -> int:
        return SESSION_SECONDS


@dataclass(frozen=True)
class Staff:
    """A signed-in staff member and what they may see."""

    user: Any
    email: str
    sees_report: bool
    sees_timeline: bool


def _allowed(user: Any) -> Optional[Staff]:
    if not (user.is_active and user.is_staff):
        return None
    report = user.has_perm(REPORT_PERMISSION)
    timeline = user.has_perm(TIMELINE_PERMISSION)
    if not (report or timeline):
        return None
    return Staff(user, user.email, report, timeline)


def _failure_key(email: str, client: str) -> str:
    return f"ecrm:staff-signin:{client_key('staff-signin', client)}:{email}"


def too_many_failures(email: str, client: Optional[str]) -> bool:
    key = _failure_key(email.strip().lower(), client or "")
    return int(cache.get(key, 0)) >= MAX_FAILURES


def authenticate(email: str, password: str, client: Optional[str]) -> Optional[Staff]:
    """The staff member whose Saleor email and password these are, when they may
    see the page; else None (the same answer for an unknown address, a wrong
    password, a customer or staff without the permissions)."""
    email = email.strip()
    User = get_user_model()
    user = User.objects.filter(email__iexact=email).first() if email else None
    if user is None:
        User().set_password(password)  # the same work as a real check: no timing hint
        staff = None
    else:
        staff = _allowed(user) if user.check_password(password) else None
    if staff is None:
        key = _failure_key(email.lower(), client or "")
        cache.add(key, 0, FAILURE_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired in between
            cache.set(key, 1, FAILURE_WINDOW)
    return staff


def start_session(staff: Staff) -> StaffSession:
    """A new session for ``staff`` (the caller sets its cookie)."""
    session = StaffSession()
    session[_USER_KEY] = str(staff.user.pk)
    session[_HASH_KEY] = staff.user.get_session_auth_hash()
    session.save()
    return session


def signed_in(cookie: Optional[str]) -> Optional[Staff]:
    """The staff member a session cookie proves, checked again now; else None."""
    if not cookie:
        return None
    session = StaffSession(session_key=cookie)
    user_id, stored_hash = session.get(_USER_KEY), session.get(_HASH_KEY)
    if not user_id or not stored_hash:
        return None
    User = get_user_model()
    try:
        user = User.objects.filter(pk=user_id).first()
    except (ValueError, TypeError):
        return None
    if user is None or not constant_time_compare(
        stored_hash, user.get_session_auth_hash()
    ):
        return None
    return _allowed(user)
