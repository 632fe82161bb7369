"""The app's admin URLs, all in one namespace ("wagtail_imagegen"), included under admin/imagegen/.

The studio's endpoints are flat (wagtail_imagegen:generate, …); the viewsets' are nested
(wagtail_imagegen:jobs:index, wagtail_imagegen:batches:inspect, wagtail_imagegen:usage:index).
"""

from django.urls import include, path

from . import describe, library, moved
from .viewsets import batch_viewset, job_viewset, route, studio_viewset, usage_viewset

app_name = "wagtail_imagegen"

urlpatterns = [
    *studio_viewset.get_urlpatterns(),
    # Fetched into Wagtail's image edit page; who may edit the image decides (library.py).
    route("images/<int:image_id>/variants/", library.image_variants, "image_variants"),
    # Alt text on the same page (views/describe.py): the section, and its "Describe with AI" button.
    route("images/<int:image_id>/alt-text/", describe.alt_text_section, "alt_text"),
    route("images/<int:image_id>/describe/", describe.describe_image, "describe_image"),
    *(path(f"{viewset.name}/", include((viewset.get_urlpatterns(), viewset.name)))
      for viewset in (job_viewset, batch_viewset, usage_viewset)),
    # The library's pages used to live under library/, in a namespace of their own: bookmarks redirect.
    path("library/<path:rest>", moved.library_address, name="moved"),
]
