"""Generation jobs, their outputs, variants of library images, and bulk batches.

The job row is the source of truth for the worker contract (see tasks.py): a django-q2 message only
says "look at job X".
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model_string

from .catalog import JobSpec

IMAGE_MODEL = get_image_model_string()

# IPTC digital source types (https://cv.iptc.org/newscodes/digitalsourcetype/).
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC + "trainedAlgorithmicMedia"
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = IPTC + "compositeWithTrainedAlgorithmicMedia"


class GenerationBatch(models.Model):
    """One bulk request: the same recipe applied to many images, one job per image."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=255, blank=True)
    prompt = models.TextField(_("instruction"))
    invariants = models.TextField(_("keep unchanged"), blank=True)
    label = models.SlugField(_("variant label"), max_length=64, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("generation batch")
        verbose_name_plural = _("generation batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.prompt[:60]


class JobQuerySet(models.QuerySet):
    def active(self) -> JobQuerySet:
        return self.filter(status__in=GenerationJob.ACTIVE_STATUSES)

    def claimable(self, now) -> JobQuerySet:
        """Jobs a worker may lease now: active, unleased or lease expired, due, attempts left."""
        return self.active().filter(
            Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now),
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            attempts__lt=models.F("max_attempts"),
        )


class GenerationJob(models.Model):
    """One call (plus its retries) to an image API, and everything needed to repeat or audit it."""

    class Kind(models.TextChoices):
        GENERATE = "generate", _("Generate")
        EDIT = "edit", _("Edit")
        DESCRIBE = "describe", _("Describe")  # alt text from a vision model (alt_text.py): no outputs

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class ApiState(models.TextChoices):
        NOT_CALLED = "not_called", _("Not called")
        CALLING = "calling", _("Calling")
        RESPONDED = "responded", _("Responded")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    prompt = models.TextField(_("prompt"))
    invariants = models.TextField(_("keep unchanged"), blank=True)
    sent_prompt = models.TextField(_("prompt sent"), blank=True, help_text=_("Exactly what the API received."))
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    provider = models.CharField(_("provider"), max_length=64)
    model = models.CharField(_("model"), max_length=128)
    mask = models.FileField(_("mask"), upload_to="imagegen/masks/", blank=True)
    parent_output = models.ForeignKey(
        "GenerationOutput", null=True, blank=True, on_delete=models.SET_NULL, related_name="refinements",
        verbose_name=_("refined from"),
    )
    # A re-make replays this kept output's recipe on another model; its candidate replaces nothing until kept.
    remake_of = models.ForeignKey(
        "GenerationOutput", null=True, blank=True, on_delete=models.SET_NULL, related_name="remakes",
        verbose_name=_("re-make of"),
    )
    # The library image this job's outputs are variants of (carried down a refinement chain).
    variant_source = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("variant of"),
    )
    # The image a describe job writes the alt text of. Not a JobSourceImage, whose PROTECT would keep every
    # described image from being deleted; the job (and its cost) outlives the image.
    described_image = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("described image"),
    )
    label = models.SlugField(_("variant label"), max_length=64, blank=True)
    collection = models.ForeignKey(
        "wagtailcore.Collection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("collection"),
    )
    batch = models.ForeignKey(
        GenerationBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs",
        verbose_name=_("batch"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("requested by"),
    )

    # The worker contract: attempts count claims (so crashes count too), the lease fences workers.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveIntegerField(_("maximum attempts"), default=5)
    # The owner names its host, process and cluster (leases.py), so an operator can tell whose it is.
    lease_owner = models.CharField(max_length=160, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The owner's last heartbeat, and when a job was last taken over from a worker that stopped.
    lease_renewed_at = models.DateTimeField(null=True, blank=True)
    lease_retaken_at = models.DateTimeField(null=True, blank=True, db_index=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # When a wake-up message was last sent; the reconciler re-sends only stale ones.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    api_state = models.CharField(max_length=16, choices=ApiState.choices, default=ApiState.NOT_CALLED)
    api_calls = models.PositiveIntegerField(_("API calls"), default=0)
    maybe_charged_twice = models.BooleanField(
        _("may have been charged twice"), default=False,
        help_text=_("A worker stopped while the API was working, so the call was made again."),
    )

    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    error_detail = models.TextField(_("error detail"), blank=True)

    usage = models.JSONField(_("usage"), null=True, blank=True)
    estimated_cost = models.DecimalField(_("estimated cost (USD)"), max_digits=12, decimal_places=6, default=0)
    actual_cost = models.DecimalField(
        _("actual cost (USD)"), max_digits=12, decimal_places=6, null=True, blank=True
    )
    provider_request_id = models.CharField(_("provider request id"), max_length=128, blank=True)
    response = models.JSONField(_("response"), default=dict, blank=True)
    partial_image = models.FileField(_("latest preview"), upload_to="imagegen/partials/", blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    api_seconds = models.FloatField(_("API time (s)"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("generation job")
        verbose_name_plural = _("generation jobs")
        ordering = ["-created_at"]
        permissions = [("generate_image", _("Can generate and edit images with AI")),
                       ("view_all_jobs", _("Can see everyone's AI image jobs"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.prompt[:60]}"

    @property
    def spec(self) -> JobSpec:
        """The job's options as a JobSpec, its model included."""
        return JobSpec.from_values({**self.params, "model": self.model})

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def worker_stopped(self) -> bool:
        """Running, but its worker stopped renewing the lease: the reconciler will hand it on."""
        return self.status == self.Status.RUNNING and bool(self.lease_expires_at) and (
            self.lease_expires_at < timezone.now()
        )

    @property
    def digital_source_type(self) -> str:
        if self.kind == self.Kind.EDIT:
            return COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
        return TRAINED_ALGORITHMIC_MEDIA

    def source_images(self) -> list:
        return [source.image for source in self.sources.select_related("image")]

    @property
    def cost(self) -> Decimal:
        return self.actual_cost if self.actual_cost is not None else self.estimated_cost


class JobSourceImage(models.Model):
    """The ordered input images of an edit; the first one takes the mask."""

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="sources")
    image = models.ForeignKey(IMAGE_MODEL, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["job", "position"], name="imagegen_unique_source_position")]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.position}"


class OutputQuerySet(models.QuerySet):
    def candidates(self) -> OutputQuerySet:
        return self.filter(state=GenerationOutput.State.CANDIDATE)


class GenerationOutput(models.Model):
    """One image a job produced: first the provider's bytes in storage, then a native Wagtail Image."""

    class State(models.TextChoices):
        CANDIDATE = "candidate", _("Candidate")
        KEPT = "kept", _("Kept")
        DISCARDED = "discarded", _("Discarded")

    job = models.ForeignKey(GenerationJob, on_delete=models.CASCADE, related_name="outputs")
    index = models.PositiveSmallIntegerField(default=0)
    image = models.ForeignKey(
        IMAGE_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="imagegen_outputs"
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.CANDIDATE)
    # The provider's bytes, kept until the Wagtail Image holds them (a retry reuses them).
    raw_file = models.FileField(upload_to="imagegen/raw/", blank=True, max_length=255)
    mime_type = models.CharField(max_length=32)
    sha256 = models.CharField(_("SHA-256 of the returned bytes"), max_length=64)
    revised_prompt = models.TextField(_("revised prompt"), blank=True)
    digital_source_type = models.CharField(_("IPTC digital source type"), max_length=128)
    kept_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kept_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OutputQuerySet.as_manager()

    class Meta:
        verbose_name = _("generation output")
        verbose_name_plural = _("generation outputs")
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="imagegen_unique_output_index")]

    def __str__(self) -> str:
        return _("Output %(index)s of %(job)s") % {"index": self.index + 1, "job": self.job_id}


class ImageVariant(models.Model):
    """The current variant of a library image for a label, e.g. the "winter" version of a hero image."""

    source = models.ForeignKey(IMAGE_MODEL, on_delete=models.CASCADE, related_name="imagegen_variants")
    label = models.SlugField(_("label"), max_length=64)
    image = models.ForeignKey(IMAGE_MODEL, on_delete=models.CASCADE, related_name="imagegen_variant_of")
    output = models.ForeignKey(
        GenerationOutput, null=True, blank=True, on_delete=models.SET_NULL, related_name="variants"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("image variant")
        verbose_name_plural = _("image variants")
        ordering = ["source", "label"]
        constraints = [models.UniqueConstraint(fields=["source", "label"], name="imagegen_unique_variant_label")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.label}"


# Three small models, not one row type with a `kind`: each has its own column meaning (an arrival time, an
# expiry, nothing), its own keys and its own queries, so a kind would only be a filter every query must repeat.
class RateLimitState(models.Model):
    """The shared clock of one rate limit: a provider's images or requests per minute, a user's submissions
    per minute (see ratelimits.py)."""

    key = models.CharField(max_length=150, primary_key=True)
    # The "theoretical arrival time" (Unix seconds) of the next call the limit allows.
    tat = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("rate limit state")
        verbose_name_plural = _("rate limit states")

    def __str__(self) -> str:
        return self.key


class ConcurrencySlot(models.Model):
    """One of the CONCURRENT_REQUESTS slots of a provider: held while an API call is in flight
    (governance.acquire_slot)."""

    key = models.CharField(max_length=150, primary_key=True)
    # The holder's expiry (Unix seconds), which also identifies the holder; past (0.0 when released): free.
    expires = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("concurrency slot")
        verbose_name_plural = _("concurrency slots")

    def __str__(self) -> str:
        return self.key


class BudgetLock(models.Model):
    """The one row whose lock serialises budget checks with the jobs they admit (governance.lock_budgets)."""

    NAME = "budgets"

    name = models.CharField(max_length=32, primary_key=True)

    class Meta:
        verbose_name = _("budget lock")
        verbose_name_plural = _("budget locks")

    def __str__(self) -> str:
        return self.name


class WorkerPresence(models.Model):
    """A qcluster worker process that is alive: it says so every RECONCILE_SECONDS (reconciling.py)."""

    owner = models.CharField(max_length=160, primary_key=True)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("worker presence")
        verbose_name_plural = _("worker presences")

    def __str__(self) -> str:
        return self.owner


class ReconcilerRun(models.Model):
    """The one row that says when the reconciler last ran; taking it is how workers agree who runs next."""

    NAME = "reconciler"

    name = models.CharField(max_length=32, primary_key=True)
    ran_at = models.DateTimeField(null=True, blank=True)
    enqueued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reconciler run")
        verbose_name_plural = _("reconciler runs")

    def __str__(self) -> str:
        return self.name


class ProviderFile(models.Model):
    """An image uploaded once to a provider's Files API, reused by later jobs until it expires.

    Keyed by the bytes' hash, the provider alias and a fingerprint of the API key (never the key): another
    account cannot read this one's files.
    """

    provider = models.CharField(_("provider"), max_length=64)
    key_fingerprint = models.CharField(max_length=16)
    sha256 = models.CharField(_("SHA-256 of the uploaded bytes"), max_length=64)
    file_id = models.CharField(_("file id"), max_length=64)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("provider file")
        verbose_name_plural = _("provider files")
        constraints = [models.UniqueConstraint(fields=["provider", "key_fingerprint", "sha256"],
                                               name="imagegen_provider_file_unique")]

    def __str__(self) -> str:
        return self.file_id


class MachineDescription(models.Model):
    """The mark on an image whose `description` (its alt text) a vision model wrote and no editor has saved yet.

    A later description may replace the text while it still equals `text`; an editor saving the image's edit
    form removes the mark (alt_text.py), and from then on the text is theirs.
    """

    image = models.OneToOneField(IMAGE_MODEL, on_delete=models.CASCADE, related_name="imagegen_machine_description")
    text = models.TextField(_("text written"))
    language = models.CharField(_("language"), max_length=16)
    job = models.ForeignKey(GenerationJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    written_at = models.DateTimeField(_("written"), default=timezone.now)

    class Meta:
        verbose_name = _("machine-written description")
        verbose_name_plural = _("machine-written descriptions")

    def __str__(self) -> str:
        return self.text
