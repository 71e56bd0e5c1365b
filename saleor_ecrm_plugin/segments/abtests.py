"""A/B tests at send time and their results (configuration: :mod:`.abconfig`).

**Assignment.** While a test runs, a recipient's variant is
``sha256("<test id>:<address in lower case>") mod <number of variants>``: the same
address always gets the same variant of a test, on every step and retry, in every
process, and two tests split the base independently. Each email's variant is kept in
an :class:`~.models.AbAssignment` row (written before delivery, inside the send's
guard; a retried send keeps its first variant).

**Results** per variant count the emails of the test that were sent, the real opens
and clicks (bots and privacy proxies left out, :mod:`saleor_ecrm_plugin.engagement`)
and the orders credited to a real click of those emails, with their revenue.

**The winner** (:func:`evaluate_ab_tests`, every hour from beat): only once every
variant has at least :data:`~.abconfig.MIN_RECIPIENTS_PER_VARIANT` (500) emails sent,
the variant with the best rate of the test's metric wins if its posterior probability
of beating *each* other variant (:mod:`.bayes`, Beta(1, 1) prior, exact) is at least
:data:`~.abconfig.MIN_WIN_PROBABILITY` (95 %). Pairwise against each rival is
stricter than "probability of being the best" when there are more than two. From then
on every email of the step gets the winner (``in_test`` false: not counted in the
results). A test whose variants all reached :data:`INCONCLUSIVE_AFTER` emails without a
winner is declared ``inconclusive``, and its step goes back to the first variant (the
control).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from django.db import connection, transaction
from django.template import Context, Engine
from django.utils import timezone

from ..engagement.models import ClickConversion, EmailClick, EmailOpen, OpenProxy
from ..models import ScheduledSend, SendStatus
from ..rendering import header_text
from .abconfig import (
    MIN_RECIPIENTS_PER_VARIANT,
    MIN_WIN_PROBABILITY,
    AbTest,
    AbTests,
    Variant,
)
from .bayes import probability_b_beats_a
from .models import AbAssignment, AbTestState, AbTestStatus

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

    from ..programs.base import EmailSpec

#: emails per variant after which a test without a winner is inconclusive
INCONCLUSIVE_AFTER = 20 * MIN_RECIPIENTS_PER_VARIANT
_subject_engine = Engine(autoescape=False)


@dataclass(frozen=True)
class Chosen:
    """The variant one email gets."""

    test: AbTest
    variant: Variant
    in_test: bool


def variant_index(test_id: str, email: str, count: int) -> int:
    """The deterministic variant of ``email`` in ``test_id`` (0 .. count - 1)."""
    digest = hashlib.sha256(f"{test_id}:{email.strip().lower()}".encode())
    return int(digest.hexdigest()[:16], 16) % count


def _state(test: AbTest) -> AbTestState:
    state, _ = AbTestState.objects.get_or_create(
        test_id=test.id,
        defaults={"program": test.program, "step": test.step, "metric": test.metric},
    )
    return state


def assign(send: ScheduledSend, tests: AbTests) -> Optional[Chosen]:
    """The variant of ``send`` if a test runs on its step (recorded), else None."""
    test = tests.for_step(send.program, send.step)
    if test is None:
        return None
    variants = {variant.name: variant for variant in test.variants}
    kept = AbAssignment.objects.filter(send_id=send.id, test_id=test.id).first()
    if kept is not None and kept.variant in variants:
        return Chosen(test, variants[kept.variant], kept.in_test)
    state = _state(test)
    if state.status == AbTestStatus.WINNER and state.winner in variants:
        chosen = Chosen(test, variants[state.winner], False)
    elif state.status == AbTestStatus.RUNNING:
        index = variant_index(test.id, send.recipient, len(test.variants))
        chosen = Chosen(test, test.variants[index], True)
    else:  # inconclusive (or a winner no longer configured): the control
        chosen = Chosen(test, test.variants[0], False)
    AbAssignment.objects.filter(send_id=send.id).delete()
    AbAssignment.objects.create(
        send_id=send.id,
        test_id=test.id,
        variant=chosen.variant.name,
        in_test=chosen.in_test,
    )
    return chosen


def block_context(chosen: Optional[Chosen]) -> Dict[str, str]:
    """What the layout's A/B block shows (``ab_block``; empty for the control)."""
    return {"ab_block": chosen.variant.block} if chosen and chosen.variant.block else {}


def variant_subject(chosen: Optional[Chosen], context: Mapping[str, Any]) -> str:
    """The variant's subject rendered over the email's context ("" : keep the
    template's)."""
    if chosen is None or not chosen.variant.subject:
        return ""
    template = _subject_engine.from_string(chosen.variant.subject)
    return template.render(Context(dict(context), autoescape=False)).strip()


