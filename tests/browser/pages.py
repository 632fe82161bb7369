"""The page type the browser tests edit: like the example site's home page, a hero image and a StreamField body.

It is declared under the test app's label (the suite installs no example app) and has no migration: its
table is created after the test database is migrated, so transactional tests flush it like any other.
"""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models.signals import post_migrate
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.images import get_image_model_string
from wagtail.models import Page

from wagtail_imagegen.blocks import ImageGenChooserBlock, ImageGenImageBlock
from wagtail_imagegen.panels import ImageGenChooserPanel


class BodyBlock(blocks.StreamBlock):
    image = ImageGenChooserBlock(label="Image")
    figure = ImageGenImageBlock(label="Image with alt text")


class BrowserTestPage(Page):
    hero_image = models.ForeignKey(
        get_image_model_string(), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(BodyBlock(), blank=True)

    content_panels = [*Page.content_panels, ImageGenChooserPanel("hero_image"), FieldPanel("body")]

    class Meta:
        app_label = "testapp"


def create_table(**kwargs: Any) -> None:
    """The table, and the content type, so that both are in the snapshot serialized_rollback restores."""
    if BrowserTestPage._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(BrowserTestPage)
    ContentType.objects.get_for_model(BrowserTestPage)


post_migrate.connect(create_table, dispatch_uid="imagegen-browser-test-page")
