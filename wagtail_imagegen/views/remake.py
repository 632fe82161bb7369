"""The image listing's "Re-make with another model…" bulk action: the chosen AI images' recipes replayed on a
newer model as a batch, its estimate shown first; nothing changes until the batch's candidates are approved."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.images.views.bulk_actions.image_bulk_action import ImageBulkAction

from .. import conf, governance, jobs, permissions, remake
from ..forms import model_label
from ..models import GenerationBatch


class RemakeForm(forms.Form):
    """Which model (of the default provider) the kept images are re-made with."""

    model = forms.ChoiceField(label=_("Model"), help_text=_("The chosen images' prompts, sources and masks are "
                                                            "sent again to this model."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target = jobs.provider_target(conf.default_alias())
        self.fields["model"].choices = [(model.name, model_label(model)) for model in target.offered]
        self.fields["model"].initial = target.config.final_model or target.model_name


class RemakeBulkAction(ImageBulkAction):
    display_name = _("Re-make with another model…")
    action_type = "imagegen_remake"
    aria_label = _("Re-make the selected AI images with another model")
    template_name = "wagtail_imagegen/library/remake.html"
    action_priority = 41
    form_class = RemakeForm

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        permissions.require(request.user, "add")
        return super().dispatch(request, *args, **kwargs)

    def check_perm(self, image: Any) -> bool:
        return image.pk in self.remakeable

    @property
    def remakeable(self) -> dict[int, Any]:
        """The selected images that are kept AI outputs of jobs the user may see in full, by image id."""
        if not hasattr(self, "_remakeable"):
            selected = [pk for pk in self.request.GET.getlist("id") if pk.isdigit()]
            outputs = permissions.shown_outputs(self.request.user, remake.kept_outputs(
                image_ids=[int(pk) for pk in selected]))
            self._remakeable = {output.image_id: output for output in outputs}
        return self._remakeable

    def plan(self, model: str) -> remake.RemakePlan:
        return remake.plan_remake(list(self.remakeable.values()), model=model, user=self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = context["form"]
        model = form.data.get("model") if form.is_bound else form.fields["model"].initial
        try:
            context["plan"] = self.plan(model) if self.remakeable else None
            context["estimate"] = governance.format_cost(context["plan"].estimated_cost) if context["plan"] else ""
        except ValidationError as error:
            context["plan_errors"] = error.messages
        return context

    def form_valid(self, form: RemakeForm) -> HttpResponse:
        try:
            plan = self.plan(form.cleaned_data["model"])
            batch = remake.submit_remake(plan, user=self.request.user)
        except ValidationError as error:
            form.add_error(None, error.messages)
            return self.form_invalid(form)
        self.num_parent_objects = len(plan.jobs)
        return self.redirect_to_batch(batch)

    def redirect_to_batch(self, batch: GenerationBatch) -> HttpResponse:
        messages.success(self.request, ngettext(
            "A re-make of %(count)d image is on its way; approve it to use it.",
            "Re-makes of %(count)d images are on their way; approve them to use them.",
            self.num_parent_objects) % {"count": self.num_parent_objects})
        return redirect(reverse("wagtail_imagegen:batches:inspect", args=[batch.pk]))

    @classmethod
    def execute_action(cls, images: list[Any], **kwargs: Any) -> tuple[int, int]:
        return 0, 0  # form_valid submits the batch itself (one submission, one batch)
