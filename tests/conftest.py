"""The suite's fixtures live in tests/fixtures/, one module per concern; helpers
are imported from their own modules (tests.graphql, tests.configuration,
tests.smtp, tests.factories, tests.storefront)."""

from __future__ import annotations

import tests.programs  # noqa: F401  (registers the test-only program)

# the names tests imported from here before the split (kept for older branches)
from tests.configuration import configure_plugin  # noqa: F401
from tests.graphql import ApiClient  # noqa: F401

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.shop",
    "tests.fixtures.graphql",
]
