"""Benchmark: a worker's peak RSS while it runs one job of n=10 1536×1024 PNGs, against the payload's size.

    python bench/worker_memory.py [--repeat 2] [--image photo|drawn]

Each measurement is a fresh child process (this script with --child) that sets Django up and calls
tasks.run_job() for a job with n=10, size 1536x1024, quality high, png, against the fake API on 127.0.0.1;
its peak RSS is the kernel's VmHWM, which the child reads as it ends. A baseline child imports Django and
the app the same way and opens the database, but runs no job. The payload is the sum of the 10 images the API
returned. By default the fake's flat art is given photo-like noise on its way out (about 3 MB an image,
closer to a real model's PNG); --image drawn keeps the fake's ~70 KB images.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from common import ROOT, bench_site, child_environment, fake_api, photographic, print_header

N = 10
MB = 1024 * 1024
PEAK = "peak-rss-kb"


class ReturnedImages:
    """WSGI middleware over the fake API: records the size of every image it returns and, with `photo`,
    swaps each for a photo-like version of the same picture (same size and format, so still a valid answer)."""

    def __init__(self, photo: bool) -> None:
        self.photo = photo
        self.api: Any = None
        self.calls: list[list[int]] = []

    def around(self, api: Any) -> ReturnedImages:
        self.api = api
        return self

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer: dict[str, Any] = {}
        body = b"".join(self.api(environ, lambda status, headers, *exc: answer.update(status=status, headers=headers)))
        if answer["status"].startswith("200") and b'"b64_json"' in body:
            body = self.recorded(body)
        headers = [(key, str(len(body)) if key.lower() == "content-length" else value)
                   for key, value in answer["headers"]]
        start_response(answer["status"], headers)
        return [body]

    def recorded(self, body: bytes) -> bytes:
        reply = json.loads(body)
        sizes = []
        for item in reply["data"]:
            data = base64.b64decode(item["b64_json"])
            if self.photo:
                data = photographic(data)
                item["b64_json"] = base64.b64encode(data).decode("ascii")
            sizes.append(len(data))
        self.calls.append(sizes)
        return json.dumps(reply).encode()


# ---------------------------------------------------------------------------------------------------
# The child: what a worker process holds
# ---------------------------------------------------------------------------------------------------


def child(job_id: str | None) -> None:
    """Import what a worker imports and open the database; with a job id, run the job. Prints the peak RSS."""
    import django

    django.setup()
    from django.db import connection

    from wagtail_imagegen import tasks
    from wagtail_imagegen.providers import openai  # noqa: F401 - a worker imports its provider for the call

    connection.ensure_connection()
    if job_id:
        print(tasks.run_job(job_id))
    print(f"{PEAK} {high_water_kb()}")


def high_water_kb() -> int:
    """This process's peak RSS since its exec (VmHWM; wait4's ru_maxrss would also count the forking parent)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


def peak_rss_mb(job_id: str | None, env: dict[str, str]) -> float:
    """Run a child to its end; its peak resident set in MB."""
    done = subprocess.run([sys.executable, __file__, "--child", job_id or ""], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(PEAK)]
    if done.returncode or not lines:
        raise SystemExit(f"the child failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return int(lines[-1].split()[1]) / 1024


# ---------------------------------------------------------------------------------------------------
# The parent
# ---------------------------------------------------------------------------------------------------


def submit_job() -> str:
    from wagtail_imagegen import jobs

    job = jobs.submit_generation("A harbour at night", n=N, size="1536x1024", quality="high", output_format="png")
    return str(job.pk)


def check_job(job_id: str) -> None:
    from wagtail_imagegen.models import GenerationJob

    job = GenerationJob.objects.get(pk=job_id)
    made = job.outputs.exclude(image=None).count()
    if job.status != GenerationJob.Status.SUCCEEDED or made != N:
        raise SystemExit(f"the job did not make {N} images: {job.status} {job.error_message} ({made} made)")


def measure(repeat: int, base_url: str, returned: ReturnedImages) -> list[tuple[float, float, float]]:
    """(baseline MB, peak MB, payload MB) for each repeat; baseline and job children take turns."""
    env = child_environment(IMAGEGEN_TEST_BASE_URL=base_url)
    results = []
    for _ in range(repeat):
        baseline = peak_rss_mb(None, env)
        job_id = submit_job()
        peak = peak_rss_mb(job_id, env)
        check_job(job_id)
        results.append((baseline, peak, sum(returned.calls[-1]) / MB))
    return results


def report(results: list[tuple[float, float, float]]) -> None:
    print("  run  baseline MB  peak MB  payload MB  (peak − baseline) / payload")
    for number, (baseline, peak, payload) in enumerate(results, 1):
        print(f"  {number:>3}  {baseline:11.1f}  {peak:7.1f}  {payload:10.2f}  {(peak - baseline) / payload:6.2f}")
    ratios = [(peak - baseline) / payload for baseline, peak, payload in results]
    print(f"  median (peak − baseline) / payload: {statistics.median(ratios):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="job children (each with its baseline), default 2")
    parser.add_argument("--image", choices=("photo", "drawn"), default="photo",
                        help="photo: the API's images made photo-like, ~3 MB each (default); drawn: the fake's art")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: run as the measured child
    args = parser.parse_args()
    if args.child is not None:
        child(args.child or None)
        return
    print_header(f"worker_memory: peak RSS of a process running one job of n={N} 1536×1024 PNGs (quality high)",
                 "job child: django.setup() + tasks.run_job() against the fake API on 127.0.0.1",
                 "baseline child: the same imports and a database connection, no job; payload: the 10 images' bytes",
                 f"images: {args.image}")
    returned = ReturnedImages(photo=args.image == "photo")
    with bench_site(), fake_api(wrap=returned.around) as (_api, base_url):
        report(measure(args.repeat, base_url, returned))


if __name__ == "__main__":
    main()
