"""Set-up shared by the benchmarks."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if it does not exist. True when it was created."""
    import psycopg2

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
            cursor.execute(f'CREATE DATABASE "{quoted}"')
            return True
    finally:
        connection.close()
