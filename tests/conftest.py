"""The suite's fixtures live in tests/fixtures/, one module per concern; helpers
are imported from their own modules (tests.graphql, tests.configuration,
tests.smtp, tests.factories, tests.storefront)."""

from __future__ import annotations

from typing import Dict

import pytest

# the names tests imported from here before the split (kept for older branches)
from tests.configuration import configure_plugin  # noqa: F401
from tests.graphql import ApiClient  # noqa: F401
from tests.hosts import HOST, SALEOR3

pytest_plugins = [
    "tests.fixtures.smtp",
    "tests.fixtures.shop",
    "tests.fixtures.graphql",
]


def _with_test_programs() -> None:
    """List the test-only program packages in ``ECRM_PROGRAMS`` and their templates
    in the template directories, as a project adds its own programs."""
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.test.utils import override_settings

    from tests.programs import PACKAGES

    templates = [dict(engine) for engine in django_settings.TEMPLATES]
    templates[0]["DIRS"] = [
        *templates[0].get("DIRS", []),
        str(Path(__file__).resolve().parent / "templates"),
    ]
    override_settings(
        ECRM_PROGRAMS=[*django_settings.ECRM_PROGRAMS, *PACKAGES], TEMPLATES=templates
    ).enable()


_with_test_programs()


#: test modules that import Saleor 2.10's models or GraphQL API at import time and
#: are not converted to the host layer (tests/hosts/) yet: not collected on Saleor
#: 3.21, each with the reason, counted in the summary
NOT_YET_ON_SALEOR3: Dict[str, str] = {}
#: test modules that go through the plugin's GraphQL API, which Saleor 3.21 serves
#: from the s3api branch's view (not on this branch yet)
NEEDS_S3API: Dict[str, str] = {}

#: test modules whose tests mostly post to the plugin's GraphQL API with their own
#: ApiClient (not a fixture): skipped whole on 3.21 until s3api's view is merged
GRAPHQL_MODULES: Dict[str, str] = {}

collect_ignore = sorted({**NOT_YET_ON_SALEOR3, **NEEDS_S3API}) if SALEOR3 else []


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "saleor210(reason): holds on Saleor 2.10 only (skipped on 3.21)"
    )
    config.addinivalue_line(
        "markers", "saleor321(reason): holds on Saleor 3.21 only (skipped on 2.10)"
    )


#: fixtures of the plugin's GraphQL API and Saleor's storefront API (the same on
#: both hosts: tests/fixtures/graphql.py, tests/graphql.py)
GRAPHQL_FIXTURES = {"api_client", "staff_api_client", "staff_user", "product_manager"}
#: modules whose tests use those fixtures in Saleor 2.10's API shapes (checkoutId,
#: no channel): such tests are skipped on 3.21 until the module is converted
FIXTURES_IN_2_10_SHAPES = {
    "test_order_emails.py",
}


def pytest_collection_modifyitems(config, items) -> None:
    other = "saleor210" if SALEOR3 else "saleor321"
    for item in items:
        graphql_module = SALEOR3 and item.path.name in GRAPHQL_MODULES
        uses_graphql = item.path.name in FIXTURES_IN_2_10_SHAPES and (
            GRAPHQL_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        if (
            SALEOR3
            and (graphql_module or uses_graphql)
            # tests written for 3.21's API (s3api's) run; 2.10's wait for conversion
            and item.get_closest_marker("saleor321") is None
        ):
            item.add_marker(
                pytest.mark.skip(
                    reason="through GraphQL written in Saleor 2.10's API shapes"
                    " (checkoutId, no channel): not converted to 3.21's API yet"
                )
            )
            continue
        marker = item.get_closest_marker(other)
        if marker is not None:
            reason = marker.kwargs.get("reason") or (
                marker.args[0] if marker.args else ""
            )
            item.add_marker(
                pytest.mark.skip(reason=f"{other} only (host: {HOST}) {reason}".strip())
            )


def pytest_terminal_summary(terminalreporter) -> None:
    if SALEOR3 and collect_ignore:
        terminalreporter.write_line(
            f"Saleor 3.21: {len(NOT_YET_ON_SALEOR3)} test modules not converted yet,"
            f" {len(NEEDS_S3API)} waiting for the s3api GraphQL view (not collected):"
        )
        for name, reason in sorted({**NOT_YET_ON_SALEOR3, **NEEDS_S3API}.items()):
            terminalreporter.write_line(f"  {name}: {reason}")
        terminalreporter.write_line(
            f"Saleor 3.21: {len(GRAPHQL_MODULES)} modules skipped whole (GraphQL):"
            f" {', '.join(sorted(GRAPHQL_MODULES))}"
        )
