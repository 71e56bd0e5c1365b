"""``python -m django ecrm_ab_tests``: the A/B tests' state and figures.

Prints, for each test configured in the dashboard (``ab_tests``), its state
(``running``, ``winner``, ``inconclusive``), the winner and the leader's posterior
probability of beating the other variants as last judged, and per variant the
emails sent while the test ran, real opens, real clicks, orders credited to a
click and their revenue. ``--judge`` first runs the hourly judgement
(``saleor_ecrm_plugin.evaluate_ab_tests``) here.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...context import load_context
from ...segments.abtests import test_report
from ...segments.service import judge_ab_tests


class Command(BaseCommand):
    help = "Show the A/B tests' state (running, winner, inconclusive) and figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--judge", action="store_true", help="declare the winners the figures allow"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        settings = load_context().settings
        if options["judge"]:
            judge_ab_tests(settings)
        report = test_report(settings.ab_tests)
        if options["json"]:
            self.stdout.write(json.dumps(report, default=str, indent=2))
            return
        if not report:
            self.stdout.write("No A/B test is configured (dashboard: A/B tests).")
        for test in report:
            probability = test["probability"]
            self.stdout.write(
                f"{test['id']} on {test['program']}/{test['step']} ({test['metric']}):"
                f" {test['status']}"
                + (f" ({test['winner']})" if test["winner"] else "")
                + (
                    ""
                    if probability is None
                    else f", P(leader better) {probability:.1%}"
                )
            )
            for variant in test["variants"]:
                self.stdout.write(
                    f"  {variant['name']}: sent {variant['sent']}, opened"
                    f" {variant['opened']}, clicked {variant['clicked']}, orders"
                    f" {variant['orders']}, revenue {variant['revenue']:.2f}"
                )
