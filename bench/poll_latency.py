"""Benchmark: the job-status endpoint under 20 concurrent pollers, against the admin login page on the same server.

    python bench/poll_latency.py [--pollers 20] [--seconds 10] [--outputs 4]

Serves the app with `python -m django runserver --noreload` (threaded) on 127.0.0.1, then, for --seconds
each, 20 threads GET the same URL back to back: the admin login page anonymously (the baseline: a plain
admin page on the same server), then wagtail_imagegen:job_status, logged in as an editor with the
generate_image permission, for a finished job with --outputs images (what a tray's last polls see) and for
a queued job (what it sees while it waits). Prints p50 and p95 latency, requests per second and the ratios
to the baseline. Exits 2 if the endpoint does not exist.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from common import (
    bench_site,
    child_environment,
    count_queries,
    django_command,
    editor,
    percentile_ms,
    print_header,
    start,
)

ENDPOINT = "wagtail_imagegen:job_status"
LOGIN = "/admin/login/"


@dataclass(frozen=True)
class Sample:
    name: str
    latencies: list[float]
    failures: int
    seconds: float
    queries: int

    @property
    def p50(self) -> float:
        return percentile_ms(self.latencies, 50)

    @property
    def p95(self) -> float:
        return percentile_ms(self.latencies, 95)

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


# ---------------------------------------------------------------------------------------------------
# The site and its server
# ---------------------------------------------------------------------------------------------------


def status_url(job: Any) -> str | None:
    """The endpoint's URL for `job`, or None while nobody has written the endpoint yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(ENDPOINT, args=[job.pk])
    except NoReverseMatch:
        return None


def jobs_to_poll(user: Any, outputs: int) -> dict[str, Any]:
    """A job finished with `outputs` images (the demo provider, run here) and one still queued."""
    from wagtail_imagegen import jobs, tasks

    options = {"user": user, "provider": "demo", "size": "1024x1024", "quality": "low"}
    finished = jobs.submit_generation("A lighthouse at dusk", n=outputs, **options)
    tasks.run_job(str(finished.pk))
    queued = jobs.submit_generation("A harbour at night", n=outputs, **options)
    return {f"status, finished job ({outputs} images)": finished, "status, queued job": queued}


def session_cookie(user: Any) -> dict[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(workdir: Path) -> tuple[Any, str]:
    """runserver on a free loopback port; returns the process and its base URL once it answers."""
    port = free_port()
    process = start(django_command("runserver", "--noreload", f"127.0.0.1:{port}"), child_environment(),
                    workdir / "runserver.log")
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(base_url + LOGIN, timeout=5).status_code == 200:
                return process, base_url
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit(f"runserver did not come up:\n{(workdir / 'runserver.log').read_text()[-2000:]}")


# ---------------------------------------------------------------------------------------------------
# Polling
# ---------------------------------------------------------------------------------------------------


def poller(base_url: str, path: str, cookies: dict[str, str], deadline: float) -> tuple[list[float], int]:
    """GET `path` back to back until `deadline`: seconds per 200, and how many answers were not 200."""
    latencies, failures = [], 0
    with httpx.Client(base_url=base_url, cookies=cookies, timeout=30) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            response = client.get(path)
            if response.status_code == 200:
                latencies.append(time.perf_counter() - started)
            else:
                failures += 1
    return latencies, failures


def poll(name: str, base_url: str, path: str, user: Any, pollers: int, seconds: float) -> Sample:
    cookies = session_cookie(user) if user is not None else {}
    started = time.monotonic()
    deadline = started + seconds
    with ThreadPoolExecutor(pollers) as pool:
        results = list(pool.map(lambda _: poller(base_url, path, cookies, deadline), range(pollers)))
    return Sample(name, [t for latencies, _ in results for t in latencies], sum(f for _, f in results),
                  time.monotonic() - started, queries_per_get(path, user))


def queries_per_get(path: str, user: Any) -> int:
    """Queries one GET of `path` costs once warm, through Django's test client in this process."""
    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    client.get(path)
    return count_queries(lambda: client.get(path))


def check_endpoint(base_url: str, path: str, cookies: dict[str, str]) -> None:
    response = httpx.get(base_url + path, cookies=cookies, timeout=30)
    if response.status_code != 200 or "application/json" not in response.headers.get("content-type", ""):
        print(f"  ! {path} answered {response.status_code} {response.headers.get('content-type')}, not JSON")
        sys.exit(2)


# ---------------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------------


def report(samples: list[Sample]) -> None:
    baseline = samples[0]
    print("  what                                   p50 ms   p95 ms    req/s  non-200  queries  p50 ×  p95 ×")
    for sample in samples:
        print(f"  {sample.name:<36} {sample.p50:8.1f} {sample.p95:8.1f} {sample.per_second:8.1f} {sample.failures:8d}"
              f" {sample.queries:8d}  {sample.p50 / baseline.p50:5.2f}  {sample.p95 / baseline.p95:5.2f}")


def main() -> None:
    from tests.workers import stop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pollers", type=int, default=20, help="concurrent pollers (default 20)")
    parser.add_argument("--seconds", type=float, default=10, help="polling time per URL (default 10)")
    parser.add_argument("--outputs", type=int, default=4, help="images of the finished job (default 4)")
    args = parser.parse_args()
    print_header(f"poll_latency: GET {ENDPOINT} under {args.pollers} concurrent pollers",
                 f"baseline: GET {LOGIN} (anonymous) on the same runserver, in the same run",
                 f"each URL polled for {args.seconds:g} s by {args.pollers} threads, back to back")
    with bench_site() as workdir:
        user = editor()
        polled = jobs_to_poll(user, args.outputs)
        paths = {name: status_url(job) for name, job in polled.items()}
        if None in paths.values():
            print(f"  ! the endpoint {ENDPOINT} does not exist (no such URL name): nothing to measure")
            sys.exit(2)
        process, base_url = serve(workdir)
        try:
            for path in paths.values():  # the first poll also makes the preview renditions
                check_endpoint(base_url, path, session_cookie(user))
            samples = [poll("admin login page (baseline)", base_url, LOGIN, None, args.pollers, args.seconds)]
            samples += [poll(name, base_url, path, user, args.pollers, args.seconds) for name, path in paths.items()]
        finally:
            stop(process)
        report(samples)


if __name__ == "__main__":
    main()
