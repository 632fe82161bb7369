"""System checks name the settings key at fault and say how to fix it."""

import pytest
from django.core import checks

from wagtail_imagegen import conf

OPENAI = "wagtail_imagegen.providers.openai.OpenAIImageProvider"
DEMO = "wagtail_imagegen.providers.demo.DemoImageProvider"
AZURE = "wagtail_imagegen.providers.openai.AzureOpenAIImageProvider"


def imagegen_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("wagtail_imagegen")]


def ids() -> list[str]:
    return [m.id for m in imagegen_messages()]


def test_the_test_settings_pass_the_checks():
    assert imagegen_messages() == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not a dict", "E001"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "PROVIDRES": {}}, "E002"),
        ({"PROVIDERS": {}}, "E003"),
        ({"PROVIDERS": {"main": {"CLASS": DEMO}}}, "E004"),
        ({"PROVIDERS": {"default": "openai"}}, "E005"),
        ({"PROVIDERS": {"default": {"CLASS": "wagtail_imagegen.providers.nope.Provider"}}}, "E006"),
        ({"PROVIDERS": {"default": {"CLASS": "wagtail_imagegen.conf.DEFAULTS"}}}, "E006"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO, "MODEL": ""}}}, "E007"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO, "TIMEOUT": "long"}}}, "E008"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO, "BASE_URL": "api.openai.com"}}}, "E009"),
        ({"PROVIDERS": {"default": {"CLASS": OPENAI}}}, "E010"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "TAGS": "ai"}, "E011"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "MAX_ATTEMPTS": 0}, "E012"),
        ({"PROVIDERS": {"default": {"CLASS": AZURE, "API_KEY": "k"}}}, "E013"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"other": {"IMAGES_PER_MINUTE": 5}}}, "E014"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"default": {"IPM": 5}}}, "E014"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "EDIT_PRESETS": "remove-background"}, "E017"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "EDIT_PRESETS": [{"key": "snow", "label": "Snow"}]}, "E017"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow", "options": {"colour": "white"}}]},
         "E017"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow"}] * 2}, "E017"),
    ],
)
def test_each_settings_mistake_has_its_own_error(settings, monkeypatch, value, expected):
    for name in conf.API_KEY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    settings.WAGTAIL_IMAGEGEN = value
    found = ids()
    assert f"wagtail_imagegen.{expected}" in found
    message = next(m for m in imagegen_messages() if m.id.endswith(expected))
    assert message.hint  # every error says how to fix it


def test_the_api_key_may_come_from_the_environment(settings, monkeypatch):
    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": OPENAI, "TIMEOUT": 20}}}
    monkeypatch.delenv("IMAGEGEN_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    assert ids() == []
    assert conf.provider_config().api_key == "sk-from-env"
    monkeypatch.setenv("IMAGEGEN_API_KEY", "sk-imagegen")
    assert conf.provider_config().api_key == "sk-imagegen"


def test_the_api_key_never_appears_in_a_check_message(settings):
    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": OPENAI, "API_KEY": "sk-secret-123",
                                                           "BASE_URL": "ftp://x", "TIMEOUT": -1}}}
    text = " ".join(f"{m.msg} {m.hint}" for m in imagegen_messages())
    assert "sk-secret-123" not in text and "E009" in " ".join(ids())
    assert "sk-secret-123" not in repr(conf.provider_config())


def test_q_cluster_timeouts_that_would_kill_or_duplicate_jobs_are_warned_about(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 20, "retry": 20}
    assert {"wagtail_imagegen.W001", "wagtail_imagegen.W002"} <= set(ids())
