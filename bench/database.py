"""Set-up shared by the benchmarks."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def ensure_database(url: str, template: str = "") -> bool:
    """Create the database of ``url`` (a copy of ``template`` when given) if it does
    not exist. True when it was created."""
    try:
        import psycopg2
    except ImportError:  # Saleor 3's venv: psycopg 3 answers the same calls
        import psycopg as psycopg2  # type: ignore[no-redef]

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    connection = psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password or "") or None,
        dbname="postgres",
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            quoted = name.replace('"', '""')
            copied = template.replace('"', '""')
            suffix = f' TEMPLATE "{copied}"' if template else ""
            cursor.execute(f'CREATE DATABASE "{quoted}"{suffix}')
            return True
    finally:
        connection.close()


def setup_django(default_database_url: str) -> None:
    """Django on the bench database (``DATABASE_URL``, else the default), migrated.

    Settings are the demo's with ``DEBUG`` off: measure as a shop runs in production.
    """
    import os

    os.environ.setdefault("DATABASE_URL", default_database_url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "saleor_ecrm_plugin.demo.settings")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("ALLOWED_CLIENT_HOSTS", "localhost:3000")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        print("migrating the bench database (first run only)...", flush=True)
        call_command("migrate", interactive=False, verbosity=0)
        from django.contrib.sites.models import Site

        # the migrations cached a Site built from their historical models
        Site.objects.clear_cache()
