"""Segment conditions: "this program (or step) only for these segments".

The plugin-wide dashboard field ``segment_conditions`` holds rules separated by
``;``, each ``<program>[/<step>]: <key>=<value>,<value> [<key>=...]``::

    abandoned_checkout/step3: engagement=active,super_active; welcome: engagement=new

Keys: ``engagement`` (levels of :mod:`.levels`) and ``rfm`` (the RFM groups of the
life-cycle scores). A rule for a step wins over a rule for its whole program. Several
keys must all hold. Before each send, after consent, the dispatcher asks
:func:`segment_skip_reason`: a recipient outside the segment is skipped with reason
``segment`` (recorded on the ledger row like any skip). An address whose level was
never computed counts as ``new``; one without RFM scores is in no RFM group.

This module parses only (a leaf: the settings parse it); :mod:`.checks` reads the
stored segments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, FrozenSet, Optional, Tuple

from django.utils.translation import gettext

from ..errors import ConfigurationError
from ..rfm.groups import GROUPS as RFM_GROUPS
from .levels import LEVELS

SEGMENT_SKIP_REASON = "segment"
ENGAGEMENT_KEY = "engagement"
RFM_KEY = "rfm"
_NAME = re.compile(r"^[a-z0-9_]{1,64}$")


@dataclass(frozen=True)
class SegmentRule:
    """The segments a step's recipients must be in (empty: any)."""

    engagement: FrozenSet[str] = frozenset()
    rfm: FrozenSet[str] = frozenset()


@dataclass(frozen=True)
class SegmentConditions:
    """Rules by ``(program, step)``; ``step`` ``""`` is the whole program."""

    rules: Dict[Tuple[str, str], SegmentRule] = field(default_factory=dict)

    def rule_for(self, program: str, step: str) -> Optional[SegmentRule]:
        return self.rules.get((program, step)) or self.rules.get((program, ""))


def parse_segment_conditions(value: object) -> SegmentConditions:
    text = "" if value is None else str(value).strip()
    rules: Dict[Tuple[str, str], SegmentRule] = {}
    if len(text) > 2000:
        raise ConfigurationError(gettext("Keep this under 2,000 characters."))
    for part in filter(None, (p.strip() for p in text.split(";"))):
        target, colon, keys = part.partition(":")
        program, _, step = target.strip().partition("/")
        if not colon or not _NAME.match(program) or (step and not _NAME.match(step)):
            raise ConfigurationError(
                gettext(
                    "Write each rule as program/step: engagement=active,super_active"
                    " (rules separated by ;)."
                )
            )
        values: Dict[str, FrozenSet[str]] = {}
        for item in keys.split():
            key, equals, names = item.partition("=")
            allowed = {ENGAGEMENT_KEY: LEVELS, RFM_KEY: RFM_GROUPS}.get(key)
            chosen = frozenset(n for n in names.split(",") if n)
            if not equals or allowed is None or not chosen:
                raise ConfigurationError(
                    gettext("Use engagement=... or rfm=... in '%(rule)s'.")
                    % {"rule": part[:80]}
                )
            unknown = sorted(chosen - set(allowed))
            if unknown:
                raise ConfigurationError(
                    gettext("Unknown segment '%(name)s'; use one of: %(allowed)s.")
                    % {"name": unknown[0][:40], "allowed": ", ".join(allowed)}
                )
            values[key] = chosen
        if not values:
            raise ConfigurationError(
                gettext("The rule '%(rule)s' names no segment.") % {"rule": part[:80]}
            )
        rules[(program, step)] = SegmentRule(
            values.get(ENGAGEMENT_KEY, frozenset()), values.get(RFM_KEY, frozenset())
        )
    return SegmentConditions(rules)
