"""Enable the plugin in a Saleor project's settings module.

Usage, at the end of the project's settings::

    from saleor.settings import *  # noqa
    from saleor_ecrm_plugin.settings_helper import enable_ecrm
    enable_ecrm(globals())

It adds the plugin to ``PLUGINS``, the app to ``INSTALLED_APPS``, the plugin's
``templates/`` folder in front of the template directories (with Saleor's own order
emails), a templated-email backend that inlines CSS, the dispatcher and the
programs' periodic scans (from their manifests) to the Celery beat schedule, the
program packages to ``ECRM_PROGRAMS``, and the plugin's URLconf (Saleor's routes
plus the plugin's).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from pathlib import Path
from typing import Any, Dict, List, MutableMapping, Optional, Sequence, Union

from django.core.exceptions import ImproperlyConfigured

from .programs.manifest import SHIPPED_PROGRAMS, PeriodicScan, ProgramPackage

PLUGIN_PATH = "saleor_ecrm_plugin.plugin.EcrmPlugin"
APP_PATH = "saleor_ecrm_plugin.apps.EcrmConfig"
#: the name Saleor 3.x appends to ``INSTALLED_APPS`` for the ``saleor.plugins`` entry
APP_NAME = "saleor_ecrm_plugin"
DISPATCH_TASK = "saleor_ecrm_plugin.dispatch_due_sends"
CACHED = "django.template.loaders.cached.Loader"
REBUILD_RECOMMENDATIONS_TASK = "saleor_ecrm_plugin.rebuild_recommendations"
SCAN_CHECKOUTS_TASK = "saleor_ecrm_plugin.scan_abandoned_checkouts"
BACK_IN_STOCK_TASK = "saleor_ecrm_plugin.detect_back_in_stock"
RFM_TASK = "saleor_ecrm_plugin.recompute_rfm_scores"
#: renders every templated email, Saleor's own included, and inlines its CSS
TEMPLATED_EMAIL_BACKEND = "saleor_ecrm_plugin.inlining.CssInliningTemplateBackend"


def templates_dir() -> Path:
    """The plugin's ``templates/`` folder: page, email and GraphQL playground templates.

    An installed wheel carries it inside the package (``saleor_ecrm_plugin/templates``,
    whatever the install prefix: a venv, ``--user``, a system site-packages); a
    checkout, editable install included, has it at the repository's root, beside the
    package. Raises ``ImproperlyConfigured`` when neither holds it.
    """
    package = Path(__file__).resolve().parent
    candidates = [package / "templates", package.parent / "templates"]
    for candidate in candidates:
        if (candidate / "templated_email" / "ecrm").is_dir():
            return candidate
    raise ImproperlyConfigured(
        "saleor_ecrm_plugin: templates/ not found in " + ", ".join(map(str, candidates))
    )


def _every(task: str, seconds: float) -> Dict[str, Any]:
    """A beat entry every ``seconds``; a tick still queued when the next is due is
    dropped (it expires), not piled up."""
    return {
        "task": task,
        "schedule": timedelta(seconds=seconds),
        "options": {"expires": seconds},
    }


def _seconds(interval: Union[float, timedelta]) -> float:
    return (
        interval.total_seconds() if isinstance(interval, timedelta) else float(interval)
    )


def _manifest(package: str) -> ProgramPackage:
    manifest = getattr(import_module(package), "MANIFEST", None)
    if not isinstance(manifest, ProgramPackage):
        raise ValueError(f"{package} is not a program package (it has no MANIFEST)")
    return manifest


def scan_entry(
    scan: PeriodicScan, intervals: Dict[str, Any], dispatch_interval: float
) -> Dict[str, Any]:
    """The beat entry of a program's scan: its interval from ``intervals`` (the
    keywords of :func:`enable_ecrm`) when given there, else its default."""
    interval = intervals.get(scan.interval_setting) or scan.every or dispatch_interval
    entry: Dict[str, Any] = _every(scan.task, _seconds(interval))
    if not scan.expires:
        del entry["options"]
    if scan.args:
        entry["args"] = scan.args
    return entry


def enable_ecrm(
    namespace: MutableMapping[str, Any],
    *,
    dispatch_interval: float = 30.0,
    recommendations_rebuild_interval: timedelta = timedelta(hours=24),
    checkout_scan_interval: float = 300.0,
    back_in_stock_interval: Optional[float] = None,
    urlconf: Optional[str] = "saleor_ecrm_plugin.urls",
    programs: Optional[Sequence[str]] = None,
    extra_programs: Sequence[str] = (),
    scan_intervals: Optional[Dict[str, Union[float, timedelta]]] = None,
    rfm_interval: timedelta = timedelta(hours=24),
) -> None:
    """Add the plugin to a settings namespace (``globals()`` of a settings module).

    ``dispatch_interval`` is the seconds between two beat ticks of the dispatcher;
    ``recommendations_rebuild_interval`` the time between two full rebuilds of the
    recommendation model (orders are also counted in as they arrive);
    ``checkout_scan_interval`` the seconds between two scans of changed checkouts
    (cart reminders for what Saleor's hooks do not report).
    ``back_in_stock_interval`` is the seconds between two checks of the stock of
    variants customers wait for (default: the dispatch interval; a check reads
    only the watched variants).
    ``programs`` lists the program packages (default: the shipped ones, in
    ``programs.registry.SHIPPED_PROGRAMS``), ``extra_programs`` adds packages of
    the project's own; both end up in the ``ECRM_PROGRAMS`` setting, and the
    periodic scans their manifests declare in the beat schedule.
    ``scan_intervals`` overrides a scan's interval by its ``interval_setting``
    name (the keywords above are such names).
    ``rfm_interval`` is the time between two recomputes of the customers' RFM
    scores (the win-back scan also refreshes them when older than 20 hours).
    """
    plugins = list(namespace.get("PLUGINS", []))
    if PLUGIN_PATH not in plugins:
        plugins.append(PLUGIN_PATH)
    namespace["PLUGINS"] = plugins

    # Saleor 3.x appends the entry point's name (the bare package) for an installed
    # plugin: the app config stands in its place, never twice (one app label)
    apps = [
        APP_PATH if app == APP_NAME else app
        for app in namespace.get("INSTALLED_APPS", [])
    ]
    if APP_PATH not in apps:
        apps.append(APP_PATH)
    apps = [
        app for n, app in enumerate(apps) if app != APP_PATH or apps.index(app) == n
    ]
    namespace["INSTALLED_APPS"] = apps

    templates = namespace.get("TEMPLATES") or [
        {"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": []}
    ]
    dirs = list(templates[0].get("DIRS", []))
    ours = str(templates_dir())
    if ours not in dirs:
        dirs.insert(0, ours)
    options = dict(templates[0].get("OPTIONS", {}))
    loaders = options.get("loaders")
    if loaders and not namespace.get("DEBUG", False) and loaders[0][0] != CACHED:
        # Saleor lists its loaders, which turns Django's template cache off: every
        # email would re-read and re-compile its templates
        options["loaders"] = [(CACHED, list(loaders))]
    templates[0] = {**templates[0], "DIRS": dirs, "OPTIONS": options}
    namespace["TEMPLATES"] = templates

    packages: List[str] = list(programs if programs is not None else SHIPPED_PROGRAMS)
    packages += [p for p in extra_programs if p not in packages]
    namespace["ECRM_PROGRAMS"] = packages
    intervals: Dict[str, Any] = {
        "recommendations_rebuild_interval": recommendations_rebuild_interval,
        "checkout_scan_interval": checkout_scan_interval,
        "back_in_stock_interval": back_in_stock_interval,
        **(scan_intervals or {}),
    }
    schedule = dict(namespace.get("CELERY_BEAT_SCHEDULE", {}))
    schedule["ecrm-dispatch-due-sends"] = _every(DISPATCH_TASK, dispatch_interval)
    schedule["ecrm-recompute-rfm-scores"] = _every(RFM_TASK, _seconds(rfm_interval))
    for package in packages:
        for scan in _manifest(package).scans:
            schedule[scan.beat_entry] = scan_entry(scan, intervals, dispatch_interval)
    namespace["CELERY_BEAT_SCHEDULE"] = schedule
    # a project that set its own templated-email backend keeps it (no CSS inlining)
    namespace.setdefault("TEMPLATED_EMAIL_BACKEND", TEMPLATED_EMAIL_BACKEND)
    namespace["ECRM_DISPATCH_INTERVAL"] = dispatch_interval
    # a hung provider must not hold a delivery past its lease (300 s)
    namespace.setdefault("EMAIL_TIMEOUT", 30)

    # provider tracking webhooks (bounces, complaints) arrive at /anymail/<esp>/
    namespace.setdefault("ANYMAIL", {})

    if urlconf:
        namespace["ROOT_URLCONF"] = urlconf
