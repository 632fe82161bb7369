"""Who may see and act on AI image jobs, their outputs and batches: the app's one permission policy.

- `generate_image`: generate, and see and act on one's own jobs, outputs and batches;
- `view_all_jobs`: see everyone's jobs and batches (and the usage report's rows per user), act on none;
- `view_generationjob`: the usage report's totals and the site's spend on the dashboard;
- superusers: everything.

Nobody sees what a job shows of an image they could not choose in Wagtail's own image chooser: a job with a
source (or, for someone else's job, an output) in such a collection is *restricted* — listed without its
prompt or images, and nobody may act on it. Someone else's job one may not see is, to a view, a job that does
not exist (404). Every function takes a user, so workers and the CLI ask the same questions as the views.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.http import Http404
from wagtail.images import get_image_model
from wagtail.models import Collection
from wagtail.permission_policies.base import OwnershipPermissionPolicy

from .compat import get_image_permission_policy
from .models import GenerationBatch, GenerationJob, GenerationOutput, JobSourceImage

APP = "wagtail_imagegen"
GENERATE = "generate_image"
VIEW_ALL = "view_all_jobs"
VIEW_USAGE = "view_generationjob"
# Which permission (codename) each action of the policy needs; superusers need none.
ACTION_PERMISSIONS = {
    "add": {GENERATE},
    "change": {GENERATE},
    "view": {GENERATE, VIEW_ALL},
    "view_all": {VIEW_ALL},
    "view_usage": {VIEW_USAGE, VIEW_ALL},
}


def is_active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_superuser(user: Any) -> bool:
    return is_active(user) and user.is_superuser


class OwnedJobsPermissionPolicy(OwnershipPermissionPolicy):
    """A Wagtail permission policy for jobs or batches (both `requested_by`), on the job's permissions.

    Actions: "add" (generate), "view" (one's own, or everyone's with view_all_jobs), "change" (act on one's
    own unrestricted jobs), "view_all" and "view_usage" (model-wide only).
    """

    def __init__(self, model: Any) -> None:
        super().__init__(model, auth_model=GenerationJob, owner_field_name="requested_by")

    def user_has_permission(self, user: Any, action: str) -> bool:
        if not is_active(user):
            return False
        if user.is_superuser:
            return True
        return any(user.has_perm(f"{APP}.{codename}") for codename in ACTION_PERMISSIONS.get(action, ()))

    def users_with_any_permission(self, actions: Any) -> QuerySet:
        codenames = set().union(*(ACTION_PERMISSIONS.get(action, set()) for action in actions))
        return self._get_users_with_any_permission_codenames(codenames)

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> QuerySet:
        """Instances the user may see ("view") or act on ("change"); restricted ones are left out of "change"."""
        manager = self.model._default_manager
        if is_superuser(user):
            return manager.all()
        if "view" in actions and self.user_has_permission(user, "view_all"):
            return manager.all()
        if {"view", "change"} & set(actions) and self.user_has_permission(user, "add"):
            own = manager.filter(requested_by=user)
            return own if "view" in actions else own.exclude(restricted_filter(self.model, user))
        return manager.none()

    def user_has_any_permission_for_instance(self, user: Any, actions: Any, instance: Any) -> bool:
        return self.instances_user_has_any_permission_for(user, actions).filter(pk=instance.pk).exists()

    def users_with_any_permission_for_instance(self, actions: Any, instance: Any) -> QuerySet:
        """Superusers, the owner if they may generate ("view", "change"), and reviewers ("view")."""
        users = self.users_with_any_permission(["view_all"] if "view" in actions else [])
        if {"view", "change"} & set(actions) and instance.requested_by_id:
            users = users | self.users_with_any_permission(["add"]).filter(pk=instance.requested_by_id)
        return users.distinct()


job_policy = OwnedJobsPermissionPolicy(GenerationJob)
batch_policy = OwnedJobsPermissionPolicy(GenerationBatch)


# ---------------------------------------------------------------------------------------------------
# Model-wide questions
# ---------------------------------------------------------------------------------------------------


def can_generate(user: Any) -> bool:
    return job_policy.user_has_permission(user, "add")


def can_view_jobs(user: Any) -> bool:
    """May open the jobs list and batches: one's own (generate_image) or everyone's (view_all_jobs)."""
    return job_policy.user_has_permission(user, "view")


def can_view_all_jobs(user: Any) -> bool:
    return job_policy.user_has_permission(user, "view_all")


def can_view_usage(user: Any) -> bool:
    """The usage report and the site's spend: totals for view_generationjob, rows per user for view_all_jobs."""
    return job_policy.user_has_permission(user, "view_usage")


