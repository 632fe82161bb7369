"""Re-making kept images on a newer model: the same recipe replayed, and nothing replaced until approval."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from wagtail_imagegen import bulk, catalog, jobs, remake, tasks
from wagtail_imagegen.catalog import JobSpec
from wagtail_imagegen.models import GenerationJob, GenerationOutput, ImageVariant

from .conftest import FAKE_KEY, mask_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
OLD, NEW = "gpt-image-1.5", "gpt-image-2.6-sunburst"


@pytest.fixture
def fake_api():
    from wagtail_imagegen.testing import FakeImageAPI

    return FakeImageAPI(api_key=FAKE_KEY, serve_retired=True)  # a gateway that still serves 1.5


@pytest.fixture(autouse=True)
def gateway_still_serving_the_old_model(settings, use_fake_api):
    default = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]["default"]
    providers = {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"],
                 "default": {**default, "MODELS": [{"NAME": OLD, "SHUTDOWN": None}, "gpt-image-2.6-flare", NEW]}}
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": providers}


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.SUCCEEDED, job.error_message
    return job


@pytest.fixture
def kept_edit(make_image):
    """A masked edit with invariants and high input fidelity, made on the old model and kept as a variant."""
    source = make_image("Sofa", 800, 600)
    job = run(jobs.submit_edit([source], "Make the sofa green", mask=mask_bytes(800, 600), label="green",
                               invariants="the cushions and the lamp", input_fidelity="high", model=OLD,
                               quality="high"))
    output = job.outputs.get()
    jobs.keep(output)
    return output


def remake_command(*args: str) -> dict:
    out = io.StringIO()
    call_command("imagegen", "remake", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_remake_replays_the_recipe_on_the_new_model_and_replaces_nothing_until_approved(fake_api, kept_edit):
    original_request = fake_api.requests[-1]
    variant = ImageVariant.objects.get(source=kept_edit.job.variant_source, label="green")
    assert variant.image_id == kept_edit.image_id

    data = remake_command("--made-with", OLD, "--model", NEW)
    [job] = GenerationJob.objects.filter(remake_of=kept_edit)
    assert data["batch"] == str(job.batch_id) and data["jobs"][0]["remake_of"] == kept_edit.pk
    run(job)

    sent = fake_api.requests[-1]
    assert sent.form["model"] == [NEW]
    assert sent.form["prompt"] == original_request.form["prompt"]  # the prompt and invariants as sent
    assert [part.data for part in sent.files["image"]] == [part.data for part in original_request.files["image"]]
    assert [part.data for part in sent.files["mask"]] == [part.data for part in original_request.files["mask"]]
    assert "input_fidelity" in original_request.form and "input_fidelity" not in sent.form
    assert sent.form["quality"] == ["high"]

    variant.refresh_from_db()
    assert variant.image_id == kept_edit.image_id  # not replaced before approval
    remade = job.outputs.get()
    bulk.approve(remade)
    variant.refresh_from_db()
    assert variant.image_id == remade.image_id and variant.output == remade


def test_a_dry_run_shows_the_estimate_and_queues_nothing(kept_edit):
    data = remake_command(str(kept_edit.image_id), "--model", NEW, "--dry-run")
    assert data["dry_run"] is True and data["batch"] is None
    assert float(data["estimated_cost_usd"]) > 0
    assert "input_fidelity" not in data["jobs"][0]["params"]
    assert not GenerationJob.objects.filter(remake_of=kept_edit).exists()


def test_selection_by_label_and_by_image(kept_edit):
    assert list(remake.kept_outputs(label="green")) == [kept_edit]
    assert list(remake.kept_outputs(image_ids=[kept_edit.image_id])) == [kept_edit]
    assert list(remake.kept_outputs(label="winter")) == []
    assert list(remake.kept_outputs(made_with="gpt-image-1.5-2025-12-16")) == [kept_edit]  # a snapshot id


def test_translation_to_a_model_with_fewer_options():
    spec = JobSpec(model="gpt-image-2.6-flare", size="3840x2160", quality="max", complexity="low")
    translated = remake.translated_spec(spec, catalog.model_spec(OLD), OLD, kind="generate")
    assert (translated.size, translated.quality, translated.complexity) == ("auto", "high", None)


def test_remaking_onto_a_retired_model_is_refused(kept_edit):
    with pytest.raises(CommandError, match="gpt-image-1"):
        remake_command(str(kept_edit.image_id), "--model", "gpt-image-1")
    assert GenerationOutput.objects.count() == 1
