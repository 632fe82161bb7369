"""From provider bytes to native Wagtail Images.

Two steps, each safe to repeat after a crash: `store_result()` writes the provider's bytes and a
manifest to storage before anything else, so a retried job never pays for the same images twice;
`save_as_image()` turns one stored output into a Wagtail Image through Wagtail's own image form
(validation, file size, file hash), byte-identical to what the provider returned.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.forms import get_image_form
from wagtail.models import Collection

from . import conf
from .models import GenerationJob, GenerationOutput
from .providers.base import ImageResult, Usage

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def raw_path(job: GenerationJob, name: str) -> str:
    return f"imagegen/raw/{job.pk}/{name}"


def write_file(name: str, data: bytes) -> str:
    """Write `data` at exactly `name` (replacing a leftover from a crashed attempt)."""
    if default_storage.exists(name):
        default_storage.delete(name)
    return default_storage.save(name, ContentFile(data))


def store_result(job: GenerationJob, result: ImageResult) -> dict[str, Any]:
    """Write every image, then the manifest that says they are complete; return the manifest."""
    images = []
    for index, image in enumerate(result.images):
        name = raw_path(job, f"{index}.{EXTENSIONS.get(image.mime_type, 'bin')}")
        images.append({
            "name": write_file(name, image.data),
            "mime_type": image.mime_type,
            "sha256": hashlib.sha256(image.data).hexdigest(),
            "revised_prompt": image.revised_prompt or "",
        })
    manifest = {
        "images": images,
        "usage": result.usage.as_dict() if result.usage else None,
        "request_id": result.request_id or "",
        "response": {
            "size": result.size, "quality": result.quality, "background": result.background,
            "output_format": result.output_format, "created": result.created, **result.metadata,
        },
    }
    write_file(raw_path(job, "manifest.json"), json.dumps(manifest).encode())
    return manifest


def load_manifest(job: GenerationJob) -> dict[str, Any] | None:
    """The manifest an earlier attempt stored, if the API had already answered."""
    name = raw_path(job, "manifest.json")
    if not default_storage.exists(name):
        return None
    with default_storage.open(name) as handle:
        return json.loads(handle.read())


def manifest_usage(manifest: dict[str, Any]) -> Usage | None:
    return Usage.from_dict(manifest.get("usage"))


def create_outputs(job: GenerationJob, manifest: dict[str, Any]) -> list[GenerationOutput]:
    """GenerationOutput rows for a stored manifest (idempotent on (job, index))."""
    outputs = []
    for index, item in enumerate(manifest["images"]):
        output, _created = GenerationOutput.objects.get_or_create(
            job=job, index=index,
            defaults={
                "raw_file": item["name"], "mime_type": item["mime_type"], "sha256": item["sha256"],
                "revised_prompt": item["revised_prompt"], "digital_source_type": job.digital_source_type,
            },
        )
        outputs.append(output)
    return outputs


def output_title(job: GenerationJob, output: GenerationOutput) -> str:
    base = Truncator(" ".join(job.prompt.split())).chars(80)
    count = job.spec.n
    if count > 1:
        return _("%(prompt)s (%(index)d of %(count)d)") % {"prompt": base, "index": output.index + 1, "count": count}
    return base


def target_collection(job: GenerationJob) -> Collection:
    return job.collection or Collection.get_first_root_node()


def scaled_focal_point(source: Any, width: int, height: int) -> dict[str, int]:
    """The source's focal point, scaled to an output of width×height ({} when it has none)."""
    if source is None or source.focal_point_x is None or not source.width or not source.height:
        return {}
    sx, sy = width / source.width, height / source.height
    return {
        "focal_point_x": round(source.focal_point_x * sx),
        "focal_point_y": round(source.focal_point_y * sy),
        "focal_point_width": max(1, round(source.focal_point_width * sx)),
        "focal_point_height": max(1, round(source.focal_point_height * sy)),
    }


def build_image_form(job: GenerationJob, output: GenerationOutput, data: bytes) -> Any:
    """Wagtail's own image form, bound to the output's bytes, exactly as an upload would be."""
    Image = get_image_model()
    with PILImage.open(io.BytesIO(data)) as picture:
        width, height = picture.size
    first_source = job.sources.select_related("image").first()
    extension = EXTENSIONS.get(output.mime_type, "png")
    return get_image_form(Image)(
        data={
            "title": output_title(job, output),
            "collection": target_collection(job).pk,
            "tags": ", ".join(f'"{tag}"' for tag in conf.setting("TAGS")),
            **scaled_focal_point(first_source and first_source.image, width, height),
        },
        files={"file": SimpleUploadedFile(f"imagegen-{job.pk.hex[:12]}-{output.index}.{extension}", data,
                                          content_type=output.mime_type)},
        instance=Image(uploaded_by_user=job.requested_by),
        user=None,  # permissions were checked when the job was submitted; the worker acts for the requester
    )


def save_as_image(output: GenerationOutput) -> Any:
    """Create the Wagtail Image for a stored output, once; return it."""
    if output.image_id:
        return output.image
    with default_storage.open(output.raw_file.name) as handle:
        data = handle.read()
    form = build_image_form(output.job, output, data)
    if not form.is_valid():
        errors = "; ".join(str(message) for messages in form.errors.values() for message in messages)
        raise ValidationError(_("Wagtail did not accept the generated image: %(errors)s") % {"errors": errors})
    with transaction.atomic():
        image = form.save()
        GenerationOutput.objects.filter(pk=output.pk).update(image=image)
    output.image = image
    return image


def discard_raw(output: GenerationOutput) -> None:
    """Delete the provider bytes once the Wagtail Image holds them."""
    if output.raw_file and output.image_id:
        default_storage.delete(output.raw_file.name)
        GenerationOutput.objects.filter(pk=output.pk).update(raw_file="")
