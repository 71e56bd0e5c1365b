"""The test database of the Saleor 3.21 suite, from a template migrated once.

Saleor 3.21 has 1,271 migrations (about 3 minutes); ``createdb -T`` copies a
migrated database in under a second. This script:

- picks the suite's database: ``SALEOR3_DATABASE_URL``, else ``DATABASE_URL`` with
  ``_saleor3`` appended to its name (so the 2.10 suite's database is never
  touched); ``--url`` prints it and does nothing else;
- makes the template ``SALEOR3_TEMPLATE_DB`` (default ``<name>_<Saleor version>_tpl``)
  when it does not exist, migrated with Saleor's own migrations only
  (``saleor.settings``);
- clones it as pytest-django's test database (``test_<name>``) when that does not
  exist, or always with ``--fresh`` (what ``--create-db`` is to the 2.10 suite);
  pytest then applies the plugin's migrations (``--reuse-db`` keeps it).
"""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ecrm"


def suite_url() -> str:
    explicit = os.environ.get("SALEOR3_DATABASE_URL")
    if explicit:
        return explicit
    parts = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_saleor3"))


def _server(url: str) -> list:
    parts = urlsplit(url)
    return [
        "-h",
        parts.hostname or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
    ]


def _exists(url: str, name: str) -> bool:
    found = subprocess.run(
        [
            "psql",
            *_server(url),
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return found == "1"


def main(argv: list) -> int:
    url = suite_url()
    if "--url" in argv:
        print(url)
        return 0
    name = urlsplit(url).path.lstrip("/")
    import saleor

    version = saleor.__version__.replace(".", "_")
    template = os.environ.get("SALEOR3_TEMPLATE_DB") or f"{name}_{version}_tpl"
    server = _server(url)
    if not _exists(url, template):
        print(f"== migrating the template database {template} (Saleor 3.21, ~3 min)")
        subprocess.run(["createdb", *server, template], check=True)
        parts = urlsplit(url)
        env = dict(
            os.environ,
            DATABASE_URL=urlunsplit(parts._replace(path="/" + template)),
            DJANGO_SETTINGS_MODULE="saleor.settings",
            SECRET_KEY=os.environ.get("SECRET_KEY", "template-only"),
        )
        code = (
            "import django; django.setup();"
            "from django.core.management import call_command;"
            "call_command('migrate', verbosity=0)"
        )
        done = subprocess.run([sys.executable, "-c", code], env=env)
        if done.returncode:
            subprocess.run(["dropdb", *server, template])
            return done.returncode
    test_name = f"test_{name}"
    if "--fresh" in argv and _exists(url, test_name):
        subprocess.run(["dropdb", *server, test_name], check=True)
    if not _exists(url, test_name):
        print(f"== {test_name}: a copy of {template}")
        subprocess.run(["createdb", *server, "-T", template, test_name], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
