"""German first: the admin pages, the scripts' catalog, amounts and a worker's messages follow the editor's
language (Wagtail's UserProfile.preferred_language)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from wagtail_imagegen import governance, jobs, tasks
from wagtail_imagegen.catalog import model_spec

pytestmark = pytest.mark.django_db


def speaking(user: Any, language: str) -> Client:
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client = Client()
    client.force_login(user)
    return client


def test_the_generate_page_speaks_the_editors_language(editor):
    html = speaking(editor, "de").get(reverse("wagtail_imagegen:generate")).content.decode()
    assert "Ein Bild generieren" in html and "Unverändert lassen" in html and "Kandidaten" in html
    assert "Generate an image" not in html and "Keep unchanged" not in html
    html = speaking(editor, "en").get(reverse("wagtail_imagegen:generate")).content.decode()
    assert "Generate an image" in html and "Ein Bild generieren" not in html


def test_the_scripts_catalog_is_german_for_a_german_editor(editor):
    german = speaking(editor, "de").get(reverse("wagtail_imagegen:jsi18n")).content.decode()
    assert "%(count)s von %(max)s Zeichen" in german and "%(seconds)s Sekunden" in german
    english = speaking(editor, "en").get(reverse("wagtail_imagegen:jsi18n")).content.decode()
    assert "Zeichen" not in english


@pytest.mark.parametrize(("language", "expected"), [("en", "US$1,234.568"), ("de", "1.234,568 US$")])
def test_amounts_have_the_languages_separators_and_round_as_before(language, expected):
    with translation.override(language):
        assert governance.format_cost(Decimal("1234.5675")) == expected


def test_limits_in_messages_have_the_languages_separators():
    model = model_spec("gpt-image-2")
    with translation.override("de"):
        problem = model.sizes.problem("16x16")
    assert "Pixel" in problem and "655.360" in problem


def test_a_workers_error_is_written_in_the_language_of_the_editor_who_asked(editor, settings):
    speaking(editor, "de")
    job = jobs.submit_generation("Ein Leuchtturm [demo:refuse]", provider="demo", user=None)
    job.requested_by = editor
    job.save(update_fields=["requested_by"])
    tasks.run_job(str(job.pk))
    job.refresh_from_db()
    assert job.error_code == "content_rejected"
    assert job.error_message.startswith("Das Sicherheitssystem des Bilddienstes")
    anonymous = jobs.submit_generation("A lighthouse [demo:refuse]", provider="demo")
    tasks.run_job(str(anonymous.pk))
    anonymous.refresh_from_db()
    assert anonymous.error_message.startswith("The image service's safety system")  # LANGUAGE_CODE: scripts
