"""Alt text written by a vision model: which provider describes, in which language, and queueing describe jobs.

A description is a GenerationJob of kind "describe" of its `described_image`: leases, retries, budgets, the
usage report and the permission policy (restricted with the image's collection) hold for it as for any edit.
The worker side (the call, and writing `image.description` only where it is empty or still machine-written)
is describing.py.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.models import Locale, TranslatableMixin

from . import conf, governance, permissions, pricing
from .models import GenerationJob, GenerationOutput, MachineDescription
from .providers.base import DescribeRequest, InputImage, describe_instruction

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Any] = {
    # Describe each kept output: None means yes whenever a provider can describe.
    "ON_KEEP": None,
    # The provider alias that describes (None: the default provider if it can, else the first that can).
    "PROVIDER": None,
    # The vision model (None: the provider's own, RESPONSES_MODEL for OpenAI).
    "MODEL": None,
    "MAX_LENGTH": 125,
    # "auto": wagtail-ai's describer where it is installed and configured, else ours; "imagegen"; "wagtail-ai".
    "DESCRIBER": "auto",
}
DESCRIBERS = ("auto", "imagegen", "wagtail-ai")
Kind = GenerationJob.Kind


def alt_text_settings() -> dict[str, Any]:
    return {**DEFAULTS, **(conf.imagegen_settings().get("ALT_TEXT") or {})}


def describing_alias(preferred: str | None = None) -> str | None:
    """The provider alias that writes alt text (PROVIDER, else `preferred` if it can, else the default provider
    if it can, else the first that can), or None when none can."""
    chosen = alt_text_settings()["PROVIDER"]
    if chosen:
        return chosen if describes(chosen) else None  # checks.py warns about it
    aliases = [*([preferred] if preferred else []), conf.default_alias(), *conf.provider_aliases()]
    return next((alias for alias in aliases if describes(alias)), None)


def describes(alias: str) -> bool:
    try:
        return conf.provider_class(conf.provider_config(alias).class_path).describes and conf.has_api_key(alias)
    except ImproperlyConfigured:
        return False


def describes_on_keep() -> bool:
    on_keep = alt_text_settings()["ON_KEEP"]
    return describing_alias() is not None if on_keep is None else bool(on_keep)


def language_of(image: Any) -> str:
    """The language alt text is written in: the image's locale where the image model is translatable, else
    the site's default locale where Wagtail's i18n is on, else LANGUAGE_CODE."""
    if isinstance(image, TranslatableMixin) and image.locale_id:
        return image.locale.language_code
    if getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        try:
            return Locale.get_default().language_code
        except Locale.DoesNotExist:
            pass
    return settings.LANGUAGE_CODE


def language_name(code: str) -> str:
    """The language's English name, which the model is told to write in ("German" for de-at too)."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return get_language_info(code.split("-")[0])["name"] if "-" in code else code


def request_for(image_input: InputImage, language: str) -> DescribeRequest:
    options = alt_text_settings()
    return DescribeRequest(image=image_input, language=language, language_name=language_name(language),
                           max_length=int(options["MAX_LENGTH"]), model=options["MODEL"] or "")


def model_name(alias: str) -> str:
    """What the job records as its model: the vision model that will describe."""
    configured = alt_text_settings()["MODEL"]
    if configured:
        return configured
    return conf.get_provider(alias).vision_model()


# ---------------------------------------------------------------------------------------------------
# Queueing
# ---------------------------------------------------------------------------------------------------


def describable(image: Any) -> bool:
    """A raster image (a vision model reads PNG, JPEG, WebP, GIF; not SVG)."""
    return bool(image.width and image.height) and not getattr(image, "is_svg", lambda: False)()


def has_editor_text(image: Any) -> bool:
    """The description is an editor's: not empty, and not the text a model wrote and nobody saved since."""
    mark = MachineDescription.objects.filter(image=image).first()
    return bool(image.description) and not (mark and mark.text == image.description)


def describe(image: Any, *, user: Any, provider: str | None = None) -> GenerationJob:
    """Queue a description of `image` (the one already queued, if there is one), by `provider` where it can
    describe. ValidationError when it cannot be described; PermissionDenied when the user may not."""
    return describe_many([image], user=user, provider=provider)[0]


def describe_many(images: Sequence[Any], *, user: Any, provider: str | None = None) -> list[GenerationJob]:
    """Queue descriptions of `images` as one submission (budgets and the submission rate count it once)."""
    for image in images:
        if user is not None and not permissions.can_describe(user, image):
            raise PermissionDenied(_("You may not describe the image “%(title)s”.") % {"title": image.title})
        if not describable(image):
            raise ValidationError({"image": _("“%(title)s” is not a raster image.") % {"title": image.title}})
        if has_editor_text(image):  # it would be paid for and not written
            raise ValidationError({"image": _("“%(title)s” has alt text an editor wrote; AI does not replace it. "
                                              "Empty the field and save the image first.") % {"title": image.title}})
    alias = describing_alias(provider)
    if alias is None:
        raise ValidationError({"provider": _("No image service set up here can describe images.")})
    from . import jobs  # jobs.keep() asks this module in turn

    jobs.check_ready(jobs.provider_target(alias))
    built = {image.pk: build_job(image, alias, user) for image in images}
    with governance.admission(user, sum((job.estimated_cost for job in built.values()), start=Decimal(0)), alias):
        # The images' rows locked: two requests at once (two tabs, a keep and the button) queue one description.
        list(get_image_model()._default_manager.select_for_update().filter(pk__in=built).values_list("pk"))
        queued = {job.described_image_id: job for job in active_descriptions(images)}
        for image in images:
            if image.pk not in queued:
                queued[image.pk] = jobs.create_job(built[image.pk], images=(), mask_data=None)
    return [queued[image.pk] for image in images]


def active_descriptions(images: Sequence[Any]) -> Any:
    return GenerationJob.objects.active().filter(kind=Kind.DESCRIBE, described_image__in=images)


def build_job(image: Any, alias: str, user: Any) -> GenerationJob:
    """An unsaved describe job: the instruction is its prompt, exactly what the model is asked."""
    language = language_of(image)
    model = model_name(alias)
    sent = describe_instruction(language_name(language), int(alt_text_settings()["MAX_LENGTH"]))
    return GenerationJob(
        kind=Kind.DESCRIBE, prompt=sent, sent_prompt=sent, params={}, provider=alias, model=model,
        described_image=image, collection=image.collection, requested_by=user,
        max_attempts=conf.setting("MAX_ATTEMPTS"), estimated_cost=pricing.estimate_description_cost(model, sent),
        response={"language": language},
    )


def describe_on_keep(output: GenerationOutput, *, user: Any) -> GenerationJob | None:
    """Describe a kept output where the settings say so and its description is still free; a refusal (a
    budget, the rate, no permission) skips it: keeping never fails for want of alt text."""
    image = output.image
    if image is None or not describes_on_keep() or has_editor_text(image):
        return None
    try:
        with governance.counted_already():  # keeping is not a new request: budgets apply, the rate does not
            return describe(image, user=user, provider=output.job.provider)  # the service that made it, if it can
    except (ValidationError, PermissionDenied) as error:
        logger.info("imagegen: no alt text for kept image %s: %s", image.pk, error)
        return None
