"""The chooser widget, its panel and blocks, the REPLACE_IMAGE_CHOOSER setting, and the editor's forms."""

from __future__ import annotations

import pytest
from django.forms import modelform_factory
from django.urls import reverse
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.telepath import JSContext
from wagtail.images.blocks import ImageBlock
from wagtail.images.widgets import AdminImageChooser

from wagtail_imagegen.blocks import ImageGenChooserBlock, ImageGenImageBlock
from wagtail_imagegen.forms import ImageGenForm, OrderedImagesField, add_service_errors
from wagtail_imagegen.models import GenerationJob
from wagtail_imagegen.panels import ImageGenChooserPanel
from wagtail_imagegen.widgets import ImageGenChooser

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------------


def test_the_widget_is_the_image_chooser_plus_hidden_ai_buttons():
    html = ImageGenChooser().render("hero", None, attrs={"id": "id_hero"})
    assert 'id="id_hero-chooser"' in html and "new ImageChooser" in html  # Wagtail's own chooser, intact
    assert 'data-controller="imagegen-field"' in html and 'data-imagegen-field-input-id-value="id_hero"' in html
    actions = html[html.index("imagegen-field__actions"):]
    assert actions.split(">", 1)[0].endswith("hidden")  # shown by script, for users who may generate
    assert "Generate" in actions and "Edit with AI" in actions
    assert 'data-action="imagegen-field#edit" disabled' in actions  # nothing chosen yet


def test_edit_with_ai_is_enabled_once_an_image_is_chosen(make_image):
    image = make_image("Hero")
    html = ImageGenChooser().render("hero", image.pk, attrs={"id": "id_hero"})
    assert 'data-action="imagegen-field#edit">' in html
    assert f'value="{image.pk}"' in html and "Hero" in html


def test_the_widget_media_loads_the_config_the_module_and_the_styles():
    media = str(ImageGenChooser().media)
    assert "wagtailimages/js/image-chooser.js" in media
    assert '<script src="/admin/imagegen/config.js">' in media
    assert 'type="module"' in media and "wagtail_imagegen/js/imagegen.js" in media
    assert "wagtail_imagegen/css/imagegen.css" in media
    assert media.index("config.js") < media.index("imagegen.js")


def test_streamfield_blocks_get_the_buttons_through_telepath():
    block = ImageGenChooserBlock()
    context = JSContext()
    packed = context.pack(block)
    assert "imagegen-field" in str(packed) and "__ID__" in str(packed)
    assert "wagtail_imagegen/js/imagegen.js" in str(context.media)


# ---------------------------------------------------------------------------------------------------
# Panel and blocks
# ---------------------------------------------------------------------------------------------------


def test_the_panel_is_a_field_panel_with_the_widget():
    panel = ImageGenChooserPanel("variant_source").bind_to_model(GenerationJob)
    assert panel.get_form_options()["widgets"] == {"variant_source": ImageGenChooser}
    assert ImageGenChooserPanel("variant_source", widget=AdminImageChooser).widget is AdminImageChooser
    clone = panel.clone()
    assert isinstance(clone, ImageGenChooserPanel) and clone.widget is ImageGenChooser


def test_the_chooser_block_stores_and_migrates_like_wagtails(make_image):
    block = ImageGenChooserBlock(required=False, label="Image")
    assert isinstance(block.widget, ImageGenChooser)
    assert block.deconstruct() == ("wagtail.images.blocks.ImageChooserBlock", (), {"required": False,
                                                                                 "label": "Image"})
    image = make_image("Hero")
    assert block.to_python(block.get_prep_value(image)) == image


def test_the_image_block_keeps_alt_text_and_uses_the_widget(make_image):
    block = ImageGenImageBlock(label="Figure")
    assert isinstance(block.child_blocks["image"], ImageGenChooserBlock)
    assert list(block.child_blocks) == ["image", "decorative", "alt_text"]
    assert block.deconstruct() == ImageBlock(label="Figure").deconstruct()
    image = make_image("Hero")
    value = block.to_python({"image": image.pk, "alt_text": "A red bicycle", "decorative": False})
    assert value.pk == image.pk and value.contextual_alt_text == "A red bicycle"


