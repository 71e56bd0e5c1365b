"""A/B tests as the merchant configures them: the dashboard field ``ab_tests``.

A JSON list, one object per test on one program step::

    [{"id": "cart-subject", "program": "abandoned_checkout", "step": "step1",
      "metric": "click_rate",
      "variants": [{"name": "A"},
                   {"name": "B", "subject": "Still thinking it over?",
                    "block": "Free delivery on this order."}]}]

* ``id``: the test's name (letters, digits, ``-`` and ``_``); a new id is a new test;
* ``metric``: the rate the winner is chosen on: ``click_rate`` (real clicks per email
  sent, the default), ``open_rate`` (real opens or clicks per email sent) or
  ``order_rate`` (orders credited by click per email sent);
* ``variants``: 2 to 4; each may replace the subject (``subject``, a Django template
  over the email's context, e.g. ``{{ first_name }}``) and/or fill the template block
  shown above the email's content (``block``, plain text). A variant with neither
  is the control: the email as the program writes it.

A leaf module: the settings parse it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from django.utils.translation import gettext

from ..errors import ConfigurationError

METRICS = ("click_rate", "open_rate", "order_rate")
#: a winner needs at least this many emails sent per variant...
MIN_RECIPIENTS_PER_VARIANT = 500
#: ...and at least this posterior probability of beating every other variant
MIN_WIN_PROBABILITY = 0.95
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass(frozen=True)
class Variant:
    name: str
    subject: str = ""
    block: str = ""


@dataclass(frozen=True)
class AbTest:
    id: str
    program: str
    step: str
    metric: str
    variants: Tuple[Variant, ...]


@dataclass(frozen=True)
class AbTests:
    """The configured tests, by ``(program, step)`` (one running test per step)."""

    tests: Tuple[AbTest, ...] = ()

    def for_step(self, program: str, step: str) -> Optional[AbTest]:
        for test in self.tests:
            if test.program == program and test.step == step:
                return test
        return None

    def by_id(self) -> Dict[str, AbTest]:
        return {test.id: test for test in self.tests}


def _invalid(message: str) -> ConfigurationError:
    return ConfigurationError(message)


def _text(item: Dict[str, object], key: str, limit: int) -> str:
    value = item.get(key, "")
    if not isinstance(value, str) or len(value) > limit:
        raise _invalid(
            gettext("'%(key)s' must be text of at most %(limit)s characters.")
            % {"key": key, "limit": limit}
        )
    return value.strip()


def parse_ab_tests(value: object) -> AbTests:
    text = "" if value is None else str(value).strip()
    if not text:
        return AbTests()
    if len(text) > 20000:
        raise _invalid(gettext("Keep this under 20,000 characters."))
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _invalid(gettext("Write the A/B tests as a JSON list.")) from exc
    if not isinstance(data, list) or not all(isinstance(i, dict) for i in data):
        raise _invalid(gettext("Write the A/B tests as a JSON list."))
    tests = []
    seen_ids, seen_steps = set(), set()
    for item in data:
        test_id = _text(item, "id", 64)
        program = _text(item, "program", 64)
        step = _text(item, "step", 64)
        metric = _text(item, "metric", 16) or "click_rate"
        if not _ID.match(test_id) or not program or not step:
            raise _invalid(
                gettext(
                    "Each A/B test needs an id (letters, digits, - or _),"
                    " a program and a step."
                )
            )
        if metric not in METRICS:
            raise _invalid(
                gettext("Choose the metric among: %(metrics)s.")
                % {"metrics": ", ".join(METRICS)}
            )
        if test_id in seen_ids or (program, step) in seen_steps:
            raise _invalid(
                gettext("One A/B test per id and per program step (%(id)s).")
                % {"id": test_id}
            )
        seen_ids.add(test_id)
        seen_steps.add((program, step))
        raw_variants = item.get("variants")
        if not isinstance(raw_variants, list) or not 2 <= len(raw_variants) <= 4:
            raise _invalid(gettext("An A/B test has 2 to 4 variants."))
        variants = []
        for raw in raw_variants:
            if not isinstance(raw, dict):
                raise _invalid(gettext("An A/B test has 2 to 4 variants."))
            name = _text(raw, "name", 32)
            if not _NAME.match(name):
                raise _invalid(
                    gettext("Name each variant with letters, digits, - or _.")
                )
            variants.append(
                Variant(name, _text(raw, "subject", 200), _text(raw, "block", 2000))
            )
        if len({v.name for v in variants}) != len(variants):
            raise _invalid(gettext("Give each variant its own name."))
        tests.append(AbTest(test_id, program, step, metric, tuple(variants)))
    return AbTests(tuple(tests))
