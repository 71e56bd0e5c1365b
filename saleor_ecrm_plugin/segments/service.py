"""What the Celery tasks call: the daily recompute and the hourly A/B judgement."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Dict, Optional

from ..preferences.categories import CATEGORIES
from ..programs.registry import all_programs
from .abtests import evaluate_ab_tests
from .engagement import recompute_engagement

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings


def recompute_segments(
    settings: EcrmSettings, now: Optional[datetime] = None
) -> Dict[str, int]:
    """Every address's engagement level, from the emails of the non-transactional
    programs, with the merchant's thresholds. Returns the count per level."""
    programs = [
        program.id
        for program in all_programs()
        if not CATEGORIES[program.category].transactional
    ]
    return recompute_engagement(programs, settings.engagement_thresholds, now)


def judge_ab_tests(
    settings: EcrmSettings, now: Optional[datetime] = None
) -> Dict[str, str]:
    """Declare the winners (or inconclusive tests) the figures allow."""
    return evaluate_ab_tests(settings.ab_tests, now)
