"""What the checkout race test (``test_abandoned_checkout_race.py``, on each host)
uses: the storefront process, the witness at the SMTP server and how both test
processes are started."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

try:  # Saleor 2.10's driver; Saleor 3 has psycopg 3, which answers the same calls
    import psycopg2
except ImportError:
    import psycopg as psycopg2  # type: ignore[no-redef]

from tests.celery_support import REPO_ROOT, current_database_url

SMTP_DELAY = 0.02  # seconds per message: 200 reminders take at least 4 s

#: ``python -c`` script: completes the checkouts whose global ids are in the JSON
#: file ``argv[1]`` from two threads, once ``argv[3]`` exists (``argv[2]`` says it
#: is ready), writing each ``checkoutComplete`` payload to ``argv[4]``; ``argv[5]``
#: is the host's checkoutComplete mutation, with an ``$id`` variable
STOREFRONT_PROCESS = r"""
import json, sys, threading, time
from pathlib import Path

import django

django.setup()

from django.db import connection
from django.test import Client

ids = json.loads(Path(sys.argv[1]).read_text())
ready, start, result = map(Path, sys.argv[2:5])
COMPLETE = sys.argv[5]

def post(client, query, variables):
    response = client.post("/graphql/", {"query": query, "variables": variables},
                           content_type="application/json", HTTP_HOST="localhost")
    return response.json()

post(Client(), "{ shop { name } }", {})  # load the schema before the start line
ready.touch()
while not start.exists():
    time.sleep(0.002)

results = {}
def complete(part):
    client = Client()
    try:
        for checkout_id in part:
            data = post(client, COMPLETE, {"id": checkout_id})
            results[checkout_id] = data["data"]["checkoutComplete"]
    finally:
        connection.close()

threads = [threading.Thread(target=complete, args=(ids[n::2],)) for n in range(2)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
result.write_text(json.dumps(results))
"""


class OrderWitness:
    """Called by the SMTP server for each message, before it answers: does the
    order of the reminded checkout exist already?"""

    def __init__(self) -> None:
        self.connection = psycopg2.connect(current_database_url())
        self.connection.autocommit = True
        self.lock = threading.Lock()
        self.late: List[str] = []
        self.checked = 0

    def __call__(self, envelope) -> None:
        time.sleep(SMTP_DELAY)
        match = re.search(rb"/cart/([0-9a-f-]{36})/", envelope.content)
        if match is None:
            return None
        token = match.group(1).decode()
        with self.lock, self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM order_order WHERE checkout_token = %s", [token]
            )
            self.checked += 1
            if cursor.fetchone():
                self.late.append(token)
        return None


def start_process(script: str, args: List[str], env, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", script, *args],
            env=env,
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
