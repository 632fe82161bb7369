"""Edit presets: the defaults, a project's own through EDIT_PRESETS, and how the edit form offers them."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.urls import reverse

from wagtail_imagegen import presets
from wagtail_imagegen.forms import ImageGenForm

pytestmark = pytest.mark.django_db


def offered(html: str) -> dict[str, dict[str, str]]:
    """The preset buttons of a rendered form: key -> their data attributes, unescaped."""
    buttons = re.findall(r'data-preset-key="([^"]*)" data-prompt="([^"]*)"\s+data-invariants="([^"]*)" '
                         r'data-options="([^"]*)">([^<]*)</button>', html)
    return {unescape(key): {"prompt": unescape(prompt), "invariants": unescape(invariants),
                            "options": json.loads(unescape(options)), "label": unescape(label)}
            for key, prompt, invariants, options, label in buttons}


def test_the_defaults_set_only_options_the_edit_form_has():
    keys = [preset.key for preset in presets.DEFAULT_PRESETS]
    assert keys == ["remove-background", "replace-background", "studio-white", "retouch"]
    form = ImageGenForm()
    for preset in presets.DEFAULT_PRESETS:
        assert set(preset.options) <= presets.PRESET_OPTIONS
        for name, value in preset.options.items():
            if name in form.fields and hasattr(form.fields[name], "choices"):
                assert value in dict(form.fields[name].choices), (preset.key, name)
    remove = presets.DEFAULT_PRESETS[0]
    assert remove.options == {"background": "transparent", "output_format": "png", "input_fidelity": "high"}


def test_the_edit_window_offers_the_presets(editor_client, make_image, editorial):
    image = make_image("Product photo", collection=editorial)
    html = editor_client.get(reverse("wagtail_imagegen:modal"), {"mode": "edit", "image": image.pk}).json()["html"]
    found = offered(html)
    assert list(found) == [preset.key for preset in presets.DEFAULT_PRESETS]
    assert found["remove-background"]["label"] == "Remove background"
    assert found["remove-background"]["options"]["background"] == "transparent"
    assert found["replace-background"]["prompt"] == "Replace the background with "
    assert "data-imagegen-edit-only" in html.split('class="imagegen-presets"')[1].split(">")[0]


def test_a_project_replaces_the_presets_and_its_text_is_escaped(editor_client, make_image, editorial, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "EDIT_PRESETS": [
        {"key": "snow", "label": "Add <snow>", "prompt": 'Cover the "roofs" in snow & ice.',
         "invariants": "Keep the people.", "options": {"quality": "high"}},
    ]}
    image = make_image("Chalet", collection=editorial)
    html = editor_client.get(reverse("wagtail_imagegen:modal"), {"mode": "edit", "image": image.pk}).json()["html"]
    assert "<snow>" not in html
    assert offered(html) == {"snow": {"prompt": 'Cover the "roofs" in snow & ice.', "invariants": "Keep the people.",
                                      "options": {"quality": "high"}, "label": "Add <snow>"}}


def test_an_empty_list_offers_no_presets(editor_client, make_image, editorial, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "EDIT_PRESETS": []}
    image = make_image("Chalet", collection=editorial)
    html = editor_client.get(reverse("wagtail_imagegen:modal"), {"mode": "edit", "image": image.pk}).json()["html"]
    assert "imagegen-presets" not in html
