"""Settings of the benchmark process: the shop's settings plus django-post-office.

The base is the settings module the bench was started with (``DJANGO_SETTINGS_MODULE``,
default ``saleor_ecrm_plugin.demo.settings``); ``bench/dispatch.py`` passes its name in
``ECRM_BENCH_BASE_SETTINGS`` and points ``DJANGO_SETTINGS_MODULE`` here. Only the bench
process sees post_office in ``INSTALLED_APPS``.
"""

import os
from importlib import import_module

_base = import_module(
    os.environ.get("ECRM_BENCH_BASE_SETTINGS", "saleor_ecrm_plugin.demo.settings")
)
globals().update({name: getattr(_base, name) for name in dir(_base) if name.isupper()})

INSTALLED_APPS = [*INSTALLED_APPS, "post_office"]  # noqa: F821 (from the base)

# Every method of the throughput part talks to the bench's own SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("ECRM_BENCH_SMTP_PORT", "2525"))
EMAIL_HOST_USER = ""
EMAIL_HOST_PASSWORD = ""
EMAIL_USE_TLS = False
EMAIL_USE_SSL = False
EMAIL_TIMEOUT = 10

# django-post-office at its defaults (BATCH_SIZE 100, THREADS_PER_PROCESS 5,
# LOG_LEVEL 2 = a Log row per sent email, MAX_RETRIES 0).
POST_OFFICE = {}

# ``bench/dispatch.py --threads N``: the dispatcher's claim loops (default: its own)
if os.environ.get("ECRM_BENCH_THREADS"):
    ECRM_DISPATCH_THREADS = int(os.environ["ECRM_BENCH_THREADS"])
