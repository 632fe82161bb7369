"""The test settings with a custom image model (WAGTAILIMAGES_IMAGE_MODEL)."""

from .settings import *  # noqa: F403

WAGTAILIMAGES_IMAGE_MODEL = "testapp.CustomImage"
