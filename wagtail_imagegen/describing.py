"""The worker side of alt text (tasks.py runs it): the describe call, and writing the answer to the image.

The description is written only where the field is empty or still holds the text a model wrote (its
MachineDescription mark); an editor's text is kept, and the job says so. Saving the image's edit form
removes the mark: from then on the text is the editor's. Wagtail has no hook after an image is edited, but it
logs every such save as a "wagtail.edit" entry of its audit log (7.4 and 8.x alike), which this module watches.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import ModelLogEntry

from . import alt_text
from .inputs import source_input
from .models import GenerationJob, GenerationOutput, MachineDescription
from .providers.base import DescribeRequest, Description, ImageProvider, UnusableResponse, shortened


def request_of(job: GenerationJob) -> DescribeRequest:
    """The job's image (the bounded rendition edits send, so an upload for either is reused) and language."""
    image = described(job)
    return alt_text.request_for(source_input(image, 0), (job.response or {}).get("language")
                                or alt_text.language_of(image))


def gone() -> ValidationError:
    return ValidationError(_("The image was deleted before it could be described."), code="image_deleted")


def prepare(job: GenerationJob) -> Callable[[ImageProvider], Description]:
    """The call to make, with everything read first (the image's file, wagtail-ai's backend), so that what
    fails before anything is sent fails the job at once, unbilled and never marked as a second charge."""
    if uses_wagtail_ai():
        backend = wagtail_ai_backend()
        return lambda provider: describe_with_wagtail_ai(job, backend)
    request = request_of(job)
    return lambda provider: provider.describe(request)


def described(job: GenerationJob) -> Any:
    if job.described_image is None:
        raise gone()
    return job.described_image


# ---------------------------------------------------------------------------------------------------
# wagtail-ai (https://github.com/wagtail/wagtail-ai): its IMAGE_DESCRIPTION backend, when configured
# ---------------------------------------------------------------------------------------------------


def uses_wagtail_ai() -> bool:
    describer = alt_text.alt_text_settings()["DESCRIBER"]
    if describer == "imagegen":
        return False
    configured = bool((getattr(settings, "WAGTAIL_AI", None) or {}).get("IMAGE_DESCRIPTION_BACKEND"))
    available = importlib.util.find_spec("wagtail_ai") is not None
    return describer == "wagtail-ai" or (available and configured)


def wagtail_ai_backend() -> Any:
    """wagtail-ai's image description backend (its 2.x API); a ValidationError, which fails the job at once,
    when that API is not there."""
    try:
        from wagtail_ai import ai
        from wagtail_ai.ai.base import BackendFeature

        return ai.get_backend(BackendFeature.IMAGE_DESCRIPTION)
    except (ImportError, AttributeError) as exc:
        raise ValidationError(_("wagtail-ai's image describer could not be loaded (%(error)s). Set "
                                'WAGTAIL_IMAGEGEN["ALT_TEXT"]["DESCRIBER"] to "imagegen".') % {"error": exc},
                              code="describer_unavailable") from exc


def describe_with_wagtail_ai(job: GenerationJob, backend: Any) -> Description:
    """wagtail-ai's `describe_image(image_file=, prompt=)` on the rendition its own view sends; it reports
    no usage, so the cost is unknown (recorded as the estimate)."""
    image = described(job)
    options = getattr(settings, "WAGTAIL_AI", None) or {}
    rendition = image.get_rendition(options.get("IMAGE_DESCRIPTION_RENDITION_FILTER", "max-800x600"))
    text = backend.describe_image(image_file=rendition.file, prompt=job.sent_prompt).text()
    text = shortened(text or "", int(alt_text.alt_text_settings()["MAX_LENGTH"]))
    if not text:
        raise UnusableResponse(status=200, detail="wagtail-ai's describer answered with no text")
    return Description(text=text, model="wagtail-ai",
                       metadata={"describer": "wagtail-ai", "cost": "estimated: wagtail-ai reports no usage"})


# ---------------------------------------------------------------------------------------------------
# Writing the answer
# ---------------------------------------------------------------------------------------------------


def echoes_prompt(image: Any, text: str) -> bool:
    """The text is the image's own generation prompt (a model that read it from the picture, or parroted)."""
    said = text.strip().casefold()
    prompts = GenerationOutput.objects.filter(image=image).values_list("job__prompt", "job__sent_prompt",
                                                                      "revised_prompt")
    return any(said == (prompt or "").strip().casefold() for row in prompts for prompt in row)


@transaction.atomic
def write(job: GenerationJob, description: Description) -> dict[str, Any]:
    """Write the description where it may go; what happened, for the job's `response`."""
    image = get_image_model()._default_manager.select_for_update().filter(pk=job.described_image_id).first()
    language = (job.response or {}).get("language") or (alt_text.language_of(image) if image else "")
    outcome = {"text": description.text, "language": language, "written": False, "kept_editor_text": False,
               **description.metadata}
    if image is None:  # deleted during the call, which was billed all the same
        return {**outcome, "image_deleted": True}
    if echoes_prompt(image, description.text):
        return {**outcome, "echoed_prompt": True}
    mark = MachineDescription.objects.filter(image=image).first()
    if image.description and not (mark and mark.text == image.description):
        return {**outcome, "kept_editor_text": True}
    image.description = description.text
    image.save(update_fields=["description"])
    MachineDescription.objects.update_or_create(image=image, defaults={
        "text": description.text, "language": language, "job": job, "written_at": timezone.now()})
    return {**outcome, "written": True}


@receiver(post_save, sender=ModelLogEntry, dispatch_uid="wagtail_imagegen.describing.editor_saved_image")
def editor_saved_image(sender: type, instance: ModelLogEntry, created: bool, **kwargs: Any) -> None:
    """An editor saved the image (its edit form, or any admin edit Wagtail logs): the description is theirs now."""
    if not created or instance.action != "wagtail.edit" or instance.user_id is None:
        return
    if instance.content_type_id == ContentType.objects.get_for_model(get_image_model()).pk:
        MachineDescription.objects.filter(image_id=instance.object_id).delete()
