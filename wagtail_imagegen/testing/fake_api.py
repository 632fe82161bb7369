"""A faithful fake of OpenAI's Images API (and its Azure and gateway variants) and of Google's Gemini
`generateContent` for image models (gemini.py), as a plain WSGI app.

Use it in process through `httpx.WSGITransport(app=FakeImageAPI())`, or on loopback with
`serve_fake_api()`; from a shell: `python -m wagtail_imagegen.testing.fake_api --port 8099`.
"""

from __future__ import annotations

import math
import random
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx

from . import gemini, responses
from .errors import APIError, not_found
from .faults import (
    SILENT_FAULTS,
    DropConnection,
    Fault,
    FaultContext,
    early_reply,
    fault_in_prompt,
    make_fault,
    shape_item,
    shape_usage,
)
from .files_api import FILES_ROUTE, FileStore, answer_files
from .models_api import model_list, retrieve_model
from .ratelimit import ImagesPerMinute
from .render import SSE_DONE, b64, call_usage, images_response, render_image, sse_frame, stream_events, usage_body
from .responses_request import Turn, parse_turn, tool_call
from .responses_request import prompt_of as responses_prompt_of
from .routes import FILE_ROUTE, MODELS_ROUTE, Route, authenticate, check_api_version, match_route
from .validation import ImageCall, parse_call, prompt_of
from .wire import RecordedRequest, Reply, json_reply, raw_reply, read_request

# Set by the loopback server: a callable that turns True once the server stops or the client has gone.
SHOULD_STOP_KEY = "wagtail_imagegen.fake_api.should_stop"
SLICE_SECONDS = 0.05
FILE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif",
              "svg": "image/svg+xml"}

StartResponse = Callable[..., Any]


@dataclass
class Exchange:
    """One request on its way through the app."""

    request: RecordedRequest
    environ: dict[str, Any]
    request_id: str = field(default_factory=lambda: f"req_{uuid.uuid4().hex}")
    started: float = field(default_factory=time.monotonic)

    @property
    def root_url(self) -> str:
        host = self.environ.get("HTTP_HOST") or f"{self.environ['SERVER_NAME']}:{self.environ['SERVER_PORT']}"
        return f"{self.environ.get('wsgi.url_scheme', 'http')}://{host}"

    @property
    def should_stop(self) -> Callable[[], bool] | None:
        return self.environ.get(SHOULD_STOP_KEY)


