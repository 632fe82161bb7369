"""Browser tests: Debian's chromium driven by Playwright (never a downloaded browser), against pytest-django's
live_server, with a real qcluster running the jobs and the fake image API served on 127.0.0.1.

A failed test leaves a screenshot (and the worker's log) in var/test-artifacts/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from wagtail.models import Page

from ..workers import ROOT, qcluster, worker_environment
from .pages import BrowserTestPage

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ARTIFACTS = ROOT / "var" / "test-artifacts"
FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture(scope="package")
def chromium() -> Iterator[Any]:
    """The browser; a missing chromium skips locally, and fails in CI (CI=true) so nothing passes silently."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run browser tests"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop; the tests' own ORM calls are still synchronous.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def worker(use_fake_api: Any, tmp_path: Path) -> Iterator[Path]:
    """A real qcluster for this test's jobs; its log's path.

    One per test: a worker caches content type ids, which the flush between transactional tests renumbers.
    """
    log = tmp_path / "qcluster.log"
    with qcluster(worker_environment(use_fake_api.base_url), log):
        yield log


@pytest.fixture
def admin_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "password")


@pytest.fixture
def page(chromium: Any, live_server: Any, worker: Path, admin_user: Any,
         request: pytest.FixtureRequest) -> Iterator[Any]:
    """A browser tab logged in as a superuser; its screenshot (and the worker's log) is kept if the test fails."""
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 1000})
    log_in(context, admin_user, live_server.url)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(f"{error}\n{error.stack}"))
    tab.js_errors = errors
    yield tab
    if request.node.stash.get(FAILED, False):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        (ARTIFACTS / f"{request.node.name}.qcluster.log").write_bytes(worker.read_bytes())
    context.close()


def log_in(context: Any, user: Any, url: str) -> None:
    """Give the browser `user`'s session, without going through the login form."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.clear_cookies()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": url}])


@pytest.fixture
def test_page(db: Any) -> BrowserTestPage:
    root = Page.get_first_root_node()
    return root.add_child(instance=BrowserTestPage(title="Browser test page", slug="browser-test"))
