"""The forms of the editor: generate or edit (the modal and the AI images page), and refine (the tray).

The forms only shape what an editor typed; every rule about prompts, options, images, masks and
permissions lives in jobs.py, whose field-keyed errors are put back on these forms' fields.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model

from . import catalog, conf, governance, jobs, lifecycle, presets
from .catalog import ASPECT_RATIOS, RESOLUTIONS, FixedSizes, JobSpec, ModelSpec, TieredSizes
from .models import GenerationJob, GenerationOutput

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
    "xhigh": _("Extra high"),
    "max": _("Maximum: finest detail"),
    "auto": _("Automatic"),
}
BACKGROUND_LABELS = {"auto": _("Automatic"), "opaque": _("Opaque"), "transparent": _("Transparent")}
FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
FIDELITY_CHOICES = [("", _("Default")), ("low", _("Low")), ("high", _("High: keep faces and logos intact"))]
CONTROL_LABELS = {
    "complexity": {"high": _("High: plans the most (the model's default)"), "medium": _("Medium"),
                   "low": _("Low: simple images")},
}
# The aspect picker of models that make any size: automatic, a ratio, the source image's, or exact pixels.
ASPECT_AUTO, ASPECT_SOURCE, ASPECT_CUSTOM = "auto", "source", "custom"
RESOLUTION_LABELS = {"512": _("512 (a quarter megapixel)"), "1K": _("1K (about 1 megapixel)"),
                     "2K": _("2K (about 4 megapixels)"), "4K": _("4K (about 8 megapixels)")}
# jobs.py error keys that belong to a differently named field here.
FIELD_FOR_ERROR = {"partial_images": "previews", "output_compression": "output_format", "options": None}


def spec_label(name: str) -> Any:
    """The label JobSpec declares for an option."""
    return next(spec_field.metadata["label"] for spec_field in catalog.option_fields() if spec_field.name == name)


def aspect_choices(ratios: tuple[str, ...], *, exact: bool) -> list[tuple[str, Any]]:
    """Automatic, the ratios, the source image's, and (on models that take any size) exact pixels."""
    custom = [(ASPECT_CUSTOM, _("Exact width × height"))] if exact else []
    return [(ASPECT_AUTO, _("Automatic")), *((ratio, ratio) for ratio in ratios),
            (ASPECT_SOURCE, _("Same as the source image")), *custom]


def aspect_value(choice: str, images: list[Any]) -> float | None:
    """The width/height ratio an aspect choice means (None: no ratio, the size is auto or exact)."""
    if choice == ASPECT_SOURCE:
        return images[0].width / images[0].height if images else None
    width, _sep, height = choice.partition(":")
    return int(width) / int(height) if width.isdigit() and height.isdigit() else None


