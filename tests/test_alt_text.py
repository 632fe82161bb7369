"""Alt text by a vision model, in process: keep -> describe job -> tasks.run_job against the fake's /v1/responses
on 127.0.0.1. The text is written in the site's language, marked machine-written, never the prompt, never over an
editor's text; saving the image's edit form makes it the editor's; the bulk action and the edit page's button."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from wagtail.images import get_image_model
from wagtail.models import Locale

from wagtail_imagegen import alt_text, describing, jobs, tasks
from wagtail_imagegen.models import GenerationJob, MachineDescription
from wagtail_imagegen.providers.base import Description

from .conftest import grant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("use_fake_api")]
Status, Kind = GenerationJob.Status, GenerationJob.Kind
PROMPT = "A red bicycle leaning on a wall"
ACTION_URL = reverse("wagtail_bulk_action", args=["wagtailimages", "image", "imagegen_describe"])


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    return job


def descriptions() -> Any:
    return GenerationJob.objects.filter(kind=Kind.DESCRIBE)


@pytest.fixture
def kept(editor, editorial) -> Any:
    """A generated image the editor kept (the keep queued its description)."""
    job = run(jobs.submit_generation(PROMPT, n=1, quality="low", user=editor))
    assert job.status == Status.SUCCEEDED, job.error_message
    return jobs.keep(job.outputs.get(), user=editor).image


@pytest.fixture
def german(settings):
    settings.LANGUAGE_CODE = "de"


def described(image) -> Any:
    image = get_image_model().objects.get(pk=image.pk)
    return image


@pytest.mark.usefixtures("german")
def test_keeping_an_output_describes_it_in_the_sites_language_marked_and_costed(kept, fake_api):
    job = run(descriptions().get())
    assert job.status == Status.SUCCEEDED, job.error_message
    image = described(kept)
    assert image.description.startswith("Ein Bild, überwiegend in ") and len(image.description) <= 125
    assert image.description != PROMPT and job.response["written"] and job.response["language"] == "de"
    mark = MachineDescription.objects.get(image=image)
    assert mark.text == image.description and mark.job == job
    # The mainline model's tokens at its price, as the usage report sums them.
    assert job.usage["mainline_model"] == job.model == "gpt-5.6-luna" and job.actual_cost > 0
    call = fake_api.requests[-1]
    assert call.path == "/v1/responses" and call.json["store"] is False and "tools" not in call.json
    assert PROMPT not in str(call.json) and "in German" in job.prompt


def test_descriptions_queued_by_keeping_do_not_count_against_the_submission_rate(editor, editorial, settings):
    job = run(jobs.submit_generation(PROMPT, n=3, quality="low", user=editor))
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "USER_SUBMISSIONS_PER_MINUTE": 1}
    jobs.submit_generation(PROMPT, n=1, quality="low", user=editor)  # the minute's one submission
    for output in job.outputs.all():  # keeping is not a request for AI images: each still gets its description
        jobs.keep(output, user=editor)
    assert descriptions().count() == 3


def test_the_default_locale_names_the_language_where_wagtail_i18n_is_on(kept, settings):
    settings.WAGTAIL_I18N_ENABLED = True
    settings.LANGUAGE_CODE = "fr"
    settings.WAGTAIL_CONTENT_LANGUAGES = settings.LANGUAGES = [("fr", "French"), ("en", "English")]
    Locale.objects.update(language_code="fr")
    assert alt_text.language_of(kept) == "fr"
    descriptions().delete()  # the keep's, queued in English before the switch
    job = run(alt_text.describe(kept, user=None))
    assert described(kept).description.startswith("Une image surtout en ")
    assert job.response["language"] == "fr"


def test_an_editors_text_is_never_replaced_and_the_job_says_it_was_kept(kept, editor):
    image = described(kept)
    image.description = "A bicycle on the harbour wall"
    image.save()
    job = run(descriptions().get())  # queued at keep, finished after the editor typed
    assert job.status == Status.SUCCEEDED and job.response["kept_editor_text"] and not job.response["written"]
    assert described(kept).description == "A bicycle on the harbour wall"
    # Asked again, it is refused before anything is paid for; a keep skips such an image altogether.
    with pytest.raises(ValidationError, match="an editor wrote"):
        alt_text.describe(described(kept), user=editor)
    assert descriptions().count() == 1


def test_a_machine_written_text_may_be_replaced_by_a_newer_description(kept, editor):
    first = run(descriptions().get())
    MachineDescription.objects.filter(image=kept).update(text="An old machine text")
    get_image_model().objects.filter(pk=kept.pk).update(description="An old machine text")
    second = run(alt_text.describe(kept, user=editor))
    assert second.response["written"] and described(kept).description == first.response["text"]


def test_the_prompt_is_never_written_as_the_description(kept, editor):
    job = descriptions().get()
    outcome = describing.write(job, Description(text=PROMPT.upper()))
    assert outcome["echoed_prompt"] and not outcome["written"] and described(kept).description == ""


def test_saving_the_image_edit_form_makes_the_text_the_editors(kept, editor_client):
    run(descriptions().get())
    image = described(kept)
    form = {"title": image.title, "collection": image.collection_id, "tags": "", "description": image.description,
            "focal_point_x": "", "focal_point_y": "", "focal_point_width": "", "focal_point_height": ""}
    response = editor_client.post(reverse("wagtailimages:edit", args=[image.pk]), form)
    assert response.status_code == 302
    assert not MachineDescription.objects.filter(image=image).exists()
    with pytest.raises(ValidationError, match="an editor wrote"):
        alt_text.describe(described(image), user=None)


def test_a_described_image_can_still_be_deleted_and_its_job_stays_for_the_cost(kept):
    job = run(descriptions().get())
    get_image_model().objects.get(pk=kept.pk).delete()
    job.refresh_from_db()
    assert job.described_image is None and job.actual_cost > 0


def test_an_image_deleted_during_the_call_fails_the_job_with_the_call_paid_for(kept, monkeypatch):
    from wagtail_imagegen.providers.openai import OpenAIImageProvider

    job, original = descriptions().get(), OpenAIImageProvider.describe

    def deleted_meanwhile(provider, request):
        answer = original(provider, request)
        get_image_model().objects.filter(pk=kept.pk).delete()
        return answer

    monkeypatch.setattr(OpenAIImageProvider, "describe", deleted_meanwhile)
    job = run(job)
    assert job.status == Status.FAILED and job.error_code == "image_deleted"
    assert job.actual_cost > 0 and job.usage  # the call was billed: budgets and reports count it


def test_a_missing_file_fails_at_once_unbilled_and_unmarked(kept, fake_api):
    import os

    job = descriptions().get()
    os.remove(described(kept).file.path)
    job = run(job)
    assert job.status == Status.FAILED and job.error_code == "unreadable_source", job.error_message
    assert "is missing or is not an image" in job.error_message
    assert job.api_state == GenerationJob.ApiState.NOT_CALLED and not job.maybe_charged_twice
    assert not [request for request in fake_api.requests if request.path == "/v1/responses"]


def test_a_provider_setting_that_cannot_describe_describes_nothing(kept, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "ALT_TEXT": {"PROVIDER": "nowhere"}}
    assert alt_text.describing_alias() is None and not alt_text.describes_on_keep()
    with pytest.raises(ValidationError, match="can describe"):
        alt_text.describe(kept, user=None)


def test_descriptions_stay_out_of_the_studios_recent_jobs(kept, editor_client):
    from wagtail_imagegen.views.recent import recent_jobs

    assert descriptions().exists()
    assert [row["job"].kind for row in recent_jobs(descriptions().get().requested_by)] == [Kind.GENERATE]


def test_an_image_deleted_before_its_description_fails_the_job_with_a_reason(kept):
    job = descriptions().get()
    get_image_model().objects.get(pk=kept.pk).delete()
    job = run(job)
    assert job.status == Status.FAILED and "deleted" in job.error_message


def test_a_describe_job_of_an_image_one_may_not_choose_is_restricted(kept, colleague, editor):
    from wagtail.models import Collection

    from wagtail_imagegen import permissions

    job = descriptions().get()
    hidden = Collection.get_first_root_node().add_child(name="Hidden")
    get_image_model().objects.filter(pk=kept.pk).update(collection=hidden)
    assert permissions.is_restricted(editor, job)


def test_no_description_on_keep_when_the_settings_say_so(editor, editorial, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "ALT_TEXT": {"ON_KEEP": False}}
    job = run(jobs.submit_generation(PROMPT, n=1, quality="low", user=editor))
    jobs.keep(job.outputs.get(), user=editor)
    assert not descriptions().exists()


def test_a_budget_refusal_never_stops_a_keep(editor, editorial, settings):
    job = run(jobs.submit_generation(PROMPT, n=1, quality="low", user=editor))
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 0.000001}}
    output = jobs.keep(job.outputs.get(), user=editor)
    assert output.state == "kept" and not descriptions().exists()


# --- the edit page's button and section ------------------------------------------------------------


def test_the_button_queues_a_description_and_answers_the_script_with_its_status_url(kept, editor_client):
    descriptions().delete()
    response = editor_client.post(reverse("wagtail_imagegen:describe_image", args=[kept.pk]),
                                  HTTP_ACCEPT="application/json")
    assert response.status_code == 202
    job = descriptions().get()
    assert response.json()["status_url"] == reverse("wagtail_imagegen:jobs:status", args=[job.pk])
    section = reverse("wagtail_imagegen:alt_text", args=[kept.pk])
    assert "A description by AI is on its way." in editor_client.get(section).content.decode()
    run(job)
    html = editor_client.get(reverse("wagtail_imagegen:alt_text", args=[kept.pk])).content.decode()
    assert "Written by AI" in html and "Describe with AI" in html


def test_the_button_on_a_description_a_colleague_queued_gives_away_no_job(kept, colleague_client, colleague):
    from .conftest import grant

    grant(colleague, collections={kept.collection: ("change",)}, group_name="Editorial changers")
    queued = descriptions().get()  # the editor's, from the keep
    response = colleague_client.post(reverse("wagtail_imagegen:describe_image", args=[kept.pk]),
                                     HTTP_ACCEPT="application/json")
    assert response.status_code == 202 and response.json()["job"] is None and response.json()["status_url"] is None
    assert descriptions().get() == queued  # still one


def test_asking_twice_while_one_is_queued_queues_one(kept, editor):
    assert alt_text.describe(kept, user=editor) == descriptions().get()


def test_a_reviewer_who_may_edit_the_image_may_not_describe_it(kept, reviewer, reviewer_client, editorial):
    grant(reviewer, collections={editorial: ("change",)}, group_name="Image editors")
    url = reverse("wagtail_imagegen:describe_image", args=[kept.pk])
    assert reviewer_client.post(url, HTTP_ACCEPT="application/json").status_code == 403
    section = reviewer_client.get(reverse("wagtail_imagegen:alt_text", args=[kept.pk]))
    assert section.status_code == 200 and "Describe with AI" not in section.content.decode()


def test_every_edit_page_gets_the_controller_that_adds_the_section(make_image, editor_client, editor, editorial):
    image = make_image(collection=editorial, uploaded_by_user=editor)
    html = editor_client.get(reverse("wagtailimages:edit", args=[image.pk])).content.decode()
    assert 'data-controller="imagegen-alt-text"' in html and "library/alt-text.js" in html


# --- the bulk action ---------------------------------------------------------------------------------


def test_the_bulk_action_describes_the_free_images_and_keeps_editors_text(make_image, editor, editor_client,
                                                                          editorial):
    free = [make_image(f"Free {n}", collection=editorial, uploaded_by_user=editor) for n in range(2)]
    written = make_image("Written", collection=editorial, uploaded_by_user=editor, description="A harbour")
    query = "?" + "&".join(f"id={image.pk}" for image in [*free, written])
    page = editor_client.get(ACTION_URL + query)
    assert page.status_code == 200 and [image.pk for image in page.context["editor_text"]] == [written.pk]
    response = editor_client.post(ACTION_URL + query + "&next=/admin/images/", follow=True)
    assert response.status_code == 200
    assert {job.described_image_id for job in descriptions()} == {image.pk for image in free}
    said = [unescape(str(message)).strip() for message in response.context["messages"]]
    assert said == ["Descriptions of 2 images are on their way. 1 image was left as it is: an editor wrote its alt "
                    "text, or it is not a raster image."]
    for job in descriptions():
        assert run(job).status == Status.SUCCEEDED
    assert all(described(image).description.startswith("A picture mostly") for image in free)
    assert described(written).description == "A harbour"


def test_the_bulk_action_leaves_out_images_the_user_may_not_edit(make_image, editor, editor_client, editorial):
    theirs = make_image("Someone else's", collection=editorial)  # editorial: add and choose, not change
    page = editor_client.get(ACTION_URL + f"?id={theirs.pk}")
    assert [item["item"].pk for item in page.context["items_with_no_access"]] == [theirs.pk]
    editor_client.post(ACTION_URL + f"?id={theirs.pk}")
    assert not descriptions().exists()


# --- wagtail-ai ----------------------------------------------------------------------------------------

WAGTAIL_AI_STUB = {
    "wagtail_ai/__init__.py": "",
    "wagtail_ai/ai/base.py": "import enum\n\nclass BackendFeature(enum.Enum):\n"
                             "    TEXT_COMPLETION = 'TEXT_COMPLETION'\n    IMAGE_DESCRIPTION = 'IMAGE_DESCRIPTION'\n",
    # wagtail-ai's documented backend API: get_backend(feature).describe_image(image_file=, prompt=).text()
    "wagtail_ai/ai/__init__.py": (
        "from .base import BackendFeature\nCALLS = []\n\nclass Answer:\n    def __init__(self, text):\n"
        "        self._text = text\n    def text(self):\n        return self._text\n\nclass Backend:\n"
        "    def describe_image(self, *, image_file, prompt):\n        CALLS.append((image_file.name, prompt))\n"
        "        return Answer('  A harbour at dawn, described by wagtail-ai  ')\n\n"
        "def get_backend(feature=BackendFeature.TEXT_COMPLETION):\n"
        "    assert feature is BackendFeature.IMAGE_DESCRIPTION\n    return Backend()\n"),
}


@pytest.fixture
def wagtail_ai(tmp_path, monkeypatch, settings):
    """A stand-in for wagtail-ai with its backend API, installed and configured."""
    import sys

    for name, source in WAGTAIL_AI_STUB.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings.WAGTAIL_AI = {"IMAGE_DESCRIPTION_BACKEND": "default"}
    yield
    for name in [name for name in sys.modules if name.startswith("wagtail_ai")]:
        del sys.modules[name]


@pytest.mark.usefixtures("wagtail_ai")
def test_wagtail_ais_describer_is_used_where_it_is_installed_and_configured(kept, fake_api):
    from wagtail_ai import ai

    calls = len(fake_api.requests)
    job = run(descriptions().get())
    assert job.status == Status.SUCCEEDED and job.response["describer"] == "wagtail-ai"
    assert described(kept).description == "A harbour at dawn, described by wagtail-ai"
    assert len(ai.CALLS) == 1 and ai.CALLS[0][1] == job.sent_prompt
    assert len(fake_api.requests) == calls  # our provider was not asked


@pytest.mark.usefixtures("wagtail_ai")
def test_the_describer_setting_keeps_ours(kept, settings, fake_api):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "ALT_TEXT": {"DESCRIBER": "imagegen"}}
    job = run(descriptions().get())
    assert "describer" not in job.response and fake_api.requests[-1].path == "/v1/responses"


def test_the_job_page_of_a_description_shows_what_was_asked_and_written(kept, editor_client):
    job = run(descriptions().get())
    html = editor_client.get(reverse("wagtail_imagegen:jobs:inspect", args=[job.pk])).content.decode()
    assert "Describe" in html and "screen-reader user" in html
    listing = editor_client.get(reverse("wagtail_imagegen:jobs:index"))
    assert listing.status_code == 200


def test_a_kept_output_is_described_by_the_service_that_made_it_where_it_can(editor, editorial, fake_api):
    job = run(jobs.submit_generation(PROMPT, n=1, provider="demo", user=editor))
    image = jobs.keep(job.outputs.get(), user=editor).image
    described_by = run(descriptions().get())
    assert described_by.provider == "demo" and described_by.model == "demo" and described_by.actual_cost == 0
    assert described(image).description.startswith("Demo description:")
    assert not [request for request in fake_api.requests if request.path == "/v1/responses"]
