"""The options of one job, declared once: `JobSpec`. Forms, the CLI, bulk recipes, presets, validation and
the request sent all read their option names, labels and flags from here, and their values from the model.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from django.utils.translation import gettext_lazy as _


def option(default: Any, *, label: Any, cli: str, help: Any = "", form: bool = True) -> Any:  # noqa: A002
    """A JobSpec field with what the editor and the CLI show for it."""
    return field(default=default, metadata={"label": label, "cli": cli, "help": help, "form": form})


@dataclass(frozen=True)
class JobSpec:
    """What a job asks the model for. `model` None means the provider's draft model."""

    model: str | None = option(None, label=_("Model"), cli="model", help=_("A model the provider offers."))
    size: str = option("auto", label=_("Size"), cli="size", help=_("auto, or WIDTHxHEIGHT in pixels."))
    quality: str = option("auto", label=_("Quality"), cli="quality")
    background: str = option("auto", label=_("Background"), cli="background")
    output_format: str = option("png", label=_("Format"), cli="format")
    output_compression: int | None = option(None, label=_("Compression"), cli="compression",
                                            help=_("0–100, for JPEG and WebP."), form=False)
    n: int = option(1, label=_("Candidates"), cli="n", help=_("How many images to make."))
    input_fidelity: str | None = option(None, label=_("Input fidelity"), cli="fidelity",
                                        help=_("How closely an edit keeps faces and logos."))
    moderation: str = option("auto", label=_("Moderation"), cli="moderation", form=False)
    complexity: str | None = option(None, label=_("Complexity"), cli="complexity",
                                    help=_("How much the model plans before drawing."))
    # None: the provider's PARTIAL_IMAGES option. Previews are streamed while the model draws.
    partial_images: int | None = option(None, label=_("Previews"), cli="previews", form=False)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(spec_field.name for spec_field in fields(cls))

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> JobSpec:
        """A spec from a dict (a job's params, a recipe); None stands for the default. Unknown keys raise."""
        unknown = set(values) - set(cls.names())
        if unknown:
            raise ValueError(f"Unknown options: {', '.join(sorted(unknown))}")
        return cls(**{key: value for key, value in values.items() if value is not None})

    def updated(self, **values: Any) -> JobSpec:
        """A copy with `values` set (None leaves an option as it is)."""
        return replace(self, **{key: value for key, value in values.items() if value is not None})

    def params(self) -> dict[str, Any]:
        """What a job row stores: every option but the model, without the unset ones."""
        return {key: value for key, value in asdict(self).items() if value is not None and key != "model"}


def option_fields() -> list[Any]:
    """The dataclass fields of JobSpec with their metadata (label, cli, help, form)."""
    return list(fields(JobSpec))


def default_of(name: str) -> Any:
    spec_field = next(spec_field for spec_field in fields(JobSpec) if spec_field.name == name)
    return None if spec_field.default is MISSING else spec_field.default
