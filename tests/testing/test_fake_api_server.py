"""Serving the fake image API: loopback only, clean and quick shutdown, and the command line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from wagtail_imagegen.testing import FakeImageAPI, serve_fake_api

from .conftest import KEY
from .helpers import MODEL


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104 - refused hosts
def test_the_fake_refuses_to_listen_beyond_loopback(host):
    with pytest.raises(ValueError, match="loopback"), serve_fake_api(host=host):
        pass


def test_a_served_fake_gives_the_base_url_an_openai_client_takes():
    with serve_fake_api() as served:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", served.url)
        assert served.base_url == served.url + "/v1" and served.port > 0
        assert isinstance(served.api, FakeImageAPI)
        response = httpx.post(served.base_url + "/images/generations", json={"model": MODEL, "prompt": "x"},
                              headers={"Authorization": f"Bearer {KEY}"}, timeout=30)
    assert response.status_code == 200
    with pytest.raises(httpx.ConnectError):  # and it is gone afterwards
        httpx.get(served.url, timeout=2)


def test_shutdown_is_quick_while_a_request_hangs():
    api = FakeImageAPI()
    api.inject("hang")
    outcome: list[object] = []

    def call(url: str) -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        try:
            outcome.append(httpx.post(url, json={"prompt": "x"}, headers=headers, timeout=30))
        except httpx.HTTPError as error:
            outcome.append(error)

    with serve_fake_api(api) as served:
        caller = threading.Thread(target=call, args=(served.base_url + "/images/generations",))
        caller.start()
        while not api.requests:
            time.sleep(0.01)
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
    caller.join(5)
    assert isinstance(outcome[0], httpx.RemoteProtocolError)  # the client saw the connection close unanswered


def test_the_command_line_serves_until_interrupted_without_django():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    command = [sys.executable, "-m", "wagtail_imagegen.testing.fake_api", "--port", "0", "--ipm", "1",
               "--api-key", "sk-cli-key"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        base_url = re.search(r"http://127\.0\.0\.1:\d+/v1", process.stdout.readline())[0]
        post = {"json": {"model": MODEL, "prompt": "x"}, "headers": {"Authorization": "Bearer sk-cli-key"}}
        statuses = [httpx.post(base_url + "/images/generations", timeout=30, **post).status_code for _ in range(2)]
        assert statuses == [200, 429]
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "Warning" not in stderr


@pytest.mark.parametrize(("flags", "status"), [([], 404), (["--serve-retired"], 200)])
def test_the_command_line_serves_retired_models_only_when_told(flags, status):
    command = [sys.executable, "-m", "wagtail_imagegen.testing.fake_api", "--port", "0", "--any-key",
               "--today", "2026-12-02", *flags]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = re.search(r"http://127\.0\.0\.1:\d+/v1", process.stdout.readline())[0]
        response = httpx.post(base_url + "/images/generations", json={"model": "gpt-image-1.5", "prompt": "x"},
                              headers={"Authorization": "Bearer sk-any"}, timeout=30)
        listed = httpx.get(base_url + "/models", headers={"Authorization": "Bearer sk-any"}, timeout=30).json()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert response.status_code == status
    assert ("gpt-image-1.5" in [model["id"] for model in listed["data"]]) == (status == 200)


def test_the_command_line_refuses_a_public_host():
    result = subprocess.run([sys.executable, "-m", "wagtail_imagegen.testing.fake_api", "--host", "0.0.0.0"],  # noqa: S104
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "only binds loopback addresses" in result.stderr