def model_label(model: ModelSpec) -> str:
    return f"{model.label} — {model.description}" if model.description else str(model.label)


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
    """A prompt and the API options; with library images it becomes an edit (the first takes the mask).

    The options offered are the chosen model's, from the catalog (jobs.py still validates everything).
    """

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
    provider = forms.ChoiceField(label=_("Image service"), required=False)
    compare = forms.ChoiceField(
        label=_("Also try with"), required=False,
        help_text=_("Send the same prompt to a second image service, side by side, and keep the better picture."),
    )
    previews = forms.BooleanField(
        label=_("Show previews while drawing"), required=False, initial=True,
        help_text=_("Costs a little more."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        aliases = conf.provider_aliases()
        requested = self.value_of("provider")
        self.provider_alias = requested if requested in aliases else conf.default_alias()
        self.target = jobs.provider_target(self.provider_alias)
        offered = {model.name: model for model in self.target.offered}
        self.model = offered.get(self.value_of("model") or "") or usable_model(self.target)
        self.add_option_fields(list(offered.values()) or [self.model])
        if not self.model.max_partial_images:  # Gemini, the Responses mode: nothing to preview
            self.fields.pop("previews", None)
        self.compare_job: GenerationJob | None = None
        if len(aliases) > 1:
            self.fields["provider"].choices = [(alias, provider_label(alias)) for alias in aliases]
            self.fields["provider"].initial = conf.default_alias()
            self.fields["compare"].choices = [("", _("No second image service"))] + [
                (alias, provider_label(alias)) for alias in aliases if alias != self.provider_alias]
        else:
            del self.fields["provider"], self.fields["compare"]

    def value_of(self, name: str) -> Any:
        """What the editor chose for `name`: the submitted value, else the initial one."""
        return self.data.get(name) if self.is_bound else self.initial.get(name)

    def add_option_fields(self, offered: list[ModelSpec]) -> None:
        """The model's options as fields, labelled as JobSpec declares them; only what the model accepts."""
        model, fields = self.model, self.fields
        fields["prompt"].max_length = model.max_prompt_chars
        fields["prompt"].widget.attrs["maxlength"] = model.max_prompt_chars
        if len(offered) > 1:
            # Optional: a request without one (an API client, an old form) gets the provider's model.
            fields["model"] = forms.ChoiceField(label=spec_label("model"), initial=model.name, required=False,
                                                choices=[(spec.name, model_label(spec)) for spec in offered])
        self.add_size_fields(model)
        # A choice the model does not offer is no field at all (self.limits says why); one left out of a
        # request (an API client's) is JobSpec's default.
        if len(model.qualities) > 1:
            fields["quality"] = forms.ChoiceField(label=spec_label("quality"), required=False, initial="low",
                                                  choices=choices(model.qualities, QUALITY_LABELS))
        if model.transparency != "no":
            fields["background"] = forms.ChoiceField(label=spec_label("background"), required=False, initial="auto",
                                                     choices=choices(model.backgrounds, BACKGROUND_LABELS))
        if model.transparency == "preview":
            fields["background"].help_text = _("Transparent backgrounds are a preview feature of this model.")
        if len(model.formats) > 1:
            fields["output_format"] = forms.ChoiceField(label=spec_label("output_format"), required=False,
                                                        initial="png",
                                                        choices=choices(model.formats, FORMAT_LABELS))
        fields["n"] = forms.IntegerField(label=spec_label("n"), min_value=1, max_value=model.max_n, initial=2)
        fields["n"].widget.attrs.update({"min": 1, "max": model.max_n})
        if not model.accepts_n:
            fields["n"].help_text = _("This model makes one image a call: each candidate is a call of its own.")
        if model.input_fidelity == "parameter":
            fields["input_fidelity"] = forms.ChoiceField(label=spec_label("input_fidelity"),
                                                         choices=FIDELITY_CHOICES, required=False)
        for control, values in model.controls.items():
            fields[control] = forms.ChoiceField(label=spec_label(control), required=False, initial=values[0],
                                                help_text=catalog_help(control),
                                                choices=choices(values, CONTROL_LABELS.get(control, {})))

    def add_size_fields(self, model: ModelSpec) -> None:
        sizes = model.sizes
        if isinstance(sizes, FixedSizes):
            self.fields["size"] = forms.ChoiceField(label=spec_label("size"), initial="auto",
                                                    choices=choices(sizes.offered, SIZE_LABELS))
            return
        # Tiered models (Gemini) make their own ratios at their own tiers; the others any ratio, or exact pixels.
        tiered = isinstance(sizes, TieredSizes)
        ratios = sizes.ratios if tiered else tuple(f"{w}:{h}" for w, h in ASPECT_RATIOS)
        tiers = sizes.tiers if tiered else tuple(RESOLUTIONS)
        # Both optional: a bare `size` (WIDTHxHEIGHT or auto) is taken as exact, as the API takes it.
        self.fields["aspect"] = forms.ChoiceField(label=_("Aspect ratio"), initial=ASPECT_AUTO, required=False,
                                                  choices=aspect_choices(ratios, exact=sizes.flexible))
        self.fields["resolution"] = forms.ChoiceField(
            label=_("Resolution"), required=False, initial=sizes.default_tier if tiered else "1K",
            choices=[(key, RESOLUTION_LABELS.get(key, key)) for key in tiers])
        if len(tiers) == 1:
            self.fields["resolution"].widget = forms.HiddenInput()
        if tiered:  # exact pixels are not a choice; an API client's size is mapped (or refused) all the same
            self.fields["size"] = forms.CharField(required=False, widget=forms.HiddenInput())
            return
        self.fields["size"] = forms.CharField(
            label=_("Width × height"), required=False, initial="",
            help_text=_("Exact pixels as WIDTHxHEIGHT, for example 2560x1440 (for “Exact width × height”)."),
        )

    @property
    def limits(self) -> list[str]:
        """What the chosen model cannot do, said where its fields would be."""
        model, said = self.model, []
        if model.transparency == "no":
            said.append(_("%(model)s cannot make transparent backgrounds.") % {"model": model.label})
        if not model.mask:
            said.append(_("%(model)s edits without a mask: describe the part to change.") % {"model": model.label})
        if len(model.qualities) == 1:
            said.append(_("%(model)s has no quality setting: the resolution decides the cost.") % {
                "model": model.label})
        return said

    @property
    def notices(self) -> list[str]:
        """A provider without its key, and the configured models that are retired or retiring (lifecycle.py),
        said to those who may generate."""
        missing_key = jobs.not_set_up_message(self.provider_alias)
        return [*([missing_key] if missing_key else []), *(notice.message() for notice in lifecycle.notices())]

    @property
    def initial_size(self) -> str:
        """The size the initial aspect and resolution make (the estimate keeps it current)."""
        values = {name: self.get_initial_for_field(field, name) for name, field in self.fields.items()}
        return self.resolved_size({**values, "images": []})

    @property
    def max_images(self) -> int:
        return self.model.max_input_images

    @property
    def edit_presets(self) -> list[presets.Preset]:
        return presets.edit_presets()

    def resolved_size(self, data: dict[str, Any]) -> str:
        """The size to ask for: the fixed choice, the aspect × resolution, or the exact pixels typed."""
        sizes = self.model.sizes
        if isinstance(sizes, FixedSizes):
            return data.get("size") or "auto"
        aspect = data.get("aspect") or (ASPECT_CUSTOM if data.get("size") else ASPECT_AUTO)
        if aspect == ASPECT_CUSTOM:
            return (data.get("size") or "").strip().lower().replace("×", "x").replace(" ", "") or "auto"
        ratio = aspect_value(aspect, data.get("images") or [])
        if ratio is None:
            return "auto"
        default_tier = sizes.default_tier if isinstance(sizes, TieredSizes) else "1K"
        return sizes.size_for(ratio, data.get("resolution") or default_tier)

    def spec(self, data: dict[str, Any] | None = None) -> JobSpec:
        """The job options of the valid fields, or of `data` (defaults stand in for invalid ones)."""
        data = self.cleaned_data if data is None else data
        values = {key: data.get(key) or None for key in ("quality", "background", "output_format", "n",
                                                          *self.model.controls)}
        if data.get("images") and data.get("input_fidelity"):
            values["input_fidelity"] = data["input_fidelity"]
        # A model (or mode) that streams no previews gets none, whatever the box said.
        values["partial_images"] = min(PREVIEW_COUNT, self.model.max_partial_images) if data.get("previews") else 0
        return JobSpec(model=self.model.name).updated(size=self.resolved_size(data), **values)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"provider": self.provider_alias, "invariants": data.get("invariants") or ""}

    def submit(self, user: Any) -> GenerationJob | None:
        """Queue the job (and the second service's, in `compare_job`); None, with the errors on the form, when
        jobs.py refuses either: then neither is queued."""
        compare = self.compare_target()
        try:
            # Jobs are enqueued on commit: a refused second job unqueues the first. The pair is one submission.
            with transaction.atomic(), governance.one_submission(user):
                job = self.submit_to(user, self.spec(), self.provider_alias)
                if compare is not None:
                    try:
                        self.compare_job = self.submit_to(user, self.compare_spec(compare), compare.alias)
                    except ValidationError as error:
                        raise CompareRefused(compare.alias, error) from error
                return job
        except CompareRefused as refused:
            self.add_error("compare", refused.messages)
        except ValidationError as error:
            add_service_errors(self, error)
        self.compare_job = None
        return None

    def submit_to(self, user: Any, spec: JobSpec, provider: str) -> GenerationJob:
        data = self.cleaned_data
        invariants = data.get("invariants") or ""
        if data["images"]:
            return jobs.submit_edit(data["images"], data["prompt"], spec, mask=data.get("mask"), user=user,
                                    label=data.get("label") or "", provider=provider, invariants=invariants)
        return jobs.submit_generation(data["prompt"], spec, user=user, provider=provider, invariants=invariants)

    def compare_target(self) -> jobs.Target | None:
        """The second image service chosen, with the model it drafts on."""
        alias = getattr(self, "cleaned_data", {}).get("compare") if "compare" in self.fields else None
        if not alias or alias == self.provider_alias:
            return None
        target = jobs.provider_target(alias)
        model = usable_model(target)
        return jobs.Target(target.alias, target.config, model, model.name, target.default_partials)

    def compare_spec(self, compare: jobs.Target) -> JobSpec:
        """This form's options as the second service's model takes them (its nearest size, its qualities)."""
        return catalog.fitted(self.spec(), compare.model, compare.model_name)

    def compare_estimate(self) -> Decimal:
        """What the second service's job should cost (nothing without one)."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        compare = self.compare_target()
        if compare is None:
            return Decimal(0)
        data = self.cleaned_data
        return jobs.estimate_cost(data.get("prompt") or "", self.compare_spec(compare), images=data.get("images") or (),
                                  model=compare.model, provider=compare.alias, invariants=data.get("invariants") or "")

    def estimate(self, **changes: Any) -> Decimal:
        """The cost estimate of what the form says now, valid or not (with `changes` to the options)."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        data = self.cleaned_data
        return jobs.estimate_cost(data.get("prompt") or "", self.spec().updated(**changes),
                                  images=data.get("images") or (), model=self.model, **self.service_arguments())

    def problems(self) -> dict[str, str]:
        """What the model would refuse in the options as they stand (the live validation beside the fields)."""
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        kind = GenerationJob.Kind.EDIT if self.cleaned_data.get("images") else GenerationJob.Kind.GENERATE
        problems = jobs.validate_options(self.spec(), self.model, kind=kind)
        return {FIELD_FOR_ERROR.get(key, key) or "__all__": message for key, message in problems.items()}


def catalog_help(control: str) -> Any:
    return next(spec_field.metadata["help"] for spec_field in catalog.option_fields() if spec_field.name == control)


class CompareRefused(Exception):
    """The second image service refused its job: its messages, named by the service."""

    def __init__(self, alias: str, error: ValidationError) -> None:
        self.messages = [f"{alias}: {message}" for message in error.messages]
        super().__init__("; ".join(self.messages))


def usable_model(target: jobs.Target) -> ModelSpec:
    """The provider's draft model, or, retired, its successor (the admin notice says so), else the first offered."""
    offered = {model.name: model for model in target.offered}
    chosen = offered.get(target.model_name) or offered.get(target.model.successor or "")
    return chosen or next(iter(offered.values()), target.model)


def provider_label(alias: str) -> str:
    config = conf.provider_config(alias)
    return f"{alias} ({config.model})"


class RefineForm(forms.Form):
    """A follow-up instruction on one candidate; the invariants come pre-filled from its job."""

    prompt = forms.CharField(label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 3}))
    invariants = forms.CharField(label=_("Keep unchanged"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def submit(self, output: GenerationOutput, user: Any) -> GenerationJob | None:
        try:
            return jobs.refine(output, self.cleaned_data["prompt"], user=user,
                               invariants=self.cleaned_data["invariants"])
        except ValidationError as error:
            add_service_errors(self, error)
            return None
