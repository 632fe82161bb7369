"""The editor's admin URLs, included under admin/imagegen/ in the "wagtail_imagegen" namespace."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import (
    candidates,
    config,
    estimate,
    generate,
    job_detail,
    job_list,
    job_status,
    modal,
    options,
    recent,
    source_images,
)
from . import submit as submit_views
from .access import generate_permission_required, view_permission_required

app_name = "wagtail_imagegen"

urlpatterns = [
    path("config.js", config.config_js, name="config"),
    # The scripts' own strings (djangojs.po), merged into the gettext() of Wagtail's admin catalog.
    path("jsi18n/", generate_permission_required(JavaScriptCatalog.as_view(packages=["wagtail_imagegen"])),
         name="jsi18n"),
    path("generate/", generate.generate, name="generate"),
    path("modal/", modal.modal, name="modal"),
    path("estimate/", estimate.estimate, name="estimate"),
    path("options/", options.options, name="options"),
    path("images/", source_images.source_images, name="source_images"),
    path("jobs/", view_permission_required(job_list.JobIndexView.as_view()), name="job_list"),
    path("jobs/results/", view_permission_required(job_list.JobIndexView.as_view(results_only=True)),
         name="job_list_results"),
    path("jobs/new/", submit_views.submit, name="submit"),
    path("jobs/recent/", recent.recent, name="recent"),
    path("jobs/<uuid:pk>/", job_detail.job_detail, name="job_detail"),
    path("jobs/<uuid:pk>/status/", job_status.job_status, name="job_status"),
    path("jobs/<uuid:pk>/cancel/", job_status.job_cancel, name="job_cancel"),
    path("outputs/<int:pk>/use/", candidates.use_output, name="output_use"),
    path("outputs/<int:pk>/discard/", candidates.discard_output, name="output_discard"),
    path("outputs/<int:pk>/refine/", candidates.refine_output, name="output_refine"),
    path("outputs/<int:pk>/final/", candidates.final_quality, name="output_final"),
]
