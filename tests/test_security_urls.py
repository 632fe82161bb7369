"""Every imagegen URL refuses anonymous and unpermitted users; prompts are escaped wherever they appear;
the API key appears in no page."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from wagtail_imagegen import jobs
from wagtail_imagegen.models import GenerationJob, GenerationOutput

from .conftest import FAKE_KEY
from .test_access_matrix import routes

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert('prompt')</script>"


def imagegen_urls(job: GenerationJob, output: GenerationOutput) -> list[str]:
    """Every route of the app's namespace, with ids of real objects (a uuid is the job's, an int the output's
    or its image's); the old addresses' redirect, which shows nothing, is test_redirects.py's."""
    urls = []
    for name, pattern in routes().items():
        if name == "wagtail_imagegen:moved":
            continue
        kwargs = {}
        for key, converter in pattern.pattern.converters.items():
            kwargs[key] = (job.pk if type(converter).__name__ == "UUIDConverter"
                           else output.image_id if "image" in key else output.pk)
        urls.append(reverse(name, kwargs=kwargs))
    return urls


@pytest.fixture
def job_with_output(make_image):
    job = jobs.submit_generation(f"A mug {SCRIPT}", invariants=f"the logo {SCRIPT}")
    image = make_image(f"Candidate {SCRIPT}")
    output = GenerationOutput.objects.create(job=job, index=0, image=image, mime_type="image/png", sha256="0" * 64,
                                             digital_source_type=job.digital_source_type)
    GenerationJob.objects.filter(pk=job.pk).update(status=GenerationJob.Status.FAILED,
                                                   error_message=f"Refused {SCRIPT}")
    return job, output


def test_every_url_refuses_anonymous_users(client, job_with_output):
    for url in imagegen_urls(*job_with_output):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (302, 403, 404, 405), (url, response.status_code)
            if response.status_code == 302:
                assert "login" in response["Location"], url


def test_every_url_refuses_users_without_the_permission(client, django_user_model, job_with_output):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("outsider", password="pw")  # noqa: S106
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    for url in imagegen_urls(*job_with_output):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (302, 403, 404, 405), (url, response.status_code)


def test_posts_without_a_csrf_token_are_refused(admin_client, job_with_output):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(get_user_model().objects.get(username="admin"))
    refused = [url for url in imagegen_urls(*job_with_output) if client.post(url).status_code == 403]
    assert reverse("wagtail_imagegen:submit") in refused
    assert all(client.post(url).status_code in (403, 404, 405) for url in imagegen_urls(*job_with_output))


def test_prompts_are_escaped_and_the_key_never_shown_on_any_page(admin_client, job_with_output):
    pages = 0
    for url in imagegen_urls(*job_with_output):
        response = admin_client.get(url)
        content = response.content.decode(errors="replace")
        assert FAKE_KEY not in content and "sk-test-secret" not in content, url
        if response.get("Content-Type", "").startswith("application/json"):
            json.loads(content)  # data for the scripts, which put it in the page as text
        elif response.status_code == 200:
            pages += 1
            assert SCRIPT not in content, url
    assert pages >= 8  # the pages that show prompts were really looked at


def test_an_unknown_job_is_a_404_not_an_error(admin_client):
    assert admin_client.get(reverse("wagtail_imagegen:jobs:status", args=[uuid.uuid4()])).status_code == 404
