"""Planning the confirmation email of a newsletter sign-up.

Kept apart from the program so that the preference service (which records the
sign-up in the same transaction) can plan it: this module imports the ledger only.
"""

from __future__ import annotations

import hashlib

from django.utils import timezone

from ...ledger import PlannedSend, plan_send

PROGRAM_ID = "newsletter_confirmation"


def plan_confirmation(email: str) -> bool:
    now = timezone.now()
    # an address runs to 254 characters; subject_id holds 64 and the key 200
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:40]
    return plan_send(
        PlannedSend(
            program=PROGRAM_ID,
            step="confirm",
            recipient=email,
            subject_type="email",
            subject_id=digest,
            due_at=now,
            # one confirmation email per request, at most one per hour
            key=f"newsletter_confirmation:{digest}:{now:%Y%m%d%H}",
        )
    )
