"""Benchmark: our save path for one generated image against Wagtail's own upload of the same PNG bytes.

    python bench/save_overhead.py [--rounds 30] [--image photo|drawn]

Ours is outputs.save_as_image() for one stored GenerationOutput, reading its bytes from storage included;
Wagtail's is what an admin upload runs: get_image_form(Image)(data, files, instance=Image(uploaded_by_user=...),
user=...).save() on the bytes already in memory. Both get the same title, collection and tags, as the same
editor, and take turns for N rounds. Prints the median of each, their ratio (goal ≤ 1.2) and query counts.
"""

from __future__ import annotations

import argparse
import hashlib
from typing import Any

from common import (
    SIZE,
    bench_png,
    bench_site,
    count_queries,
    editor,
    interleaved,
    median_ms,
    print_header,
    verdict,
)

GOAL = 1.2


def stored_job(data: bytes, outputs_needed: int, user: Any) -> Any:
    """A job whose API call is done: `outputs_needed` outputs, each with the same bytes in storage."""
    from wagtail_imagegen import jobs, outputs
    from wagtail_imagegen.models import GenerationJob, GenerationOutput

    job = jobs.submit_generation("A lighthouse at dusk", user=user, n=1, size="1536x1024", quality="high")
    for index in range(outputs_needed):
        GenerationOutput.objects.create(
            job=job, index=index, raw_file=outputs.write_file(outputs.raw_path(job, f"{index}.png"), data),
            mime_type="image/png", sha256=hashlib.sha256(data).hexdigest(), digital_source_type=job.digital_source_type,
        )
    return GenerationJob.objects.select_related("requested_by").get(pk=job.pk)  # as run_job loads it


def ours(job: Any) -> Any:
    """Round i saves output i; fetching it is run_job's one query for all outputs, so it is not timed."""
    from wagtail_imagegen import outputs

    def prepare(index: int) -> Any:
        output = job.outputs.get(index=index)
        return lambda: outputs.save_as_image(output)

    return prepare


def wagtail_upload(data: bytes, job: Any, user: Any) -> Any:
    """Wagtail's image form on the same bytes, title, collection and tags, as an upload by `user`."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from wagtail.images import get_image_model
    from wagtail.images.forms import get_image_form
    from wagtail.models import Collection

    from wagtail_imagegen import conf, outputs

    Image = get_image_model()
    fields = {
        "title": outputs.output_title(job, job.outputs.first()),
        "collection": Collection.get_first_root_node().pk,
        "tags": ", ".join(f'"{tag}"' for tag in conf.setting("TAGS")),
    }

    def save(index: int) -> Any:
        upload = SimpleUploadedFile(f"upload-{index}.png", data, content_type="image/png")
        form = get_image_form(Image)(data=fields, files={"file": upload}, instance=Image(uploaded_by_user=user),
                                     user=user)
        if not form.is_valid():
            raise SystemExit(f"Wagtail's form refused the upload: {form.errors.as_json()}")
        return form.save()

    return lambda index: (lambda: save(index))


def measure(data: bytes, rounds: int) -> dict[str, tuple[float, int]]:
    """Median ms and queries of each path; one extra round of each counts the queries, untimed."""
    user = editor()
    job = stored_job(data, rounds + 2, user)
    cases = {"ours": ours(job), "wagtail": wagtail_upload(data, job, user)}
    timings = interleaved(cases, rounds)
    last = rounds + 1
    return {name: (median_ms(timings[name]), count_queries(prepare(last))) for name, prepare in cases.items()}


def report(results: dict[str, tuple[float, int]], rounds: int, data: bytes) -> None:
    (ours_ms, ours_queries), (wagtail_ms, wagtail_queries) = results["ours"], results["wagtail"]
    ratio = ours_ms / wagtail_ms
    print(f"  {rounds} interleaved rounds, {SIZE[0]}×{SIZE[1]} PNG of {len(data) / 1e6:.2f} MB")
    print(f"  ours    outputs.save_as_image():        {ours_ms:8.1f} ms median  {ours_queries:3d} queries")
    print(f"  wagtail get_image_form(Image)().save(): {wagtail_ms:8.1f} ms median  {wagtail_queries:3d} queries")
    print(f"  ratio ours/wagtail: {ratio:.2f} ({verdict(ratio, GOAL, at_most=True)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="timed saves of each path (default 30)")
    parser.add_argument("--image", choices=("photo", "drawn"), default="photo",
                        help="photo: noisy, about 3 MB like a model's PNG (default); drawn: the fake API's flat art")
    args = parser.parse_args()
    print_header("save_overhead: one generated PNG into the Wagtail library",
                 "ours:    outputs.save_as_image(output), reading the stored provider bytes included",
                 "wagtail: the admin upload's image form on the same bytes (same title, collection, tags, user)")
    with bench_site():
        data = bench_png(args.image)
        report(measure(data, args.rounds), args.rounds, data)


if __name__ == "__main__":
    main()
