"""Settings of the test suite on Saleor 3.21: Saleor's own, plus the plugin.

``DJANGO_SETTINGS_MODULE=saleor_ecrm_plugin.host.saleor321.settings`` (``make
test-saleor3`` sets it). Environment as for ``saleor_ecrm_plugin.demo.settings``:
``DATABASE_URL`` (default: local PostgreSQL database ``ecrm``),
``CELERY_BROKER_URL`` (default: none, tasks run eagerly), ``DEBUG`` (default off).
With DEBUG off Saleor 3.21 requires ``RSA_PRIVATE_KEY`` (its JWT key): when none is
given a key is made for this process, as Saleor itself does in DEBUG mode.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecrm")
os.environ.setdefault("SECRET_KEY", "ecrm-demo-key-not-secret-change-me-in-production")
os.environ.setdefault("DEFAULT_FROM_EMAIL", "Demo Shop <shop@example.com>")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost,127.0.0.1")
os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1,testserver")
# the replica connection mirrors the default one (no second server in tests)
os.environ.setdefault("DB_CONN_MAX_AGE", "0")

if not os.environ.get("RSA_PRIVATE_KEY"):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    _key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["RSA_PRIVATE_KEY"] = _key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()

from saleor.settings import *  # noqa: E402,F401,F403

from saleor_ecrm_plugin.settings_helper import enable_ecrm  # noqa: E402

enable_ecrm(
    globals(),
    dispatch_interval=float(os.environ.get("ECRM_DISPATCH_INTERVAL", 30)),
    checkout_scan_interval=float(os.environ.get("ECRM_CHECKOUT_SCAN_INTERVAL", 300)),
    # the lifecycle scans' beat intervals (seconds), as the demo settings read them
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

# the plugin's messages (API errors, pages) in the language the browser asks for,
# as the 2.10 demo's settings do: Saleor 3.21 has no LocaleMiddleware of its own
MIDDLEWARE.insert(  # type: ignore[name-defined] # noqa: F405
    MIDDLEWARE.index("django.middleware.common.CommonMiddleware"),  # type: ignore[name-defined] # noqa: F405
    "django.middleware.locale.LocaleMiddleware",
)

# one database, no replica: Saleor's reads "from the replica" go to the default
# connection, so a test sees its own uncommitted rows (as Saleor's conftest fakes)
DATABASE_CONNECTION_REPLICA_NAME = DATABASE_CONNECTION_DEFAULT_NAME  # type: ignore[name-defined] # noqa: F405

ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get(
        "ANYMAIL_WEBHOOK_SECRET", "ecrm:demo-webhook-secret"
    )
}

LOGGING["loggers"]["saleor"]["level"] = "INFO"  # type: ignore[name-defined] # noqa: F405
