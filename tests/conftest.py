from __future__ import annotations

import logging
from typing import Any, Dict, Iterator, Optional

import pytest
from django.contrib.sites.models import Site
from django.test import Client

from saleor_ecrm_plugin.constants import PLUGIN_ID
from tests.smtp import SmtpServer

logging.getLogger("mail.log").setLevel(logging.WARNING)


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A real SMTP server on a free local port, wired in as Django's email backend."""
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shop(db) -> Site:
    from saleor.site.models import SiteSettings

    # transactional tests flush the rows Saleor's migrations created: recreate them
    site, _ = Site.objects.update_or_create(
        pk=1, defaults={"name": "Test Shop", "domain": "shop.example.com"}
    )
    SiteSettings.objects.update_or_create(
        site=site,
        defaults={
            "default_mail_sender_name": "Test Shop",
            "default_mail_sender_address": "hello@shop.example.com",
        },
    )
    Site.objects.clear_cache()
    return site


def configure_plugin(active: bool = True, **values: Any) -> None:
    """Store the plugin's configuration as the dashboard would (defaults + values)."""
    from saleor.plugins.models import PluginConfiguration

    from saleor_ecrm_plugin.config import default_configuration

    items = default_configuration()
    for item in items:
        if item["name"] in values:
            item["value"] = values[item["name"]]
    PluginConfiguration.objects.update_or_create(
        identifier=PLUGIN_ID,
        defaults={"name": "e-CRM", "active": active, "configuration": items},
    )


class ApiClient:
    """Posts GraphQL to Saleor's real /graphql/ endpoint, optionally as a user."""

    def __init__(self, user: Optional[Any] = None) -> None:
        self.client = Client()
        self.user = user

    def post(self, query: str, variables: Optional[Dict[str, Any]] = None) -> Dict:
        headers = {}
        if self.user is not None:
            from graphql_jwt.shortcuts import get_token

            headers["HTTP_AUTHORIZATION"] = f"JWT {get_token(self.user)}"
        response = self.client.post(
            "/graphql/",
            {"query": query, "variables": variables or {}},
            content_type="application/json",
            **headers,
        )
        assert response.status_code in (200, 400), response.content
        return response.json()


@pytest.fixture
def api_client() -> ApiClient:
    return ApiClient()


@pytest.fixture
def staff_user(db):
    from django.contrib.auth.models import Permission
    from saleor.account.models import User

    user = User.objects.create_user("staff@shop.example.com", "password", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(
            codename="manage_plugins", content_type__app_label="plugins"
        )
    )
    return user


@pytest.fixture
def staff_api_client(staff_user) -> ApiClient:
    return ApiClient(staff_user)


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
