"""Concurrent dispatchers never send a row twice; a dead one's rows are not lost.

The race runs two dispatchers as two OS processes (true parallelism, separate
database connections, as two Celery workers would) against the test database.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Dict, List

import pytest
from django.utils import timezone

from saleor_ecrm_plugin.dispatcher import Dispatcher, claim_due_sends, finish_sent
from saleor_ecrm_plugin.models import ScheduledSend, SendStatus
from tests.celery_support import REPO_ROOT, child_env, stop_process_group, wait_until
from tests.configuration import configure_plugin
from tests.programs import plan_pings

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 1000
BATCH_SIZE = 20

# One dispatcher process. Set-up (Django, the first query, the first render) happens
# before the start line, so that both processes begin claiming at the same moment.
DISPATCHER_PROCESS = r"""
import json, sys, time
from pathlib import Path

import django

django.setup()

from django.conf import settings
from tests.programs import PACKAGES  # the test-only ping program

# override_settings: setting_changed resets the registry (Saleor 3.21 loads it
# during django.setup())
from django.test.utils import override_settings

override_settings(ECRM_PROGRAMS=[*settings.ECRM_PROGRAMS, *PACKAGES]).enable()
from django.db import connection
from saleor_ecrm_plugin.dispatcher import Dispatcher, load_context
from saleor_ecrm_plugin import rendering  # noqa: F401

batch_size, ready, start, result = int(sys.argv[1]), *map(Path, sys.argv[2:5])
load_context()
ready.touch()
deadline = time.monotonic() + 60
while not start.exists():
    if time.monotonic() > deadline:
        sys.exit("no start signal")
    time.sleep(0.002)
try:
    report = Dispatcher(batch_size=batch_size).run()
finally:
    connection.close()
result.write_text(json.dumps(vars(report)))
"""


def run_dispatchers_at_once(
    count: int, env: Dict[str, str], workdir: Path
) -> List[dict]:
    """Start ``count`` dispatcher processes, release them together, return reports."""
    start = workdir / "start"
    processes = []
    try:
        for number in range(count):
            paths = [
                workdir / f"{name}-{number}" for name in ("ready", "result", "log")
            ]
            command = [sys.executable, "-c", DISPATCHER_PROCESS, str(BATCH_SIZE)]
            command += [str(paths[0]), str(start), str(paths[1])]
            with open(paths[2], "wb") as log:
                process = subprocess.Popen(
                    command,
                    env=env,
                    cwd=REPO_ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            processes.append((process, paths))

        def output() -> str:
            return "".join(
                f"\n--- dispatcher {n} (exit {p.poll()}) ---\n"
                + paths[2].read_text(errors="replace")
                for n, (p, paths) in enumerate(processes)
            )

        def all_ready() -> bool:
            return all(
                paths[0].exists() or p.poll() is not None for p, paths in processes
            )

        assert wait_until(all_ready, 60), output()
        assert all(p.poll() is None for p, _ in processes), output()
        start.touch()
        for process, _ in processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                pass
        assert all(p.returncode == 0 for p, _ in processes), output()
        return [json.loads(paths[1].read_text()) for _, paths in processes]
    finally:
        for process, _ in processes:
            if process.poll() is None:
                stop_process_group(process)


def test_two_dispatchers_share_1000_due_rows_and_send_each_once(
    shop, smtp_server, tmp_path
):
    configure_plugin()
    recipients = plan_pings(ROWS)
    assert ScheduledSend.objects.filter(status=SendStatus.PLANNED).count() == ROWS

    reports = run_dispatchers_at_once(2, child_env(smtp_server.port), tmp_path)

    received = smtp_server.wait_for(ROWS, timeout=10)
    by_recipient = Counter(rcpt for message in received for rcpt in message.rcpt_tos)
    duplicates = {rcpt: n for rcpt, n in by_recipient.items() if n > 1}
    assert not duplicates, f"{len(duplicates)} recipients got more than one email"
    assert len(received) == ROWS
    assert set(by_recipient) == set(recipients)

    # both processes really worked, and between them sent every row once
    assert all(report["sent"] > 0 for report in reports), reports
    assert sum(report["sent"] for report in reports) == ROWS, reports
    assert sum(report["claimed"] for report in reports) == ROWS, reports

    rows = {send.recipient: send for send in ScheduledSend.objects.all()}
    assert Counter(send.status for send in rows.values()) == {SendStatus.SENT: ROWS}
    assert {send.attempts for send in rows.values()} == {1}
    message_ids = [message.message["Message-ID"] for message in received]
    assert len(set(message_ids)) == ROWS
    for message in received:
        assert message.message["Message-ID"] == rows[message.rcpt_tos[0]].message_id


def test_rows_of_a_dispatcher_that_died_are_sent_once_after_its_lease(
    shop, smtp_server
):
    configure_plugin()
    plan_pings(15)
    dead = claim_due_sends(limit=10, lease_seconds=60)  # ...and then the process dies
    held = sorted(send.id for send in dead.sends)
    assert len(held) == 10

    # within the lease: only the 5 free rows go out
    report = Dispatcher().run()
    assert (report.claimed, report.sent) == (5, 5)
    assert len(smtp_server.wait_for(5)) == 5
    still_held = ScheduledSend.objects.filter(id__in=held)
    assert set(still_held.values_list("status", flat=True)) == {SendStatus.SENDING}

    # the lease runs out (moved into the past rather than waiting 60 s)
    still_held.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    report = Dispatcher().run()
    assert (report.claimed, report.sent) == (10, 10)
    assert Dispatcher().run().claimed == 0

    received = smtp_server.wait_for(15)
    assert len(received) == 15
    assert Counter(m.rcpt_tos[0] for m in received).most_common(1)[0][1] == 1
    for send in ScheduledSend.objects.filter(id__in=held):
        assert send.status == SendStatus.SENT
        assert send.attempts == 2
        # the dead claim left no attempt record; the take-over's is number 2
        assert [(a.number, a.outcome) for a in send.attempt_log.all()] == [(2, "sent")]

    # should the dead dispatcher wake up, its stale lease cannot overwrite the result
    zombie = dead.sends[0]
    attempt = finish_sent(zombie, dead.token, "<stale@example.com>")
    assert attempt.detail.startswith("lease lost")
    zombie.refresh_from_db()
    assert zombie.message_id != "<stale@example.com>"
