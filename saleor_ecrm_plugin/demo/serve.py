"""``--serve``: keep Saleor's GraphQL API, a Celery worker and beat running.

Each service is a child process in its own session, so Ctrl-C reaches only the demo,
which then stops the children in order (SIGTERM, then SIGKILL after a grace period)
before the embedded database stops. Children's output is printed with a prefix.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence
from urllib.parse import urlparse

STOP_GRACE_SECONDS = 20


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    reader: threading.Thread

    def running(self) -> bool:
        return self.process.poll() is None


def start_child(
    name: str, argv: Sequence[str], env: Dict[str, str], cwd: Optional[Path] = None
) -> Child:
    process = subprocess.Popen(
        list(argv),
        env=env,
        cwd=str(cwd) if cwd else None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        # own session: the terminal's Ctrl-C goes to the demo, which stops us in order
        start_new_session=True,
    )

    def relay() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"[{name}] {line.rstrip()}", flush=True)

    reader = threading.Thread(target=relay, name=f"relay-{name}", daemon=True)
    reader.start()
    return Child(name, process, reader)


def stop_children(children: List[Child], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM each child (Celery: warm shutdown), wait, then kill what is left.

    A straggler is killed with its whole process group (the group of a child started
    here, e.g. Celery's pool processes), never by name.
    """
    for child in children:
        if child.running():
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            print(f"[{child.name}] did not stop within {grace:.0f} s: killing it")
            try:
                os.killpg(child.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.process.wait(timeout=5)
        child.reader.join(timeout=2)
        if child.process.stdout is not None:
            child.process.stdout.close()


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def broker_answers(url: str, timeout: float = 2.0) -> bool:
    """True if the broker accepts a connection (Redis: answers PING)."""
    parsed = urlparse(url)
    default_port = {"redis": 6379, "rediss": 6379, "amqp": 5672}.get(parsed.scheme, 0)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    if not port:
        return False
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if parsed.scheme != "redis":
                return True
            if parsed.password:
                password = parsed.password.encode()
                sock.sendall(
                    b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(password), password)
                )
                sock.recv(64)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def wait_for_graphql(url: str, timeout: float, alive: Callable[[], bool]) -> bool:
    """Poll ``url`` with a tiny GraphQL query until it answers 200 or time is up."""
    request_body = json.dumps({"query": "{ shop { name } }"}).encode()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        request = urllib.request.Request(
            url, data=request_body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def runserver_argv(host: str, port: int) -> List[str]:
    return [sys.executable, "-m", "django", "runserver", "--noreload", f"{host}:{port}"]


def celery_argv(schedule_file: Path) -> List[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "saleor.celeryconf:app",
        "worker",
        "-B",
        "--loglevel=info",
        "--concurrency=2",
        "-s",
        str(schedule_file),
    ]


class StopRequested(Exception):
    """SIGTERM (or SIGINT) asked the demo to stop."""


def install_stop_handlers() -> None:
    def handler(signum: int, frame: object) -> None:
        raise StopRequested(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
