"""Benchmark: N images through `{% image item|variant:"winter" %}` against the same N through plain `{% image %}`.

    python bench/render_variants.py --n 50 [--repeat 100] [--library 5000]

Both sides run in the same process on the same data, and each prefetches what it renders: the plain side
with Wagtail's `prefetch_renditions()`, the variant side with `prefetch_variants(..., renditions=...)`.
Every image has a variant, so the variant side renders N other images. A "page" is the image query, the
prefetching and the template render, in a request cache of its own as during a request. The pages take
turns, round after round; the script prints the best and the median time of each, both query counts, and
the ratio variant/plain as the median of the rounds' ratios (goal: at most 1.2), beside the ratio of the
best times. It builds a throwaway SQLite database and media directory in a temporary directory, and uses
no network.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SPEC = "fill-160x120"
LABEL = "winter"
GOAL = 1.2


def configure(workdir: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="bench-only",  # noqa: S106
        USE_TZ=True,
        INSTALLED_APPS=[
            "wagtail_imagegen", "wagtail.images", "wagtail.admin", "wagtail", "taggit", "modelcluster", "django_q",
            "django.contrib.auth", "django.contrib.contenttypes",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": workdir / "bench.sqlite3"}},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
        MEDIA_ROOT=workdir / "media",
        MEDIA_URL="/media/",
        STATIC_URL="/static/",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        Q_CLUSTER={"name": "bench", "orm": "default", "timeout": 60, "retry": 120},
    )
    django.setup()


def png(index: int) -> bytes:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (320, 240), (index * 37 % 256, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def make_image(title: str, index: int) -> Any:
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    image = get_image_model()(title=title, collection=Collection.get_first_root_node(),
                              file=ImageFile(io.BytesIO(png(index)), name=f"{title}.png"))
    image._set_image_file_metadata()
    image.save()
    return image


def create_images(count: int) -> list[int]:
    """`count` source images, each with a winter variant, and every rendition the pages need."""
    from wagtail_imagegen.models import ImageVariant

    ids = []
    for index in range(count):
        source = make_image(f"product-{index}", index)
        variant = make_image(f"product-{index}-{LABEL}", index + 1)
        ImageVariant.objects.create(source=source, label=LABEL, image=variant)
        for image in (source, variant):
            image.get_rendition(SPEC)
        ids.append(source.pk)
    return ids


def fill_library(count: int) -> None:
    """`count` more images that no page shows, sharing one stored file, so that the tables are not tiny:
    a lookup that scans the image table instead of searching an index shows in the times."""
    from wagtail.images import get_image_model

    model = get_image_model()
    template = model.objects.first()
    model.objects.bulk_create(
        [model(title=f"library-{index}", collection_id=template.collection_id, file=template.file.name,
               width=template.width, height=template.height) for index in range(count)],
        batch_size=500,
    )


def pages(ids: list[int]) -> dict[str, Callable[[], str]]:
    from django.template import engines
    from wagtail.images import get_image_model

    from wagtail_imagegen.models import ImageVariant
    from wagtail_imagegen.variants import prefetch_variants

    def template(tag: str) -> Any:
        load = "{% load wagtailimages_tags wagtail_imagegen_tags %}"
        return engines["django"].from_string(load + "{% for item in images %}" + tag + "{% endfor %}")

    plain = template("{% image item " + SPEC + " %}")
    variant = template('{% image item|variant:"' + LABEL + '" ' + SPEC + " %}")

    def images() -> Any:
        return get_image_model().objects.filter(pk__in=ids).order_by("pk")

    variant_ids = list(ImageVariant.objects.filter(source_id__in=ids).values_list("image_id", flat=True))
    return {name: in_a_request(render) for name, render in {
        "plain": lambda: plain.render({"images": images().prefetch_renditions(SPEC)}),
        # What any variant page must do on top: load the N variant images (here by id, bare).
        "floor": lambda: list(get_image_model().objects.filter(pk__in=variant_ids)),
        "variant": lambda: variant.render({"images": prefetch_variants(images(), [LABEL], renditions=[SPEC])}),
        "variant, no prefetch": lambda: variant.render({"images": images().prefetch_renditions(SPEC)}),
    }.items()}


def in_a_request(render: Callable[[], Any]) -> Callable[[], Any]:
    """Each page with its own request cache, as a page rendered for a request has (variants.py)."""
    from wagtail_imagegen.variants import request_cache

    def page() -> Any:
        with request_cache():
            return render()

    return page


def count_queries(render: Callable[[], str]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        render()
    return len(queries)


def timed_ms(render: Callable[[], str]) -> float:
    """One sample, as timeit takes them: from a collected heap, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        render()
        return (time.perf_counter() - start) * 1000
    finally:
        gc.enable()


