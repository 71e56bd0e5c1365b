"""Saleor 2.10 on PostgreSQL: advisory locks shared with the order transaction."""

from __future__ import annotations

#: first key of the advisory locks that order a reminder's send against the order
#: that would make it pointless ("ECR1")
_LOCK_CLASS = 0x45435231


def lock_checkout_and_email(token: str, email: str) -> None:
    """Hold, until the current transaction ends, the locks of a checkout and an address.

    Taken by the plugin's ``order_created`` hook inside Saleor's order transaction,
    and by the dispatcher around a reminder's re-check and delivery: a reminder is
    either delivered before the order commits, or re-checked after it has. Always
    the checkout first, then the address, so two holders never wait on each other.
    """
    from django.db import connection

    keys = []
    if token:
        keys.append("checkout:" + str(token))
    if email:
        keys.append("email:" + email.strip().lower())
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_LOCK_CLASS, key]
            )
