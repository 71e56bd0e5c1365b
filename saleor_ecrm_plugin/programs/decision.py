"""What a program's re-check decides for one send, right before it would go out.

A leaf module: the dispatcher and every program import it, it imports nothing of
the package. The re-check only *decides*; side effects belong to the steps the
dispatcher runs around it (``Program.prepare`` inside the send guard for vouchers,
``Program.replan`` after a skip has been recorded for new ledger rows).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional


@dataclass(frozen=True)
class Decision:
    """``skip_reason`` ``None`` means send. A skip may ask to be planned again:
    then, once the skip is recorded, the dispatcher calls ``Program.replan`` with
    this decision (``replan_activity``: the activity the new plan starts from, or
    ``None`` for the program's own notion of it)."""

    skip_reason: Optional[str] = None
    replan: bool = False
    replan_activity: Optional[datetime] = None

    @property
    def send(self) -> bool:
        return self.skip_reason is None


#: the decision to send
SEND = Decision()


def skip(
    reason: str, *, replan: bool = False, replan_activity: Optional[datetime] = None
) -> Decision:
    """Do not send; keep ``reason`` on the ledger row."""
    if not reason:
        raise ValueError("a skip needs a reason")
    return Decision(reason, replan, replan_activity)
