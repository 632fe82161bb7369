"""URLs of the example site: the Wagtail admin, Django's admin (django-q2's task lists), documents, the
imagegen health endpoint, pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("imagegen/", include("wagtail_imagegen.urls")),  # /imagegen/health/ for probes
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    # The development server serves static and media files; a production server would not.
    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every other URL as a page: keep this last.
urlpatterns += [path("", include(wagtail_urls))]
