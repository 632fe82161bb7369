"""The forms of the editor: generate or edit (the modal and the AI images page), and refine (the tray).

The forms only shape what an editor typed; every rule about prompts, options, images, masks and
permissions lives in jobs.py, whose field-keyed errors are put back on these forms' fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from . import conf, jobs, presets
from .models import GenerationJob, GenerationOutput
from .providers.base import ModelCapabilities

# Partial images streamed per job when live previews are on (each costs about 100 output tokens).
PREVIEW_COUNT = 2
SIZE_LABELS = {
    "auto": _("Automatic"),
    "1024x1024": _("Square (1024×1024)"),
    "1536x1024": _("Landscape (1536×1024)"),
    "1024x1536": _("Portrait (1024×1536)"),
}
QUALITY_LABELS = {
    "low": _("Low: quick draft"),
    "medium": _("Medium"),
    "high": _("High: final image"),
    "auto": _("Automatic"),
}
BACKGROUND_LABELS = {"auto": _("Automatic"), "opaque": _("Opaque"), "transparent": _("Transparent")}
FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
FIDELITY_CHOICES = [("", _("Default")), ("low", _("Low")), ("high", _("High: keep faces and logos intact"))]
# jobs.py error keys that belong to a differently named field here.
FIELD_FOR_ERROR = {"partial_images": "previews", "output_compression": "output_format", "options": None}


class OrderedImagesField(forms.Field):
    """Library images by id, in the order given: the first is the one edited (and masked)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[Any]:
        try:
            ids = [int(item) for item in value or () if str(item).strip()]
        except (TypeError, ValueError) as exc:
            raise ValidationError(_("Choose images from the library."), code="invalid") from exc
        found = get_image_model().objects.in_bulk(ids)
        if len(found) != len(set(ids)):
            raise ValidationError(_("An image you chose is no longer in the library."), code="missing")
        return [found[pk] for pk in dict.fromkeys(ids)]


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a jobs.py ValidationError on the matching fields; the rest become non-field errors."""
    errors = error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
    for key, messages in errors.items():
        field = FIELD_FOR_ERROR.get(key, key)
        form.add_error(field if field in form.fields else None, messages)


def choices(values: Any, labels: dict[str, Any]) -> list[tuple[str, Any]]:
    """The values a model accepts, in the labels' order, unknown ones last."""
    ordered = [value for value in labels if value in values]
    return [(value, labels.get(value, value)) for value in ordered + sorted(set(values) - set(labels))]


