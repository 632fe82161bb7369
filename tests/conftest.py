"""Shared fixtures: real images made in the test, the fake image API on 127.0.0.1, media in a temp dir."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

FAKE_KEY = "sk-test-secret-key-0123456789"


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def empty_redis_queue() -> None:
    """The Redis broker's queue is not rolled back with the test database: start every test empty."""
    from .brokers import purge, uses_orm

    if not uses_orm():
        purge()


@pytest.fixture
def fake_api() -> Any:
    from wagtail_imagegen.testing import FakeImageAPI

    return FakeImageAPI(api_key=FAKE_KEY)


@pytest.fixture
def served_fake_api(fake_api: Any) -> Iterator[Any]:
    from wagtail_imagegen.testing import serve_fake_api

    with serve_fake_api(fake_api) as served:
        yield served


@pytest.fixture
def use_fake_api(settings: Any, served_fake_api: Any) -> Any:
    """Point the default provider at the fake API served on 127.0.0.1."""
    providers = dict(settings.WAGTAIL_IMAGEGEN["PROVIDERS"])
    providers["default"] = {**providers["default"], "BASE_URL": served_fake_api.base_url, "API_KEY": FAKE_KEY}
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "PROVIDERS": providers,
                                 "RETRY_BASE_DELAY": 1, "RETRY_MAX_DELAY": 2}
    return served_fake_api


def image_bytes(width: int, height: int, fmt: str = "PNG", color: tuple[int, ...] = (200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if len(color) == 4 else "RGB"
    picture = PILImage.new(mode, (width, height), color)
    picture.paste((20, 120, 220) + color[3:], (width // 4, height // 4, width // 2, height // 2))
    picture.save(buffer, fmt)
    return buffer.getvalue()


def mask_bytes(width: int, height: int, hole: tuple[int, int, int, int] | None = None) -> bytes:
    """A PNG mask: opaque everywhere but a fully transparent `hole` (where the API should edit)."""
    mask = PILImage.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), hole or (0, 0, width // 2, height // 2))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def wagtail_roots(request: Any) -> None:
    """In transactional tests, the root collection, root page and default site that Wagtail's data
    migrations create (the flush after an earlier transactional test removed them)."""
    marker = request.node.get_closest_marker("django_db")
    if not marker or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.conf import settings
    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    if not Collection.objects.exists():
        Collection.add_root(name="Root")
    if not Page.objects.exists():
        root = Page.add_root(title="Root", slug="root")
        Site.objects.create(hostname="localhost", root_page=root, is_default_site=True)


@pytest.fixture
def make_image(db: Any) -> Callable[..., Any]:
    """Create a Wagtail image from real bytes, the way an upload would."""

    def make(title: str = "Source", width: int = 640, height: int = 480, fmt: str = "PNG",
             collection: Collection | None = None, **fields: Any) -> Any:
        data = image_bytes(width, height, fmt)
        extension = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}[fmt]
        image = get_image_model()(
            title=title, file=SimpleUploadedFile(f"{title.lower()}.{extension}", data),
            collection=collection or Collection.get_first_root_node(), **fields,
        )
        image._set_image_file_metadata()
        image.save()
        return image

    return make


def grant(user: Any, *codenames: str, collections: dict[Collection, tuple[str, ...]] | None = None,
          group_name: str | None = None) -> None:
    """Put `user` in a new group with access_admin, the `codenames`, and image actions ("add", "choose",
    "change") in `collections`."""
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupCollectionPermission

    group = Group.objects.create(name=group_name or f"{user.username} group")
    group.permissions.add(*Permission.objects.filter(codename__in=["access_admin", *codenames]))
    for collection, actions in (collections or {}).items():
        for action in actions:
            GroupCollectionPermission.objects.create(group=group, collection=collection,
                                                     permission=Permission.objects.get(codename=f"{action}_image"))
    user.groups.add(group)


def logged_in(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor(db: Any, django_user_model: Any) -> Any:
    """A non-superuser editor allowed to generate, and to add/choose images in the "Editorial" collection only
    (like any Wagtail user who may add images, they may also change the images they uploaded themselves)."""
    user = django_user_model.objects.create_user("editor", password="password")  # noqa: S106
    editorial = Collection.get_first_root_node().add_child(name="Editorial")
    grant(user, "generate_image", collections={editorial: ("add", "choose")}, group_name="AI editors")
    return user


@pytest.fixture
def editorial(editor: Any, settings: Any) -> Collection:
    """The editor's collection, where the site's new generations go (the COLLECTION setting)."""
    settings.WAGTAIL_IMAGEGEN = {**settings.WAGTAIL_IMAGEGEN, "COLLECTION": "Editorial"}
    return Collection.objects.get(name="Editorial")


@pytest.fixture
def editor_client(editor: Any, editorial: Collection) -> Any:
    return logged_in(editor)


@pytest.fixture
def colleague(editor: Any, django_user_model: Any) -> Any:
    """Another editor with the same permissions (a member of the editor's group)."""
    user = django_user_model.objects.create_user("colleague", password="password")  # noqa: S106
    user.groups.add(editor.groups.get())
    return user


@pytest.fixture
def colleague_client(colleague: Any, editorial: Collection) -> Any:
    return logged_in(colleague)


@pytest.fixture
def reviewer(editor: Any, django_user_model: Any) -> Any:
    """A non-superuser who may see everyone's jobs and batches and the usage report (view_all_jobs) and choose
    the editors' images, but not generate."""
    user = django_user_model.objects.create_user("reviewer", password="password")  # noqa: S106
    grant(user, "view_all_jobs", collections={Collection.objects.get(name="Editorial"): ("choose",)})
    return user


@pytest.fixture
def reviewer_client(reviewer: Any) -> Any:
    return logged_in(reviewer)


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Remove this run's SQLite files (a worker process may recreate one after Django drops it)."""
    import os
    from pathlib import Path

    database = os.environ.get("IMAGEGEN_TEST_DB")
    if database and "DATABASE_URL" not in os.environ:
        for suffix in ("", "-shm", "-wal", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
