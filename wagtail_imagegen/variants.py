"""Reading variants and AI disclosure for templates and the API, in a constant number of queries.

What is known about an image is cached twice: on the instance (like Wagtail's `prefetched_renditions`),
and for the current request, keyed by primary key, so that other instances of the same image (a StreamField
block, a second query) are answered too. `prefetch_variants()` fills both for many images at once.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Prefetch, prefetch_related_objects
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.images.models import Filter

from .models import COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, GenerationOutput, ImageVariant

INDEX = "_imagegen_variant_index"
SOURCE_TYPE = "_imagegen_source_type"
# What django.utils.html.json_script escapes, so no title can close the <script> element.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

_request_cache: ContextVar[dict[tuple[str, Any], Any] | None] = ContextVar("imagegen_variants", default=None)


class NotPickled:
    """Cached knowledge that pickles as None, so that it never travels with its image into a cache.

    Wagtail caches each rendition with its image (Rendition.cache_backend); a variant index pickled there
    would be stale later, and pickling the images it holds would make every get_rendition() slow.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return type(None), ()


@dataclass(frozen=True)
class VariantIndex(NotPickled):
    """One image's current variants for some labels (`labels` None: for every label)."""

    labels: frozenset[str] | None
    images: dict[str, Any]

    def has_every_label(self) -> bool:
        """True when `|variant` with any of the labels never shows the image itself."""
        return bool(self.labels) and self.labels <= self.images.keys()

    def covers(self, label: str | None) -> bool:
        return self.labels is None or (label is not None and label in self.labels)

    def merged(self, older: VariantIndex | None) -> VariantIndex:
        """This index, plus what `older` knew about other labels."""
        if older is None or self.labels is None:
            return self
        kept = {label: image for label, image in older.images.items() if label not in self.labels}
        labels = None if older.labels is None else older.labels | self.labels
        return VariantIndex(labels, {**kept, **self.images})


class PendingSourceTypes(NotPickled):
    """Disclosure data for a prefetched batch, loaded for the whole batch at the first disclosure asked."""

    def __init__(self, images: list[Any]) -> None:
        self.images = images
        self.types: dict[Any, str] | None = None

    def get(self, image: Any) -> str:
        if self.types is None:
            self.types = remember_source_types(self.images)
        return self.types[image.pk]


@dataclass(frozen=True)
class Disclosure:
    """That an image was made with AI, and how (an IPTC digital source type)."""

    image: Any
    digital_source_type: str

    @property
    def label(self) -> str:
        if self.digital_source_type == COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA:
            return _("AI-modified")
        return _("AI-generated")

    def json_ld(self, url: str = "") -> str:
        """schema.org JSON-LD for the image, safe to put inside a <script> element."""
        data = {"@context": "https://schema.org", "@type": "ImageObject", "name": self.image.title,
                "digitalSourceType": self.digital_source_type}
        if url:
            data["contentUrl"] = url
        return json.dumps(data, cls=DjangoJSONEncoder).translate(JSON_SCRIPT_ESCAPES)


# ---------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------


def prefetch_variants(
    images_or_queryset: Iterable[Any], labels: str | Iterable[str] | None = None, *,
    renditions: Iterable[str] = (),
) -> list[Any]:
    """Load the variants (for `labels`; None: all) and disclosure data of many images in a few queries.

    `renditions` are filter specs (brace patterns allowed) whose renditions are prefetched for what
    `|variant` shows: the variants, and the images lacking a variant for one of `labels`. Disclosure
    data is loaded for all of them at the first `ai_disclosure()`. Returns the images as a list.
    """
    items = list(images_or_queryset)
    images = [item for item in items if is_image(item)]
    if not images:
        return items
    indexes = load_indexes(images, as_labels(labels))
    for image in images:
        remember_index(image, indexes[image.pk])
    variants = distinct_variants(indexes.values())  # they know their disclosure data already
    pending = PendingSourceTypes(images)
    for image in images:
        remember(image, SOURCE_TYPE, pending)
    if renditions:
        shown = [image for image in images if not indexes[image.pk].has_every_label()]
        prefetch_rendition_files([*shown, *variants], renditions)
    return items


def variant_or_source(image: Any, label: Any) -> Any:
    """The current variant of `image` for `label`, or `image` itself when there is none (None stays None)."""
    if not label or not is_image(image):
        return image
    label = str(label)
    found = index_for(image, label).images.get(label)
    return image if found is None or found.pk == image.pk else found


def current_variants(image: Any) -> dict[str, Any]:
    """Every current variant of `image`, by label ({} for None or an image without variants)."""
    if not is_image(image):
        return {}
    return dict(sorted(index_for(image, None).images.items()))


