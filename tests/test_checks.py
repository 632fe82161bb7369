"""System checks name the settings key at fault and say how to fix it."""

import pytest
from django.core import checks
from django.core.management import call_command

from wagtail_imagegen import conf

OPENAI = "wagtail_imagegen.providers.openai.OpenAIImageProvider"
DEMO = "wagtail_imagegen.providers.demo.DemoImageProvider"
AZURE = "wagtail_imagegen.providers.openai.AzureOpenAIImageProvider"


def imagegen_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("wagtail_imagegen")]


def ids() -> list[str]:
    return [m.id for m in imagegen_messages()]


def settings_messages() -> list[checks.CheckMessage]:
    """The messages about WAGTAIL_IMAGEGEN itself (the test Q_CLUSTER is short for a 300 s TIMEOUT: W001)."""
    return [m for m in imagegen_messages() if m.id not in ("wagtail_imagegen.W001", "wagtail_imagegen.W002")]


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
        ({"PROVIDERS": {"default": {"CLASS": OPENAI}}}, "W005"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO, "TIMEOUTS": 30}}}, "E019"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "TAGS": "ai"}, "E011"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "MAX_ATTEMPTS": 0}, "E012"),
        ({"PROVIDERS": {"default": {"CLASS": AZURE, "API_KEY": "k"}}}, "E013"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": []}, "E014"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"default": 60}}, "E014"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"other": {"IMAGES_PER_MINUTE": 5}}}, "E020"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"default": {"IPM": 5}}}, "E021"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"default": {"IMAGES_PER_MINUTE": -5}}}, "E022"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "BUDGETS": [5]}, "E015"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "BUDGETS": {"PER_USERS": 5}}, "E023"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "BUDGETS": {"SITE": "lots"}}, "E024"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "EDIT_PRESETS": "remove-background"}, "E017"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "EDIT_PRESETS": [{"key": "snow", "label": "Snow"}]}, "E025"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow"}] * 2}, "E026"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow", "options": "high"}]}, "E027"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow", "options": {"colour": "white"}}]},
         "E028"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "ALT_TEXT": {"ON_KEPT": False}}, "E029"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "ALT_TEXT": {"DESCRIBER": "gpt"}}, "E029"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "ALT_TEXT": {"PROVIDER": "vision"}}, "W006"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}, "gemini": {
            "CLASS": "wagtail_imagegen.providers.gemini.GeminiImageProvider", "API_KEY": "test"}},
          "ALT_TEXT": {"PROVIDER": "gemini"}}, "W006"),
    ],
)
def test_each_settings_mistake_has_its_own_error(settings, monkeypatch, value, expected):
    for name in conf.API_KEY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    settings.WAGTAIL_IMAGEGEN = value
    assert [m.id for m in settings_messages()] == [f"wagtail_imagegen.{expected}"]  # one mistake, one id
    assert settings_messages()[0].hint  # every message says how to fix it


@pytest.mark.parametrize(
    ("value", "where", "key", "nearest"),
    [
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "PROVIDRES": {}}, "WAGTAIL_IMAGEGEN", "PROVIDRES", "PROVIDERS"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO, "TIMEOUTS": 30}}}, '["default"]', "TIMEOUTS", "TIMEOUT"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "RATE_LIMITS": {"default": {"IMAGES_PER_MINUT": 5}}},
         '["RATE_LIMITS"]["default"]', "IMAGES_PER_MINUT", "IMAGES_PER_MINUTE"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}}, "BUDGETS": {"PER_USERS": 5}}, '["BUDGETS"]', "PER_USERS",
         "PER_USER"),
        ({"PROVIDERS": {"default": {"CLASS": DEMO}},
          "EDIT_PRESETS": [{"key": "snow", "label": "Snow", "prompt": "Snow", "options": {"qualty": "high"}}]},
         '"snow"', "qualty", "quality"),
    ],
)
def test_an_unknown_key_is_named_with_the_nearest_valid_one(settings, value, where, key, nearest):
    settings.WAGTAIL_IMAGEGEN = value
    [message] = settings_messages()
    assert message.level == checks.ERROR
    assert where in message.msg and f'unknown key "{key}"' in message.msg
    assert f'Did you mean "{nearest}"?' in message.hint


def test_an_unknown_key_far_from_every_valid_one_gets_the_list_only(settings):
    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": DEMO}}, "ZZZ": 1}
    [message] = settings_messages()
    assert "Did you mean" not in message.hint and "DEFAULT_PROVIDER" in message.hint


def test_a_missing_api_key_is_a_warning_with_the_hint_so_management_commands_run(settings, monkeypatch):
    for name in conf.API_KEY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": OPENAI}}}
    [message] = settings_messages()
    assert message.level == checks.WARNING and not message.is_serious()
    assert "IMAGEGEN_API_KEY" in message.hint and "DemoImageProvider" in message.hint
    call_command("check")  # raises SystemCheckError on an error; a warning only prints


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


def test_check_messages_and_hints_speak_the_active_language(settings):
    from django.utils import translation

    settings.WAGTAIL_IMAGEGEN = {"PROVIDERS": {"default": {"CLASS": DEMO, "TIMEOUTS": 30}}}
    with translation.override("de"):
        [message] = settings_messages()
    assert message.id == "wagtail_imagegen.E019"
    assert 'hat einen unbekannten Schlüssel „TIMEOUTS“' in message.msg and 'Meinten Sie „TIMEOUT“?' in message.hint
    [english] = settings_messages()  # the keys and the code in them stay as written
    assert 'has an unknown key "TIMEOUTS"' in english.msg and 'WAGTAIL_IMAGEGEN["PROVIDERS"]["default"]' in english.msg
