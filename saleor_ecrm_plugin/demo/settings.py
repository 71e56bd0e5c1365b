"""Settings of the demo shop and of the test suite: Saleor's own, plus the plugin.

Environment: ``DATABASE_URL`` (default: local PostgreSQL database ``ecrm``),
``CELERY_BROKER_URL`` (default: none, so Celery runs tasks eagerly),
``EMAIL_URL`` (default: console), ``DEBUG`` (default: off, as in production:
no stack traces in GraphQL errors, no Django debug pages; ``DEBUG=True`` to ask).
"""

import os

from saleor_ecrm_plugin.host import compat

compat.apply_early()

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecrm")
os.environ.setdefault("SECRET_KEY", "ecrm-demo-key-not-secret-change-me-in-production")
os.environ.setdefault("DEFAULT_FROM_EMAIL", "Demo Shop <shop@example.com>")
# Saleor's own default is DEBUG on; with it off Saleor asks for the storefront hosts
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost,127.0.0.1")
# Saleor 2.10 would deactivate new accounts until they confirm by email.
os.environ.setdefault("ENABLE_ACCOUNT_CONFIRMATION_BY_EMAIL", "False")

from saleor.settings import *  # noqa: E402,F401,F403

from saleor_ecrm_plugin.settings_helper import enable_ecrm  # noqa: E402

enable_ecrm(
    globals(),
    dispatch_interval=float(os.environ.get("ECRM_DISPATCH_INTERVAL", 30)),
    checkout_scan_interval=float(os.environ.get("ECRM_CHECKOUT_SCAN_INTERVAL", 300)),
    # the lifecycle programs' scans (daily/hourly by default); tests tick them faster
    scan_intervals={
        name: float(os.environ["ECRM_LIFECYCLE_SCAN_INTERVAL"])
        for name in (
            "replenishment_learn_interval",
            "replenishment_plan_interval",
            "new_edition_interval",
        )
    }
    if os.environ.get("ECRM_LIFECYCLE_SCAN_INTERVAL")
    else None,
)

# Saleor 2.10 records an order's language (Order.language_code) as the request's
# active language: with this, the language the shopper's browser asks for
MIDDLEWARE.insert(  # type: ignore[name-defined] # noqa: F405
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),  # type: ignore[name-defined] # noqa: F405
    "django.middleware.locale.LocaleMiddleware",
)

ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get(
        "ANYMAIL_WEBHOOK_SECRET", "ecrm:demo-webhook-secret"
    )
}

# Logging is Saleor's; keep the console readable in tests and the demo.
LOGGING["loggers"]["saleor"]["level"] = "INFO"  # type: ignore[name-defined] # noqa: F405
