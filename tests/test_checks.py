from django.core import checks
from django.test import override_settings


def ids(messages):
    return [message.id for message in messages]


def test_default_test_settings_pass_the_checks():
    assert [m for m in checks.run_checks() if m.id and m.id.startswith("wagtail_imagegen")] == []
