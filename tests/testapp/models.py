"""Custom image models, so the suite can prove everything works with WAGTAILIMAGES_IMAGE_MODEL set."""

import uuid

from django.db import models
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CustomImage(AbstractImage):
    caption = models.CharField(max_length=255, blank=True)

    admin_form_fields = (*Image.admin_form_fields, "caption")


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


class UUIDImage(AbstractImage):
    """Keyed by UUID: what template code that assumes integer keys would get wrong (settings_uuid_image.py)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    admin_form_fields = Image.admin_form_fields


class UUIDRendition(AbstractRendition):
    image = models.ForeignKey(UUIDImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)
