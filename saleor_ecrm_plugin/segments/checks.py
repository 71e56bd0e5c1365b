"""The dispatcher's segment check: is this recipient in the step's segment?"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..rfm.scoring import group_of_email as rfm_group_of
from .conditions import SEGMENT_SKIP_REASON
from .engagement import level_of

if TYPE_CHECKING:
    from ..models import ScheduledSend
    from .conditions import SegmentConditions


def segment_skip_reason(
    send: ScheduledSend, conditions: SegmentConditions
) -> Optional[str]:
    """``"segment"`` when a rule covers the send's step and the recipient is outside
    it (see :mod:`.conditions`), else None. No rule: no query."""
    rule = conditions.rule_for(send.program, send.step)
    if rule is None:
        return None
    if rule.engagement and level_of(send.recipient) not in rule.engagement:
        return SEGMENT_SKIP_REASON
    if rule.rfm and rfm_group_of(send.recipient) not in rule.rfm:
        return SEGMENT_SKIP_REASON
    return None
