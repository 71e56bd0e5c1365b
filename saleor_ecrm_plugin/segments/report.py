"""Segments and A/B tests as report lines (the demo's report, a shell)."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from .abtests import test_report
from .levels import LEVELS
from .service import recompute_segments

if TYPE_CHECKING:
    from ..ecrm_settings import EcrmSettings


def format_segments(settings: EcrmSettings) -> List[str]:
    """Recompute the levels (what the daily task does), then one line of counts
    per level and each configured A/B test's state and figures."""
    counts = recompute_segments(settings)
    lines = ["engagement: " + ", ".join(f"{level} {counts[level]}" for level in LEVELS)]
    for test in test_report(settings.ab_tests):
        probability = test["probability"]
        chance = (
            "" if probability is None else f", leader's P(better) {probability:.0%}"
        )
        winner = f" ({test['winner']})" if test["winner"] else ""
        lines.append(
            f"A/B test {test['id']} on {test['program']}/{test['step']}"
            f" ({test['metric']}): {test['status']}{winner}{chance}"
        )
        for variant in test["variants"]:
            lines.append(
                f"  {variant['name']}: sent {variant['sent']}, opened"
                f" {variant['opened']}, real clicks {variant['clicked']}, orders"
                f" {variant['orders']}, revenue {variant['revenue']:.2f}"
            )
    return lines
