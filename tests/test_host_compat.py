"""The runtime shims that let Saleor 2.10.1 run on Python 3.11 (no-ops on 3.8)."""

from __future__ import annotations

import inspect
import subprocess
import sys
import traceback
from datetime import timedelta

import pytest

from saleor_ecrm_plugin.host import compat

pytestmark = pytest.mark.saleor210(reason="runtime shims of Saleor 2.10 on Python 3.11")


def test_the_pth_start_up_hook_restores_inspect_before_any_import():
    # a bare interpreter of this venv: only the .pth file can have run
    code = "import inspect, sys; print(hasattr(inspect, 'formatargspec'))"
    out = subprocess.run(
        [sys.executable, "-S", "-c", "import site; site.main(); " + code],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


def test_formatargspec_formats_like_python_3_8():
    def sample(a, b=2, *args, c, d=4, **kwargs):
        return a

    spec = inspect.getfullargspec(sample)
    text = inspect.formatargspec(  # type: ignore[attr-defined]
        spec.args,
        spec.varargs,
        spec.varkw,
        spec.defaults,
        spec.kwonlyargs,
        spec.kwonlydefaults,
    )
    assert text == "(a, b=2, *args, c, d=4, **kwargs)"
    assert inspect.getargspec(lambda x, y=1: x).args == ["x", "y"]  # type: ignore[attr-defined]


def test_vine_and_celery_import():
    import celery
    import vine.five  # noqa: F401  (imports inspect.formatargspec at import time)

    assert celery.VERSION[0] == 4


def test_django_accepts_psycopg2_29_utc_offsets(db):
    from django.db import connection
    from django.db.backends.postgresql.utils import utc_tzinfo_factory

    assert utc_tzinfo_factory(timedelta(0)) is not None
    assert utc_tzinfo_factory(0) is not None
    with pytest.raises(AssertionError):
        utc_tzinfo_factory(timedelta(hours=1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        (value,) = cursor.fetchone()
    assert value.utcoffset() == timedelta(0)


def test_failed_task_tracebacks_can_be_formatted():
    from billiard.einfo import ExceptionInfo

    try:
        raise ValueError("boom")
    except ValueError:
        info = ExceptionInfo()
    text = "".join(traceback.format_exception(info.type, info.exception, info.tb))
    assert "ValueError: boom" in text


def test_apply_early_is_idempotent():
    compat.apply_early()
    compat.apply_early()
    finders = [f for f in sys.meta_path if type(f).__name__ == "_PostImportFinder"]
    assert len(finders) == 1
