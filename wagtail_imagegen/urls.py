"""Public URLs (outside the admin): include them under any prefix, e.g. path("imagegen/", include(...))."""

from django.urls import path

from .views.health import health

app_name = "wagtail_imagegen_public"
urlpatterns = [
    path("health/", health, name="health"),
]
