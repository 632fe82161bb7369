"""Benchmark: how long a SIGKILLed qcluster's in-flight jobs take to finish on a new one, against the bound
latency + LEASE_SECONDS + RECONCILE_SECONDS.

    python bench/recovery.py [--latency 20] [--jobs 4] [--kill-after 6] [--rounds 1]
    python bench/recovery.py --postgres postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/0

The issue-16 scenario: a qcluster with one worker per job, a provider TIMEOUT of 300 s and the fake API on
127.0.0.1 answering after --latency seconds; --jobs jobs start, the whole qcluster is SIGKILLed --kill-after
seconds after the calls began, and a new qcluster starts at once. Recovery is the time from the kill to the last
job's success. A dead worker's job waits out at most its lease, then at most one reconciler period, then one
call: the ratio recovery / (latency + lease + period) is ≤ 1 when the mechanism works (plus start-up and
storing). The same jobs run once without a kill first, as the baseline the kill run is compared with.

SQLite + ORM broker by default; --postgres/--redis run on a throwaway PostgreSQL database with Redis as the
cache and the broker (the production configuration of the README).
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common import bench_site, child_environment, fake_api, fresh_reads, print_header, verdict

PROVIDER_TIMEOUT = 300


@contextmanager
def postgres_redis_site(server_url: str, redis_url: str) -> Iterator[Path]:
    """Django set up on a new PostgreSQL database (dropped afterwards) with Redis as cache and broker."""
    import django
    import psycopg
    from django.core.management import call_command

    name = f"imagegen_bench_{uuid.uuid4().hex[:8]}"
    admin_url = server_url.replace("postgres://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory(prefix="imagegen-bench-") as directory:
            workdir = Path(directory)
            os.environ.update({
                "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": server_url.rsplit("/", 1)[0] + "/" + name,
                "REDIS_URL": redis_url, "IMAGEGEN_BROKER": "redis", "PYTHONUNBUFFERED": "1",
                "IMAGEGEN_TEST_DB": str(workdir / f"bench-{name}.sqlite3"),  # names the run's queue and cache keys
                "IMAGEGEN_TEST_MEDIA_ROOT": str(workdir / "media"),
            })
            django.setup()
            from django_q.conf import logger as django_q_logger  # as bench_site: no "Enqueued" line per job

            django_q_logger.setLevel(logging.WARNING)
            call_command("migrate", verbosity=0)
            yield workdir
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def all_succeeded(ids: list[str]) -> bool:
    from wagtail_imagegen.models import GenerationJob

    fresh_reads()
    return GenerationJob.objects.filter(pk__in=ids, status=GenerationJob.Status.SUCCEEDED).count() == len(ids)


def submit(count: int, prefix: str) -> list[str]:
    from wagtail_imagegen import jobs

    return [str(jobs.submit_generation(f"{prefix} {i}", quality="low").pk) for i in range(count)]


def run_once(args: argparse.Namespace, api, env: dict[str, str], workdir: Path, tag: str, *, kill: bool) -> float:
    """Seconds to finish the jobs: from the kill when `kill`, else from their submission."""
    from tests.workers import kill_group, qcluster, wait_until

    api.reset()
    with ExitStack() as stack:
        first = stack.enter_context(qcluster(env, workdir / f"{tag}-first.log"))
        ids = submit(args.jobs, tag)
        started = time.monotonic()
        if kill:
            wait_until(lambda: api.image_calls >= args.jobs, 120, "every call to start")
            time.sleep(args.kill_after)
            kill_group(first)
            started = time.monotonic()
            stack.enter_context(qcluster(env, workdir / f"{tag}-second.log"))
        wait_until(lambda: all_succeeded(ids), PROVIDER_TIMEOUT * 2, "every job to finish")
        return time.monotonic() - started


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=20, help="seconds the fake API takes (default 20)")
    parser.add_argument("--jobs", type=int, default=4, help="jobs in flight, one worker each (default 4)")
    parser.add_argument("--kill-after", type=float, default=6, help="seconds into the calls (default 6)")
    parser.add_argument("--rounds", type=int, default=1, help="kill runs (default 1)")
    parser.add_argument("--postgres", help="a PostgreSQL server URL: run on PostgreSQL + Redis instead of SQLite")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="with --postgres (default local)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    site = postgres_redis_site(args.postgres, args.redis) if args.postgres else bench_site()
    with site as workdir, fake_api(latency=args.latency) as (api, base_url):
        from wagtail_imagegen import conf

        lease, period = conf.setting("LEASE_SECONDS"), conf.setting("RECONCILE_SECONDS")
        bound = args.latency + lease + period
        configuration = "PostgreSQL + Redis broker" if args.postgres else "SQLite + ORM broker"
        print_header("recovery: a SIGKILLed qcluster's in-flight jobs, finished by a new one",
                     f"{configuration}; {args.jobs} jobs, one worker each; provider TIMEOUT {PROVIDER_TIMEOUT} s; "
                     f"fake API latency {args.latency:g} s; kill {args.kill_after:g} s into the calls",
                     f"bound = latency + LEASE_SECONDS ({lease:g}) + RECONCILE_SECONDS ({period:g}) = {bound:g} s")
        env = child_environment(IMAGEGEN_TEST_BASE_URL=base_url, IMAGEGEN_TEST_WORKERS=str(args.jobs),
                                IMAGEGEN_TEST_PROVIDER_TIMEOUT=str(PROVIDER_TIMEOUT),
                                IMAGEGEN_TEST_CLUSTER_TIMEOUT=str(PROVIDER_TIMEOUT + 30))
        baseline = run_once(args, api, env, workdir, "baseline", kill=False)
        print(f"  no kill (baseline): {baseline:.1f} s from submission to the last success", flush=True)
        for number in range(args.rounds):
            recovery = run_once(args, api, env, workdir, f"kill{number}", kill=True)
            ratio = recovery / bound
            print(f"  kill {number + 1}: recovered in {recovery:.1f} s after the kill; "
                  f"recovery / bound = {ratio:.2f} ({verdict(ratio, 1.0, at_most=True)}); "
                  f"recovery / baseline = {recovery / baseline:.2f}", flush=True)


if __name__ == "__main__":
    main()
