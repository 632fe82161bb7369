from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("imagegen/", include("wagtail_imagegen.urls")),
    path("", include(wagtail_urls)),
]
