"""The model catalog: one declaration per model, from which limits, prices, dates and choices derive."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import checks
from django.core.exceptions import ValidationError

from wagtail_imagegen import catalog, jobs, lifecycle
from wagtail_imagegen.catalog import ASPECT_RATIOS, RESOLUTIONS, CatalogError, JobSpec
from wagtail_imagegen.management.commands.imagegen import catalog_values


def with_models(settings, models=None, **provider):
    settings.WAGTAIL_IMAGEGEN = {
        **settings.WAGTAIL_IMAGEGEN, "MODELS": models or {},
        "PROVIDERS": {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"],
                      "default": {**settings.WAGTAIL_IMAGEGEN["PROVIDERS"]["default"], **provider}},
    }


@pytest.mark.parametrize(("name", "family"), [
    ("gpt-image-2.6-flare", "gpt-image-2.6-flare"),
    ("gpt-image-2-2026-04-21", "gpt-image-2"),
    ("gpt-image-2.5-sunburst-2026-09-08", "gpt-image-2.5-sunburst"),
    ("gpt-image-2.6-sunburst-2027-01-15", "gpt-image-2.6-sunburst"),  # a snapshot the catalog does not list yet
    ("gpt-image-1.5-2025-12-16", "gpt-image-1.5"),
])
def test_snapshots_resolve_to_their_family(name, family):
    spec = catalog.model_spec(name)
    assert spec.name == family and not spec.guessed


def test_an_unknown_name_is_permissive_and_marked_as_a_guess():
    spec = catalog.model_spec("gpt-image-9-preview")
    assert spec.guessed and spec.name == "gpt-image-9-preview"
    assert catalog.option_problems(JobSpec(size="5000x5000", quality="max"), spec, kind="generate") == {}


def test_gpt_image_2_refuses_what_it_cannot_make_naming_the_limit():
    model = catalog.model_spec("gpt-image-2")
    problems = catalog.option_problems(JobSpec(size="512x512", quality="xhigh", complexity="low"), model,
                                       kind="generate")
    assert problems == {
        "size": "The image needs at least 655,360 pixels (512x512 has 262,144).",
        "quality": "gpt-image-2 offers the qualities low, medium, high, auto.",
        "complexity": "gpt-image-2 has no complexity setting.",
    }


def test_output_tokens_reproduce_openais_calculator_for_gpt_image_2():
    model = catalog.model_spec("gpt-image-2")
    assert [model.tokens_per_image(q, "1024x1024") for q in ("low", "medium", "high")] == [196, 1756, 7024]
    assert model.tokens_per_image("high", "1536x1024") == 5488
    # "auto" may become any tier and, for the size, any of the standard ones: count the costliest.
    assert model.tokens_per_image("auto", "1024x1024") == 7024
    assert model.tokens_per_image("high", "auto") == max(model.tokens_per_image("high", s)
                                                          for s in ("1024x1024", "1536x1024", "1024x1536"))


def test_gpt_image_1_keeps_its_published_table():
    model = catalog.model_spec("gpt-image-1.5")
    assert model.tokens_per_image("high", "1024x1536") == 6240
    assert model.tokens_per_image("low", "1024x1024") == 272


@pytest.mark.parametrize("resolution", list(RESOLUTIONS))
@pytest.mark.parametrize("aspect", ASPECT_RATIOS)
def test_every_aspect_and_resolution_makes_a_size_the_model_accepts(aspect, resolution):
    rule = catalog.model_spec("gpt-image-2.6-sunburst").sizes
    size = rule.size_for(aspect[0] / aspect[1], resolution)
    assert rule.problem(size) is None
    width, height = map(int, size.split("x"))
    assert abs(width / height - aspect[0] / aspect[1]) < 0.02


@pytest.mark.django_db
def test_a_quality_tier_added_in_settings_is_one_line_and_reaches_validation_and_the_cli(settings):
    with_models(settings, {"gpt-image-2.6-flare": {"QUALITIES": ["low", "medium", "high", "xhigh", "max",
                                                                   "ultra", "auto"]}})
    assert jobs.submit_generation("A kite", quality="ultra").params["quality"] == "ultra"
    assert "ultra" in catalog_values("quality")
    with pytest.raises(ValidationError):  # other models are unchanged
        jobs.submit_generation("A kite", quality="ultra", model="gpt-image-2.5-flare")


def test_a_new_model_based_on_a_known_one(settings):
    with_models(settings, {"house-model": {"BASED_ON": "gpt-image-2", "SHUTDOWN": "2030-01-01",
                                           "PRICES": {"IMAGE_OUTPUT": 10}}})
    spec = catalog.model_spec("house-model")
    assert spec.sizes == catalog.model_spec("gpt-image-2").sizes and str(spec.prices.image_output) == "10"
    assert spec.shutdown == date(2030, 1, 1) and not spec.guessed


@pytest.mark.parametrize(("entry", "key"), [
    ({"QUALITES": ["low"]}, "QUALITES"),
    ({"SIZES": {"MIN_PIXELS": 10_000_000, "MAX_PIXELS": 1_000}}, "SIZES"),
    ({"SIZES": {"MAX_EDGES": 4000}}, "SIZES"),
    ({"SHUTDOWN": "next year"}, "SHUTDOWN"),
    ({"MAX_N": "ten"}, "MAX_N"),
])
def test_a_models_entry_with_a_typo_is_a_check_error_naming_the_key(settings, entry, key):
    with_models(settings, {"gpt-image-2": entry})
    with pytest.raises(CatalogError) as exc_info:
        catalog.catalog()
    assert exc_info.value.key == key
    errors = [m for m in checks.run_checks() if m.id == "wagtail_imagegen.E018"]
    assert len(errors) == 1 and key in errors[0].msg


def test_a_retired_model_gives_a_check_warning_naming_its_successor(settings):
    with_models(settings, MODEL="gpt-image-1.5")
    warnings = [m for m in checks.run_checks() if m.id == "wagtail_imagegen.W003"]
    assert len(warnings) == 1
    assert "gpt-image-1.5" in warnings[0].msg and "2026-12-01" in warnings[0].msg
    assert "gpt-image-2.6-sunburst" in warnings[0].msg


def test_a_model_within_thirty_days_of_its_shutdown_is_warned_about(settings):
    soon = (catalog.today() + timedelta(days=12)).isoformat()
    with_models(settings, {"gpt-image-2.6-flare": {"SHUTDOWN": soon, "SUCCESSOR": "gpt-image-2.6-sunburst"}})
    [notice] = [n for n in lifecycle.notices() if n.setting == "MODEL" and n.alias == "default"]
    assert not notice.retired and soon in notice.message()


def test_a_provider_keeps_its_own_dates(settings):
    # Azure retires gpt-image-1.5 on 2026-12-16, later than OpenAI: a provider entry says so.
    with_models(settings, MODEL="gpt-image-1.5", MODELS=[{"NAME": "gpt-image-1.5", "SHUTDOWN": "2026-12-16"}])
    notices = lifecycle.notices(today=date(2026, 12, 2))
    assert [n.model.shutdown for n in notices if n.alias == "default"] == [date(2026, 12, 16)]


@pytest.mark.django_db
def test_submitting_to_a_retired_model_is_refused_before_any_request(settings):
    with_models(settings, MODEL="gpt-image-1.5")
    with pytest.raises(ValidationError) as exc_info:
        jobs.submit_generation("A kite")
    [message] = exc_info.value.message_dict["model"]
    assert "gpt-image-1.5" in message and "gpt-image-2.6-sunburst" in message


@pytest.mark.django_db
def test_a_provider_offers_only_the_models_it_lists(settings):
    with_models(settings, MODELS=["gpt-image-2.6-flare", "gpt-image-2.6-sunburst"])
    assert [m.name for m in jobs.provider_target(None).offered] == ["gpt-image-2.6-flare", "gpt-image-2.6-sunburst"]
    with pytest.raises(ValidationError, match="offers gpt-image-2.6-flare, gpt-image-2.6-sunburst"):
        jobs.submit_generation("A kite", model="gpt-image-2")


def test_the_default_provider_drafts_with_flare_and_finishes_with_sunburst():
    target = jobs.provider_target(None)
    assert (target.config.model, target.config.final_model) == ("gpt-image-2.6-flare", "gpt-image-2.6-sunburst")


# -- Gemini: named ratios at tiers ------------------------------------------------------------------------


@pytest.mark.parametrize(("model", "size", "fit"), [
    ("gemini-nano-banana-2.1", "1024x1024", ("1:1", "1K")),
    ("gemini-nano-banana-2.1", "1536x1024", ("3:2", "2K")),  # more pixels than 1K's 1264x848 makes
    ("gemini-nano-banana-2.1", "1920x1080", ("16:9", "2K")),
    ("gemini-nano-banana-2.1", "4096x1024", ("4:1", "2K")),
    ("gemini-nano-banana-2.1", "3000x1000", None),  # 3:1 is no ratio it makes
    ("gemini-3-pro-image", "4096x1024", None),  # Pro has no 4:1
    ("gemini-3.1-flash-lite-image", "2048x2048", None),  # 1K only
])
def test_a_size_in_pixels_maps_to_the_nearest_ratio_and_the_smallest_tier_that_covers_it(model, size, fit):
    assert catalog.model_spec(model).sizes.fit(size) == fit


def test_gemini_costs_follow_the_tier_and_the_editor_sizes_are_google_s():
    model = catalog.model_spec("gemini-nano-banana-2.1")
    assert (model.tokens_per_image("auto", "1024x1024"), model.tokens_per_image("auto", "1536x1024"),
            model.tokens_per_image("auto", "5504x3072")) == (1120, 1680, 3780)
    assert model.sizes.size_for(16 / 9, "4K") == "5504x3072" and model.sizes.size_for(1.5, "1K") == "1264x848"
    pro = catalog.model_spec("gemini-3-pro-image")
    # Pro's 1K and 2K cost the same (1,120 tokens); 4K more.
    assert jobs.estimate_cost("A kite", size="1024x1024", model=pro) == jobs.estimate_cost(
        "A kite", size="2048x2048", model=pro) < jobs.estimate_cost("A kite", size="4096x4096", model=pro)
    assert pro.tokens_per_image("auto", "4096x4096") == 2000 and not pro.accepts_n and not pro.mask


def test_retired_gemini_models_name_a_current_successor():
    for name in ("gemini-3.1-flash-image", "gemini-3.1-flash-image-preview", "gemini-2.5-flash-image"):
        model = catalog.model_spec(name)
        assert model.retired(catalog.today()) and model.successor == "gemini-nano-banana-2.1"
    assert catalog.model_spec("gemini-3-pro-image-preview").successor == "gemini-3-pro-image"