def can_see_usage_per_user(user: Any) -> bool:
    return can_view_all_jobs(user)


def can_see_queue_health(user: Any) -> bool:
    """The dashboard's queue health names workers and hosts: for superusers."""
    return is_superuser(user)


def usage_jobs(user: Any, jobs: QuerySet | None = None) -> QuerySet:
    """The jobs whose figures (counts and cost, never prompts) the user sees: the site's for those who may
    view usage, their own for the others."""
    jobs = GenerationJob.objects.all() if jobs is None else jobs
    if can_view_usage(user):
        return jobs
    return jobs.filter(requested_by=user) if is_active(user) else jobs.none()


def require(user: Any, action: str, policy: OwnedJobsPermissionPolicy | None = None) -> None:
    """PermissionDenied unless the user may do `action` model-wide (the viewsets' routes ask this first)."""
    if not (policy or job_policy).user_has_permission(user, action):
        raise PermissionDenied


# ---------------------------------------------------------------------------------------------------
# Images: what Wagtail's own chooser would offer
# ---------------------------------------------------------------------------------------------------


def choosable_images(user: Any) -> QuerySet:
    """The images the user could choose in Wagtail's image chooser (the "choose" collection permission)."""
    if not is_active(user):
        return get_image_model()._default_manager.none()
    return get_image_permission_policy().instances_user_has_any_permission_for(user, ["choose"])


def can_choose_image(user: Any, image: Any) -> bool:
    return choosable_images(user).filter(pk=image.pk).exists()


def choosable_ids(user: Any, images: Any) -> set[Any]:
    """Of `images`, the pks of those the user could choose (one query for all)."""
    return set(choosable_images(user).filter(pk__in=[image.pk for image in images]).values_list("pk", flat=True))


def addable_collections(user: Any) -> QuerySet:
    """The collections the user may add images to (Wagtail's "add" collection permission)."""
    if not is_active(user):
        return Collection.objects.none()
    return get_image_permission_policy().collections_user_has_permission_for(user, "add")


def can_add_images_to(user: Any, collection: Any) -> bool:
    return addable_collections(user).filter(pk=collection.pk).exists()


def can_edit_image(user: Any, image: Any) -> bool:
    return is_active(user) and get_image_permission_policy().user_has_permission_for_instance(user, "change", image)


def require_image_change(user: Any, image: Any) -> None:
    """PermissionDenied unless the user may edit the image in Wagtail (its Variants section)."""
    if not can_edit_image(user, image):
        raise PermissionDenied


def can_describe(user: Any, image: Any) -> bool:
    """May have a vision model write the image's alt text: generate, and change and choose the image in Wagtail
    (without "choose", their own describe job would be restricted for them)."""
    return can_generate(user) and can_edit_image(user, image) and can_choose_image(user, image)


def describable_images(user: Any) -> QuerySet:
    """The images whose alt text the user may have written (the bulk action's selection, in one query)."""
    if not can_generate(user):
        return get_image_model()._default_manager.none()
    changeable = get_image_permission_policy().instances_user_has_any_permission_for(user, ["change"])
    return changeable.filter(pk__in=choosable_images(user).values("pk"))


# ---------------------------------------------------------------------------------------------------
# Restriction: a job that shows an image the user could not choose
# ---------------------------------------------------------------------------------------------------


def job_restricted(user: Any, job_ref: str = "pk") -> Any:
    """A condition on jobs (`job_ref` names the job's pk): true when the job shows an image the user cannot
    choose — a source, or an output of someone else's job."""
    if is_superuser(user):
        return Value(False)
    if not is_active(user):
        return Value(True)
    choosable = choosable_images(user).values("pk")
    unchoosable = get_image_model()._default_manager.exclude(pk__in=choosable)
    job = GenerationJob.objects.filter(pk=OuterRef(job_ref))
    return (
        Exists(JobSourceImage.objects.filter(job=OuterRef(job_ref)).exclude(image__in=choosable))
        | Exists(job.filter(Q(variant_source__in=unchoosable) | Q(described_image__in=unchoosable)))
        | Exists(GenerationOutput.objects.filter(job=OuterRef(job_ref), image__in=unchoosable)
                 .exclude(job__requested_by=user))
    )


def restricted_filter(model: Any, user: Any) -> Q:
    """The restricted rows of jobs, or batches with any restricted job."""
    if is_superuser(user):
        return Q(pk__in=[])
    if model is GenerationBatch:
        jobs = GenerationJob.objects.filter(batch=OuterRef("pk")).filter(job_restricted(user))
        return Q(Exists(jobs))
    return Q(job_restricted(user))