class ImageGenForm(forms.Form):
    """A prompt and the API options; with library images it becomes an edit (the first takes the mask)."""

    prompt = forms.CharField(
        label=_("Prompt"), widget=forms.Textarea(attrs={"rows": 4}), strip=True,
        help_text=_("Describe the image you want or, when editing, what should change: subject, setting, "
                    "style, light, any text to show."),
    )
    invariants = forms.CharField(
        label=_("Keep unchanged"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the logo, the product's shape and the lighting. Repeated in every refinement."),
    )
    images = OrderedImagesField(label=_("Images"), required=False)
    mask = forms.FileField(label=_("Mask"), required=False)
    label = forms.SlugField(
        label=_("Variant label"), required=False, max_length=64,
        help_text=_("Optional, for example “winter”: the kept image becomes that variant of the original."),
    )
    size = forms.ChoiceField(label=_("Size"))
    quality = forms.ChoiceField(label=_("Quality"), initial="low")
    background = forms.ChoiceField(label=_("Background"), initial="auto")
    output_format = forms.ChoiceField(label=_("Format"), initial="png")
    n = forms.IntegerField(label=_("Candidates"), min_value=1, initial=2)
    input_fidelity = forms.ChoiceField(label=_("Input fidelity"), choices=FIDELITY_CHOICES, required=False)
    previews = forms.BooleanField(
        label=_("Show previews while drawing"), required=False, initial=True,
        help_text=_("Costs a little more."),
    )
    provider = forms.ChoiceField(label=_("Image service"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aliases = conf.provider_aliases()
        requested = self.data.get("provider") if self.is_bound else None
        self.provider_alias = requested if requested in aliases else conf.default_alias()
        _alias, self.model, self.capabilities, _partials = jobs.provider_settings(self.provider_alias)
        self.fit_to(self.capabilities)
        if len(aliases) > 1:
            self.fields["provider"].choices = [(alias, provider_label(alias)) for alias in aliases]
            self.fields["provider"].initial = conf.default_alias()
        else:
            del self.fields["provider"]

    def fit_to(self, caps: ModelCapabilities) -> None:
        """Offer only what the model accepts (jobs.py still validates everything)."""
        fields = self.fields
        fields["prompt"].max_length = caps.max_prompt_chars
        fields["prompt"].widget.attrs["maxlength"] = caps.max_prompt_chars
        if caps.sizes is None:  # any WIDTHxHEIGHT (gpt-image-2)
            fields["size"] = forms.CharField(label=_("Size"), initial="auto", help_text=_("auto, or WIDTHxHEIGHT."))
        else:
            fields["size"].choices = choices(caps.sizes, SIZE_LABELS)
            fields["size"].initial = "auto"
        fields["quality"].choices = choices(caps.qualities, QUALITY_LABELS)
        backgrounds = [key for key in BACKGROUND_LABELS if caps.transparency or key != "transparent"]
        fields["background"].choices = choices(backgrounds, BACKGROUND_LABELS)
        fields["output_format"].choices = choices(caps.formats, FORMAT_LABELS)
        fields["n"].max_value = caps.max_n
        fields["n"].widget.attrs.update({"min": 1, "max": caps.max_n})
        if not caps.input_fidelity:
            del fields["input_fidelity"]

    @property
    def max_images(self) -> int:
        return self.capabilities.max_input_images

    @property
    def edit_presets(self) -> list[presets.Preset]:
        return presets.edit_presets()

    def options(self) -> dict[str, Any]:
        """The API options for jobs.py, from the valid fields (defaults stand in for invalid ones)."""
        data = self.cleaned_data
        options = {key: data.get(key) or None for key in ("size", "quality", "background", "output_format", "n")}
        if data.get("images") and data.get("input_fidelity"):
            options["input_fidelity"] = data["input_fidelity"]
        options["partial_images"] = PREVIEW_COUNT if data.get("previews") else 0
        return options

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"provider": self.provider_alias, "invariants": data.get("invariants") or "", **self.options()}

    def submit(self, user: Any) -> GenerationJob | None:
        """Queue the job; None (with the errors on the form) when jobs.py refuses it."""
        data = self.cleaned_data
        try:
            if data["images"]:
                return jobs.submit_edit(data["images"], data["prompt"], mask=data.get("mask"), user=user,
                                        label=data.get("label") or "", **self.service_arguments())
            return jobs.submit_generation(data["prompt"], user=user, **self.service_arguments())
        except ValidationError as error:
            add_service_errors(self, error)
            return None

    def estimate(self) -> Decimal:
        """The cost estimate of what the form says now, valid or not."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        data = self.cleaned_data
        return jobs.estimate_cost(data.get("prompt") or "", images=data.get("images") or (),
                                  model=self.model, **self.service_arguments())


def provider_label(alias: str) -> str:
    config = conf.provider_config(alias)
    return f"{alias} ({config.model})"


class RefineForm(forms.Form):
    """A follow-up instruction on one candidate; the invariants come pre-filled from its job."""

    prompt = forms.CharField(label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 3}))
    invariants = forms.CharField(label=_("Keep unchanged"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def submit(self, output: GenerationOutput, user: Any, **options: Any) -> GenerationJob | None:
        try:
            return jobs.refine(output, self.cleaned_data["prompt"], user=user,
                               invariants=self.cleaned_data["invariants"], **options)
        except ValidationError as error:
            add_service_errors(self, error)
            return None
