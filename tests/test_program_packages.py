"""A program is one package: registered from ``ECRM_PROGRAMS``, scheduled from its
manifest, run by the generic tasks, its configuration parsed once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from saleor_ecrm_plugin import config, tasks
from saleor_ecrm_plugin.context import load_context
from saleor_ecrm_plugin.dispatcher import Dispatcher
from saleor_ecrm_plugin.ecrm_settings import EcrmSettings
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from saleor_ecrm_plugin.preferences import service
from saleor_ecrm_plugin.programs import registry
from saleor_ecrm_plugin.programs.manifest import RUN_SCAN_TASK, SHIPPED_PROGRAMS
from saleor_ecrm_plugin.settings_helper import enable_ecrm
from tests.conftest import configure_plugin


def test_the_beat_schedule_comes_from_the_programs_manifests():
    namespace = {"INSTALLED_APPS": [], "PLUGINS": []}
    enable_ecrm(
        namespace,
        dispatch_interval=20,
        checkout_scan_interval=120,
        extra_programs=["tests.programs.sample_digest"],
        scan_intervals={"sample_digest_interval": 600},
    )
    assert namespace["ECRM_PROGRAMS"] == [
        *SHIPPED_PROGRAMS,
        "tests.programs.sample_digest",
    ]
    schedule = namespace["CELERY_BEAT_SCHEDULE"]
    # the historical task names and intervals of the shipped scans
    assert schedule["ecrm-scan-abandoned-checkouts"] == {
        "task": "saleor_ecrm_plugin.scan_abandoned_checkouts",
        "schedule": timedelta(seconds=120),
        "options": {"expires": 120},
    }
    assert schedule["ecrm-detect-back-in-stock"]["task"] == (
        "saleor_ecrm_plugin.detect_back_in_stock"
    )
    assert schedule["ecrm-detect-back-in-stock"]["schedule"] == timedelta(seconds=20)
    assert schedule["ecrm-rebuild-recommendations"] == {
        "task": "saleor_ecrm_plugin.rebuild_recommendations",
        "schedule": timedelta(hours=24),
    }
    # a project's program: the generic task, by program id
    assert schedule["test-sample-digest"] == {
        "task": RUN_SCAN_TASK,
        "schedule": timedelta(seconds=600),
        "options": {"expires": 600},
        "args": ("test_sample_digest", "plan_digests"),
    }


def test_the_schedule_is_read_before_django_is_set_up():
    """``enable_ecrm`` runs inside a settings module: reading the manifests must
    import no Django model (a fresh interpreter, no settings configured)."""
    script = (
        "import sys; from saleor_ecrm_plugin.settings_helper import enable_ecrm\n"
        "ns = {}\n"
        "enable_ecrm(ns, extra_programs=['tests.programs.sample_digest'])\n"
        "print(sorted(ns['CELERY_BEAT_SCHEDULE']))\n"
        "from django.apps import apps; assert not apps.ready\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(
        [
            "ecrm-detect-back-in-stock",
            "ecrm-dispatch-due-sends",
            "ecrm-new-edition-launches",
            "ecrm-plan-affinity",
            "ecrm-plan-win-backs",
            "ecrm-rebuild-recommendations",
            "ecrm-recompute-rfm-scores",
            "ecrm-replenishment-learn",
            "ecrm-replenishment-plan",
            "ecrm-scan-abandoned-checkouts",
            "test-sample-digest",
        ]
    )


def test_a_package_without_a_manifest_is_refused(settings):
    settings.ECRM_PROGRAMS = [*SHIPPED_PROGRAMS, "tests.programs"]
    with pytest.raises(ImproperlyConfigured, match="MANIFEST"):
        registry.all_programs()


def test_a_scan_or_hook_not_declared_by_the_program_is_refused():
    program = registry.get_program("test_sample_digest")
    with pytest.raises(ValueError):
        program.run_scan("delete", EcrmSettings())
    with pytest.raises(ValueError):
        program.run_hook("recheck", EcrmSettings())


@pytest.mark.django_db
def test_the_generic_tasks_run_a_test_program_to_the_smtp_server(shop, smtp_server):
    configure_plugin(
        sample_digest_enabled=True, sample_digest_headline="Autumn is here"
    )
    service.request_newsletter("reader@example.org", "test")
    service.confirm_newsletter("reader@example.org", "test")
    Dispatcher(threads=1).run()  # the confirmation email
    smtp_server.messages.clear()

    assert tasks.run_program_scan.delay("test_sample_digest", "plan_digests").get() == {
        "planned": 1
    }
    assert tasks.run_program_scan("test_sample_digest", "plan_digests") == {
        "planned": 0
    }
    assert tasks.run_program_hook("test_sample_digest", "plan_digest", "x@e.org")

    Dispatcher(threads=1).run()
    digests = ScheduledSend.objects.filter(program="test_sample_digest")
    # x@e.org never subscribed: the soft opt-in consent refuses it
    assert sorted(digests.values_list("recipient", "status", "skip_reason")) == [
        ("reader@example.org", SendStatus.SENT, ""),
        ("x@e.org", SendStatus.SKIPPED, "no_consent"),
    ]
    [received] = smtp_server.messages
    assert received.message["Subject"] == "Autumn is here at Test Shop"
    assert "Autumn is here" in received.html


@pytest.mark.django_db
def test_the_stored_configuration_is_parsed_once(monkeypatch):
    calls = []
    parse = config.parse_settings

    def counting(items, programs):
        calls.append(1)
        return parse(items, programs)

    monkeypatch.setattr(config, "parse_settings", counting)
    configure_plugin(welcome_delay_minutes="31")
    first = load_context().settings
    for _ in range(5):
        assert load_context().settings is first
    assert (
        first.options("welcome", type(first.programs["welcome"]))
        is (first.programs["welcome"])
    )
    assert len(calls) == 1
    configure_plugin(welcome_delay_minutes="32")
    assert load_context().settings.program("welcome")["welcome_delay_minutes"] == 32
    assert len(calls) == 2
