"""Enable the plugin in a Saleor project's settings module.

Usage, at the end of the project's settings::

    from saleor.settings import *  # noqa
    from saleor_ecrm_plugin.settings_helper import enable_ecrm
    enable_ecrm(globals())

It adds the plugin to ``PLUGINS``, the app to ``INSTALLED_APPS``, the plugin's
``templates/`` folder in front of the template directories, the dispatcher to the
Celery beat schedule, and the plugin's URLconf (Saleor's routes plus the plugin's).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Any, MutableMapping, Optional

PLUGIN_PATH = "saleor_ecrm_plugin.plugin.EcrmPlugin"
APP_PATH = "saleor_ecrm_plugin.apps.EcrmConfig"
DISPATCH_TASK = "saleor_ecrm_plugin.dispatch_due_sends"


def templates_dir() -> Path:
    """``templates/``: beside the package in a checkout, else the installed copy."""
    candidates = [
        Path(__file__).resolve().parent.parent / "templates",
        Path(sys.prefix) / "share" / "saleor_ecrm_plugin" / "templates",
    ]
    for candidate in candidates:
        if (candidate / "templated_email").is_dir():
            return candidate
    raise RuntimeError(
        "saleor_ecrm_plugin: templates/ not found in " + ", ".join(map(str, candidates))
    )


def enable_ecrm(
    namespace: MutableMapping[str, Any],
    *,
    dispatch_interval: float = 30.0,
    urlconf: Optional[str] = "saleor_ecrm_plugin.urls",
) -> None:
    """Add the plugin to a settings namespace (``globals()`` of a settings module).

    ``dispatch_interval`` is the seconds between two beat ticks of the dispatcher.
    """
    plugins = list(namespace.get("PLUGINS", []))
    if PLUGIN_PATH not in plugins:
        plugins.append(PLUGIN_PATH)
    namespace["PLUGINS"] = plugins

    apps = list(namespace.get("INSTALLED_APPS", []))
    if APP_PATH not in apps:
        apps.append(APP_PATH)
    namespace["INSTALLED_APPS"] = apps

    templates = namespace.get("TEMPLATES") or [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}
    ]
    dirs = list(templates[0].get("DIRS", []))
    ours = str(templates_dir())
    if ours not in dirs:
        dirs.insert(0, ours)
    templates[0] = {**templates[0], "DIRS": dirs}
    namespace["TEMPLATES"] = templates

    schedule = dict(namespace.get("CELERY_BEAT_SCHEDULE", {}))
    schedule["ecrm-dispatch-due-sends"] = {
        "task": DISPATCH_TASK,
        "schedule": timedelta(seconds=dispatch_interval),
    }
    namespace["CELERY_BEAT_SCHEDULE"] = schedule
    namespace["ECRM_DISPATCH_INTERVAL"] = dispatch_interval

    # provider tracking webhooks (bounces, complaints) arrive at /anymail/<esp>/
    namespace.setdefault("ANYMAIL", {})

    if urlconf:
        namespace["ROOT_URLCONF"] = urlconf
