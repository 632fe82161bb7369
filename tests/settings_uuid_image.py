"""The test settings with a custom image model keyed by UUID (WAGTAILIMAGES_IMAGE_MODEL)."""

from .settings import *  # noqa: F403

WAGTAILIMAGES_IMAGE_MODEL = "testapp.UUIDImage"
