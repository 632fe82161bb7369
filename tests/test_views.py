"""The editor's admin views: permissions and CSRF, submitting, the status the tray polls, candidate actions,
the studio fragments, and the AI images area (jobs list with filters, job page)."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image as PILImage
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from wagtail_imagegen import jobs, tasks
from wagtail_imagegen.models import GenerationJob, GenerationOutput
from wagtail_imagegen.views.viewsets import studio_viewset

from .conftest import grant, logged_in, mask_bytes

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status


def url(name: str, *args) -> str:
    return reverse(f"wagtail_imagegen:{name}", args=args)


def run(job: GenerationJob) -> GenerationJob:
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    return job


@pytest.fixture
def outsider(django_user_model):
    """An admin user without the generate_image permission."""
    user = django_user_model.objects.create_user("outsider", password="password")
    group = Group.objects.create(name="Editors without AI")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


# ---------------------------------------------------------------------------------------------------
# Permissions and CSRF
# ---------------------------------------------------------------------------------------------------

POST_VIEWS = {"submit", "estimate", "use_output", "discard_output", "refine_output", "final_quality"}


def every_endpoint():
    """(name, method, url) of every studio endpoint (the matrix has the rest), with sample arguments."""
    for pattern in studio_viewset.get_urlpatterns():
        converters = pattern.pattern.converters
        args = [uuid.uuid4() if type(c).__name__ == "UUIDConverter" else 1 for c in converters.values()]
        view = pattern.callback
        method = "post" if getattr(view, "__name__", "") in POST_VIEWS else "get"
        yield pattern.name, method, reverse(f"wagtail_imagegen:{pattern.name}", args=args)


@pytest.mark.parametrize(("name", "method", "address"), list(every_endpoint()))
def test_users_without_the_permission_get_403_from_every_endpoint(outsider, name, method, address):
    response = getattr(outsider, method)(address)
    assert response.status_code == 403, name


def test_every_endpoint_is_covered_by_the_403_test():
    names = {name for name, _method, _url in every_endpoint()}
    assert len(names) == len(studio_viewset.get_urlpatterns()) >= 13


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(url("jobs:index"))
    assert response.status_code == 302
    assert reverse("wagtailadmin_login") in response["Location"]


def test_posts_need_the_csrf_token(editor, editorial):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(url("submit"), {"prompt": "A lighthouse"}).status_code == 403
    assert not GenerationJob.objects.exists()
    token = client.get(url("generate")).cookies["csrftoken"].value
    response = client.post(url("submit"), {"prompt": "A lighthouse", "size": "auto", "quality": "low",
                                           "background": "auto", "output_format": "png", "n": 1},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_the_permission_is_offered_in_the_group_editor(django_user_model):
    manager = django_user_model.objects.create_user("manager", password="password")
    grant(manager, "change_group")  # a user manager, not a superuser
    group = Group.objects.create(name="Marketing")
    response = logged_in(manager).get(reverse("wagtailusers_groups:edit", args=[group.pk]))
    permission = Permission.objects.get(codename="generate_image")
    assert f'value="{permission.pk}"' in response.content.decode()


def ai_images_menu():
    from wagtail.admin.menu import admin_menu

    return next(item for item in admin_menu.registered_menu_items if item.name == "imagegen").menu


def test_the_ai_images_menu_is_shown_to_users_who_may_generate(editor_client, outsider):
    page = editor_client.get(reverse("wagtailadmin_home")).content.decode()
    assert '"label": "AI images"' in page and url("generate") in page and url("jobs:index") in page
    assert '"label": "AI images"' not in outsider.get(reverse("wagtailadmin_home")).content.decode()


def test_other_modules_add_items_to_the_ai_images_menu(editor_client):
    menu = ai_images_menu()
    assert menu.register_hook_name == "register_imagegen_menu_item"

    def extra_item():
        # Not named like one of the app's own items, which the permission policy shows only to some.
        return MenuItem("Usage report", "/admin/usage/", name="project-usage", order=900)

    with hooks.register_temporarily("register_imagegen_menu_item", extra_item):
        menu.__dict__.pop("registered_menu_items", None)  # the menu reads its hook once, then caches
        try:
            page = editor_client.get(reverse("wagtailadmin_home")).content.decode()
        finally:
            menu.__dict__.pop("registered_menu_items", None)
    assert '"label": "Usage report"' in page


def test_config_script_gives_the_scripts_their_urls(editor_client):
    response = editor_client.get(url("config"))
    assert response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert body.startswith("window.wagtailImagegenConfig = ")
    assert '"canGenerate": true' in body and url("modal") in body
    assert url("jobs:status", uuid.UUID(int=0)) in body and url("output_use", 0) in body


# ---------------------------------------------------------------------------------------------------
# Submitting and estimating
# ---------------------------------------------------------------------------------------------------

FORM = {"size": "1024x1024", "quality": "low", "background": "auto", "output_format": "png", "n": 2,
        "previews": "on"}


def test_a_generation_is_queued_with_the_options_chosen(editor_client, editor):
    response = editor_client.post(url("submit"), {**FORM, "prompt": "A lighthouse at dusk",
                                                  "invariants": "the red roof", "provider": "demo"})
    assert response.status_code == 201
    data = response.json()
    job = GenerationJob.objects.get(pk=data["job"])
    assert (job.kind, job.provider, job.requested_by, job.invariants) == ("generate", "demo", editor, "the red roof")
    assert job.params == {"size": "1024x1024", "quality": "low", "background": "auto", "output_format": "png",
                          "n": 2, "moderation": "auto", "partial_images": 2}
    assert data["status"] == "queued" and data["chain"][-1]["prompt"] == "A lighthouse at dusk"


def test_an_edit_sends_the_images_in_order_and_the_painted_mask(editor_client, make_image, editorial):
    first, reference = make_image("Product", 640, 480, collection=editorial), make_image("Style", 300, 300,
                                                                                           collection=editorial)
    mask = SimpleUploadedFile("mask.png", mask_bytes(640, 480), content_type="image/png")
    response = editor_client.post(url("submit"), {**FORM, "n": 1, "prompt": "Put it on a beach", "label": "beach",
                                          "input_fidelity": "high", "images": [first.pk, reference.pk],
                                          "mask": mask})
    assert response.status_code == 201, response.json()
    job = GenerationJob.objects.get()
    # The default model keeps the sources' detail on its own: "high" is accepted and nothing more is sent.
    assert (job.kind, job.label, job.params.get("input_fidelity")) == ("edit", "beach", None)
    assert job.source_images() == [first, reference]
    with job.mask.open("rb") as handle, PILImage.open(io.BytesIO(handle.read())) as picture:
        assert picture.size == (640, 480) and picture.mode == "RGBA"


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"prompt": ""}, "prompt", "required"),
        ({"size": "333x333"}, "size", "multiples of 16"),
        ({"size": "4096x1024"}, "size", "longer edge"),
        ({"background": "transparent", "output_format": "jpeg"}, "background", "PNG or WebP"),
        ({"n": 11}, "n", "10"),
    ],
)
def test_refused_requests_come_back_with_errors_on_their_fields(editor_client, changes, field, text):
    response = editor_client.post(url("submit"), {**FORM, "prompt": "A lighthouse", **changes})
    assert response.status_code == 400
    assert text in " ".join(response.json()["errors"][field])
    assert not GenerationJob.objects.exists()


def test_source_images_are_limited_to_those_the_editor_may_choose(editor_client, make_image, editorial):
    allowed, private = make_image("Allowed", collection=editorial), make_image("Private")
    response = editor_client.post(url("submit"), {**FORM, "prompt": "Brighter", "images": [allowed.pk, private.pk]})
    assert response.status_code == 400
    assert "Private" in response.json()["errors"]["images"][0]
    assert editor_client.post(url("submit"), {**FORM, "prompt": "Brighter", "images": [allowed.pk]}).status_code == 201


def test_a_mask_of_the_wrong_size_is_refused_on_the_mask_field(editor_client, make_image, editorial):
    image = make_image("Product", 640, 480, collection=editorial)
    mask = SimpleUploadedFile("mask.png", mask_bytes(100, 100), content_type="image/png")
    response = editor_client.post(url("submit"), {**FORM, "prompt": "Edit", "images": [image.pk], "mask": mask})
    assert "640×480" in response.json()["errors"]["mask"][0]


def test_a_spent_budget_is_explained_above_the_form(editor_client, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "BUDGETS": {"SITE": 0.001}}
    response = editor_client.post(url("submit"), {**FORM, "prompt": "A lighthouse"})
    assert response.status_code == 400
    assert "budget" in response.json()["errors"]["__all__"][0]
    assert not GenerationJob.objects.exists()


def test_too_many_submissions_say_when_to_try_again(editor_client, settings):
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "USER_SUBMISSIONS_PER_MINUTE": 1}
    assert editor_client.post(url("submit"), {**FORM, "prompt": "One"}).status_code == 201
    errors = editor_client.post(url("submit"), {**FORM, "prompt": "Two"}).json()["errors"]["__all__"]
    assert "Try again in" in errors[0]


def test_the_estimate_follows_the_options(editor_client, make_image, editorial):
    image = make_image("Product", 1024, 1024, collection=editorial)
    low = editor_client.post(url("estimate"), {**FORM, "prompt": "A lighthouse", "n": 1, "previews": ""}).json()
    high = editor_client.post(url("estimate"), {**FORM, "prompt": "A lighthouse", "n": 1, "previews": "",
                                                "quality": "high", "images": [image.pk]}).json()
    expected = jobs.estimate_cost("A lighthouse", size="1024x1024", quality="low", n=1, partial_images=0)
    assert low["cost"] == str(expected) and low["label"] == f"US${expected:.3f}"
    expected_high = jobs.estimate_cost("A lighthouse", size="1024x1024", quality="high", n=1, partial_images=0,
                                       images=[image])
    assert high["cost"] == str(expected_high) and expected_high > 3 * expected


# ---------------------------------------------------------------------------------------------------
# The status the tray polls
# ---------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("use_fake_api")
def test_status_reports_progress_then_candidates_with_chosen_data(editor_client, editor):
    job = jobs.submit_generation("A lighthouse", user=editor, n=2, quality="low")
    queued = editor_client.get(url("jobs:status", job.pk)).json()
    assert (queued["status"], queued["status_label"], queued["outputs"], queued["message"]) == (
        "queued", "Queued", [], None)
    assert queued["elapsed"] >= 0 and queued["detail_url"] == url("jobs:inspect", job.pk)
    run(job)
    done = editor_client.get(url("jobs:status", job.pk)).json()
    assert done["status"] == "succeeded" and done["is_finished"] and len(done["outputs"]) == 2
    chosen = done["outputs"][0]["chosen"]
    image = GenerationOutput.objects.get(job=job, index=0).image
    assert chosen["id"] == image.pk and chosen["title"] == image.title
    assert chosen["preview"]["width"] <= 165 and chosen["preview"]["url"].startswith("/media/images/")
    assert chosen["default_alt_text"] == ""  # the prompt is never offered as alt text
    assert chosen["edit_url"] == reverse("wagtailimages:edit", args=[image.pk])


@pytest.mark.usefixtures("use_fake_api")
def test_polling_costs_the_same_few_queries_with_or_without_images(editor_client, editor):
    waiting = jobs.submit_generation("A lighthouse", user=editor, n=1)
    done = run(jobs.submit_generation("A harbour", user=editor, n=3))
    editor_client.get(url("jobs:status", done.pk))  # the first poll after success makes the preview renditions
    counts = []
    for job in (waiting, done):
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(url("jobs:status", job.pk)).status_code == 200
        counts.append(len(queries))
    # Outputs add exactly: the images, and their renditions. A non-superuser's 10 include loading their
    # permissions (Django's two queries) and their collections' (Wagtail's one).
    assert counts[1] <= counts[0] + 2 <= 10


def test_a_streamed_preview_is_offered_while_the_job_runs(editor_client, editor, settings):
    job = jobs.submit_generation("A lighthouse", user=editor)
    job.partial_image.save("preview.png", SimpleUploadedFile("p.png", mask_bytes(10, 10)), save=False)
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.RUNNING, partial_image=job.partial_image.name)
    data = editor_client.get(url("jobs:status", job.pk)).json()
    assert data["partial_url"].startswith(settings.MEDIA_URL + "imagegen/partials/") and "?v=" in data["partial_url"]


def test_a_moderation_refusal_is_explained_with_its_categories(editor_client, editor):
    job = jobs.submit_generation("Something refused", user=editor)
    message = "The image service's safety system refused the prompt or input images (violence)."
    GenerationJob.objects.filter(pk=job.pk).update(status=Status.FAILED, error_code="content_rejected",
                                                   error_message=message, finished_at=timezone.now())
    data = editor_client.get(url("jobs:status", job.pk)).json()
    assert data["error"] == {"code": "content_rejected", "message": message}
    assert data["message"]["title"] == "The image service refused this request"
    assert "(violence)" in data["message"]["text"] and data["message"]["level"] == "error"


def test_a_rate_limited_job_says_when_it_tries_again(editor_client, editor):
    job = jobs.submit_generation("Busy", user=editor)
    GenerationJob.objects.filter(pk=job.pk).update(
        error_code="rate_limited", error_message="The image service is busy with too many requests.",
        next_attempt_at=timezone.now() + timedelta(seconds=42),
    )
    message = editor_client.get(url("jobs:status", job.pk)).json()["message"]
    assert message["level"] == "warning" and 40 <= message["retry_in"] <= 42
    assert "Next try in about 4" in message["text"]


def test_a_job_whose_worker_stopped_says_so_until_another_takes_it_over(editor_client, editor):
    job = jobs.submit_generation("Orphaned", user=editor)
    GenerationJob.objects.filter(pk=job.pk).update(status=GenerationJob.Status.RUNNING, lease_owner="gone",
                                                   lease_expires_at=timezone.now() - timedelta(seconds=1))
    message = editor_client.get(url("jobs:status", job.pk)).json()["message"]
    assert (message["code"], message["level"], message["title"]) == ("worker_stopped", "warning", "The worker stopped")
    assert "continue" in message["text"]
    GenerationJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=45))
    assert editor_client.get(url("jobs:status", job.pk)).json()["message"] is None


def test_the_chain_lists_the_original_and_every_refined_candidate(editor_client, editor, make_image, editorial,
                                                                  use_fake_api):
    source = make_image("Product", collection=editorial)
    first = run(jobs.submit_edit([source], "On a beach", user=editor, invariants="the logo"))
    second = run(jobs.refine(first.outputs.get(), "Warmer light", user=editor))
    third = jobs.refine(second.outputs.get(), "Add a palm tree", user=editor)
    chain = editor_client.get(url("jobs:status", third.pk) + "?chain=1").json()["chain"]
    assert [step["prompt"] for step in chain] == ["Product", "On a beach", "Warmer light", "Add a palm tree"]
    assert chain[0]["kind"] == "original" and all(step["image"] for step in chain[:3])


# ---------------------------------------------------------------------------------------------------
# Candidate actions
# ---------------------------------------------------------------------------------------------------


@pytest.fixture
def finished(editor, editorial, use_fake_api):
    return run(jobs.submit_generation("A lighthouse", user=editor, n=2, quality="low", invariants="the red roof"))


def test_use_this_keeps_the_candidate_and_returns_it_for_the_chooser(editor_client, finished):
    output = finished.outputs.first()
    data = editor_client.post(url("output_use", output.pk)).json()
    assert data["state"] == "kept" and data["chosen"]["id"] == output.image_id
    output.refresh_from_db()
    assert output.state == GenerationOutput.State.KEPT and output.kept_by.username == "editor"


def test_discard_marks_the_candidate(editor_client, finished):
    output = finished.outputs.last()
    assert editor_client.post(url("output_discard", output.pk)).json()["state"] == "discarded"


def test_refine_carries_the_invariants_and_links_the_candidate(editor_client, finished):
    output = finished.outputs.first()
    response = editor_client.post(url("output_refine", output.pk), {"prompt": "Add fog", "invariants": "the red roof"})
    assert response.status_code == 201
    job = GenerationJob.objects.get(pk=response.json()["job"])
    assert (job.kind, job.parent_output, job.invariants) == ("edit", output, "the red roof")
    assert job.sent_prompt.endswith("Keep unchanged: the red roof")
    assert editor_client.post(url("output_refine", output.pk), {"prompt": ""}).json()["errors"]["prompt"]


def test_final_quality_refines_once_at_high_quality_on_the_final_model(editor_client, finished):
    response = editor_client.post(url("output_final", finished.outputs.first().pk))
    job = GenerationJob.objects.get(pk=response.json()["job"])
    # The final model keeps the source's detail by itself, so no input_fidelity is sent.
    assert (job.params["quality"], job.params.get("input_fidelity"), job.params["n"]) == ("high", None, 1)
    assert job.model == "gpt-image-2.6-sunburst"
    assert job.invariants == "the red roof"


def test_editors_cannot_act_on_other_editors_candidates(colleague_client, finished):
    """Someone else's job is, to an editor who may not see it, a job that does not exist (404, nothing changes);
    tests/test_access_matrix.py has the reviewer who may see it but not act (403)."""
    output = finished.outputs.first()
    for name in ("output_use", "output_discard", "output_refine", "output_final"):
        assert colleague_client.post(url(name, output.pk), {"prompt": "x"}).status_code == 404
    assert colleague_client.post(url("jobs:cancel", finished.pk)).status_code == 404
    output.refresh_from_db()
    assert output.state == GenerationOutput.State.CANDIDATE
    assert GenerationJob.objects.count() == 1


def test_cancel_from_the_tray_and_from_the_job_page(editor_client, editor):
    job = jobs.submit_generation("A lighthouse", user=editor)
    data = editor_client.post(url("jobs:cancel", job.pk), headers={"Accept": "application/json"}).json()
    assert data["status"] == "cancelled" and data["message"]["level"] == "info"
    other = jobs.submit_generation("A harbour", user=editor)
    response = editor_client.post(url("jobs:cancel", other.pk))
    assert response.status_code == 302 and response["Location"] == url("jobs:inspect", other.pk)


# ---------------------------------------------------------------------------------------------------
# The studio: modal, page, recent jobs, library picker
# ---------------------------------------------------------------------------------------------------


def test_the_modal_opens_the_studio_for_generating(editor_client):
    data = editor_client.get(url("modal"), {"mode": "generate", "target": "field"}).json()
    assert data["step"] == "imagegen"
    html = data["html"]
    assert 'data-controller="imagegen-form"' in html and "Use this" in html
    assert 'maxlength="32000"' in html and 'data-imagegen-form-max-images-value="16"' in html


def test_the_modal_edits_an_image_the_editor_may_choose(editor_client, make_image, editorial):
    allowed, private = make_image("Allowed", collection=editorial), make_image("Private")
    html = editor_client.get(url("modal"), {"mode": "edit", "image": allowed.pk, "label": "winter"}).json()["html"]
    assert f'name="images" value="{allowed.pk}"' in html and 'value="winter"' in html
    assert "Keep" in html and "Use this" not in html  # not opened from a field
    html = editor_client.get(url("modal"), {"mode": "edit", "image": private.pk}).json()["html"]
    assert f'name="images" value="{private.pk}"' not in html and "Private" not in html


def test_the_generate_page_has_the_studio(editor_client):
    response = editor_client.get(url("generate"))
    assert response.status_code == 200
    assert b'data-controller="imagegen-job imagegen-recent"' in response.content
    assert url("config").encode() in response.content


def test_recent_jobs_are_the_editors_own(editor_client, editor, colleague, editorial):
    jobs.submit_generation("Mine", user=editor, collection=editorial)
    jobs.submit_generation("Someone else's", user=colleague)
    html = editor_client.get(url("recent")).content.decode()
    assert "Mine" in html and "Someone else" not in html and "data-imagegen-active" in html


def test_the_library_picker_lists_only_images_the_editor_may_choose(editor_client, make_image, editorial):
    make_image("Allowed beach", collection=editorial)
    make_image("Private beach")
    html = editor_client.get(url("source_images"), {"q": "beach"}).content.decode()
    assert "Allowed beach" in html and "Private beach" not in html


# ---------------------------------------------------------------------------------------------------
# AI images > Jobs
# ---------------------------------------------------------------------------------------------------


def make_jobs(count: int, user, kind: str = "generate", **fields) -> None:
    GenerationJob.objects.bulk_create(
        GenerationJob(kind=kind, prompt=f"Job {index}", provider="default", model="gpt-image-1.5",
                      requested_by=user, **fields) for index in range(count)
    )


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url("jobs:index")).status_code == 200
    return len(queries)


def test_the_jobs_list_costs_the_same_queries_for_50_jobs_as_for_5(reviewer_client, colleague, editor,
                                                                   django_assert_num_queries):
    make_jobs(3, colleague)
    make_jobs(2, editor, status=Status.FAILED)
    baseline = list_queries(reviewer_client)
    make_jobs(45, editor, kind="edit")
    with django_assert_num_queries(baseline):
        response = reviewer_client.get(url("jobs:index"))
    html = response.content.decode()
    assert all(url("jobs:inspect", pk) in html for pk in GenerationJob.objects.values_list("pk", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "failed"}, {"Failed 0"}),
        ({"kind": "edit"}, {"Edit 0"}),
        ({"requested_by": "EDITOR"}, {"Edit 0", "Failed 0"}),
        ({"created_at_from": "2020-01-01", "created_at_to": "2020-12-31"}, {"Old 0"}),
    ],
)
def test_the_jobs_list_filters_by_status_kind_user_and_date(reviewer_client, colleague, editor, query, expected):
    GenerationJob.objects.create(kind="generate", prompt="Failed 0", provider="default", model="m",
                                 requested_by=editor, status=Status.FAILED)
    GenerationJob.objects.create(kind="edit", prompt="Edit 0", provider="default", model="m", requested_by=editor)
    GenerationJob.objects.create(kind="generate", prompt="Old 0", provider="default", model="m",
                                 requested_by=colleague, created_at=timezone.now().replace(year=2020, month=6))
    query = {key: (editor.pk if value == "EDITOR" else value) for key, value in query.items()}
    html = reviewer_client.get(url("jobs:index_results"), query).content.decode()
    shown = {prompt for prompt in ("Failed 0", "Edit 0", "Old 0") if prompt in html}
    assert shown == expected


def test_the_job_page_shows_lineage_prompts_escaped_parameters_usage_and_cost(editor_client, editor,
                                                                              use_fake_api):
    parent = run(jobs.submit_generation("<script>alert('x')</script> A lighthouse", user=editor))
    child = run(jobs.refine(parent.outputs.get(), "Add fog", user=editor, invariants="the <b>roof</b>"))
    html = editor_client.get(url("jobs:inspect", child.pk)).content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; A lighthouse" in html
    assert "<script>alert" not in html and "the &lt;b&gt;roof&lt;/b&gt;" in html
    assert url("jobs:inspect", parent.pk) in html  # lineage
    assert "input_image_tokens" in html and "output_image_tokens" in html
    assert f"US${child.estimated_cost:.3f}" in html and f"US${child.actual_cost:.3f}" in html
    parent_html = editor_client.get(url("jobs:inspect", parent.pk)).content.decode()
    assert url("jobs:inspect", child.pk) in parent_html and "Refined from candidate 1" in parent_html