# ---------------------------------------------------------------------------------------------------
# REPLACE_IMAGE_CHOOSER
# ---------------------------------------------------------------------------------------------------


def image_field_widget() -> object:
    reverse("wagtailadmin_home")  # the admin's URLs are built, with their hooks
    form_class = modelform_factory(GenerationJob, form=WagtailAdminModelForm, fields=["variant_source"])
    return form_class.base_fields["variant_source"].widget


def test_image_fields_keep_wagtails_chooser_by_default():
    widget = image_field_widget()
    assert type(widget) is AdminImageChooser


def test_the_setting_gives_every_image_field_the_ai_chooser(settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "REPLACE_IMAGE_CHOOSER": True}
    assert type(image_field_widget()) is ImageGenChooser


# ---------------------------------------------------------------------------------------------------
# The forms
# ---------------------------------------------------------------------------------------------------


def test_images_are_taken_in_the_order_given(make_image):
    first, second = make_image("First"), make_image("Second")
    assert OrderedImagesField().clean([str(second.pk), str(first.pk), str(second.pk)]) == [second, first]
    with pytest.raises(Exception, match="no longer in the library"):
        OrderedImagesField().clean([str(first.pk), "999999"])


def choices(form: ImageGenForm, name: str) -> list[str]:
    return [value for value, _label in form.fields[name].choices]


def test_the_form_offers_what_the_model_accepts(settings):
    form = ImageGenForm()
    assert form.model.name == "gpt-image-2.6-flare"  # the default provider's draft model
    assert choices(form, "aspect")[:3] == ["auto", "1:1", "3:2"] and choices(form, "aspect")[-2:] == ["source",
                                                                                                        "custom"]
    assert choices(form, "resolution") == ["1K", "2K", "4K"] and not hasattr(form.fields["size"], "choices")
    assert choices(form, "quality") == ["low", "medium", "high", "xhigh", "max", "auto"]
    assert choices(form, "complexity") == ["high", "medium", "low"]
    assert "transparent" in choices(form, "background") and "input_fidelity" not in form.fields
    assert choices(form, "provider") == ["default", "demo"]

    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {
        "CLASS": "wagtail_imagegen.providers.demo.DemoImageProvider", "MODEL": "gpt-image-2"}}}
    form = ImageGenForm()
    assert choices(form, "quality") == ["low", "medium", "high", "auto"] and "complexity" not in form.fields
    assert "preview" in str(form.fields["background"].help_text) and "provider" not in form.fields

    # A model of fixed sizes (an in-house one, based on GPT Image 1) gets a size menu and the fidelity choice.
    settings.WAGTAIL_IMAGEGEN = {
        "MODELS": {"house-square": {"BASED_ON": "gpt-image-1", "SHUTDOWN": None}},
        "PROVIDERS": {"default": {"CLASS": "wagtail_imagegen.providers.demo.DemoImageProvider",
                                  "MODEL": "house-square"}}}
    form = ImageGenForm()
    assert choices(form, "size") == ["auto", "1024x1024", "1536x1024", "1024x1536"]
    assert "aspect" not in form.fields and "input_fidelity" in form.fields


def test_service_errors_land_on_the_fields_they_name():
    from django.core.exceptions import ValidationError

    form = ImageGenForm(data={"prompt": "x"})
    form.is_valid()
    add_service_errors(form, ValidationError({"partial_images": "Too many previews.", "budget": "Spent.",
                                              "images": "You may not use it."}))
    assert form.errors["previews"] == ["Too many previews."]
    assert form.errors["images"] == ["You may not use it."]
    assert form.errors["__all__"] == ["Spent."]


def test_the_estimate_ignores_fields_that_do_not_validate():
    form = ImageGenForm(data={"prompt": "A lighthouse", "size": "bogus", "quality": "high", "n": "1",
                              "background": "auto", "output_format": "png"})
    assert form.estimate() > 0