class FakeImageAPI:
    """The fake Images API. Every request is recorded in `requests`; faults come from `inject()` or
    from a `[fake:FAULT_NAME]` token in the prompt. Thread-safe.

    Models follow OpenAI's calendar on `today` (the real UTC date unless given): past its shutdown date a
    model answers 404 model_not_found, unless `serve_retired` makes the fake a gateway that still serves it.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "sk-fake-key",
        latency: float = 0.0,
        ipm: int | None = None,
        done_sentinel: bool = True,
        fault_rate: float = 0.0,
        random_faults: tuple[str, ...] = ("server_error", "unavailable", "cloudflare_timeout", "hang"),
        seed: int | None = None,
        today: date | None = None,
        serve_retired: bool = False,
        response_ttl: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key = api_key  # None accepts any key
        self.fixed_today = today
        self.serve_retired = serve_retired
        self.latency = latency
        # A share of calls (0–1) that fail with one of `random_faults`, for soak and chaos tests.
        self.fault_rate = fault_rate
        self.random_faults = random_faults
        self._random = random.Random(seed)
        self.done_sentinel = done_sentinel
        self.requests: list[RecordedRequest] = []
        self._limiter = ImagesPerMinute(ipm)
        self._faults: deque[Fault] = deque()
        self._files: dict[str, tuple[bytes, str]] = {}
        # The Files API's uploads, and the stored Responses that `previous_response_id` continues.
        self.files = FileStore(clock)
        self.responses = responses.ResponseStore(clock, response_ttl)
        self._image_calls = 0
        self._lock = threading.Lock()

    @property
    def ipm(self) -> int | None:
        return self._limiter.limit

    @ipm.setter
    def ipm(self, limit: int | None) -> None:
        self._limiter.limit = limit

    @property
    def today(self) -> date:
        """The day the model calendar is read on."""
        return self.fixed_today or datetime.now(UTC).date()

    @today.setter
    def today(self, day: date | None) -> None:
        self.fixed_today = day

    @property
    def image_calls(self) -> int:
        """Calls to an images endpoint (or to /v1/responses with the image tool), answered or not."""
        return self._image_calls

    def inject(self, fault: str, times: int = 1, **options: Any) -> None:
        """Make the next `times` authenticated image calls fail with `fault` (see FAULTS for the names).

        Options: rate_limit(retry_after=seconds), moderation_blocked(categories=[...], stage="input"|"output"),
        gemini_safety(finish_reason="IMAGE_SAFETY"), gemini_prompt_blocked(block_reason="PROHIBITED_CONTENT"),
        hang(seconds=...: give up and drop the connection after that long; default: wait until the client
        or the server gives up). On /v1/responses, moderation_blocked is a failed image call inside a completed
        Response; text_only answers a message and no image call; truncated_stream stops a stream before the
        image call completes (docs/responses-api.md).
        """
        planned = make_fault(fault, options)
        with self._lock:
            self._faults.extend([planned] * times)

    def reset(self) -> None:
        """Forget requests, planned faults, served files and the rate-limit window."""
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._files.clear()
            self._image_calls = 0
        self.files.clear()
        self.responses.clear()
        self._limiter.reset()

    # -----------------------------------------------------------------------------------------------
    # WSGI
    # -----------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        exchange = Exchange(read_request(environ), environ)
        with self._lock:
            self.requests.append(exchange.request)
        reply = self._answer(exchange)
        exchange.request.status = reply.status
        elapsed = math.ceil((time.monotonic() - exchange.started) * 1000)
        headers = [*reply.headers, ("x-request-id", exchange.request_id), ("openai-processing-ms", str(elapsed))]
        start_response(reply.status_line, headers)
        return reply.body

    def _answer(self, exchange: Exchange) -> Reply:
        request = exchange.request
        file_match = FILE_ROUTE.match(request.path)
        if request.method == "GET" and file_match:
            return self._file(file_match["name"])
        models_match = MODELS_ROUTE.match(request.path)
        if request.method == "GET" and models_match:
            return self._models(models_match["model"], request)
        if FILES_ROUTE.match(request.path) or responses.RESPONSES_ROUTE.match(request.path):
            return self._openai_resource(exchange)
        gemini_route = gemini.match_gemini_route(request.path) if request.method == "POST" else None
        if gemini_route is not None:
            with self._lock:
                self._image_calls += 1
            try:
                return self._gemini_call(gemini_route, exchange)
            except APIError as error:
                return error.reply()
        route = match_route(request.path) if request.method == "POST" else None
        if route is None:
            return not_found(request.method, request.path).reply()
        with self._lock:
            self._image_calls += 1
        try:
            reply = self._image_call(route, exchange)
        except APIError as error:
            reply = error.reply()
        reply.headers.extend(self._limiter.headers())
        return reply

    def _models(self, model_id: str | None, request: RecordedRequest) -> Reply:
        try:
            authenticate("openai", request, self.api_key)
            if model_id is None:
                return json_reply(200, model_list(self.today, self.serve_retired))
            return json_reply(200, retrieve_model(model_id, self.today, self.serve_retired))
        except APIError as error:
            return error.reply()

    def _image_call(self, route: Route, exchange: Exchange) -> Reply:
        check_api_version(route, exchange.request)
        authenticate(route.flavor, exchange.request, self.api_key)
        fault = self._take_fault(prompt_of(exchange.request))
        exchange.request.fault = fault.name if fault else None
        self._pause(self.latency, exchange)
        if fault and fault.name in SILENT_FAULTS:
            self._go_silent(fault, exchange)
        if fault and not fault.shapes_success:
            return early_reply(fault, FaultContext(exchange.request_id, exchange.root_url, self.ipm))
        call = parse_call(route, exchange.request, today=self.today, serve_retired=self.serve_retired)
        self._limiter.admit(call.n, call_usage(call).total)
        return self._stream(call, fault, exchange) if call.stream else self._respond(call, fault, exchange)

    def _gemini_call(self, route: gemini.GeminiRoute, exchange: Exchange) -> Reply:
        """Google's generateContent (gemini.py); the images-per-minute limit applies to OpenAI routes only."""
        gemini.authenticate(exchange.request, self.api_key)
        fault = self._take_fault(gemini.prompt_of(exchange.request))
        exchange.request.fault = fault.name if fault else None
        self._pause(self.latency, exchange)
        if fault and fault.name in SILENT_FAULTS:
            self._go_silent(fault, exchange)
        context = FaultContext(exchange.request_id, exchange.root_url, self.ipm)
        return gemini.answer(route, exchange.request, fault, context, today=self.today,
                             serve_retired=self.serve_retired)

    def expire_responses(self) -> None:
        """Every stored response is gone from now on: `previous_response_id` answers previous_response_not_found."""
        self.responses.expire()

    def expire_files(self) -> None:
        """Every uploaded file is gone from now on (404 No such File object), as if `expires_after` ran out."""
        self.files.expire()

    def _openai_resource(self, exchange: Exchange) -> Reply:
        """/v1/files and /v1/responses (responses.py, files_api.py), also under Azure's /openai/v1."""
        request = exchange.request
        flavor = "azure_v1" if request.path.startswith("/openai/") else "openai"
        files_match = FILES_ROUTE.match(request.path)
        try:
            authenticate(flavor, request, self.api_key)
            if files_match:
                return answer_files(self.files, request, files_match["file_id"])
            response_id = responses.RESPONSES_ROUTE.match(request.path)["response_id"]
            if response_id is None and request.method == "POST":
                if flavor == "azure_v1":
                    require_image_deployment(request)
                if wants_image_tool(request):  # a question about an image (alt text) makes none
                    with self._lock:
                        self._image_calls += 1
                reply = self._create_response(exchange)
                reply.headers.extend(self._limiter.headers())
                return reply
            return self._stored_response(request, response_id)
        except APIError as error:
            return error.reply()

    def _stored_response(self, request: RecordedRequest, response_id: str | None) -> Reply:
        found = self.responses.get(response_id) if response_id else None
        if response_id is None or request.method not in ("GET", "DELETE"):
            return not_found(request.method, request.path).reply()
        if found is None:
            raise responses.response_not_found(response_id)
        if request.method == "DELETE":
            self.responses.delete(response_id)
            return json_reply(200, {"id": response_id, "object": "response", "deleted": True})
        return json_reply(200, found.body)

    def _create_response(self, exchange: Exchange) -> Reply:
        fault = self._take_fault(responses_prompt_of(exchange.request))
        exchange.request.fault = fault.name if fault else None
        self._pause(self.latency, exchange)
        if fault and fault.name in SILENT_FAULTS:
            self._go_silent(fault, exchange)
        if fault and fault.name not in responses.IN_RESPONSE_FAULTS and not fault.shapes_success:
            return early_reply(fault, FaultContext(exchange.request_id, exchange.root_url, self.ipm))
        turn = parse_turn(exchange.request, self.files, today=self.today, serve_retired=self.serve_retired)
        previous = None
        if turn.previous_response_id is not None:
            previous = self.responses.get(turn.previous_response_id)
            if previous is None:
                raise responses.previous_not_found(turn.previous_response_id)
        call = self._tool_call(turn, previous)
        outcome = responses.make_response(turn, call, previous, fault)
        if outcome.image is not None:
            self._limiter.admit(1, outcome.body["tool_usage"]["image_gen"]["total_tokens"])
        truncated = bool(fault and fault.name == "truncated_stream" and turn.stream)
        if turn.store and not truncated:
            self.responses.put(responses.stored(outcome, previous, self.responses.clock))
        if outcome.image is not None and not truncated:
            exchange.request.output_images.append(outcome.image)
        if not turn.stream:
            return json_reply(200, outcome.body)
        events = (sse_frame(event) for event in responses.stream_events(outcome, fault))
        return Reply(200, [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")],
                     events)

    def _tool_call(self, turn: Turn, previous: responses.StoredResponse | None) -> ImageCall | None:
        if not turn.calls_tool:
            return None
        images = responses.input_images(turn, previous, self.responses)
        return tool_call(turn, images, self.files, today=self.today, serve_retired=self.serve_retired)

    def _take_fault(self, prompt: str) -> Fault | None:
        with self._lock:
            if self._faults:
                return self._faults.popleft()
            if self.fault_rate and self._random.random() < self.fault_rate:
                return make_fault(self._random.choice(self.random_faults), {})
        return fault_in_prompt(prompt)

    # -----------------------------------------------------------------------------------------------
    # Successes
    # -----------------------------------------------------------------------------------------------

    def _respond(self, call: ImageCall, fault: Fault | None, exchange: Exchange) -> Reply:
        items = []
        for index in range(call.n):
            image = render_image(call, index)
            item = {"b64_json": b64(image)}
            exchange.request.output_images.append(self._shape(fault, item, image, call, exchange))
            items.append(item)
        usage = shape_usage(fault, usage_body(call_usage(call)))
        return json_reply(200, images_response(call, items, usage))

    def _stream(self, call: ImageCall, fault: Fault | None, exchange: Exchange) -> Reply:
        headers = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]
        return Reply(200, headers, self._frames(call, fault, exchange))

    def _frames(self, call: ImageCall, fault: Fault | None, exchange: Exchange) -> Iterator[bytes]:
        """Server-sent events, rendered and sent one at a time."""
        for index in range(call.n):
            final = render_image(call, index)
            for event in stream_events(call, index, final):
                if "usage" in event:  # the completed event carries the final image
                    exchange.request.output_images.append(self._shape(fault, event, final, call, exchange))
                    event["usage"] = shape_usage(fault, event["usage"])
                yield sse_frame(event)
        if self.done_sentinel:
            yield SSE_DONE

    def _shape(self, fault: Fault | None, item: dict[str, Any], image: bytes, call: ImageCall,
               exchange: Exchange) -> bytes:
        def publish(data: bytes, output_format: str) -> str:
            return f"{exchange.root_url}/files/{self._publish(data, output_format)}"

        return shape_item(fault, item, image, call.output_format, publish)

    def _publish(self, data: bytes, output_format: str) -> str:
        """Keep an image to serve at /files/<name> (for url_output); returns the name."""
        name = f"{uuid.uuid4().hex}.{output_format}"
        with self._lock:
            self._files[name] = (data, FILE_TYPES[output_format])
        return name

    def _file(self, name: str) -> Reply:
        with self._lock:
            found = self._files.get(name)
        if found is None:
            return not_found("GET", f"/files/{name}").reply()
        return raw_reply(200, *found)

    # -----------------------------------------------------------------------------------------------
    # Waiting, and not answering at all
    # -----------------------------------------------------------------------------------------------

    def _pause(self, seconds: float, exchange: Exchange) -> None:
        """Sleep, in short slices when served so a stopping server or a departed client cuts it short."""
        if seconds <= 0:
            return
        should_stop = exchange.should_stop
        if should_stop is None:
            time.sleep(seconds)
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not should_stop():
            time.sleep(min(SLICE_SECONDS, max(0.0, deadline - time.monotonic())))

    def _go_silent(self, fault: Fault, exchange: Exchange) -> None:
        """hang and drop_connection: send nothing. In process there is no connection to hold or drop, so
        raise what httpx raises when the client gives up waiting or the server hangs up."""
        seconds = float(fault.options.get("seconds", math.inf))
        if exchange.should_stop is None:
            if fault.name == "hang":
                time.sleep(0 if math.isinf(seconds) else seconds)
                raise httpx.ReadTimeout("The fake image API did not answer (fault 'hang').")
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if fault.name == "hang":
            self._pause(seconds, exchange)
        raise DropConnection(fault.name)


def main(argv: list[str] | None = None) -> None:
    from .cli import main as cli_main

    cli_main(argv)


if __name__ == "__main__":
    main()


def wants_image_tool(request: RecordedRequest) -> bool:
    body = request.json if isinstance(request.json, dict) else {}
    tools = body.get("tools") or []
    return isinstance(tools, list) and any(isinstance(tool, dict) and tool.get("type") == "image_generation"
                                           for tool in tools)


def require_image_deployment(request: RecordedRequest) -> None:
    """Azure runs the image_generation tool on a deployment of its own, named by a header; without it the
    tool has nowhere to run (the message is the fake's own: docs/responses-api.md §6)."""
    if wants_image_tool(request) and not request.headers.get("x-ms-oai-image-generation-deployment"):
        raise APIError(400, "The image_generation tool needs an image generation deployment: set the "
                            "x-ms-oai-image-generation-deployment header.", param=None,
                       code="missing_image_generation_deployment")

