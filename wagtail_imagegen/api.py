"""Variants in Wagtail's API: label → rendition, as a serializer field and an images endpoint.

API v2 (Wagtail 7.4 and 8.x), the images endpoint: register `ImagesAPIViewSet` instead of Wagtail's::

    api_router.register_endpoint("images", wagtail_imagegen.api.ImagesAPIViewSet)

API v2 and v3, on any model with `api_fields` (a page, a snippet, a custom image model)::

    APIField("hero_variants", serializer=VariantRenditionsField("fill-800x600", source="hero_image"))

Wagtail 8's API v3 builds a model's schema from its `api_fields` and runs such DRF fields through its v2
compatibility shim. It offers no hook to add a field to the default image model's schema: the images
router captures that schema once, while Wagtail's images app loads. See the README.
"""

from __future__ import annotations

from typing import Any

from rest_framework.fields import Field
from wagtail.images.api.fields import ImageRenditionField
from wagtail.images.api.v2.views import ImagesAPIViewSet as WagtailImagesAPIViewSet

from .variants import current_variants, prefetch_variants


class VariantRenditionsField(Field):
    """An image's current variants as {label: rendition}, each like Wagtail's ImageRenditionField.

    `labels` limits the output to those labels. Without `source`, the field serializes the object itself
    (right for an image model); on a page, name the image field: `source="hero_image"`.
    """

    def __init__(self, filter_spec: str, *, labels: list[str] | None = None, **kwargs: Any) -> None:
        self.labels = labels
        self.rendition_field = ImageRenditionField(filter_spec)
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, image: Any) -> dict[str, dict[str, Any]]:
        return {
            label: self.rendition_field.to_representation(variant)
            for label, variant in current_variants(image).items()
            if self.labels is None or label in self.labels
        }


class ImagesAPIViewSet(WagtailImagesAPIViewSet):
    """Wagtail's images endpoint plus a `variants` field; a listing loads every page's variants at once."""

    variants_filter_spec = "max-1200x1200"
    body_fields = [*WagtailImagesAPIViewSet.body_fields, "variants"]

    @classmethod
    def get_field_serializer_overrides(cls, model: Any) -> dict[str, Any]:
        return {**super().get_field_serializer_overrides(model),
                "variants": VariantRenditionsField(cls.variants_filter_spec)}

    def get_serializer_class(self) -> Any:
        # Built once per request: paginate_queryset() asks for it too, and building it runs a query.
        if not hasattr(self, "_serializer_class"):
            self._serializer_class = super().get_serializer_class()
        return self._serializer_class

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        if page is None or "variants" not in self.get_serializer_class().Meta.fields:
            return page
        return prefetch_variants(page, renditions=[self.variants_filter_spec])