def apply_variant(
    message: EmailMessage, chosen: Optional[Chosen], shop_name: str, spec: EmailSpec
) -> None:
    """Give a rendered email its variant's subject (if any) and an
    ``X-Ecrm-Variant: <test>/<variant>`` header."""
    if chosen is None:
        return
    subject = variant_subject(chosen, {"shop_name": shop_name, **spec.context})
    if subject:
        message.subject = header_text(subject)
    message.extra_headers["X-Ecrm-Variant"] = f"{chosen.test.id}/{chosen.variant.name}"


@dataclass(frozen=True)
class VariantResult:
    name: str
    sent: int
    opened: int
    clicked: int
    orders: int
    revenue: Decimal

    def successes(self, metric: str) -> int:
        return {
            "click_rate": self.clicked,
            "open_rate": self.opened,
            "order_rate": self.orders,
        }[metric]

    def rate(self, metric: str) -> float:
        return self.successes(metric) / self.sent if self.sent else 0.0


_RESULTS_SQL = """
SELECT a.variant,
       count(*) AS sent,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM {opens} o WHERE o.send_id = s.id AND o.proxy <> %(apple)s)
           OR EXISTS (SELECT 1 FROM {clicks} c
                      WHERE c.send_id = s.id AND c.bot_reason = '')) AS opened,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM {clicks} c WHERE c.send_id = s.id AND c.bot_reason = ''))
           AS clicked,
       coalesce(sum(k.orders), 0) AS orders,
       coalesce(sum(k.revenue), 0) AS revenue
FROM {assignments} a
JOIN {ledger} s ON s.id = a.send_id AND s.status = %(sent)s
LEFT JOIN (SELECT send_id, count(*) AS orders, sum(revenue) AS revenue
           FROM {conversions} GROUP BY send_id) k ON k.send_id = s.id
WHERE a.test_id = %(test)s AND a.in_test
GROUP BY a.variant
"""


def _quoted(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def results(test: AbTest) -> List[VariantResult]:
    """Each variant's figures (only emails sent while the test ran), in the
    configured order."""
    sql = _RESULTS_SQL.format(
        opens=_quoted(EmailOpen),
        clicks=_quoted(EmailClick),
        assignments=_quoted(AbAssignment),
        ledger=_quoted(ScheduledSend),
        conversions=_quoted(ClickConversion),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "apple": str(OpenProxy.APPLE_MPP),
                "sent": str(SendStatus.SENT),
                "test": test.id,
            },
        )
        rows = {row[0]: row for row in cursor.fetchall()}
    out = []
    for variant in test.variants:
        row = rows.get(variant.name)
        if row is None:
            out.append(VariantResult(variant.name, 0, 0, 0, 0, Decimal(0)))
        else:
            out.append(
                VariantResult(
                    variant.name, row[1], row[2], row[3], row[4], Decimal(row[5])
                )
            )
    return out


@dataclass(frozen=True)
class Verdict:
    """What the figures say: the leader and its lowest probability of beating a
    rival; ``winner`` only past both thresholds."""

    leader: str
    probability: float
    winner: str
    inconclusive: bool


def judge(test: AbTest, figures: List[VariantResult]) -> Verdict:
    """Apply the thresholds to ``figures`` (no database)."""
    metric = test.metric
    leader = max(figures, key=lambda r: r.rate(metric))
    probability = min(
        probability_b_beats_a(
            other.successes(metric), other.sent, leader.successes(metric), leader.sent
        )
        for other in figures
        if other is not leader
    )
    enough = all(r.sent >= MIN_RECIPIENTS_PER_VARIANT for r in figures)
    winner = leader.name if enough and probability >= MIN_WIN_PROBABILITY else ""
    inconclusive = not winner and all(r.sent >= INCONCLUSIVE_AFTER for r in figures)
    return Verdict(leader.name, probability, winner, inconclusive)


def evaluate_ab_tests(tests: AbTests, now: Optional[datetime] = None) -> Dict[str, str]:
    """Judge every running test; returns each configured test's status."""
    now = now or timezone.now()
    statuses: Dict[str, str] = {}
    for test in tests.tests:
        with transaction.atomic():
            _state(test)
            state = AbTestState.objects.select_for_update().get(test_id=test.id)
            if state.status == AbTestStatus.RUNNING:
                verdict = judge(test, results(test))
                state.probability = verdict.probability
                state.evaluated_at = now
                if verdict.winner:
                    state.status = AbTestStatus.WINNER
                    state.winner = verdict.winner
                    state.decided_at = now
                elif verdict.inconclusive:
                    state.status = AbTestStatus.INCONCLUSIVE
                    state.decided_at = now
                state.save()
            statuses[test.id] = str(state.status)
    return statuses


def test_report(tests: AbTests) -> List[Dict[str, Any]]:
    """Every configured test's state and figures, for reports and the API."""
    report = []
    for test in tests.tests:
        state = _state(test)
        report.append(
            {
                "id": test.id,
                "program": test.program,
                "step": test.step,
                "metric": test.metric,
                "status": str(state.status),
                "winner": state.winner,
                "probability": state.probability,
                "variants": [vars(r) for r in results(test)],
            }
        )
    return report
