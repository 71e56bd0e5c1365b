"""Run parts of the plugin in other OS processes against the test database.

A child process (a Celery worker, a second dispatcher) knows nothing of pytest: it
loads the demo settings, which read ``DATABASE_URL``, ``CELERY_BROKER_URL`` and
``EMAIL_URL`` from its environment. :func:`child_env` points them at the database
pytest-django created and at the test's SMTP server. Only rows a test has committed
are visible there, so tests using these helpers need
``@pytest.mark.django_db(transaction=True)``.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence
from urllib.parse import quote

import pytest

from tests.hosts import SALEOR3

REPO_ROOT = Path(__file__).resolve().parent.parent
#: the worker's settings: the demo's on Saleor 2.10, the 3.21 suite's on Saleor 3.21
SETTINGS_MODULE = (
    "saleor_ecrm_plugin.host.saleor321.settings"
    if SALEOR3
    else "saleor_ecrm_plugin.demo.settings"
)
#: Redis database the worker tests use as their broker; flushed before each test.
BROKER_DB = int(os.environ.get("ECRM_TEST_REDIS_DB", "11"))
REDIS_HOST = os.environ.get("ECRM_TEST_REDIS_HOST", "127.0.0.1:6379")


def current_database_url() -> str:
    """``DATABASE_URL`` of the database this test session really uses (``test_…``)."""
    from django.db import connection

    params = connection.settings_dict
    credentials = quote(params["USER"] or "", safe="")
    if params["PASSWORD"]:
        credentials += ":" + quote(params["PASSWORD"], safe="")
    host = params["HOST"] or "127.0.0.1"
    port = f":{params['PORT']}" if params["PORT"] else ""
    at = "@" if credentials else ""
    return f"postgres://{credentials}{at}{host}{port}/{quote(params['NAME'], safe='')}"


def child_env(smtp_port: int, **extra: str) -> Dict[str, str]:
    """Environment for a child process of this venv, wired to the test's services."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DATABASE_URL=current_database_url(),
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])
        ),
    )
    env.pop("CELERY_BROKER_URL", None)  # eager unless a test sets a broker
    env.update(extra)
    return env


def venv_script(name: str) -> Path:
    """A console script of the running interpreter's environment (``bin/celery``)."""
    directory = Path(sys.executable).parent
    for candidate in (directory / name, directory / f"{name}.exe"):
        if candidate.exists():
            return candidate
    pytest.fail(f"{name!r} is not installed beside {sys.executable}")


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """Stop a child started with ``start_new_session=True`` and everything it forked.

    SIGTERM first (a Celery worker then shuts down warmly and stops its beat), then
    SIGKILL for whatever is left of the group.
    """
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # beat / pool children, if any remain
    except ProcessLookupError:
        pass
    process.wait(timeout=grace)


def wait_until(
    condition: Callable[[], bool], timeout: float, interval: float = 0.05
) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


_TASK_DONE = re.compile(
    r"Task (?P<name>[\w.]+)\[[\w-]+\] succeeded in [\d.]+s: (?P<result>\{.*\})"
)


class CeleryWorker:
    """``celery worker -B`` of this venv in its own process group, output to a file."""

    def __init__(self, env: Dict[str, str], workdir: Path) -> None:
        self.env = env
        self.workdir = workdir
        self.log_path = workdir / "worker.log"
        self.process: Optional[subprocess.Popen[bytes]] = None

    def command(self) -> List[str]:
        return [
            str(venv_script("celery")),
            "-A",
            "saleor.celeryconf:app",
            "worker",
            "-B",
            "--pool=solo",
            "--loglevel=info",
            "-s",
            str(self.workdir / "beat-schedule"),
            # no chatter with other workers that may share the Redis server
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]

    def start(self, ready_timeout: float = 180.0) -> CeleryWorker:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        ready = wait_until(
            lambda: " ready." in self.output() or self.process.poll() is not None,
            ready_timeout,
        )
        assert ready and self.process.poll() is None, (
            f"celery worker did not start (exit code {self.process.poll()}):\n"
            + self.output()
        )
        return self

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def task_results(self, task_name: str) -> List[dict]:
        """Return values of the finished runs of a task, in order, from the log."""
        return [
            ast.literal_eval(match["result"])
            for match in _TASK_DONE.finditer(self.messages())
            if match["name"] == task_name
        ]

    def messages(self) -> str:
        """The log's messages, one a line: Saleor 3.21 logs each record as a JSON
        object (its ``message`` is taken), Saleor 2.10's worker as plain text."""
        lines = []
        for line in self.output().splitlines():
            if line.startswith('{"'):
                try:
                    line = str(json.loads(line).get("message", line))
                except ValueError:
                    pass
            lines.append(line)
        return "\n".join(lines)


def flush_redis_db(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def redis_broker_url() -> Iterator[str]:
    """A Redis database of its own for the test's broker, empty before and after."""
    url = f"redis://{REDIS_HOST}/{BROKER_DB}"
    flush_redis_db(url)
    try:
        yield url
    finally:
        flush_redis_db(url)


@pytest.fixture
def celery_worker(
    transactional_db, smtp_server, redis_broker_url, tmp_path
) -> Iterator[CeleryWorker]:
    """A running worker with embedded beat (1 s ticks) on the test DB, Redis and SMTP.

    It is stopped, with its beat process, before the database is flushed.
    """
    env = child_env(
        smtp_server.port,
        CELERY_BROKER_URL=redis_broker_url,
        ECRM_DISPATCH_INTERVAL="1",
        ECRM_CHECKOUT_SCAN_INTERVAL="1",
    )
    worker = CeleryWorker(env, tmp_path)
    try:
        yield worker.start()
    finally:
        worker.stop()


def run_script(
    args: Sequence[str], env: Dict[str, str], timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
