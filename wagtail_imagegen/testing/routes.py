"""Which endpoint a path names (images on OpenAI, Azure v1, Azure deployments; OpenAI's models) and whether the
caller's key fits."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Literal

from .errors import APIError, missing_parameter
from .wire import RecordedRequest

Flavor = Literal["openai", "azure_v1", "azure_deployment"]

ROUTES: tuple[tuple[Flavor, re.Pattern[str]], ...] = (
    ("openai", re.compile(r"^/v1/images/(?P<kind>generations|edits)/?$")),
    ("azure_v1", re.compile(r"^/openai/v1/images/(?P<kind>generations|edits)/?$")),
    ("azure_deployment",
     re.compile(r"^/openai/deployments/(?P<deployment>[^/]+)/images/(?P<kind>generations|edits)/?$")),
)
FILE_ROUTE = re.compile(r"^/files/(?P<name>[0-9a-f]{32}\.(?:png|jpeg|webp|gif|svg))$")
# GET /v1/models and GET /v1/models/{model}; model ids hold no slash.
MODELS_ROUTE = re.compile(r"^/v1/models(?:/(?P<model>[^/]+))?/?$")


@dataclass(frozen=True)
class Route:
    kind: Literal["generate", "edit"]
    flavor: Flavor
    deployment: str | None = None

    @property
    def azure(self) -> bool:
        return self.flavor != "openai"


def match_route(path: str) -> Route | None:
    """The image endpoint `path` names, or None."""
    for flavor, pattern in ROUTES:
        match = pattern.match(path)
        if match:
            kind = "generate" if match["kind"] == "generations" else "edit"
            return Route(kind, flavor, match.groupdict().get("deployment"))
    return None


def check_api_version(route: Route, request: RecordedRequest) -> None:
    """Azure's deployment URLs only work with an api-version query parameter."""
    if route.flavor == "azure_deployment" and not request.query.get("api-version"):
        raise missing_parameter("api-version")


def authenticate(flavor: Flavor, request: RecordedRequest, api_key: str | None) -> None:
    """Raise a 401 unless the request carries the key (any key, when `api_key` is None)."""
    given = _presented_key(flavor, request)
    if not given:
        raise _no_key(flavor)
    if api_key is not None and not hmac.compare_digest(given.encode(), api_key.encode()):
        raise APIError(
            401,
            f"Incorrect API key provided: {mask_key(given)}. "
            "You can find your API key at https://platform.openai.com/account/api-keys.",
            code="invalid_api_key",
        )


def _presented_key(flavor: Flavor, request: RecordedRequest) -> str:
    # Azure deployments take only `api-key`; its v1 API also takes the key as a bearer token (the
    # OpenAI client's way), which is how Microsoft documents using OpenAI() against it.
    if flavor != "openai" and request.headers.get("api-key"):
        return request.headers["api-key"]
    if flavor == "azure_deployment":
        return ""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _no_key(flavor: Flavor) -> APIError:
    where = "an api-key header" if flavor == "azure_deployment" else (
        "an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)"
    )
    return APIError(401, f"You didn't provide an API key. You need to provide your API key in {where}.")


def mask_key(key: str) -> str:
    """Like OpenAI: the first few characters, then stars; never the whole key."""
    return key[: min(6, len(key) // 2)] + "***"