@dataclass(frozen=True)
class Result:
    best_ms: float
    median_ms: float
    queries: int


def measure(ids: list[int], repeat: int) -> tuple[dict[str, Result], dict[str, list[float]]]:
    """Times and query count of each page, and the samples: the pages take turns, round after round."""
    renders = pages(ids)
    for render in renders.values():
        render()  # warm up: templates compiled, caches filled
    samples: dict[str, list[float]] = {name: [] for name in renders}
    for _ in range(repeat):
        for name, render in renders.items():
            samples[name].append(timed_ms(render))
    results = {name: Result(min(samples[name]), statistics.median(samples[name]), count_queries(render))
               for name, render in renders.items()}
    return results, samples


def paired_ratio(numerator: list[float], denominator: list[float]) -> float:
    """The median of the round-by-round ratios.

    On a shared machine, a burst of other work slows both pages of a round alike, so each round's ratio
    holds while the times drift; the median drops the rounds a burst hit in the middle. (A ratio of the
    best times rests on two single samples, and one lucky sample moves it by a tenth.)
    """
    return statistics.median(top / bottom for top, bottom in zip(numerator, denominator, strict=True))


def line(label: str, result: Result) -> str:
    return f"  {label:<57}{result.best_ms:7.2f} ms {result.median_ms:7.2f} ms {result.queries:3d} queries"


def report(count: int, library: int, repeat: int, results: dict[str, Result], samples: dict[str, list[float]],
           load: tuple[float, float]) -> str:
    plain, variant = results["plain"], results["variant"]
    ratio = paired_ratio(samples["variant"], samples["plain"])
    with_floor = [plain_ms + floor_ms for plain_ms, floor_ms in zip(samples["plain"], samples["floor"], strict=True)]
    verdict = "within" if ratio <= GOAL else "ABOVE"
    return "\n".join([
        f"render_variants: {count} images (+{library} others in the library), {repeat} rounds, each page once "
        "a round (best, median, queries)",
        line("plain {% image %}, prefetch_renditions():", plain),
        line("{% image ...|variant %}, prefetch_variants(renditions=):", variant),
        f"  ratio variant/plain: {ratio:.3f}, the median of the {repeat} rounds' ratios "
        f"({verdict} the goal of {GOAL}); {variant.best_ms / plain.best_ms:.2f} from the best times",
        f"  floor: loading the {count} variant images alone takes {results['floor'].best_ms:.2f} ms at best, "
        f"a ratio of {paired_ratio(with_floor, samples['plain']):.2f} by the same measure",
        line("for comparison, |variant without prefetch_variants():", results["variant, no prefetch"]),
        # Other work on the machine inflates both pages alike and so pulls every ratio towards 1: a run with a
        # load near the core count, or a floor ratio below its usual value, understates the ratio.
        f"  load average (1 min) before and after: {load[0]:.2f}, {load[1]:.2f} on {os.cpu_count()} CPUs",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="number of images (default 50)")
    parser.add_argument("--repeat", type=int, default=100, help="rounds; each renders every page once (default 100)")
    parser.add_argument("--library", type=int, default=0, help="more images no page shows (default 0)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imagegen-bench-") as workdir:
        configure(Path(workdir))
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        ids = create_images(args.n)
        fill_library(args.library)
        before = os.getloadavg()[0]
        measured = measure(ids, args.repeat)
        print(report(args.n, args.library, args.repeat, *measured, (before, os.getloadavg()[0])))


if __name__ == "__main__":
    main()