def ai_disclosure(image: Any) -> Disclosure | None:
    """How `image` was made with AI, or None when it was not (or is not an image)."""
    if not is_image(image):
        return None
    source_type = cached(image, SOURCE_TYPE)
    if isinstance(source_type, PendingSourceTypes):
        source_type = source_type.get(image)
    elif source_type is None:
        source_type = remember_source_types([image])[image.pk]
    return Disclosure(image, source_type) if source_type else None


@contextmanager
def request_cache() -> Iterator[None]:
    """Share lookups between instances of the same image, as during a request (for scripts and tests)."""
    token = _request_cache.set({})
    try:
        yield
    finally:
        _request_cache.reset(token)


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------


def is_image(value: Any) -> bool:
    return is_image_class(type(value)) and value.pk is not None


@functools.cache
def is_image_class(cls: type) -> bool:
    # Cached: the filter runs once per image shown, and get_image_model() is slow by comparison.
    return issubclass(cls, get_image_model())


def as_labels(labels: str | Iterable[str] | None) -> frozenset[str] | None:
    if labels is None:
        return None
    return frozenset([labels] if isinstance(labels, str) else map(str, labels))


def load_indexes(images: list[Any], labels: frozenset[str] | None) -> dict[Any, VariantIndex]:
    """The images' variants in one query; a second one when some image is a variant itself."""
    pks = {image.pk for image in images}
    found = variant_images(pks, labels, variant_ids=pks)
    parent_of: dict[Any, Any] = {}
    for source_id, _label, variant in found:
        if variant.pk in pks:  # an image of the batch is a variant itself; the lowest source id wins
            parent_of[variant.pk] = min(source_id, parent_of.get(variant.pk, source_id))
    # A variant's variants are looked up on its own source.
    missing = set(parent_of.values()) - pks
    if missing:
        found += variant_images(missing, labels)
    by_source: dict[Any, dict[str, Any]] = defaultdict(dict)
    for source_id, label, variant in found:
        if labels is None or label in labels:
            by_source[source_id][label] = variant
    return {pk: VariantIndex(labels, by_source.get(parent_of.get(pk, pk), {})) for pk in pks}


def variant_images(
    source_ids: set[Any], labels: frozenset[str] | None, variant_ids: set[Any] = frozenset(),
) -> list[tuple[Any, str, Any]]:
    """(source id, label, variant image) of the variants of `source_ids` for `labels` (None: every label),
    and of the images among `variant_ids` that are variants, whatever their label. Each variant image comes
    with its disclosure data, so `ai_disclosure()` of a variant never costs a query.

    One query, written in SQL: it runs on every page that shows variants, and Django takes longer to compile
    this join than the database takes to run it (bench/render_variants.py). RawQuerySet still builds the
    instances as the ORM does, on the image model's database.
    """
    manager = get_image_model().objects
    connection = connections[manager.db]
    column = functools.partial(qualified_column, connection.ops.quote_name)
    pk_field = manager.model._meta.pk
    conditions, params = [], []
    if source_ids and (labels is None or labels):
        condition = f"{column(ImageVariant, 'source', 'v')} IN ({placeholders(source_ids)})"
        params += db_keys(pk_field, source_ids, connection)
        if labels is not None:
            condition += f" AND {column(ImageVariant, 'label', 'v')} IN ({placeholders(labels)})"
            params += sorted(labels)
        conditions.append(f"({condition})")
    if variant_ids:
        conditions.append(f"{column(ImageVariant, 'image', 'v')} IN ({placeholders(variant_ids)})")
        params += db_keys(pk_field, variant_ids, connection)
    if not conditions:
        return []
    found = []
    for image in manager.raw(variants_sql(manager.model, connection.ops, " OR ".join(conditions)), params):
        # Popped: only what remember() keeps stays on the instances, which Wagtail pickles with each rendition.
        source_id, label = image.__dict__.pop("imagegen_source_id"), image.__dict__.pop("imagegen_label")
        remember(image, SOURCE_TYPE, image.__dict__.pop("imagegen_source_type") or "")
        found.append((source_id if type(source_id) is int else pk_field.to_python(source_id), label, image))
    return found


def db_keys(pk_field: Any, keys: Iterable[Any], connection: Any) -> list[Any]:
    """Primary keys as the database takes them, as the ORM would send them (a UUID is text on SQLite)."""
    return [key if type(key) is int else pk_field.get_db_prep_value(key, connection) for key in keys]


