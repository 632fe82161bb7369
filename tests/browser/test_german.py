"""A German editor in Chromium (Wagtail's UserProfile.preferred_language = "de"): the generate window, its
candidates, an error, the jobs pages, the bulk recipe and its batch page, and the usage report speak German,
with German separators, and none of the sampled English phrases is left. Jobs run in a real qcluster."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from wagtail.users.models import UserProfile

from wagtail_imagegen.models import GenerationBatch, GenerationJob

from ..test_bulk import catalog
from .test_editor import JOB_SECONDS, candidates, fresh, generate

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
# The studio's own tray (a second one, for a second image service, may sit beside it).
TRAY = ".imagegen-studio__results > .imagegen-tray"
# Phrases a German editor read in English before the catalog (issue 15), and a few more.
ENGLISH = ["Generate an image", "Candidates", "Keep unchanged", "Estimated cost", "Use this", "Refine", "Discard",
           "Your recent jobs", "Image service", "characters", "The image service refused", "AI image jobs",
           "Usage and cost", "Generate variants", "To review", "Approve", "AI image usage", "In all:"]


def assert_german(text: str, *german: str) -> None:
    text = text.casefold()  # inner_text() applies CSS text-transform
    for phrase in german:
        assert phrase.casefold() in text, phrase
    english = [phrase for phrase in ENGLISH if phrase.casefold() in text]
    assert english == [], english


@pytest.fixture
def german(admin_user: Any) -> Any:
    profile = UserProfile.get_for_user(admin_user)
    profile.preferred_language = "de"
    profile.save()
    return admin_user


def main_text(page: Any) -> str:
    return page.locator("main").inner_text()


def test_a_german_editor_sees_the_app_in_german(page, german, make_image, fake_api):
    page.goto("/admin/imagegen/generate/")
    assert page.locator("html").get_attribute("lang") == "de"
    studio = page.locator(".imagegen-studio")
    studio.locator("textarea[name=prompt]").fill("Ein roter Leuchtturm")
    # The counter is the script's own string, from the JavaScript catalog, with a German thousands separator.
    assert studio.locator("[data-imagegen-form-target=counter]").inner_text() == "20 von 32.000 Zeichen"
    assert_german(main_text(page), "Ein Bild generieren", "Unverändert lassen", "Geschätzte Kosten", "Bilddienst",
                  "Ihre letzten Aufträge")

    generate(studio, "Ein roter Leuchtturm", count=2)
    cards = candidates(page, 2)
    page.locator(f"{TRAY} [data-imagegen-job-target=status][data-status=succeeded]").wait_for(timeout=JOB_SECONDS)
    assert_german(cards.first.inner_text(), "Behalten", "Verfeinern", "Verwerfen")
    assert "Sekunde" in page.locator(f"{TRAY} [data-imagegen-job-target=elapsed]").inner_text()
    assert page.locator(f"{TRAY} [data-imagegen-job-target=status]").text_content() == "Erfolgreich"

    generate(studio, "Ein Leuchtturm [demo:refuse]", provider="demo")
    message = page.locator(f"{TRAY} [data-imagegen-job-target=message]")
    message.wait_for(timeout=JOB_SECONDS)
    assert_german(message.inner_text(), "Der Bilddienst hat diese Anfrage abgelehnt", "Sicherheitssystem")

    page.goto(reverse("wagtail_imagegen:jobs:index"))
    assert_german(main_text(page), "KI-Bildaufträge", "Fehlgeschlagen", "Erfolgreich")
    job = fresh(GenerationJob, prompt="Ein roter Leuchtturm")
    page.goto(reverse("wagtail_imagegen:jobs:inspect", args=[job.pk]))
    assert_german(main_text(page), "Verbrauch und Kosten", "Geschätzte Kosten", "Parameter")

    images = catalog(make_image, 3)
    recipe = reverse("wagtail_bulk_action", args=["wagtailimages", "image", "imagegen_variants"])
    page.goto(recipe + "?" + "&".join(f"id={image.pk}" for image in images))
    estimate = page.locator("[data-imagegen-recipe-target=estimate]").inner_text()
    assert estimate.endswith(" US$") and "," in estimate  # 0,123 US$
    assert_german(main_text(page), "Varianten generieren", "Je eine Variante von 3 Bildern", "Anweisung")
    page.locator("textarea[name=prompt]").fill("Stelle das Produkt in den Schnee")
    page.locator("input[name=label]").fill("winter")
    page.locator("select[name=quality]").select_option("low")
    page.get_by_role("button", name="Varianten generieren").click()
    page.wait_for_url("**/imagegen/batches/*/")
    page.locator("[data-imagegen-batch-target=count][data-count=succeeded]").filter(has_text="3").wait_for(
        timeout=JOB_SECONDS * 3)
    assert_german(main_text(page), "Stapel", "Zu prüfen", "Bisherige Kosten", "Alle freigeben")
    assert GenerationBatch.objects.count() == 1

    page.goto(reverse("wagtail_imagegen:usage:index"))
    assert_german(main_text(page), "Nutzung von KI-Bildern", "Monat", "Insgesamt:")
