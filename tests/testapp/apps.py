import os
import time
from pathlib import Path

from django.apps import AppConfig


class TestAppConfig(AppConfig):
    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Worker-process tests only: make saving each Wagtail image slow, and say when it starts, so a
        # test can kill the worker after the API answered but before the images exist.
        marker = os.environ.get("IMAGEGEN_TEST_SAVE_MARKER")
        if marker:
            from django.db.models.signals import pre_save
            from wagtail.images import get_image_model

            def slow_save(**kwargs: object) -> None:
                if not Path(marker).exists():  # only the first worker to get here is slow
                    Path(marker).touch()
                    time.sleep(float(os.environ.get("IMAGEGEN_TEST_SAVE_DELAY", "30")))

            pre_save.connect(slow_save, sender=get_image_model(), weak=False)
