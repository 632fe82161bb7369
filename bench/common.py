"""Shared setup for the scripts in bench/: a throwaway site, timing, images, the fake API and the report header.

    from common import bench_site        # bench/ is on sys.path when a script in it runs

    with bench_site() as workdir:        # Django set up from tests/settings.py, migrations applied
        ...

Every run gets its own SQLite database (WAL, the ORM broker) and media directory in a temporary directory,
chosen through tests/settings.py's environment switches, so every process a benchmark starts (qcluster,
runserver, a child worker) inherits them. Nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.settings and tests.workers

SETTINGS = "tests.settings"
SIZE = (1536, 1024)
PHOTO_NOISE_SIGMA = 6  # makes a 1536×1024 PNG about 3 MB instead of the fake's ~70 KB of flat art
# Switches that would move a run onto PostgreSQL or Redis: a benchmark always gets its own SQLite file.
FOREIGN_SWITCHES = ("DATABASE_URL", "REDIS_URL", "IMAGEGEN_BROKER")

Prepare = Callable[[int], Callable[[], object]]


# ---------------------------------------------------------------------------------------------------
# The site
# ---------------------------------------------------------------------------------------------------


def bench_environment(workdir: Path, **extra: str) -> dict[str, str]:
    """tests/settings.py's switches, pointed at this run's database and media."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "IMAGEGEN_TEST_DB": str(workdir / "bench.sqlite3"),
        "IMAGEGEN_TEST_MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


@contextmanager
def bench_site(**environment: str) -> Iterator[Path]:
    """Django set up on a fresh database and media directory, deleted afterwards; yields the directory."""
    import django
    from django.core.management import call_command

    with tempfile.TemporaryDirectory(prefix="imagegen-bench-") as name:
        workdir = Path(name)
        for switch in FOREIGN_SWITCHES:
            os.environ.pop(switch, None)
        os.environ.update(bench_environment(workdir, **environment))
        django.setup()
        from django_q.conf import logger as django_q_logger  # configures itself on import: import, then quieten

        django_q_logger.setLevel(logging.WARNING)  # no "Enqueued" line per job in the report
        call_command("migrate", verbosity=0)
        yield workdir


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a process a benchmark starts: this run's switches plus `extra`."""
    return {**os.environ, **extra}


def django_command(*args: str) -> list[str]:
    """`python -m django ...` with this interpreter (the project's venv)."""
    return [sys.executable, "-m", "django", *args]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A process in its own session (so tests.workers.stop can end it), its output in `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def editor(username: str = "bench-editor") -> Any:
    """A non-superuser in Wagtail's Editors group, allowed to generate images (what most editors are)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.get(name="Editors")
    group.permissions.add(Permission.objects.get(codename="generate_image"))
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "bench-password")
    user.groups.add(group)
    return user


# ---------------------------------------------------------------------------------------------------
# Images and the fake API
# ---------------------------------------------------------------------------------------------------


def drawn_png(size: tuple[int, int] = SIZE, seed: int = 0) -> bytes:
    """The placeholder art the fake API and the demo provider return (flat colours: a small PNG)."""
    from wagtail_imagegen.drawing import draw_image

    return draw_image("A lighthouse at dusk", size, "png", seed=seed)


def photographic(png: bytes) -> bytes:
    """`png` with fine noise over it, so it compresses like a photograph (a model's output) rather than flat art."""
    from PIL import Image, ImageChops

    with Image.open(io.BytesIO(png)) as picture:
        art = picture.convert("RGB")
    noise = Image.merge("RGB", [Image.effect_noise(art.size, PHOTO_NOISE_SIGMA) for _ in range(3)])
    buffer = io.BytesIO()
    ImageChops.add(art, noise, offset=-128).save(buffer, "PNG")  # effect_noise is centred on 128
    return buffer.getvalue()


def bench_png(kind: str, size: tuple[int, int] = SIZE, seed: int = 0) -> bytes:
    """A PNG of `kind` "photo" (about 3 MB at 1536×1024) or "drawn" (the fake API's own art)."""
    png = drawn_png(size, seed)
    return photographic(png) if kind == "photo" else png


@contextmanager
def fake_api(
    *, latency: float = 0.0, ipm: int | None = None, wrap: Callable[[Any], Any] | None = None
) -> Iterator[tuple[Any, str]]:
    """The fake image API on 127.0.0.1 with the key tests/settings.py sends; yields (api, base_url)."""
    from wagtail_imagegen import conf
    from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

    api = FakeImageAPI(api_key=conf.provider_config("default").api_key, latency=latency, ipm=ipm)
    with serve_fake_api(wrap(api) if wrap else api) as served:
        yield api, served.base_url


# ---------------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------------


def interleaved(cases: dict[str, Prepare], rounds: int, *, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds each case took in each round. `case(round)` prepares untimed work and returns what to time;
    the cases take turns, and swap who goes first every round, so drift in the machine hits all alike."""
    timings: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for number in range(warmup + rounds):
        for name in names if number % 2 == 0 else reversed(names):
            work = cases[name](number)
            started = time.perf_counter()
            work()
            if number >= warmup:
                timings[name].append(time.perf_counter() - started)
    return timings


def count_queries(work: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        work()
    return len(queries)


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def percentile_ms(seconds: list[float], percent: int) -> float:
    return statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1] * 1000


def fresh_reads() -> None:
    """Close the connection so the next query sees what other processes committed since."""
    from django.db import connection

    connection.close()


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------


def cores() -> int:
    """What `nproc` prints: the CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def machine() -> str:
    import django
    import wagtail

    return (f"machine: {cores()} cores (nproc), {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}, Django {django.get_version()}, Wagtail {wagtail.__version__}, "
            f"{date.today().isoformat()}")


def print_header(title: str, *compared: str) -> None:
    print(title)
    for line in compared:
        print(f"  {line}")
    print(f"  {machine()}")


def verdict(ratio: float, goal: float, *, at_most: bool) -> str:
    met = ratio <= goal if at_most else ratio >= goal
    return f"{'meets' if met else 'MISSES'} the goal of {'≤' if at_most else '≥'} {goal}"
