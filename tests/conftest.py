"""The suite's fixtures live in tests/fixtures/, one module per concern; helpers
are imported from their own modules (tests.graphql, tests.fixtures.shop,
tests.smtp, tests.factories, tests.storefront)."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.shop",
    "tests.fixtures.graphql",
]

# the names tests imported from here before the split (kept for older branches)
import tests.programs  # noqa: E402,F401  (registers the test-only program)
from tests.fixtures.shop import configure_plugin  # noqa: E402,F401
from tests.graphql import ApiClient  # noqa: E402,F401
