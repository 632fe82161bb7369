"""The example site's one page type: a hero image (with a seasonal variant) and a StreamField body."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.images import get_image_model_string
from wagtail.models import Page

from wagtail_imagegen.blocks import ImageGenChooserBlock, ImageGenImageBlock
from wagtail_imagegen.panels import ImageGenChooserPanel
from wagtail_imagegen.variants import prefetch_variants

# The product list template's {% image %} filter spec, prefetched below.
PRODUCT_RENDITION = "fill-400x300"


class ProductListBlock(blocks.StructBlock):
    """Product pictures, each shown as its variant for one label when it has one."""

    heading = blocks.CharBlock(label=_("Heading"))
    variant = blocks.CharBlock(
        required=False, label=_("Variant label"),
        help_text=_("For example “winter”. Pictures without this variant are shown as they are."),
    )
    products = blocks.ListBlock(ImageGenChooserBlock(), label=_("Product pictures"))

    class Meta:
        icon = "image"
        label = _("Product list")
        template = "home/blocks/product_list.html"

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        # A few queries for the whole list, however long it is: variants, then renditions.
        context["products"] = prefetch_variants(value["products"], value["variant"] or (),
                                                renditions=[PRODUCT_RENDITION])
        return context


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title", icon="title", label=_("Heading"))
    paragraph = blocks.RichTextBlock(icon="pilcrow", label=_("Paragraph"))
    # Both of Wagtail's image blocks (with Generate / Edit with AI), so the generator can be tried with each.
    image = ImageGenChooserBlock(label=_("Image"))
    figure = ImageGenImageBlock(label=_("Image with alt text"))
    products = ProductListBlock()


class HomePage(Page):
    hero_image = models.ForeignKey(
        get_image_model_string(),
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_variant = models.SlugField(
        _("seasonal hero variant"), max_length=64, blank=True, default="winter",
        help_text=_("Show the hero image's variant with this label, when it has one (e.g. “winter”)."),
    )
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [
        *Page.content_panels, ImageGenChooserPanel("hero_image"), FieldPanel("hero_variant"), FieldPanel("body"),
    ]

    class Meta:
        verbose_name = _("home page")
        verbose_name_plural = _("home pages")
