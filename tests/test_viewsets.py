"""The admin is Wagtail viewsets in one group that ask the app's one policy; no view decides access itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import resolve, reverse
from wagtail import VERSION as WAGTAIL_VERSION

from wagtail_imagegen import permissions
from wagtail_imagegen.models import GenerationBatch, GenerationJob
from wagtail_imagegen.views import viewsets

VIEWS = Path(permissions.__file__).parent / "views"


def test_the_group_holds_generate_jobs_and_batches():
    item = viewsets.ai_images.get_menu_item()
    assert (str(item.label), item.name, item.icon_name, item.order) == ("AI images", "imagegen", "imagegen-wand", 310)
    names = [entry.name for entry in item.menu.registered_menu_items]
    assert names == ["imagegen-generate", "imagegen-jobs", "imagegen-batches"]


def test_the_viewsets_and_their_views_ask_the_apps_policy():
    assert viewsets.job_viewset.permission_policy is permissions.job_policy
    assert viewsets.batch_viewset.permission_policy is permissions.batch_policy
    for name, policy in (("wagtail_imagegen:jobs:index", permissions.job_policy),
                         ("wagtail_imagegen:batches:index", permissions.batch_policy),
                         ("wagtail_imagegen:usage:index", permissions.job_policy)):
        assert resolve(reverse(name)).func.view_class.permission_policy is policy, name
    if WAGTAIL_VERSION >= (8, 0):  # 8.x's generic views and menu items look the model's policy up here
        from wagtail.permissions import policy_registry

        assert policy_registry.get_by_type(GenerationJob) is permissions.job_policy
        assert policy_registry.get_by_type(GenerationBatch) is permissions.batch_policy


def test_the_viewsets_offer_no_add_edit_or_delete():
    names = {pattern.name for viewset in (viewsets.job_viewset, viewsets.batch_viewset)
             for pattern in viewset.get_urlpatterns()}
    assert not names & {"add", "edit", "delete", "copy", "history", "usage"}


@pytest.mark.parametrize("path", sorted(VIEWS.glob("*.py")), ids=lambda path: path.name)
def test_no_view_decides_access_itself(path):
    # The views ask permissions.py (or declare a policy action for Wagtail's generic views to ask).
    source = path.read_text()
    assert not re.search(r"has_perms?\(|is_superuser|raise PermissionDenied|user_passes_test", source), path.name


@pytest.mark.django_db
def test_a_reviewer_sees_jobs_and_batches_but_not_generate(reviewer_client):
    page = reviewer_client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("wagtail_imagegen:jobs:index") in page and reverse("wagtail_imagegen:batches:index") in page
    assert reverse("wagtail_imagegen:generate") not in page
