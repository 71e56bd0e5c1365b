"""The suite's fixtures live in tests/fixtures/, one module per concern; helpers
are imported from their own modules (tests.graphql, tests.configuration,
tests.smtp, tests.factories, tests.storefront)."""

from __future__ import annotations

# the names tests imported from here before the split (kept for older branches)
from tests.configuration import configure_plugin  # noqa: F401
from tests.graphql import ApiClient  # noqa: F401

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
