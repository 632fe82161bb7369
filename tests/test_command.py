"""`manage.py imagegen`: in process with --sync, and as a real command with --wait against a real qcluster."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.images import get_image_model

from wagtail_imagegen.models import GenerationJob, GenerationOutput, ImageVariant

from .conftest import FAKE_KEY, mask_bytes
from .workers import ROOT, qcluster, worker_db, worker_environment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]


def imagegen(*args: str) -> dict:
    out = io.StringIO()
    call_command("imagegen", *args, stdout=out)
    return json.loads(out.getvalue())


def stored_bytes(image_id: int) -> bytes:
    with get_image_model().objects.get(pk=image_id).open_file() as handle:
        return handle.read()


def test_generate_sync_json_reports_the_documented_shape(fake_api):
    result = imagegen("generate", "A teapot", "--n", "2", "--size", "1024x1536", "--quality", "low",
                      "--format", "webp", "--compression", "80", "--sync", "--json")
    assert set(result) >= {"job", "status", "error", "outputs", "usage", "cost_usd"}
    assert result["status"] == "succeeded" and result["error"] is None
    assert [o["sha256"] for o in result["outputs"]] == [
        GenerationOutput.objects.get(pk=o["id"]).sha256 for o in result["outputs"]]
    assert [stored_bytes(o["image_id"]) for o in result["outputs"]] == fake_api.requests[-1].output_images
    assert {(o["width"], o["height"]) for o in result["outputs"]} == {(1024, 1536)}
    assert all(o["url"].endswith(".webp") for o in result["outputs"])
    assert fake_api.requests[-1].json["output_compression"] == 80
    assert float(result["cost_usd"]) > 0


def test_edit_refine_keep_and_status(fake_api, make_image, tmp_path):
    source = make_image("Sofa", 800, 600)
    mask = tmp_path / "mask.png"
    mask.write_bytes(mask_bytes(800, 600))
    edited = imagegen("edit", str(source.pk), "--prompt", "Make it green", "--mask", str(mask), "--label", "green",
                      "--invariants", "the cushions", "--fidelity", "high", "--sync", "--json")
    assert edited["status"] == "succeeded"
    assert "mask" in fake_api.requests[-1].files
    refined = imagegen("refine", str(edited["outputs"][0]["id"]), "--prompt", "Darker green", "--sync", "--json")
    assert fake_api.requests[-1].form["prompt"] == ["Darker green\n\nKeep unchanged: the cushions"]
    out = io.StringIO()
    call_command("imagegen", "keep", str(refined["outputs"][0]["id"]), stdout=out)
    assert ImageVariant.objects.get(source=source, label="green").image_id == refined["outputs"][0]["image_id"]
    assert imagegen("status", refined["job"], "--json")["outputs"][0]["state"] == "kept"


def test_a_failed_job_exits_non_zero_with_the_editor_message(fake_api):
    with pytest.raises(CommandError, match="safety system") as exc_info:
        call_command("imagegen", "generate", "A teapot [fake:moderation_blocked]", "--sync", stdout=io.StringIO())
    assert exc_info.value.returncode == 1


def test_invalid_options_are_refused_before_anything_is_queued():
    with pytest.raises(CommandError, match="size"):
        call_command("imagegen", "generate", "A teapot", "--size", "999x999", stdout=io.StringIO())
    assert not GenerationJob.objects.exists()


def test_purge_deletes_only_unused_unkept_candidates(fake_api, make_image):
    kept = imagegen("generate", "Kept", "--sync", "--json")["outputs"][0]
    dropped = imagegen("generate", "Dropped", "--sync", "--json")["outputs"][0]
    call_command("imagegen", "keep", str(kept["id"]), stdout=io.StringIO())
    call_command("imagegen", "discard", str(dropped["id"]), stdout=io.StringIO())
    GenerationJob.objects.update(finished_at=timezone.now() - timedelta(days=10))
    out = io.StringIO()
    call_command("imagegen", "purge", "--older-than", "7", stdout=out)
    assert "Deleted 1" in out.getvalue()
    assert list(get_image_model().objects.values_list("pk", flat=True)) == [kept["image_id"]]
    assert GenerationOutput.objects.count() == 2  # the lineage and its costs stay


@pytest.mark.worker
@worker_db
def test_generate_and_edit_wait_for_a_real_worker(fake_api, use_fake_api, make_image, tmp_path):
    env = worker_environment(use_fake_api.base_url)
    source = make_image("Vase", 640, 640)

    def command(*args: str) -> dict:
        done = subprocess.run([sys.executable, "-m", "django", "imagegen", *args, "--wait", "--json"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert FAKE_KEY not in done.stdout + done.stderr
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    with qcluster(env, tmp_path / "qcluster.log"):
        generated = command("generate", "A blue vase")
        edited = command("edit", str(source.pk), "--prompt", "Add flowers", "--label", "flowers")
    assert generated["status"] == edited["status"] == "succeeded"
    returned = [image for request in fake_api.requests for image in request.output_images]
    assert [stored_bytes(o["image_id"]) for o in generated["outputs"] + edited["outputs"]] == returned
    job = GenerationJob.objects.get(pk=edited["job"])
    assert job.source_images() == [source] and job.actual_cost > 0


def test_generate_with_a_chosen_model_size_and_top_quality_tier(fake_api):
    result = imagegen("generate", "A harbour at dawn", "--model", "gpt-image-2.6-sunburst", "--size", "2560x1440",
                      "--quality", "xhigh", "--n", "1", "--sync", "--json")
    assert result["status"] == "succeeded"
    assert [(o["width"], o["height"]) for o in result["outputs"]] == [(2560, 1440)]
    sent = fake_api.requests[-1].json
    assert (sent["model"], sent["size"], sent["quality"]) == ("gpt-image-2.6-sunburst", "2560x1440", "xhigh")


@pytest.mark.parametrize(("args", "message"), [
    (["--size", "512x512"], "at least 655,360 pixels"),
    (["--size", "4000x1008"], "longer edge may be at most 3,840"),
    (["--model", "gpt-image-2", "--quality", "xhigh"], "gpt-image-2 offers the qualities low, medium, high, auto"),
    (["--model", "gpt-image-1.5"], "no longer offers the model gpt-image-1.5"),
])
def test_what_the_model_cannot_do_is_refused_before_any_request(fake_api, args, message):
    with pytest.raises(CommandError, match=message):
        imagegen("generate", "A harbour", *args, "--sync", "--json")
    assert fake_api.requests == [] and not GenerationJob.objects.exists()


def test_a_model_the_api_no_longer_serves_fails_the_job_at_once(settings, fake_api):
    # The catalog thinks 1.5 is still served (a gateway's own date), but the API has retired it.
    providers = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {
        **providers, "default": {**providers["default"], "MODELS": [{"NAME": "gpt-image-1.5", "SHUTDOWN": None}]}}}
    with pytest.raises(CommandError) as exc_info:
        imagegen("generate", "A harbour", "--model", "gpt-image-1.5", "--sync", "--json")
    job = GenerationJob.objects.get()
    assert job.status == GenerationJob.Status.FAILED and job.error_code == "model_not_found"
    assert job.api_calls == 1 and len(fake_api.requests) == 1  # not retried
    assert "gpt-image-1.5" in job.error_message and "gpt-image-2.6-sunburst" in job.error_message
    assert job.error_message in str(exc_info.value)


def test_models_lists_the_providers_models_with_the_apis_dates(fake_api):
    out = io.StringIO()
    call_command("imagegen", "models", "--json", stdout=out)
    rows = {row["name"]: row for row in json.loads(out.getvalue())}
    assert rows["gpt-image-2.6-flare"]["state"] == "current" and rows["gpt-image-2.6-flare"]["listed_by_api"]
    assert "xhigh" in rows["gpt-image-2.6-sunburst"]["qualities"] and "xhigh" not in rows["gpt-image-2"]["qualities"]
    assert rows["gpt-image-1.5"]["state"] == "retired" and rows["gpt-image-1.5"]["shutdown"] == "2026-12-01"
    assert any(request.path == "/v1/models" for request in fake_api.requests)
