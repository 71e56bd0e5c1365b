"""Settings of the demo shop on Saleor 3.21: Saleor's own, plus the plugin.

The same environment as :mod:`.settings` (``DATABASE_URL``, ``CELERY_BROKER_URL``,
``EMAIL_URL``, ``DEBUG`` off unless asked). Saleor 3.21 signs its JWTs with
``RSA_PRIVATE_KEY`` and refuses to start without one when ``DEBUG`` is off; with
``DEBUG`` on it writes a key file into its source folder. When none is given, a key
is made for this process and put into the environment, so that the processes
``--serve`` starts accept the same tokens.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ecrm_saleor3")
os.environ.setdefault("SECRET_KEY", "ecrm-demo-key-not-secret-change-me-in-production")
os.environ.setdefault("DEFAULT_FROM_EMAIL", "Demo Shop <shop@example.com>")
os.environ.setdefault("DEBUG", "False")
os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost,127.0.0.1")
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
)

ANYMAIL = {
    "WEBHOOK_SECRET": os.environ.get(
        "ANYMAIL_WEBHOOK_SECRET", "ecrm:demo-webhook-secret"
    )
}
