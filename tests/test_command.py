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