def variants_sql(image_model: type, ops: BaseDatabaseOperations, where: str) -> str:
    """Image rows (i) joined to their ImageVariant rows (v), with the digital source type of the newest
    output (o) that is the image, as in remember_source_types()."""
    quote = ops.quote_name
    column = functools.partial(qualified_column, quote)
    output_table = quote(GenerationOutput._meta.db_table)
    source_type = " ".join([
        f"SELECT {column(GenerationOutput, 'digital_source_type', 'o')} FROM {output_table} o",  # noqa: S608
        f"WHERE {column(GenerationOutput, 'image', 'o')} = {column(image_model, 'pk', 'i')}",
        f"ORDER BY {column(GenerationOutput, 'pk', 'o')} DESC {ops.limit_offset_sql(0, 1)}",
    ])
    return " ".join([  # noqa: S608 (identifiers quoted by the backend; every value is a parameter)
        f"SELECT i.*, {column(ImageVariant, 'source', 'v')} AS imagegen_source_id,",
        f"{column(ImageVariant, 'label', 'v')} AS imagegen_label, ({source_type}) AS imagegen_source_type",
        f"FROM {quote(image_model._meta.db_table)} i INNER JOIN {quote(ImageVariant._meta.db_table)} v",
        f"ON {column(ImageVariant, 'image', 'v')} = {column(image_model, 'pk', 'i')}",
        f"WHERE {where}",
    ])


def qualified_column(quote: Callable[[str], str], model: type, field: str, alias: str) -> str:
    """`alias."column"` of a model's field ("pk": its primary key)."""
    meta = model._meta
    return f"{alias}.{quote((meta.pk if field == 'pk' else meta.get_field(field)).column)}"


def placeholders(values: Iterable[Any]) -> str:
    return ", ".join("%s" for _ in values)


def distinct_variants(indexes: Iterable[VariantIndex]) -> list[Any]:
    return list({variant.pk: variant for index in indexes for variant in index.images.values()}.values())


def index_for(image: Any, label: str | None) -> VariantIndex:
    index = cached(image, INDEX)
    if index is None or not index.covers(label):
        index = remember_index(image, load_indexes([image], as_labels(label))[image.pk])
    return index


def remember_source_types(images: list[Any]) -> dict[Any, str]:
    """One query: each image's IPTC digital source type ("" when no AI output is the image)."""
    pks = {image.pk for image in images}
    found = dict(GenerationOutput.objects.filter(image_id__in=pks).order_by("pk")
                 .values_list("image_id", "digital_source_type"))
    for image in images:
        remember(image, SOURCE_TYPE, found.get(image.pk, ""))
    return {pk: found.get(pk, "") for pk in pks}


def prefetch_rendition_files(images: list[Any], specs: Iterable[str]) -> None:
    """Wagtail's prefetch_renditions() for a list, skipping images whose renditions are already prefetched."""
    pending = [image for image in images if not has_prefetched_renditions(image)]
    filter_specs = {expanded for spec in specs for expanded in Filter.expand_spec(spec)}
    rendition_model = get_image_model().get_rendition_model()
    prefetch_related_objects(pending, Prefetch(
        "renditions", queryset=rendition_model.objects.filter(filter_spec__in=filter_specs),
        to_attr="prefetched_renditions",
    ))


# ---------------------------------------------------------------------------------------------------
# Caching: on the instance, and for the current request
# ---------------------------------------------------------------------------------------------------


def has_prefetched_renditions(image: Any) -> bool:
    return hasattr(image, "prefetched_renditions") or "renditions" in getattr(image, "_prefetched_objects_cache", {})


def cached(image: Any, attribute: str) -> Any:
    value = getattr(image, attribute, None)
    store = _request_cache.get()
    if value is None and store is not None:
        value = store.get((attribute, image.pk))
    return value


def remember(image: Any, attribute: str, value: Any) -> Any:
    setattr(image, attribute, value)
    store = _request_cache.get()
    if store is not None:
        store[(attribute, image.pk)] = value
    return value


def remember_index(image: Any, index: VariantIndex) -> VariantIndex:
    return remember(image, INDEX, index.merged(cached(image, INDEX)))


def open_request_cache(**kwargs: Any) -> None:
    _request_cache.set({})


def close_request_cache(**kwargs: Any) -> None:
    _request_cache.set(None)


def clear_request_cache(**kwargs: Any) -> None:
    """A variant or output changed during the request: forget what the request has seen."""
    store = _request_cache.get()
    if store:
        store.clear()


def connect_signals() -> None:
    """The shared cache lives from request_started to request_finished, and forgets every change."""
    request_started.connect(open_request_cache, dispatch_uid="wagtail_imagegen.variants.open")
    request_finished.connect(close_request_cache, dispatch_uid="wagtail_imagegen.variants.close")
    for sender in (ImageVariant, GenerationOutput):
        for signal in (post_save, post_delete):
            signal.connect(clear_request_cache, sender=sender, dispatch_uid="wagtail_imagegen.variants.clear")


# Connected on import: every user of the cache (the tags, the Jinja2 extension, the API) imports this module.
connect_signals()
