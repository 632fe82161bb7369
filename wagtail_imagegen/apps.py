from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WagtailImagegenConfig(AppConfig):
    name = "wagtail_imagegen"
    label = "wagtail_imagegen"
    verbose_name = _("AI images")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django_q.signals import post_spawn

        # Register the system checks, the variant cache signals, and the alt text's editor-saved signal.
        from . import checks, describing, variants  # noqa: F401
        from .reconciling import start_beacon
        from .tasks import ensure_schedule

        post_migrate.connect(ensure_schedule, sender=self)
        post_spawn.connect(start_beacon, dispatch_uid="wagtail_imagegen.reconciling")
