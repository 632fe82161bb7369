"""System checks name the settings key at fault and say how to fix it."""

from django.core import checks


def imagegen_messages() -> list[checks.CheckMessage]:
    return [m for m in checks.run_checks() if m.id and m.id.startswith("wagtail_imagegen")]


def test_the_test_settings_pass_the_checks():
    assert imagegen_messages() == []
