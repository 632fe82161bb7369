from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailImagegenConfig(AppConfig):
    name = "wagtail_imagegen"
    label = "wagtail_imagegen"
    verbose_name = _("AI images")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
