"""The one place that says whether a model can do what a job asks, field by field, naming the limit."""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _

from .options import JobSpec
from .spec import ModelSpec, grouped

MODERATIONS = ("auto", "low")
FIDELITIES = ("low", "high")


def listing(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


def option_problems(spec: JobSpec, model: ModelSpec, *, kind: str) -> dict[str, str]:
    """Field-keyed problems of `spec` on `model` (empty when the API should accept it)."""
    problems: dict[str, str] = {}
    if not isinstance(spec.n, int) or isinstance(spec.n, bool) or not 1 <= spec.n <= model.max_n:
        problems["n"] = _("Ask for between 1 and %(max)d images.") % {"max": model.max_n}
    size_problem = model.sizes.problem(spec.size)
    if size_problem:
        problems["size"] = size_problem
    if spec.quality not in model.qualities:
        problems["quality"] = _("%(model)s offers the qualities %(choices)s.") % {
            "model": model.name, "choices": listing(model.qualities)}
    if spec.output_format not in model.formats:
        problems["output_format"] = _("%(model)s can make %(choices)s images.") % {
            "model": model.name, "choices": listing(model.formats)}
    problems.update(background_problems(spec, model))
    if spec.output_compression is not None:
        if spec.output_format == "png" or not model.compression:
            problems["output_compression"] = _("Compression applies to JPEG and WebP images only.")
        elif not 0 <= spec.output_compression <= 100:
            problems["output_compression"] = _("Compression is a percentage from 0 to 100.")
    if spec.moderation not in MODERATIONS:
        problems["moderation"] = _("Choose auto or low.")
    problems.update(fidelity_problems(spec, model, kind=kind))
    for control, value in (("complexity", spec.complexity),):
        choices = model.controls.get(control, ())
        if value is not None and value not in choices:
            problems[control] = (_("%(model)s has no %(control)s setting.") if not choices
                                 else _("Choose one of: %(choices)s.")) % {
                "model": model.name, "control": control, "choices": listing(choices)}
    if spec.partial_images is not None and not 0 <= spec.partial_images <= model.max_partial_images:
        problems["partial_images"] = _("Ask for between 0 and %(max)d previews.") % {"max": model.max_partial_images}
    return problems


def fitted(spec: JobSpec, model: ModelSpec, model_name: str | None = None) -> JobSpec:
    """The same request in what `model` takes: what it lacks falls back to the nearest it has (a re-make, or
    one prompt sent to a second service)."""
    spec = replace(spec, model=model_name or model.name, n=min(spec.n, model.max_n))
    if model.input_fidelity != "parameter":
        spec = replace(spec, input_fidelity=None)
    if spec.complexity is not None and "complexity" not in model.controls:
        spec = replace(spec, complexity=None)
    if model.sizes.problem(spec.size):
        spec = replace(spec, size="auto" if model.sizes.auto else model.sizes.offered[0])
    if spec.quality not in model.qualities:
        spec = replace(spec, quality="high" if "high" in model.qualities else model.qualities[-1])
    if spec.output_format not in model.formats:
        spec = replace(spec, output_format=model.formats[0], output_compression=None)
    if spec.output_compression is not None and not model.compression:
        spec = replace(spec, output_compression=None)
    if spec.background not in model.backgrounds:
        spec = replace(spec, background="auto")
    if spec.partial_images and spec.partial_images > model.max_partial_images:
        spec = replace(spec, partial_images=model.max_partial_images)
    return spec


def background_problems(spec: JobSpec, model: ModelSpec) -> dict[str, str]:
    if spec.background not in ("auto", "opaque", "transparent"):
        return {"background": _("Choose one of: auto, opaque, transparent.")}
    if spec.background != "transparent":
        return {}
    if model.transparency == "no":
        return {"background": _("%(model)s cannot make transparent backgrounds.") % {"model": model.name}}
    if spec.output_format == "jpeg":
        return {"background": _("A transparent background needs the PNG or WebP format.")}
    return {}


def fidelity_problems(spec: JobSpec, model: ModelSpec, *, kind: str) -> dict[str, str]:
    if spec.input_fidelity is None:
        return {}
    if kind != "edit":
        return {"input_fidelity": _("Input fidelity applies to edits of existing images only.")}
    if model.input_fidelity == "automatic" and spec.input_fidelity != "high":  # "high" is what it does anyway
        return {"input_fidelity": _("%(model)s always keeps input images at high fidelity; leave it unset.") % {
            "model": model.name}}
    if model.input_fidelity == "none":
        return {"input_fidelity": _("%(model)s does not support input fidelity.") % {"model": model.name}}
    if model.input_fidelity == "parameter" and spec.input_fidelity not in FIDELITIES:
        return {"input_fidelity": _("Choose high or low.")}
    return {}


def prompt_problem(prompt: str, model: ModelSpec) -> str | None:
    if not prompt.strip():
        return _("Describe the image you want.")
    if len(prompt) > model.max_prompt_chars:
        return _("The prompt is %(length)s characters long; %(model)s takes at most %(max)s.") % {
            "length": grouped(len(prompt)), "model": model.name, "max": grouped(model.max_prompt_chars)}
    return None


def inputs_problem(count: int, has_mask: bool, model: ModelSpec, *, kind: str) -> dict[str, str]:
    if kind == "edit" and not 1 <= count <= model.max_input_images:
        return {"images": _("%(model)s takes between 1 and %(max)d images.") % {
            "model": model.name, "max": model.max_input_images}}
    if has_mask and not model.mask:
        return {"mask": _("%(model)s cannot edit with a mask.") % {"model": model.name}}
    return {}
