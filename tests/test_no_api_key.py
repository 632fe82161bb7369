"""A provider without its API key: the site runs, jobs are refused with a clear message, editors are told."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from wagtail_imagegen import bulk, jobs, remake
from wagtail_imagegen.models import GenerationBatch, GenerationJob

from . import brokers
from .test_bulk import RECIPE

pytestmark = pytest.mark.django_db
NOT_SET_UP = "is not set up yet: it has no API key"


def remove_key(settings: Any, monkeypatch: Any) -> None:
    for name in ("IMAGEGEN_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    providers = settings.WAGTAIL_IMAGEGEN["PROVIDERS"]
    default = {key: value for key, value in providers["default"].items() if key != "API_KEY"}
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": {**providers, "default": default}}


@pytest.fixture
def no_key(settings: Any, monkeypatch: Any) -> None:
    remove_key(settings, monkeypatch)


@pytest.fixture
def editor_client(editor: Any) -> Client:
    client = Client()
    client.force_login(editor)
    return client


def assert_nothing_queued() -> None:
    assert GenerationJob.objects.count() == 0
    assert GenerationBatch.objects.count() == 0
    assert brokers.queued() == 0


@pytest.mark.usefixtures("no_key")
def test_a_generation_without_a_key_is_refused_and_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A red bicycle")
    [message] = exc_info.value.message_dict["provider"]
    assert "“default”" in message and NOT_SET_UP in message
    assert_nothing_queued()


@pytest.mark.usefixtures("no_key")
def test_the_demo_provider_needs_no_key():
    job = jobs.submit_generation("A red bicycle", provider="demo")
    assert job.provider == "demo"


@pytest.mark.usefixtures("no_key")
def test_a_batch_and_a_remake_without_a_key_are_refused(make_image):
    images = [make_image("One"), make_image("Two")]
    with pytest.raises(ValidationError) as exc_info:
        bulk.submit_batch(images, RECIPE)
    assert NOT_SET_UP in exc_info.value.message_dict["provider"][0]
    with pytest.raises(ValidationError) as exc_info:
        remake.plan_remake([], model="gpt-image-2")
    assert NOT_SET_UP in exc_info.value.message_dict["provider"][0]
    assert_nothing_queued()


@pytest.mark.usefixtures("no_key")
def test_the_submit_view_answers_400_with_the_message(editor_client):
    data = {"prompt": "A lighthouse", "size": "auto", "background": "auto", "output_format": "png",
            "quality": "low", "n": 1}
    response = editor_client.post(reverse("wagtail_imagegen:submit"), data)
    assert response.status_code == 400
    assert NOT_SET_UP in str(response.json()["errors"])
    assert_nothing_queued()


def test_the_generate_window_tells_editors_when_the_provider_is_not_set_up(editor_client, settings, monkeypatch):
    page = reverse("wagtail_imagegen:generate")
    assert NOT_SET_UP not in editor_client.get(page).content.decode()  # the test settings have a key
    remove_key(settings, monkeypatch)
    html = editor_client.get(page).content.decode()
    assert NOT_SET_UP in html and "imagegen-notice" in html


def test_the_bulk_recipe_page_tells_editors_too(make_image, client, admin_user, settings, monkeypatch):
    client.force_login(admin_user)
    url = reverse("wagtail_bulk_action", args=["wagtailimages", "image", "imagegen_variants"])
    url += f"?id={make_image().pk}"
    assert NOT_SET_UP not in client.get(url).content.decode()
    remove_key(settings, monkeypatch)
    assert NOT_SET_UP in client.get(url).content.decode()


@pytest.mark.usefixtures("no_key")
def test_check_passes_without_a_key(capsys):
    call_command("check", "--fail-level", "ERROR")
    assert "wagtail_imagegen.W005" in capsys.readouterr().err
