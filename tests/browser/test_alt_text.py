"""Alt text in Chromium: "Describe with AI" on an image's edit page, the worker's description put into the form's
field, and the editor's save that makes it theirs."""

from __future__ import annotations

import pytest
from wagtail.images import get_image_model

from wagtail_imagegen.models import GenerationJob, MachineDescription

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_describe_with_ai_fills_the_description_and_saving_makes_it_the_editors(page, make_image):
    harbour = make_image("Harbour", 160, 120)
    page.goto(f"/admin/images/{harbour.pk}/")
    section = page.locator("#imagegen-alt-text")
    section.get_by_role("button", name="Describe with AI").click()
    field = page.locator('form [name="description"]')
    page.wait_for_function("() => document.querySelector('form [name=description]').value.startsWith('A picture')",
                           timeout=60_000)
    written = field.input_value()
    assert section.locator("[data-imagegen-machine-written]").is_visible()
    assert get_image_model().objects.get(pk=harbour.pk).description == written
    assert GenerationJob.objects.get(kind=GenerationJob.Kind.DESCRIBE).status == GenerationJob.Status.SUCCEEDED
    page.locator("form button[type=submit]").filter(has_text="Save").first.click()
    page.wait_for_url(lambda url: url.split("?")[0].endswith("/admin/images/"))  # back to the listing: saved
    assert not MachineDescription.objects.filter(image=harbour).exists()
    assert get_image_model().objects.get(pk=harbour.pk).description == written
    assert page.js_errors == []
