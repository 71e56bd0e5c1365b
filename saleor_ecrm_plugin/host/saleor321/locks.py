"""Saleor 3.21 on PostgreSQL: the checkout row and an address lock.

Saleor 3.21 runs plugin hooks after its transactions commit, so the plugin cannot
hold a lock inside the order's transaction as it does on 2.10. What serialises a
reminder with the order instead is the checkout row itself: checkout completion
(``saleor/checkout/complete_checkout.py``) takes ``SELECT ... FOR UPDATE`` on it and
deletes it in the transaction that creates the order. A send guard that holds the
same row lock while it re-checks and delivers either delivers before completion
starts (completion waits for it), or waits for completion and then finds the
checkout gone and the order in place.
"""

from __future__ import annotations

from .ids import uuid_pk

#: first key of the advisory lock on an address ("ECR1", as on 2.10)
_LOCK_CLASS = 0x45435231


def lock_checkout_and_email(token: str, email: str) -> None:
    """Hold, until the current transaction ends, the checkout's row (``FOR
    UPDATE``, the lock Saleor's checkout completion takes) and an advisory lock on
    the address, in that order. A checkout already gone (completed, deleted) holds
    no row: the caller's re-check then sees it gone."""
    from django.db import connection
    from saleor.checkout.models import Checkout

    key = uuid_pk(token) if token else None
    if key is not None:
        # the row lock, not a copy of it: evaluate the queryset inside the transaction
        list(
            Checkout.objects.select_for_update()
            .filter(pk=key)
            .values_list("pk", flat=True)
        )
    if email:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                [_LOCK_CLASS, "email:" + email.strip().lower()],
            )
