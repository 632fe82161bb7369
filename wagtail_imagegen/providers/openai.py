"""The OpenAI Images API over httpx: OpenAI itself, CometAPI and other compatible gateways, and Azure.

Generations are JSON, edits are multipart (the form every gateway documents). Failures are translated
in openai_errors.py, answers are read in openai_results.py.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import httpx

from ..catalog import ModelSpec
from ..catalog.openai import DEFAULT_RESPONSES_MODEL
from .base import (
    DescribeRequest,
    Description,
    ImageProvider,
    ImageRequest,
    ImageResult,
    InputImage,
    InvalidRequest,
    ModelNotFound,
    PartialCallback,
    ProviderConfig,
    ProviderError,
    one_image_a_call,
    redact,
)
from .http import api_client, capped, read_capped
from .openai_describe import describe_body, read_description
from .openai_errors import (
    error_from_exception,
    error_from_payload,
    error_from_response,
    json_body,
    unreadable,
)
from .openai_responses import file_gone, is_gone, partial_of, previous_response, read_response
from .openai_responses import request_body as responses_body
from .openai_results import result_from_body, result_from_events
from .sse import DeadlineExceeded, iter_events, within_deadline
from .validation import request_problem

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# The largest image we accept (a 3840×2160 PNG is ~20 MB); more means a misbehaving gateway, not an image.
DEFAULT_MAX_IMAGE_MB = 25
MODEL_LIST_LIMIT = 4 * 1024 * 1024
DESCRIPTION_LIMIT = 1024 * 1024  # a few sentences of JSON; more is no description
# How long an uploaded input stays at OpenAI (OPTIONS["FILE_SECONDS"]; the Files API takes 1 hour to 30 days).
DEFAULT_FILE_SECONDS = 7 * 24 * 3600
# OPTIONS keys that scope the calls to an OpenAI organization or project.
SCOPE_HEADERS = {"OpenAI-Organization": "ORGANIZATION", "OpenAI-Project": "PROJECT"}
Fields = dict[str, Any]
FileParts = list[tuple[str, tuple[str, bytes, str]]]


class OpenAIImageProvider(ImageProvider):
    """GPT Image models through the OpenAI Images API or any gateway that speaks it.

    OPTIONS: ORGANIZATION and PROJECT become the `OpenAI-Organization` / `OpenAI-Project` headers.
    """

    name = "openai"
    default_base_url = DEFAULT_BASE_URL
    describes = True  # RESPONSES_MODEL (a mainline model) sees images in either API mode

    def __init__(self, config: ProviderConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(config, transport=transport)
        self._client: httpx.Client | None = None

    # -- the HTTP client ------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = self.build_client()
        return self._client

    def build_client(self) -> httpx.Client:
        """The one httpx client of this provider; override to add proxies, certificates, event hooks."""
        return api_client(self.config, self.config.base_url or DEFAULT_BASE_URL, self.headers(), self.transport)

    def headers(self) -> dict[str, str]:
        headers = self.auth_headers()
        for header, option in SCOPE_HEADERS.items():
            if self.config.options.get(option):
                headers[header] = str(self.config.options[option])
        return headers

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}

    def query_params(self) -> dict[str, str]:
        """Query parameters every API call carries (Azure's api-version)."""
        return {}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- the calls ------------------------------------------------------------------------------------

    def generate(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        model = self.checked_model(request)
        if self.responses_mode:
            return self.respond(request, model, on_partial)
        return self.call("images/generations", request, generation_fields(request, model), on_partial=on_partial)

    def edit(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        model = self.checked_model(request)
        if self.responses_mode:
            return self.respond(request, model, on_partial)
        fields = edit_fields(request, model)
        return self.call("images/edits", request, fields, files=edit_files(request), on_partial=on_partial)

    # -- the Responses API mode (OPTIONS["API"] = "responses"; openai_responses.py) ----------------------

    def model_spec(self, model: str | None = None) -> ModelSpec:
        spec = super().model_spec(model)
        # Through the Responses API the tool makes one image a call.
        return replace(spec, accepts_n=False) if self.responses_mode else spec

    @property
    def responses_mode(self) -> bool:
        return str(self.config.options.get("API") or "images").lower() == "responses"

    @property
    def responses_model(self) -> str:
        return str(self.config.options.get("RESPONSES_MODEL") or DEFAULT_RESPONSES_MODEL)

    def respond(self, request: ImageRequest, model: ModelSpec, on_partial: PartialCallback | None = None
                ) -> ImageResult:
        """n calls of one image each, the tool making one a call (base.one_image_a_call)."""
        previous = previous_response(request)
        return one_image_a_call(request.spec.n, lambda: self.respond_once(request, model, previous, on_partial))

    def respond_once(self, request: ImageRequest, model: ModelSpec, previous: str | None,
                     on_partial: PartialCallback | None = None) -> ImageResult:
        try:
            return self.post_response(request, self.responses_request(request, model, previous), on_partial)
        except InvalidRequest as error:
            if file_gone(error) and self.files is not None:  # expired or deleted since: upload them again
                self.forget_uploads(request)
                return self.post_response(request, self.responses_request(request, model, previous), on_partial)
            if previous is None or not is_gone(error):
                raise
        # The conversation is gone (deleted, expired, not stored): edit the candidate's own bytes instead.
        single = replace(request, spec=replace(request.spec, n=1, partial_images=0), history=())
        result = self.call("images/edits", single, edit_fields(single, model), files=edit_files(single))
        return replace(result, metadata={**result.metadata, "fallback": "images/edits", "turns": [{}]})

    def responses_request(self, request: ImageRequest, model: ModelSpec, previous: str | None) -> Fields:
        file_ids = self.uploaded(request) if previous is None else {}
        return responses_body(request, model, self.responses_model, previous=previous, file_ids=file_ids)

    # -- alt text: RESPONSES_MODEL describes the image (openai_describe.py) ------------------------------

    def vision_model(self) -> str:
        return self.responses_model

    def describe(self, request: DescribeRequest) -> Description:
        """POST /responses with the image (uploaded once where there is a file cache); a file gone since is
        uploaded again."""
        model = request.model or self.responses_model
        try:
            return self.post_description(request, model)
        except InvalidRequest as error:
            if not (file_gone(error) and self.files is not None):
                raise
            self.files.forget(hashlib.sha256(request.image.data).hexdigest())
            return self.post_description(request, model)

    def post_description(self, request: DescribeRequest, model: str) -> Description:
        file_id = self.file_id(request.image) if self.files is not None else None
        body = describe_body(request, model, file_id=file_id)
        with self.translated_errors():
            sent = self.client.build_request("POST", "responses", params=self.query_params(), json=body)
            response = read_capped(self.client.send(sent, stream=True), DESCRIPTION_LIMIT)
        if not response.is_success:
            raise self.failure(response, body)
        return read_description(json_body(response, self.config.api_key), response, request, self.config.api_key)

    # -- files: each library image (and mask) uploaded once, while it lasts ------------------------------

    def uploaded(self, request: ImageRequest) -> dict[bytes, str]:
        """The file id of each input image and the mask, uploading those not yet remembered. Without a file
        cache (a script calling the provider directly) the images go inline instead."""
        if self.files is None:
            return {}
        inputs = [*request.images, *([request.mask] if request.mask is not None else [])]
        return {image.data: self.file_id(image) for image in inputs}

    def file_id(self, image: InputImage) -> str:
        digest = hashlib.sha256(image.data).hexdigest()
        known = self.files.get(digest) if self.files is not None else None
        if known:
            return known
        ttl = int(self.config.options.get("FILE_SECONDS", DEFAULT_FILE_SECONDS))
        with self.translated_errors():
            response = self.client.post("files", params=self.query_params(), files={"file": file_part(image)},
                                        data={"purpose": "vision", "expires_after[anchor]": "created_at",
                                              "expires_after[seconds]": str(ttl)})
        if not response.is_success:
            raise error_from_response(response, api_key=self.config.api_key)
        body = json_body(response, self.config.api_key)
        if not isinstance(body, dict) or not body.get("id"):
            raise unreadable("the uploaded file has no id", self.config.api_key)
        if self.files is not None:
            self.files.put(digest, str(body["id"]), body.get("expires_at"))
        return str(body["id"])

    def forget_uploads(self, request: ImageRequest) -> None:
        if self.files is None:
            return
        for image in [*request.images, *([request.mask] if request.mask is not None else [])]:
            self.files.forget(hashlib.sha256(image.data).hexdigest())

    def delete_file(self, file_id: str) -> bool:
        """Delete an uploaded file; False when the API no longer had it."""
        with self.translated_errors():
            response = self.client.delete(f"files/{file_id}", params=self.query_params())
        if response.status_code == 404:
            return False
        if not response.is_success:
            raise error_from_response(response, api_key=self.config.api_key)
        return True

    def post_response(self, request: ImageRequest, body: Fields, on_partial: PartialCallback | None = None
                      ) -> ImageResult:
        limit = self.response_limit(request)
        deadline = time.monotonic() + self.config.timeout
        with self.translated_errors(), self.client.stream(
            "POST", "responses", params=self.query_params(), json=body, headers=self.responses_headers(request)
        ) as response:
            if not response.is_success:
                raise self.failure(read_capped(response, limit), body)
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return self.read_response_stream(response, request, body, deadline, limit, on_partial)
            response = read_capped(response, limit)
        return self.finished_response(json_body(response, self.config.api_key), response, request, body)

    def read_response_stream(self, response: httpx.Response, request: ImageRequest, body: Fields, deadline: float,
                             limit: int, on_partial: PartialCallback | None) -> ImageResult:
        """Previews from the partial_image events, then the full Response of response.completed; a stream that
        ends before it is unreadable (worth a retry; it may have been billed)."""
        for event in self.stream_payloads(response, body, deadline, limit):
            kind = event.get("type")
            if kind == "response.image_generation_call.partial_image" and on_partial is not None:
                on_partial(partial_of(event, request, self.config.api_key))
            elif kind in ("response.completed", "response.failed", "response.incomplete"):
                return self.finished_response(event.get("response"), response, request, body)
            elif kind == "error":
                raise self.payload_error(event, response, body)
        raise unreadable("the stream ended before response.completed", self.config.api_key)

    def finished_response(self, answer: Any, response: httpx.Response, request: ImageRequest, body: Fields
                          ) -> ImageResult:
        if isinstance(answer, dict) and answer.get("status") == "failed" and isinstance(answer.get("error"), dict):
            raise self.payload_error(answer["error"], response, body)
        return read_response(answer, response, request, self.config.api_key)

    def responses_headers(self, request: ImageRequest) -> dict[str, str]:
        """Headers a Responses call carries beyond the client's own (Azure names the image deployment)."""
        return {}

    def checked_model(self, request: ImageRequest) -> ModelSpec:
        """The model's spec; refuses, before any call, what this service or model cannot do at all."""
        model = self.model_spec(request.model)
        problem = request_problem(request, model)
        if problem is not None:
            raise problem
        return model

    def list_models(self) -> dict[str, str | None] | None:
        """GET /models: each model id with its `shutdown_date`, where the API gives one."""
        with self.translated_errors():
            request = self.client.build_request("GET", "models", params=self.query_params())
            response = read_capped(self.client.send(request, stream=True), MODEL_LIST_LIMIT)
        if not response.is_success:
            raise error_from_response(response, api_key=self.config.api_key)
        body = json_body(response, self.config.api_key)
        items = body.get("data") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise unreadable("the model list has no data array", self.config.api_key)
        return {str(item["id"]): item.get("shutdown_date") for item in items
                if isinstance(item, dict) and item.get("id")}

    def call(
        self,
        path: str,
        request: ImageRequest,
        fields: Fields,
        *,
        files: FileParts | None = None,
        on_partial: PartialCallback | None = None,
    ) -> ImageResult:
        deadline = time.monotonic() + self.config.timeout
        limit = self.response_limit(request)
        content = {"json": fields} if files is None else {"data": form_values(fields), "files": files}
        with self.translated_errors(), self.client.stream(
            "POST", path, params=self.query_params(), **content
        ) as response:
            if not response.is_success:
                raise self.failure(read_capped(response, limit), fields)
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return self.read_stream(response, request, fields, deadline, on_partial, limit)
            return self.read_body(read_capped(response, limit), request, fields)

    def failure(self, response: httpx.Response, fields: Fields) -> ProviderError:
        """The error of a failed call; a model the API does not serve is named, with its successor."""
        error = error_from_response(response, api_key=self.config.api_key, sent=fields)
        if isinstance(error, ModelNotFound):
            successor = self.model_spec(error.model or self.model).successor
            error = type(error)(error.model or self.model, successor=successor, detail=error.detail,
                                status=error.status, request_id=error.request_id)  # the server's verdict kept
        return error

    def response_limit(self, request: ImageRequest) -> int:
        """The most bytes an answer may have: MAX_IMAGE_MB per image, base64-encoded, plus room for JSON."""
        per_image = float(self.config.options.get("MAX_IMAGE_MB", DEFAULT_MAX_IMAGE_MB)) * 1024 * 1024
        return int(request.spec.n * per_image * 4 / 3 * (1 + (request.spec.partial_images or 0))) + 64 * 1024

    @contextmanager
    def translated_errors(self) -> Iterator[None]:
        """Failures below HTTP (timeouts, refused or dropped connections) become ProviderErrors."""
        try:
            yield
        except (httpx.TransportError, DeadlineExceeded) as exc:
            raise error_from_exception(exc, self.config.api_key) from exc

    # -- reading answers ------------------------------------------------------------------------------

    def read_body(self, response: httpx.Response, request: ImageRequest, fields: Fields) -> ImageResult:
        body = json_body(response, self.config.api_key)
        if isinstance(body, dict) and body.get("error"):  # Azure's legacy content filter answers 200
            raise self.payload_error(body["error"], response, fields)
        return result_from_body(
            body, output_format=request.spec.output_format, fetch=self.download,
            request_id=response.headers.get("x-request-id"),
        )

    def read_stream(
        self, response: httpx.Response, request: ImageRequest, fields: Fields, deadline: float,
        on_partial: PartialCallback | None, limit: int,
    ) -> ImageResult:
        events = self.stream_payloads(response, fields, deadline, limit)
        return result_from_events(
            events, output_format=request.spec.output_format, on_partial=on_partial,
            request_id=response.headers.get("x-request-id"),
        )

    def stream_payloads(
        self, response: httpx.Response, fields: Fields, deadline: float, limit: int
    ) -> Iterator[dict[str, Any]]:
        """The JSON objects of a stream, up to `[DONE]` or its end; an `error` object raises."""
        lines = capped(within_deadline(response.iter_lines(), deadline), limit, size=len)
        for event in iter_events(lines):
            if event.data.strip() == "[DONE]":
                return
            try:
                payload = json.loads(event.data)
            except ValueError as exc:
                raise unreadable(f"a stream event is not JSON ({exc})", self.config.api_key) from exc
            if not isinstance(payload, dict):
                raise unreadable("a stream event is not a JSON object")
            if payload.get("error"):
                raise self.payload_error(payload["error"], response, fields)
            yield payload

    def response_limit_per_image(self) -> int:
        return int(float(self.config.options.get("MAX_IMAGE_MB", DEFAULT_MAX_IMAGE_MB)) * 1024 * 1024)

    def payload_error(self, error: Any, response: httpx.Response, fields: Fields) -> ProviderError:
        return error_from_payload(error, response.headers, api_key=self.config.api_key, sent=fields)

    def download(self, url: str) -> bytes:
        """Fetch a `url` output at once (they expire), never handing the API key to another host."""
        target = httpx.URL(url)
        if not target.is_absolute_url:
            raise unreadable(f"the image URL {url!r} is not absolute", self.config.api_key)
        request = self.client.build_request("GET", target)
        if origin(target) != origin(self.client.base_url):
            for name in self.auth_headers():
                request.headers.pop(name, None)
        response = read_capped(self.client.send(request, stream=True), self.response_limit_per_image())
        if not response.is_success:
            detail = f"downloading the image answered HTTP {response.status_code}"
            raise unreadable(redact(detail, self.config.api_key))
        return response.content


class AzureOpenAIImageProvider(OpenAIImageProvider):
    """Azure OpenAI: the v1 API (BASE_URL https://RES.openai.azure.com/openai/v1, MODEL = deployment name)
    or a deployment URL (BASE_URL .../openai/deployments/DEP) with OPTIONS["API_VERSION"].
    """

    name = "azure"
    requires_base_url = True  # there is no default Azure resource
    default_base_url = None

    def auth_headers(self) -> dict[str, str]:
        return {"api-key": self.config.api_key} if self.config.api_key else {}

    def query_params(self) -> dict[str, str]:
        version = self.config.options.get("API_VERSION")
        return {"api-version": str(version)} if version else {}

    def responses_headers(self, request: ImageRequest) -> dict[str, str]:
        # The image_generation tool runs on a deployment of its own, beside RESPONSES_MODEL's (the
        # orchestrator): Azure reads its name from this header (docs/responses-api.md, Azure).
        return {"x-ms-oai-image-generation-deployment": request.model}

    def model_spec(self, model: str | None = None) -> ModelSpec:
        spec = super().model_spec(model)
        return replace(spec, formats=tuple(name for name in spec.formats if name != "webp"))  # PNG and JPEG only


# -- request bodies -----------------------------------------------------------------------------------------


def common_fields(request: ImageRequest, model: ModelSpec) -> Fields:
    """Fields both endpoints take, only those the model accepts; never `response_format` or `style`."""
    spec = request.spec
    fields: Fields = {
        "model": request.model,  # always: a missing model falls back to dall-e-2 on some endpoints
        "prompt": request.prompt,
        "n": spec.n,
        "size": spec.size,
        "quality": spec.quality,
        "background": spec.background,
        "output_format": spec.output_format,
        "user": request.user,
    }
    if spec.output_format != "png" and model.compression:  # compression is for jpeg and webp only
        fields["output_compression"] = spec.output_compression
    for control in model.controls:  # family controls such as 2.6's complexity
        fields[control] = getattr(spec, control, None)
    if spec.partial_images:
        fields.update(stream=True, partial_images=spec.partial_images)
    return fields


def generation_fields(request: ImageRequest, model: ModelSpec) -> Fields:
    return without_none({**common_fields(request, model), "moderation": request.spec.moderation})


def edit_fields(request: ImageRequest, model: ModelSpec) -> Fields:
    """The multipart schema has no `moderation`; `input_fidelity` only where it is a parameter of the model."""
    fidelity = request.spec.input_fidelity if model.input_fidelity == "parameter" else None
    return without_none({**common_fields(request, model), "input_fidelity": fidelity})


def edit_files(request: ImageRequest) -> FileParts:
    """One source image is the part `image`; several are repeated `image[]` parts, as the SDK sends them."""
    name = "image" if len(request.images) == 1 else "image[]"
    parts = [(name, file_part(image)) for image in request.images]
    if request.mask is not None:
        parts.append(("mask", file_part(request.mask)))
    return parts


def file_part(image: InputImage) -> tuple[str, bytes, str]:
    return (image.name, image.data, image.mime_type)


def form_values(fields: Fields) -> dict[str, str]:
    """Form fields as the SDK stringifies them: booleans as "true"/"false", numbers via str()."""
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in fields.items()
    }


def without_none(fields: Fields) -> Fields:
    return {name: value for name, value in fields.items() if value is not None}


def origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)
