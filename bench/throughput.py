"""Benchmark: jobs per minute real qcluster workers achieve against the ceiling the fake API allows.

    python bench/throughput.py [--workers 1 2 4] [--latency 1] [--ipm 150] [--seconds 30]

For each worker count N: queue enough jobs (n=1 image each) for about --seconds of work, start one
`python -m django qcluster` with workers=N (ORM broker on SQLite WAL), and time them against the fake API on
127.0.0.1, which answers after --latency seconds and refuses more than --ipm images a minute; the rate limiter
knows that limit through RATE_LIMITS, and keeps 3 % under it (ratelimits.SAFETY). The ceiling is
min(N × 60 / latency, IPM / SAFETY) jobs a minute. Achieved is the steady state: the jobs finished after
the N-th one, over the time from the N-th finish to the last, so each freshly forked worker's first job (its
cold start: imports, first queries) is left out; the rate from the first start to the last finish, cold
starts included, is printed beside it.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from common import bench_site, child_environment, fake_api, fresh_reads, print_header, verdict

GOAL = 0.9


@dataclass(frozen=True)
class Ceiling:
    per_minute: float
    bound_by: str


@dataclass(frozen=True)
class Run:
    workers: int
    jobs: int
    finishes: list[float]  # seconds from the first start, in order
    api_seconds: float
    rate_limited: int

    @property
    def per_minute(self) -> float:
        """Steady state: finishes after every worker's first job, over the time they took."""
        steady = self.finishes[self.workers - 1:]
        if len(steady) < 2:
            return 0.0
        return (len(steady) - 1) * 60 / (steady[-1] - steady[0])

    @property
    def per_minute_from_start(self) -> float:
        return len(self.finishes) * 60 / self.finishes[-1] if self.finishes else 0.0

    @property
    def cycle(self) -> float:
        """A worker's seconds per job in the steady state."""
        return self.workers * 60 / self.per_minute if self.per_minute else math.nan


def ceiling(workers: int, latency: float, ipm: int) -> Ceiling:
    from wagtail_imagegen.ratelimits import SAFETY

    by_latency, by_ipm = workers * 60 / latency, ipm / SAFETY
    return Ceiling(by_latency, "workers/latency") if by_latency <= by_ipm else Ceiling(by_ipm, "IPM limit")


def submit(count: int, tag: str, size: str, quality: str) -> list[str]:
    from wagtail_imagegen import jobs

    return [str(jobs.submit_generation(f"Throughput {tag} {i}", n=1, size=size, quality=quality).pk)
            for i in range(count)]


def fresh_minute(api: object) -> None:
    """Each run starts with an empty API window and rate limiter, as after a quiet minute."""
    from wagtail_imagegen.models import RateLimitState

    api.reset()
    RateLimitState.objects.all().delete()


def wait_for(ids: list[str], timeout: float) -> bool:
    from wagtail_imagegen.models import GenerationJob

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fresh_reads()
        active = GenerationJob.objects.filter(pk__in=ids).exclude(status__in=GenerationJob.FINISHED_STATUSES)
        if not active.exists():
            return True
        time.sleep(0.5)
    return False


def summarize(workers: int, ids: list[str], api: object) -> Run:
    from django.db.models import Avg, Min

    from wagtail_imagegen.models import GenerationJob

    fresh_reads()
    succeeded = GenerationJob.objects.filter(pk__in=ids, status=GenerationJob.Status.SUCCEEDED)
    first = succeeded.aggregate(start=Min("started_at"), api=Avg("api_seconds"))
    finishes = sorted((finished - first["start"]).total_seconds()
                      for finished in succeeded.values_list("finished_at", flat=True))
    rate_limited = sum(request.status == 429 for request in api.requests)
    return Run(workers, len(ids), finishes, first["api"] or 0.0, rate_limited)


def run(workers: int, args: argparse.Namespace, api: object, base_url: str, workdir: Path) -> Run:
    from tests.workers import qcluster

    limit = ceiling(workers, args.latency, args.ipm)
    ids = submit(max(workers * 3, math.ceil(limit.per_minute * args.seconds / 60)), f"w{workers}",
                 args.size, args.quality)
    fresh_minute(api)
    env = child_environment(IMAGEGEN_TEST_BASE_URL=base_url, IMAGEGEN_TEST_WORKERS=str(workers))
    with qcluster(env, workdir / f"qcluster-{workers}.log"):
        if not wait_for(ids, timeout=args.seconds * 4 + 60):
            print(f"  ! {workers} worker(s): not every job finished in time; see the counts below")
    return summarize(workers, ids, api)


HEADER = (f"  {'workers':>7}  {'jobs done':>9}  {'ceiling/min':>11}  {'bound by':<15}  {'achieved/min':>12}"
          f"  {'ratio':>5}  {'from start':>10}  {'429s':>4}  {'API s':>5}  {'cycle − latency s':>17}")


def report_line(result: Run, limit: Ceiling, latency: float) -> str:
    """One row of HEADER: steady-state rate and ratio, the ratio with cold starts, the API's mean answer time."""
    done = f"{len(result.finishes)}/{result.jobs}"
    return (f"  {result.workers:>7}  {done:>9}  {limit.per_minute:>11.1f}  {limit.bound_by:<15}"
            f"  {result.per_minute:>12.1f}  {result.per_minute / limit.per_minute:>5.2f}"
            f"  {result.per_minute_from_start / limit.per_minute:>10.2f}  {result.rate_limited:>4}"
            f"  {result.api_seconds:>5.2f}  {result.cycle - latency:>+17.2f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4], help="worker counts (default 1 2 4)")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds the fake API waits (default 1)")
    parser.add_argument("--ipm", type=int, default=150, help="the fake API's images-per-minute limit (default 150)")
    parser.add_argument("--seconds", type=float, default=30, help="work queued per worker count, at the ceiling "
                        "(default 30)")
    parser.add_argument("--size", default="1024x1024", help="image size asked for (default 1024x1024)")
    parser.add_argument("--quality", default="low", help="image quality asked for (default low)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    print_header("throughput: jobs per minute through real qcluster workers",
                 f"fake API on 127.0.0.1: latency {args.latency:g} s, IPM limit {args.ipm} (known to RATE_LIMITS); "
                 f"n=1, {args.size}, quality {args.quality}",
                 "ceiling = min(workers × 60 / latency, IPM / 1.03)",
                 "achieved: steady state, after each worker's first job; 'from start': first start to last finish")
    with bench_site(IMAGEGEN_TEST_IPM=str(args.ipm)) as workdir, fake_api(latency=args.latency, ipm=args.ipm) as (
        api, base_url
    ):
        print(HEADER)
        ratios = []
        for workers in args.workers:
            limit = ceiling(workers, args.latency, args.ipm)
            result = run(workers, args, api, base_url, workdir)
            print(report_line(result, limit, args.latency), flush=True)
            ratios.append(result.per_minute / limit.per_minute)
        worst = min(ratios)
        print(f"  lowest achieved/ceiling: {worst:.2f} ({verdict(worst, GOAL, at_most=False)}); "
              f"median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