def with_restriction(queryset: QuerySet, user: Any) -> QuerySet:
    """The jobs or batches annotated with `restricted` (what the user may not be shown of them)."""
    if is_superuser(user):
        return queryset.annotate(restricted=Value(False))
    if queryset.model is GenerationBatch:
        jobs = GenerationJob.objects.filter(batch=OuterRef("pk")).filter(job_restricted(user))
        return queryset.annotate(restricted=Exists(jobs))
    return queryset.annotate(restricted=ExpressionWrapper(job_restricted(user), output_field=BooleanField()))


def visible_jobs(user: Any) -> QuerySet:
    """The jobs the user may see, each annotated with `restricted`."""
    return with_restriction(job_policy.instances_user_has_permission_for(user, "view"), user)


def shown_jobs(user: Any, jobs: QuerySet | None = None) -> QuerySet:
    """Of `jobs` (all jobs by default), those the user may see in full: visible and not restricted."""
    jobs = GenerationJob.objects.all() if jobs is None else jobs
    visible = job_policy.instances_user_has_permission_for(user, "view")
    return jobs.filter(pk__in=visible.values("pk")).exclude(restricted_filter(GenerationJob, user))


def own_jobs(user: Any) -> QuerySet:
    """The user's own jobs they may see in full (the studio's recent jobs)."""
    own = GenerationJob.objects.filter(requested_by=user) if is_active(user) else GenerationJob.objects.none()
    return shown_jobs(user, own)


def visible_batches(user: Any) -> QuerySet:
    return with_restriction(batch_policy.instances_user_has_permission_for(user, "view"), user)


def shown_outputs(user: Any, outputs: QuerySet | None = None) -> QuerySet:
    outputs = GenerationOutput.objects.all() if outputs is None else outputs
    return outputs.filter(job__in=shown_jobs(user).values("pk"))


# ---------------------------------------------------------------------------------------------------
# One object: what a view may show or do with it
# ---------------------------------------------------------------------------------------------------


def check_action(user: Any, obj: Any, action: str, policy: OwnedJobsPermissionPolicy) -> None:
    """PermissionDenied when a user who may see `obj` may not do `action` with it ("view": see it in full)."""
    if obj.restricted or (action != "view" and not policy.user_has_permission_for_instance(user, action, obj)):
        raise PermissionDenied


def job_for(user: Any, pk: Any, action: str = "view", queryset: QuerySet | None = None) -> GenerationJob:
    """The job, annotated with `restricted`. PermissionDenied for users who may open no job at all, Http404
    when the user may not see this one (as if it did not exist), PermissionDenied when they may see it but not
    do `action` ("view" lets a restricted job through)."""
    require(user, "view")
    jobs = visible_jobs(user) if queryset is None else with_restriction(
        queryset.filter(pk__in=job_policy.instances_user_has_permission_for(user, "view").values("pk")), user)
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise Http404
    if action != "view":
        check_action(user, job, action, job_policy)
    return job


def output_for(user: Any, pk: Any, action: str = "change", queryset: QuerySet | None = None) -> GenerationOutput:
    """The output of a job the user may see (else Http404), if they may do `action` with it (else 403)."""
    outputs = GenerationOutput.objects.select_related("job", "image") if queryset is None else queryset
    output = outputs.filter(pk=pk).first()
    if output is None:
        raise Http404
    output.job = job_for(user, output.job_id, action, GenerationJob.objects.select_related("batch",
                                                                                           "variant_source"))
    if action == "view" and output.job.restricted:
        raise PermissionDenied
    return output


def batch_for(user: Any, pk: Any, action: str = "view") -> GenerationBatch:
    """The batch, annotated with `restricted` (PermissionDenied / Http404 as for jobs)."""
    require(user, "view", batch_policy)
    batch = visible_batches(user).select_related("requested_by").filter(pk=pk).first()
    if batch is None:
        raise Http404
    if action != "view":
        check_action(user, batch, action, batch_policy)
    return batch


def can_change(user: Any, obj: GenerationJob | GenerationBatch) -> bool:
    """May act on this job or batch (as annotated by job_for / batch_for)."""
    policy = batch_policy if isinstance(obj, GenerationBatch) else job_policy
    return not obj.restricted and policy.user_has_permission_for_instance(user, "change", obj)


def is_restricted(user: Any, job: GenerationJob) -> bool:
    restricted = getattr(job, "restricted", None)
    if restricted is None:
        restricted = GenerationJob.objects.filter(pk=job.pk).filter(job_restricted(user)).exists()
    return bool(restricted)
