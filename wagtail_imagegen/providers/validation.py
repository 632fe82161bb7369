"""Refusing, before any call, what a model cannot do, in an editor's words (the API would refuse it too)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .base import ImageRequest, InvalidRequest, ModelCapabilities, Unsupported


def request_problem(request: ImageRequest, capabilities: ModelCapabilities) -> InvalidRequest | None:
    """What the API would refuse anyway, said in an editor's words."""
    if request.output_format not in capabilities.formats:
        message = _("This image service cannot produce %(format)s images.")
        return Unsupported(message % {"format": request.output_format}, param="output_format")
    if request.background == "transparent" and (request.output_format == "jpeg" or not capabilities.transparency):
        message = _("A transparent background needs PNG or WebP output from a model that supports transparency.")
        return Unsupported(message, param="background")
    size_error = capabilities.size_error(request.size)
    if size_error:
        return InvalidRequest(size_error, param="size")
    most = capabilities.max_input_images
    if request.kind == "edit" and not 1 <= len(request.images) <= most:
        return InvalidRequest(_("An edit needs between 1 and %(most)d source images.") % {"most": most}, param="image")
    return None
