"""Admin hooks: the app's admin URLs and viewsets (the "AI images" menu, the usage report), the chooser's
Generate / Edit with AI, the icon."""

from __future__ import annotations

from django.db.models import ForeignKey
from django.urls import include, path
from wagtail import hooks
from wagtail.admin.forms.models import register_form_field_override
from wagtail.images import get_image_model

from . import compat, permissions
from .models import GenerationBatch, GenerationJob
from .views import viewsets
from .widgets import image_field_override


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    # Every ForeignKey to the image model asks REPLACE_IMAGE_CHOOSER for its widget. Registered here, as
    # Wagtail's chooser viewsets do, because hooks modules may be imported while apps are still loading,
    # before wagtail.images registers its own chooser (the last registration wins).
    register_form_field_override(ForeignKey, to=get_image_model(), override=image_field_override)
    return [path("imagegen/", include("wagtail_imagegen.views.urls", namespace="wagtail_imagegen"))]


# The "AI images" menu (Generate, Jobs, Batches) and Reports > AI image usage, from the viewsets; their URLs
# are in views/urls.py above, in the app's one namespace (views/viewsets.py says why not Wagtail's registry).
compat.register_permission_policy(GenerationJob, permissions.job_policy)
compat.register_permission_policy(GenerationBatch, permissions.batch_policy)
for viewset in (*viewsets.ai_images.registerables, viewsets.usage_viewset):
    viewset.on_register()
viewsets.ai_images.on_register()


@hooks.register("register_icons")
def register_icons(icons: list[str]) -> list[str]:
    return [*icons, "wagtail_imagegen/icons/imagegen-wand.svg"]
