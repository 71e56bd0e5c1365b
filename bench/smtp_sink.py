"""A local SMTP server for the benchmark: accepts every message and only counts them.

It runs aiosmtpd in a separate process (``spawn``), so that the server's work does not
compete with the process being measured for the GIL. The parent reads the count
through shared memory.
"""

from __future__ import annotations

import multiprocessing
import socket
import time
from typing import Any


class CountingHandler:
    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 Message accepted for delivery"


def _serve(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(
        CountingHandler(counter), hostname="127.0.0.1", port=port, decode_data=False
    )
    controller.start()
    ready.set()
    try:
        stop.wait()
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """``with SmtpSink() as sink:`` a server on ``sink.port``.

    ``sink.count`` is the number of messages it accepted so far.
    """

    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        context = multiprocessing.get_context("spawn")
        self._counter = context.Value("q", 0)
        self._ready = context.Event()
        self._stop = context.Event()
        self._process = context.Process(
            target=_serve,
            args=(self.port, self._counter, self._ready, self._stop),
            name="bench-smtp-sink",
            daemon=True,
        )

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def count(self) -> int:
        return self._counter.value

    def start(self) -> SmtpSink:
        self._process.start()
        deadline = time.monotonic() + 30
        while not self._ready.wait(0.1):
            if not self._process.is_alive() or time.monotonic() > deadline:
                self.stop()
                code = self._process.exitcode
                raise RuntimeError(
                    f"The bench SMTP server did not start (exit code {code})."
                )
        return self

    def stop(self) -> None:
        self._stop.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()
