"""Running real django-q2 qcluster processes from tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

# Worker processes only see committed data, so their tests commit for real (and the database is flushed
# after each); conftest's `wagtail_roots` puts back what Wagtail's data migrations made.
worker_db = pytest.mark.django_db(transaction=True)


def test_database_url() -> dict[str, str]:
    """DATABASE_URL pointed at the test database pytest-django created (not the one the URL names)."""
    if not os.environ.get("DATABASE_URL"):
        return {}  # SQLite: the file name travels in IMAGEGEN_TEST_DB
    from django.db import connection

    url = urlsplit(os.environ["DATABASE_URL"])
    return {"DATABASE_URL": urlunsplit(url._replace(path="/" + connection.settings_dict["NAME"]))}


def worker_environment(base_url: str, **extra: str) -> dict[str, str]:
    """The environment a qcluster needs to share this test's database, media and fake API."""
    return {
        **os.environ,
        **test_database_url(),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tests.settings"),
        "IMAGEGEN_TEST_BASE_URL": base_url,
        "IMAGEGEN_TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextmanager
def qcluster(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A qcluster in its own process group; stopped with SIGTERM to the main process, as in production."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "qcluster"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the whole cluster: main process, sentinel, pusher, monitor and workers."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def wait_until(condition: Callable[[], object], timeout: float, message: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"Timed out after {timeout} s waiting for: {message}")


def record(name: str, results: str = "production", **figures: object) -> None:
    """Keep a run's figures in var/test-results/<results>.jsonl, for the closing note and docs."""
    path = ROOT / "var" / "test-results" / f"{results}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as out:
        out.write(json.dumps({"test": name, "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
                              "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
                              **figures}) + "\n")
