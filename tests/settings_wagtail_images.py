"""Wagtail's own test settings with wagtail_imagegen installed as the README says, and no API key: CI runs
Wagtail's wagtail.images suite with them (scripts/check-wagtail-images) and compares it with a run without."""

import os
from pathlib import Path

from wagtail.test.settings import *  # noqa: F403
from wagtail.test.settings import INSTALLED_APPS

VAR = Path(__file__).resolve().parent.parent / "var" / "wagtail-images"
# Wagtail's settings write media and static files into the installed package; keep them out of it.
MEDIA_ROOT = str(VAR / "media")
STATIC_ROOT = str(VAR / "static")

if os.environ.get("IMAGEGEN_INSTALLED", "1") == "1":
    INSTALLED_APPS = ["wagtail_imagegen", *INSTALLED_APPS, "django_q"]
    WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": "wagtail_imagegen.providers.openai.OpenAIImageProvider"}}}
    Q_CLUSTER = {"name": "wagtail-images-suite", "orm": "default", "sync": True}
