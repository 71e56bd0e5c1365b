"""The signed token of an "order again" link (Django's signing, keyed by SECRET_KEY).

A token names one sent reminder (its ledger row); the row's payload holds the lines
to put back in a cart. It proves its holder received that reminder.
"""

from __future__ import annotations

from django.utils.translation import gettext

from ...preferences.tokens import InvalidToken, dumps, load_signed

REORDER_SALT = "saleor_ecrm_plugin.replenishment.order-again"
#: an "order again" link works for this long after the email was rendered
REORDER_LINK_MAX_AGE = 90 * 24 * 3600


def make_reorder_token(send_id: object) -> str:
    return dumps({"s": str(send_id)}, REORDER_SALT)


def read_reorder_token(token: object) -> int:
    """The ledger row id of a genuine, unexpired token; :class:`InvalidToken`
    otherwise."""
    payload = load_signed(token, REORDER_SALT, REORDER_LINK_MAX_AGE)
    value = payload.get("s")
    if not isinstance(value, str) or not value.isdigit():
        raise InvalidToken(gettext("This order link is not valid."))
    return int(value)
