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

        from . import checks, variants  # noqa: F401  (register the system checks and the variant cache signals)
        from .reconciling import start_beacon
        from .tasks import ensure_schedule

        post_migrate.connect(ensure_schedule, sender=self)
        post_spawn.connect(start_beacon, dispatch_uid="wagtail_imagegen.reconciling")
