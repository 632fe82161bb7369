"""`manage.py imagegen`: generate, edit and refine images from scripts, and look after jobs.

Every subcommand goes through jobs.py, like the admin; only the workers (or --sync) call the API.
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import ReferenceIndex

from wagtail_imagegen import bulk, catalog, conf, jobs, lifecycle, remake, tasks
from wagtail_imagegen import health as queue_health
from wagtail_imagegen.catalog import JobSpec, option_fields
from wagtail_imagegen.models import GenerationBatch, GenerationJob, GenerationOutput, JobSourceImage
from wagtail_imagegen.provider_files import DatabaseFileCache
from wagtail_imagegen.serializers import job_as_dict

# Options a script does not set per job (previews are for people watching the window).
NOT_ON_THE_COMMAND_LINE = frozenset({"partial_images"})


def catalog_values(name: str) -> list[str] | None:
    """Every value any catalog model takes for an option (each job is then checked against its own model)."""
    models = catalog.catalog().values()
    values: dict[str, list[str]] = {
        "quality": [quality for model in models for quality in model.qualities],
        "background": [background for model in models for background in model.backgrounds],
        "output_format": [name for model in models for name in model.formats],
        "input_fidelity": ["high", "low"],
        "moderation": ["auto", "low"],
        "complexity": [value for model in models for value in model.controls.get("complexity", ())],
    }
    return list(dict.fromkeys(values[name])) if name in values else None


def add_spec_options(parser: ArgumentParser, *, exclude: frozenset[str] = frozenset()) -> None:
    """A flag for every JobSpec option (its name and help declared there), choices from the catalog."""
    for spec_field in option_fields():
        if spec_field.name in NOT_ON_THE_COMMAND_LINE | exclude:
            continue
        kwargs: dict[str, Any] = {"dest": spec_field.name, "help": str(spec_field.metadata["help"]) or None}
        if "int" in str(spec_field.type):
            kwargs["type"] = int
        choices = catalog_values(spec_field.name)
        if choices:
            kwargs["choices"] = choices
        parser.add_argument(f"--{spec_field.metadata['cli']}", **kwargs)


def add_recipe_options(parser: ArgumentParser, *, exclude: frozenset[str] = frozenset()) -> None:
    add_spec_options(parser, exclude=exclude)
    parser.add_argument("--user", help="Act as this user (permissions and ownership).")
    parser.add_argument("--provider", help="A provider alias from WAGTAIL_IMAGEGEN['PROVIDERS'].")


def add_image_options(parser: ArgumentParser) -> None:
    add_recipe_options(parser)
    wait = parser.add_mutually_exclusive_group()
    wait.add_argument("--wait", action="store_true", help="Wait for a worker to finish the job.")
    wait.add_argument("--sync", action="store_true", help="Run the job in this process.")
    parser.add_argument("--timeout", type=float, default=900, help="Seconds --wait waits (default 900).")
    parser.add_argument("--json", action="store_true", help="Print the job as JSON.")


def add_instruction_options(parser: ArgumentParser) -> None:
    parser.add_argument("--prompt", required=True, help="The instruction.")
    parser.add_argument("--invariants", help="What must stay unchanged; repeated in every refinement.")


def add_edit_options(parser: ArgumentParser) -> None:
    add_instruction_options(parser)
    add_image_options(parser)


def add_bulk_parser(commands: Any) -> None:
    bulk_parser = commands.add_parser("bulk", help="Make a variant of many library images (one job per image).")
    selection = bulk_parser.add_mutually_exclusive_group(required=True)
    selection.add_argument("--collection", help="Every image in this collection (name or id).")
    selection.add_argument("--tag", help="Every image with this tag.")
    selection.add_argument("image_ids", nargs="*", type=int, default=[], metavar="IMAGE_ID")
    bulk_parser.add_argument("--label", required=True, help="Variant label, e.g. winter.")
    bulk_parser.add_argument("--dry-run", action="store_true", help="Show the images and the estimate only.")
    bulk_parser.add_argument("--json", action="store_true", help="Print the result as JSON.")
    add_instruction_options(bulk_parser)
    add_recipe_options(bulk_parser, exclude=frozenset({"n"}))  # one candidate an image


def add_remake_parser(commands: Any) -> None:
    parser = commands.add_parser("remake", help="Re-make kept images on another model, as a batch to review.")
    selection = parser.add_mutually_exclusive_group(required=True)
    selection.add_argument("image_ids", nargs="*", type=int, default=[], metavar="IMAGE_ID")
    selection.add_argument("--label", help="The current variants with this label.")
    selection.add_argument("--made-with", metavar="MODEL", help="Every kept image made with this model.")
    parser.add_argument("--model", required=True, help="The model to re-make them with.")
    parser.add_argument("--provider", help="A provider alias from WAGTAIL_IMAGEGEN['PROVIDERS'].")
    parser.add_argument("--user", help="Act as this user (permissions and ownership).")
    parser.add_argument("--dry-run", action="store_true", help="Show the outputs and the estimate only.")
    parser.add_argument("--json", action="store_true", help="Print the result as JSON.")


class Command(BaseCommand):
    help = "Generate and edit images with AI, and manage generation jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        generate = commands.add_parser("generate", help="Generate new images from a prompt.")
        generate.add_argument("prompt")
        generate.add_argument("--collection", help="Collection name or id for the new images.")
        add_image_options(generate)
        edit = commands.add_parser("edit", help="Edit one or more library images (the first takes the mask).")
        edit.add_argument("image_ids", nargs="+", type=int, metavar="IMAGE_ID")
        edit.add_argument("--mask", type=Path, help="A PNG with alpha, the first image's size.")
        edit.add_argument("--label", default="", help="Variant label, e.g. winter.")
        add_edit_options(edit)
        refine = commands.add_parser("refine", help="Edit a candidate again, keeping its invariants.")
        refine.add_argument("output_id", type=int, metavar="OUTPUT_ID")
        add_edit_options(refine)
        add_bulk_parser(commands)
        add_remake_parser(commands)
        models = commands.add_parser("models", help="List a provider's models: limits, prices and dates.")
        models.add_argument("--provider", help="A provider alias (default: the default provider).")
        models.add_argument("--offline", action="store_true", help="Do not ask the API for its model list.")
        models.add_argument("--json", action="store_true")
        status = commands.add_parser("status", help="Show a job.")
        status.add_argument("job_id")
        status.add_argument("--json", action="store_true")
        keep = commands.add_parser("keep", help="Keep a candidate (with --label: make it the current variant).")
        keep.add_argument("output_id", type=int)
        keep.add_argument("--label")
        discard = commands.add_parser("discard", help="Discard a candidate.")
        discard.add_argument("output_id", type=int)
        commands.add_parser("recover", help="Re-enqueue stuck jobs and fail those out of attempts.")
        health = commands.add_parser("health", help="The queue's health; exits 1 when it is not OK.")
        health.add_argument("--json", action="store_true")
        purge = commands.add_parser("purge", help="Delete discarded and never-kept candidates nobody uses, or "
                                                  "(--files) the inputs uploaded to the providers' Files APIs.")
        purge.add_argument("--older-than", type=float, metavar="DAYS")
        purge.add_argument("--files", action="store_true",
                           help="Delete every uploaded input file, at the provider too.")
        purge.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"handle_{action}")(options)
        except ValidationError as exc:
            raise CommandError(validation_text(exc)) from exc
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc

    # --- submitting --------------------------------------------------------------------------------

    def handle_generate(self, options: dict[str, Any]) -> None:
        job = jobs.submit_generation(options["prompt"], job_spec(options), user=get_user(options["user"]),
                                     provider=options["provider"], collection=options["collection"])
        self.follow(job, options)

    def handle_edit(self, options: dict[str, Any]) -> None:
        images = load_images(options["image_ids"])
        mask = options["mask"].read_bytes() if options["mask"] else None
        job = jobs.submit_edit(images, options["prompt"], job_spec(options), mask=mask,
                               user=get_user(options["user"]), provider=options["provider"], label=options["label"],
                               invariants=options["invariants"] or "")
        self.follow(job, options)

    def handle_refine(self, options: dict[str, Any]) -> None:
        job = jobs.refine(get_output(options["output_id"]), options["prompt"], user=get_user(options["user"]),
                          invariants=options["invariants"], **given_options(options))
        self.follow(job, options)

    def handle_bulk(self, options: dict[str, Any]) -> None:
        images = list(bulk.select_images(collection=options["collection"], tag=options["tag"],
                                         ids=options["image_ids"]))
        if not images:
            raise CommandError("No image matches the selection.")
        recipe = bulk.Recipe(prompt=options["prompt"], label=options["label"], invariants=options["invariants"] or "",
                             provider=options["provider"], spec=job_spec(options))
        user = get_user(options["user"])
        plan = bulk.plan_batch(images, recipe, user=user)
        batch = None if options["dry_run"] else bulk.submit_batch(images, recipe, user=user)
        data = bulk_summary(plan, batch)
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        verb = "Would queue" if batch is None else f"Batch {batch.pk}: queued"
        self.stdout.write(f"{verb} {data['images']} job(s), estimated ${data['estimated_cost_usd']}.")
        for skipped in data["skipped"]:
            self.stdout.write(f"  skipped image {skipped['image_id']}: {skipped['reason']}")

    def handle_remake(self, options: dict[str, Any]) -> None:
        outputs = list(remake.kept_outputs(image_ids=options["image_ids"], label=options["label"],
                                           made_with=options["made_with"]))
        if not outputs:
            raise CommandError("No kept image matches the selection.")
        user = get_user(options["user"])
        plan = remake.plan_remake(outputs, model=options["model"], provider=options["provider"], user=user)
        batch = None if options["dry_run"] else remake.submit_remake(plan, user=user)
        data = {
            "batch": str(batch.pk) if batch else None, "dry_run": batch is None, "model": plan.target.model_name,
            "jobs": [{"remake_of": output.pk, "image_id": output.image_id, "params": job.params}
                     for job, output in plan.jobs],
            "estimated_cost_usd": str(plan.estimated_cost),
            "skipped": [{"output": output.pk, "reason": str(reason)} for output, reason in plan.skipped],
        }
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        verb = "Would queue" if batch is None else f"Batch {batch.pk}: queued"
        self.stdout.write(f"{verb} {len(plan.jobs)} re-make(s) with {plan.target.model_name}, "
                          f"estimated ${plan.estimated_cost}. Nothing changes until they are approved.")
        for item in data["skipped"]:
            self.stdout.write(f"  skipped output {item['output']}: {item['reason']}")

    def handle_models(self, options: dict[str, Any]) -> None:
        rows = lifecycle.model_rows(options["provider"], ask_api=not options["offline"])
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            dates = f"shutdown {row['shutdown']}" if row["shutdown"] else "no shutdown date"
            flags = " ".join(flag for flag in (row["state"], "guessed" if row["guessed"] else "") if flag)
            self.stdout.write(f"{row['name']:<28} {flags:<18} {dates}; sizes {row['sizes']}; "
                              f"qualities {', '.join(row['qualities'])}; ${row['prices']['image_output']}/M out")

    def follow(self, job: GenerationJob, options: dict[str, Any]) -> None:
        """Run or wait for the job as asked, then report it; a failed job exits non-zero."""
        if options["sync"]:
            run_here(job)
        elif options["wait"]:
            wait_for(job, options["timeout"])
        self.report(reload(job), as_json=options["json"])

    # --- looking after jobs ------------------------------------------------------------------------

    def handle_status(self, options: dict[str, Any]) -> None:
        try:
            job = GenerationJob.objects.get(pk=options["job_id"])
        except (GenerationJob.DoesNotExist, ValidationError, ValueError) as exc:
            raise CommandError(f"No job {options['job_id']}.") from exc
        self.report(job, as_json=options["json"])

    def handle_keep(self, options: dict[str, Any]) -> None:
        output = jobs.keep(get_output(options["output_id"]), label=options["label"])
        self.stdout.write(f"Kept output {output.pk} (image {output.image_id}).")

    def handle_discard(self, options: dict[str, Any]) -> None:
        output = jobs.discard(get_output(options["output_id"]))
        self.stdout.write(f"Discarded output {output.pk}.")

    def handle_recover(self, options: dict[str, Any]) -> None:
        counts = tasks.reconcile()
        self.stdout.write(f"Re-enqueued {counts['enqueued']} job(s); failed {counts['failed']} out of attempts.")

    def handle_health(self, options: dict[str, Any]) -> None:
        report = queue_health.check()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write("\n".join(health_lines(report)))
        if not report.ok:
            raise CommandError(" ".join(report.problems), returncode=1)

    def handle_purge(self, options: dict[str, Any]) -> None:
        if options["files"]:
            self.purge_files(dry_run=options["dry_run"])
            if options["older_than"] is None:
                return
        if options["older_than"] is None:
            raise CommandError("Give --older-than DAYS (candidates), --files (uploaded inputs), or both.")
        cutoff = timezone.now() - timedelta(days=options["older_than"])
        purged = 0
        for output in purgeable_outputs(cutoff):
            purged += 1
            if not options["dry_run"]:
                output.image.delete()  # the output row stays, for the lineage and the cost report
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {purged} unused candidate image(s).")

    def purge_files(self, *, dry_run: bool) -> None:
        """Delete the remembered uploads of every provider, at the provider and here (a job re-uploads)."""
        deleted = 0
        for alias in conf.provider_aliases():
            with conf.get_provider(alias) as provider:
                rows = DatabaseFileCache(alias, provider.config.api_key).rows()
                for row in rows if hasattr(provider, "delete_file") else rows.none():
                    deleted += 1
                    if not dry_run:
                        provider.delete_file(row.file_id)
                        row.delete()
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {deleted} uploaded input file(s).")

    def report(self, job: GenerationJob, *, as_json: bool) -> None:
        data = job_as_dict(job)
        if as_json:
            self.stdout.write(json.dumps(data, indent=2))
        else:
            self.stdout.write(f"Job {data['job']}: {data['status']} (cost ${data['cost_usd']})")
            for output in data["outputs"]:
                self.stdout.write(f"  output {output['id']}: image {output['image_id']} {output['url'] or ''}")
        if job.status == GenerationJob.Status.FAILED:
            raise CommandError(job.error_message, returncode=1)


# --- helpers ---------------------------------------------------------------------------------------


def given_options(options: dict[str, Any]) -> dict[str, Any]:
    """The JobSpec options set on the command line."""
    return {name: options[name] for name in JobSpec.names() if options.get(name) is not None}


def job_spec(options: dict[str, Any]) -> JobSpec:
    """The JobSpec of the command line (what it does not set keeps its default)."""
    return JobSpec.from_values(given_options(options))


def bulk_summary(plan: bulk.Plan, batch: GenerationBatch | None) -> dict[str, Any]:
    return {
        "batch": str(batch.pk) if batch else None,
        "dry_run": batch is None,
        "images": len(plan.jobs),
        "estimated_cost_usd": str(plan.estimated_cost),
        "skipped": [{"image_id": image.pk, "reason": str(reason)} for image, reason in plan.skipped],
    }


def health_lines(report: queue_health.Health) -> list[str]:
    heartbeat = f"{report.running_heartbeat_ages[0]:.0f} s ago" if report.running_heartbeat_ages else "-"
    oldest = "-" if report.oldest_queued_seconds is None else f"{report.oldest_queued_seconds:.0f} s"
    reconciler = "never" if report.reconciler_age_seconds is None else f"{report.reconciler_age_seconds:.0f} s ago"
    errors = "-" if report.error_rate_last_hour is None else f"{report.error_rate_last_hour:.0%}"
    return [
        f"Health: {'OK' if report.ok else 'NOT OK'}",
        f"  queued: {report.queued} (oldest waiting {oldest})",
        f"  running: {report.running} (oldest heartbeat {heartbeat}; {report.workers_stopped} with a stopped worker)",
        f"  live workers: {report.live_workers}",
        f"  re-taken in the last hour: {report.retaken_last_hour}",
        f"  reconciler last ran: {reconciler}",
        f"  jobs in the last hour: {report.jobs_last_hour} (error rate {errors})",
        *(f"  problem: {problem}" for problem in report.problems),
    ]


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def get_user(username: str | None) -> Any:
    if username is None:
        return None
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"No user {username!r}.") from exc


def load_images(ids: list[int]) -> list[Any]:
    found = get_image_model().objects.in_bulk(ids)
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise CommandError(f"No image with id {', '.join(missing)}.")
    return [found[pk] for pk in ids]


def get_output(output_id: int) -> GenerationOutput:
    try:
        return GenerationOutput.objects.select_related("job", "image").get(pk=output_id)
    except GenerationOutput.DoesNotExist as exc:
        raise CommandError(f"No output {output_id}.") from exc


def reload(job: GenerationJob) -> GenerationJob:
    job.refresh_from_db()
    return job


def run_here(job: GenerationJob) -> None:
    """Run the job in this process, its retries included (after their backoff)."""
    while not reload(job).is_finished:
        if job.next_attempt_at:
            time.sleep(max(0.0, (job.next_attempt_at - timezone.now()).total_seconds()))
        if tasks.run_job(str(job.pk)) == "skipped":
            time.sleep(0.5)  # a worker holds the lease; let it finish


def wait_for(job: GenerationJob, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not reload(job).is_finished:
        if time.monotonic() > deadline:
            raise CommandError(f"Job {job.pk} is still {job.status} after {timeout:.0f} s; is a qcluster running?")
        time.sleep(0.5)


def purgeable_outputs(cutoff: Any) -> list[GenerationOutput]:
    """Discarded or never-kept candidates of finished jobs older than `cutoff` that nothing references."""
    candidates = (
        GenerationOutput.objects.filter(job__finished_at__lt=cutoff, image__isnull=False)
        .exclude(state=GenerationOutput.State.KEPT)
        .exclude(variants__isnull=False)
        .exclude(image__in=JobSourceImage.objects.values("image"))  # part of a refinement chain
        .select_related("image")
    )
    return [output for output in candidates if not ReferenceIndex.get_references_to(output.image).exists()]
