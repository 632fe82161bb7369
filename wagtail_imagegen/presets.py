"""Edit presets: one click fills the edit form with a tried instruction, what to keep, and the options it needs.

They only fill the form: the editor reads, changes and sends it as any other edit, so a preset costs what the
estimate shows and never runs by itself. WAGTAIL_IMAGEGEN["EDIT_PRESETS"] replaces the defaults:

    "EDIT_PRESETS": [
        {"key": "snow", "label": "Add snow", "prompt": "Cover the ground and roofs in fresh snow.",
         "invariants": "Keep the building and the people as they are.", "options": {"quality": "high"}},
    ]

`options` sets form fields (PRESET_OPTIONS); a value the current model does not offer is left alone.
An empty list shows no presets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import conf
from .catalog import option_fields

# The form fields a preset may set: the job options the editor's form shows (the model is not a preset's).
PRESET_OPTIONS = frozenset(spec_field.name for spec_field in option_fields()
                           if spec_field.metadata["form"] and spec_field.name != "model")

KEEP_THE_SUBJECT = _("Keep the subject exactly as it is: its shape, proportions, colours, text and logos.")


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    prompt: str
    invariants: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def options_json(self) -> str:
        """The options for the form's script (a data attribute; the template escapes it)."""
        return json.dumps({name: str(value) for name, value in self.options.items()})


DEFAULT_PRESETS = (
    Preset(
        "remove-background", _("Remove background"),
        _("Remove the background completely and leave only the main subject, on a transparent background."),
        KEEP_THE_SUBJECT, {"background": "transparent", "output_format": "png", "input_fidelity": "high"},
    ),
    Preset(
        "replace-background", _("Replace background"),
        # Ends open: the editor says what the new background is.
        _("Replace the background with "),
        KEEP_THE_SUBJECT, {"background": "opaque", "input_fidelity": "high"},
    ),
    Preset(
        "studio-white", _("White studio background"),
        _("Place the subject on a seamless pure white studio background, with soft even light and a natural "
          "shadow beneath it."),
        KEEP_THE_SUBJECT, {"background": "opaque", "input_fidelity": "high"},
    ),
    Preset(
        "retouch", _("Retouch"),
        _("Retouch the photo: balance the exposure and colours, and remove dust, spots and small blemishes."),
        _("Keep the composition, every face and every detail of the subject as they are."),
        {"input_fidelity": "high"},
    ),
)


def edit_presets() -> list[Preset]:
    """The presets the edit form offers: EDIT_PRESETS when set (see checks.py), else the defaults."""
    configured = conf.setting("EDIT_PRESETS")
    if configured is None:
        return list(DEFAULT_PRESETS)
    return [
        Preset(str(entry["key"]), str(entry["label"]), str(entry["prompt"]), str(entry.get("invariants", "")),
               dict(entry.get("options") or {}))
        for entry in configured
    ]
