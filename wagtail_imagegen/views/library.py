"""The image library: the Variants section of an image's edit page, and the listing's "Generate variants…"
bulk action (a recipe with its cost estimate, then a batch).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from wagtail.images import get_image_model
from wagtail.images.views.bulk_actions.image_bulk_action import ImageBulkAction
from wagtail.models import ModelLogEntry

from .. import bulk, governance, permissions
from ..forms import ImageGenForm, add_service_errors
from ..models import GenerationBatch, GenerationJob, GenerationOutput, ImageVariant

THUMBNAIL = "max-165x165"
# The Variants section lists this many recent generations and history entries.
RECENT = 20
# The recipe page shows this many of the chosen images (the rest are counted).
SAMPLE = 12


# ---------------------------------------------------------------------------------------------------
# The Variants section of the image edit page
# ---------------------------------------------------------------------------------------------------


def with_thumbnails() -> Any:
    return get_image_model().objects.prefetch_renditions(THUMBNAIL)


def variants_of(image: Any, user: Any) -> list[ImageVariant]:
    """The image's variants whose images the user could choose."""
    return list(
        ImageVariant.objects.filter(source=image, image__in=permissions.choosable_images(user))
        .select_related("updated_by", "output__job", "output__kept_by")
        .prefetch_related(Prefetch("image", queryset=with_thumbnails()))
    )


def generations_using(image: Any, user: Any) -> list[GenerationJob]:
    """The newest jobs the user may see in full that took this image as an input."""
    jobs = permissions.shown_jobs(user, GenerationJob.objects.filter(sources__image=image))
    return list(jobs.select_related("requested_by", "batch").order_by("-created_at")[:RECENT])


def variant_rows(image: Any, user: Any) -> list[dict[str, Any]]:
    """Each variant with its job, when the user may see that job in full."""
    variants = variants_of(image, user)
    job_ids = [variant.output.job_id for variant in variants if variant.output]
    shown = set(permissions.shown_jobs(user).filter(pk__in=job_ids).values_list("pk", flat=True))
    rows = []
    for variant in variants:
        job = variant.output.job if variant.output and variant.output.job_id in shown else None
        rows.append({"variant": variant, "job": job, "cost": governance.format_cost(job.cost) if job else ""})
    return rows


@require_GET
def image_variants(request: Any, image_id: int) -> HttpResponse:
    """The Variants section, fetched by library/variants.js into Wagtail's image edit page (7.4 and 8.x)."""
    image = get_object_or_404(get_image_model(), pk=image_id)
    permissions.require_image_change(request.user, image)  # a 403 (views/viewsets.py), which the script skips
    origin = GenerationOutput.objects.filter(image=image).select_related("job").first()
    return TemplateResponse(request, "wagtail_imagegen/library/variants.html", {
        "image": image,
        "variants": variant_rows(image, request.user),
        "generations": generations_using(image, request.user),
        "origin": origin,
        "origin_shown": bool(origin) and permissions.shown_jobs(request.user).filter(pk=origin.job_id).exists(),
        "history": ModelLogEntry.objects.for_instance(image).select_related("user").order_by("-timestamp")[:RECENT],
        "can_generate": permissions.can_generate(request.user),
    })


# ---------------------------------------------------------------------------------------------------
# The bulk action
# ---------------------------------------------------------------------------------------------------


class RecipeForm(ImageGenForm):
    """The editor's form, shaped for many images: one instruction and label, one candidate each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("images", "mask", "n", "previews", "compare"):  # one candidate each, on one service
            self.fields.pop(name, None)
        self.fields["prompt"].label = _("Instruction")
        self.fields["prompt"].help_text = _("What to change in every image, for example “Put the product on a "
                                            "snowy background”.")
        self.fields["label"].required = True
        self.fields["label"].help_text = _("For example “winter”: an approved image becomes that variant of its "
                                           "original.")

    def current_values(self) -> dict[str, Any]:
        """The valid fields of a bound form, or the initial values of an unbound one."""
        if not self.is_bound:
            return {name: self.get_initial_for_field(field, name) for name, field in self.fields.items()}
        if not hasattr(self, "cleaned_data"):
            self.full_clean()
        return self.cleaned_data

    def recipe(self) -> bulk.Recipe:
        """The recipe of what the form says now, valid or not (for the estimate too)."""
        data = self.current_values()
        return bulk.Recipe(prompt=data.get("prompt") or "", label=data.get("label") or "",
                           invariants=data.get("invariants") or "", provider=self.provider_alias,
                           spec=self.spec(data))


class GenerateVariantsBulkAction(ImageBulkAction):
    """Image listing > select > "Generate variants…": a recipe, its estimate, then a batch page."""

    display_name = _("Generate variants…")
    action_type = "imagegen_variants"
    aria_label = _("Generate AI variants of the selected images")
    template_name = "wagtail_imagegen/library/recipe.html"
    action_priority = 40
    form_class = RecipeForm

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        permissions.require(request.user, "add")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def usable_ids(self) -> set[int]:
        """The selected images this user may use as sources: one query, not one per image."""
        selected = self.request.GET.getlist("id")
        if "all" in selected:
            selected = self.get_all_objects_in_listing_query(self.request.GET.get("childOf"))
        images = permissions.choosable_images(self.request.user)
        return set(images.filter(pk__in=selected).values_list("pk", flat=True))

    def check_perm(self, image: Any) -> bool:
        return image.pk in self.usable_ids

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        images = [item["item"] for item in context["items"]]
        context.update({
            "sample": get_image_model().objects.filter(pk__in=[i.pk for i in images[:SAMPLE]])
            .prefetch_renditions(THUMBNAIL),
            "more": max(0, len(images) - SAMPLE),
            "estimate": governance.format_cost(self.estimate(context["form"], images)),
            "budget": min(governance.budgets_for(self.request.user), key=lambda budget: budget.remaining,
                          default=None),
            "notices": context["form"].notices,
        })
        return context

    def estimate(self, form: RecipeForm, images: list[Any]) -> Decimal:
        return bulk.estimate_batch(images, form.recipe())

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        if "estimate" in request.POST:  # the live estimate, as the recipe changes
            images, _no_access = self.get_actionable_objects()
            cost = self.estimate(self.get_form(), images)
            return JsonResponse({"cost": str(cost), "label": governance.format_cost(cost), "images": len(images)})
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: RecipeForm) -> HttpResponse:
        try:
            return super().form_valid(form)
        except ValidationError as error:  # the recipe, a budget or the submission rate said no
            add_service_errors(form, error)
            return self.form_invalid(form)

    def get_execution_context(self) -> dict[str, Any]:
        batch = bulk.new_batch(self.cleaned_form.recipe(), user=self.request.user)
        self.next_url = reverse("wagtail_imagegen:batches:inspect", args=[batch.pk])
        return {"batch": batch, "user": self.request.user}

    @classmethod
    def execute_action(cls, images: list[Any], batch: GenerationBatch | None = None, user: Any = None,
                       **kwargs: Any) -> tuple[int, int]:
        batch = bulk.submit_batch(images, bulk.Recipe.from_batch(batch), user=user, batch=batch)
        return batch.jobs.count(), 0

    def get_success_message(self, num_parent_objects: int, num_child_objects: int) -> str:
        return ngettext("A variant of %(count)d image is on its way.", "Variants of %(count)d images are on their way.",
                        num_parent_objects) % {"count": num_parent_objects}
