"""What every image provider takes and returns, what models can do, and how providers fail.

Providers know nothing of Django models: plain dataclasses in, plain dataclasses out, and one error
hierarchy so the rest of the app never learns a provider's quirks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import httpx
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..catalog import JobSpec, ModelSpec, model_spec
from ..catalog.openai import FLARE_26, SUNBURST_26

Kind = Literal["generate", "edit"]

# ---------------------------------------------------------------------------------------------------
# Values that cross the provider boundary
# ---------------------------------------------------------------------------------------------------

MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class InputImage:
    """An image sent to the API: a source for an edit, or the mask."""

    data: bytes
    name: str
    mime_type: str = "image/png"


@dataclass(frozen=True)
class Turn:
    """An earlier turn of a conversation with a model that continues one (Gemini): what was asked, with
    its images, or what the model answered: its image and its own record of the turn (`parts`, e.g. the
    thought signatures Gemini requires back)."""

    role: Literal["user", "model"]
    text: str = ""
    images: tuple[InputImage, ...] = ()
    parts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ImageRequest:
    """One call to the image API. `images` is empty for a generation; the mask applies to images[0].

    `spec.model` is the model name as sent (a resolved JobSpec: never None here). `history` holds the
    earlier turns of a refinement, for providers that continue a conversation; the others ignore it and
    edit `images` (whose first is then the candidate being refined).
    """

    kind: Kind
    prompt: str
    spec: JobSpec
    images: tuple[InputImage, ...] = ()
    mask: InputImage | None = None
    user: str | None = None
    history: tuple[Turn, ...] = ()

    @classmethod
    def of(cls, kind: Kind, prompt: str, *, images: tuple[InputImage, ...] = (), mask: InputImage | None = None,
           user: str | None = None, **options: Any) -> ImageRequest:
        """A request with JobSpec's options by keyword (for tests and scripts that call a provider directly)."""
        return cls(kind=kind, prompt=prompt, spec=JobSpec(**options), images=images, mask=mask, user=user)

    @property
    def model(self) -> str:
        return self.spec.model or ""

    @property
    def mime_type(self) -> str:
        return MIME_TYPES.get(self.spec.output_format, "application/octet-stream")


@dataclass(frozen=True)
class Usage:
    """Token usage as the API reports it (missing fields are zero).

    The image model's tokens, and, through the Responses API, the mainline model's that called it
    (`mainline_model` names it: its prices are its own).
    """

    input_text_tokens: int = 0
    input_image_tokens: int = 0
    output_image_tokens: int = 0
    output_text_tokens: int = 0
    mainline_input_tokens: int = 0
    mainline_output_tokens: int = 0
    mainline_model: str = ""

    @property
    def total_tokens(self) -> int:
        return (self.input_text_tokens + self.input_image_tokens + self.output_image_tokens + self.output_text_tokens
                + self.mainline_input_tokens + self.mainline_output_tokens)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input_text_tokens": self.input_text_tokens,
            "input_image_tokens": self.input_image_tokens,
            "output_image_tokens": self.output_image_tokens,
            "output_text_tokens": self.output_text_tokens,
            "total_tokens": self.total_tokens,
        }
        if self.mainline_model:
            data.update(mainline_model=self.mainline_model, mainline_input_tokens=self.mainline_input_tokens,
                        mainline_output_tokens=self.mainline_output_tokens)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage | None:
        if not data:
            return None
        fields = ("input_text_tokens", "input_image_tokens", "output_image_tokens", "output_text_tokens",
                  "mainline_input_tokens", "mainline_output_tokens")
        return cls(**{name: int(data.get(name) or 0) for name in fields},
                   mainline_model=str(data.get("mainline_model") or ""))

    def __add__(self, other: Usage) -> Usage:
        """Two calls' usage together (n candidates through a tool that makes one image a call)."""
        counts = {name: getattr(self, name) + getattr(other, name) for name in (
            "input_text_tokens", "input_image_tokens", "output_image_tokens", "output_text_tokens",
            "mainline_input_tokens", "mainline_output_tokens")}
        return Usage(**counts, mainline_model=self.mainline_model or other.mainline_model)


@dataclass(frozen=True)
class GeneratedImage:
    """One output image: the exact bytes the API returned."""

    data: bytes
    mime_type: str
    revised_prompt: str | None = None


@dataclass(frozen=True)
class PartialImage:
    """A low-fidelity preview streamed while the model is still drawing."""

    index: int
    data: bytes
    mime_type: str


@dataclass(frozen=True)
class ImageResult:
    images: tuple[GeneratedImage, ...]
    usage: Usage | None = None
    request_id: str | None = None
    # The values the API resolved (never "auto" when the API says which it chose).
    size: str | None = None
    quality: str | None = None
    background: str | None = None
    output_format: str | None = None
    created: int | None = None
    # Provider facts worth keeping with the job, e.g. {"demo": True}.
    metadata: dict[str, Any] = field(default_factory=dict)


PartialCallback = Callable[[PartialImage], None]


def one_image_a_call(n: int, call: Callable[[], ImageResult]) -> ImageResult:
    """n images from an API that makes one a call (Gemini, the Responses API's tool), usage added up, each
    call's turn record kept (`metadata["turns"]`, what a refinement continues from).

    When a later call fails, the images already made (and paid for) are kept and the failure is recorded
    with them: raising would have the job retried, and every image made and billed again.
    """
    results: list[ImageResult] = []
    failure: ProviderError | None = None
    for _index in range(n):
        try:
            results.append(call())
        except ProviderError as error:
            if not results:
                raise
            failure = error
            break
    metadata: dict[str, Any] = {key: value for result in results for key, value in result.metadata.items()}
    metadata["turns"] = [turn for result in results for turn in result.metadata.get("turns") or [{}]]
    if failure is not None:
        metadata["missing"] = {"images": n - len(results), "error": failure.as_dict()}
    usages = [result.usage for result in results if result.usage is not None]
    return replace(results[-1], images=tuple(image for result in results for image in result.images),
                   usage=sum(usages[1:], usages[0]) if usages else None, metadata=metadata)


@dataclass(frozen=True)
class DescribeRequest:
    """Ask a vision model for an image's alt text, in `language` (a code; `language_name` in English names it
    to the model), at most `max_length` characters. The generation prompt is never part of it."""

    image: InputImage
    language: str
    language_name: str
    max_length: int = 125
    model: str = ""  # the vision model; empty: the provider's own choice

    @property
    def instruction(self) -> str:
        return describe_instruction(self.language_name, self.max_length)


# Kept in English whatever the editor's language: the model is told the language to write in by name.
DESCRIBE_INSTRUCTION = (
    "Write the alt text of this image for a screen-reader user, in {language}, at most {max_length} "
    "characters, as one plain sentence. Say what it shows; do not start with \"Image of\" or "
    "\"Picture of\"; answer with the alt text alone."
)


def describe_instruction(language_name: str, max_length: int) -> str:
    """What a vision model is asked for alt text (a describe job's prompt: the jobs list shows it as sent)."""
    return DESCRIBE_INSTRUCTION.format(language=language_name, max_length=max_length)


@dataclass(frozen=True)
class Description:
    """A vision model's alt text for an image, with what it cost."""

    text: str
    usage: Usage | None = None
    request_id: str | None = None
    model: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


def shortened(text: str, max_length: int) -> str:
    """`text` on one line, cut at a word boundary to at most `max_length` characters."""
    text = " ".join(text.split()).strip().strip('"“”')
    if len(text) <= max_length:
        return text
    cut = text[:max_length + 1].rsplit(" ", 1)[0] if " " in text[:max_length + 1] else text[:max_length]
    return cut[:max_length].rstrip(" ,;:-")


class FileCache(Protocol):
    """Where a provider remembers the files it uploaded, by the bytes' SHA-256 (the app keeps them in the
    database, scoped to the provider alias and the key's fingerprint: provider_files.py)."""

    def get(self, sha256: str) -> str | None: ...

    def put(self, sha256: str, file_id: str, expires_at: int | None) -> None: ...

    def forget(self, sha256: str) -> None: ...

# ---------------------------------------------------------------------------------------------------
# Errors: one hierarchy, each class with an editor-readable message and its retry and charge verdicts
# ---------------------------------------------------------------------------------------------------

# OpenAI-style keys, bearer tokens, and Google API keys (they start "AIza").
SECRET_PATTERN = re.compile(r"(sk-[A-Za-z0-9_\-*]{3,}|Bearer\s+\S+|AIza[0-9A-Za-z_\-]{20,})")


def redact(text: str, *secrets: str | None) -> str:
    """Remove API keys (configured ones and anything shaped like one) from text bound for logs or users."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return SECRET_PATTERN.sub("[redacted]", text)


class ProviderError(Exception):
    """A call to the image API failed. `message` is for editors; `detail` is the API's own words.

    The class alone gives the verdicts, through the markers below: whether the job is tried again
    (`Retryable`) and whether the failed call may have been billed (`MayHaveCharged`). No instance changes
    them: an API that gives its own verdict (OpenAI's `x-should-retry`) gets an error of an `advised()` class.
    """

    code: ClassVar[str] = "provider_error"
    default_message: ClassVar[str] = _("The image service could not complete the request.")

    def __init__(
        self, message: str | None = None, *, detail: str = "", status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = str(message or self.default_message)
        self.detail = detail
        self.status = status
        self.request_id = request_id
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        """Whether the job should be tried again (up to MAX_ATTEMPTS)."""
        return retries(type(self))

    @property
    def may_have_charged(self) -> bool:
        """Whether the API may have done (and billed) the work although we got no usable answer."""
        return isinstance(self, MayHaveCharged)

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "detail": self.detail, "status": self.status}


class Retryable(ProviderError):
    """Marker: the failure may pass (a rate limit, a server in trouble, a timeout), so the job is tried again."""


class DoNotRetry(ProviderError):
    """Marker: the API said not to try again (`x-should-retry: false`), which outweighs a class's `Retryable`."""


class MayHaveCharged(ProviderError):
    """Marker: the request reached the API, which may have done and billed the work although no usable answer
    came back; the next attempt is marked as a possible double charge."""


E = TypeVar("E", bound=ProviderError)


def retries(cls: type[ProviderError]) -> bool:
    """Whether errors of this class are worth another attempt."""
    return issubclass(cls, Retryable) and not issubclass(cls, DoNotRetry)


@cache
def advised(cls: type[E], retry: bool | None) -> type[E]:
    """`cls`, or a subclass of it that follows the API's own retry verdict where that differs from the class's
    (cached: one class per error class and verdict)."""
    if retry is None or retry == retries(cls):
        return cls
    marker = Retryable if retry else DoNotRetry
    advice = "try again" if retry else "not try again"
    return type(cls.__name__, (cls, marker), {
        "__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}[{marker.__name__}]",
        "__doc__": f"{cls.__name__}, which the API advised to {advice}.",
    })


class AuthenticationFailed(ProviderError):
    code = "authentication_failed"
    default_message = _(
        "The image service did not accept the API key. Ask a site administrator to check the "
        "WAGTAIL_IMAGEGEN provider settings."
    )


class AccessDenied(ProviderError):
    """The API refused this account access (a 403): not a Django PermissionDenied, which is about our users."""

    code = "permission_denied"
    default_message = _(
        "The image service refused access to this model. The API account may need to be verified "
        "or granted access."
    )


class InvalidRequest(ProviderError):
    code = "invalid_request"
    default_message = _("The image service did not accept the request.")

    def __init__(self, message: str | None = None, *, param: str | None = None, **kwargs: Any) -> None:
        self.param = param
        super().__init__(message, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "param": self.param}


class ModelNotFound(InvalidRequest):
    """The API does not (or no longer) serve the model: retired, renamed, or not open to this account."""

    code = "model_not_found"
    default_message = _("The image service does not offer this model.")

    def __init__(self, model: str, *, successor: str | None = None, **kwargs: Any) -> None:
        self.model = model
        self.successor = successor
        super().__init__(model_gone_message(model, successor), param="model", **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "model": self.model, "successor": self.successor}


def model_gone_message(model: str, successor: str | None) -> str:
    if successor:
        return gettext("The image service no longer offers the model %(model)s. Choose %(successor)s "
                       "instead, or ask a site administrator to update the provider settings.") % {
            "model": model, "successor": successor}
    return gettext("The image service does not offer the model %(model)s. Ask a site administrator to check "
                   "the provider settings.") % {"model": model}


class Unsupported(InvalidRequest):
    """The provider or model lacks a feature the request needs."""

    code = "unsupported"
    default_message = _("This image service does not support that option.")


class ContentRejected(ProviderError):
    code = "content_rejected"
    default_message = _("The image service's safety system refused this request.")

    def __init__(
        self, message: str | None = None, *, categories: tuple[str, ...] = (), stage: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.categories = tuple(categories)
        self.stage = stage
        if message is None:
            message = content_rejected_message(self.categories, stage)
        super().__init__(message, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "categories": list(self.categories), "stage": self.stage}


def content_rejected_message(categories: tuple[str, ...], stage: str | None) -> str:
    where = _("the finished image") if stage == "output" else _("the prompt or input images")
    if categories:
        return _(
            "The image service's safety system refused %(where)s (%(categories)s). "
            "Rephrase the prompt and try again."
        ) % {"where": where, "categories": ", ".join(categories)}
    return _("The image service's safety system refused %(where)s. Rephrase the prompt and try again.") % {
        "where": where
    }


class QuotaExceeded(ProviderError):
    code = "quota_exceeded"
    default_message = _(
        "The image service account has run out of credit. Ask a site administrator to check billing."
    )


class RateLimited(Retryable):
    code = "rate_limited"
    default_message = _("The image service is busy with too many requests.")

    def __init__(self, message: str | None = None, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "retry_after": self.retry_after}


class ProviderUnavailable(Retryable):
    """The API could not be reached, or answered that it is in trouble (408, 409, 5xx)."""

    code = "provider_unavailable"
    default_message = _("The image service is temporarily unavailable.")


class ConnectionLost(ProviderUnavailable, MayHaveCharged):
    """The connection failed after the request had left: the API may have done (and billed) the work."""


class ProviderTimeout(Retryable, MayHaveCharged):
    code = "timeout"
    default_message = _("The image service took too long to answer.")


class BadResponse(ProviderError):
    """The API answered with something that is not a usable image response. This class itself: not the API's
    answer at all (a redirect or a web page: a wrong BASE_URL), so nothing was billed."""

    code = "bad_response"
    default_message = _("The image service sent back a response that could not be read.")


class GarbledResponse(BadResponse, Retryable, MayHaveCharged):
    """A success that cannot be read (broken JSON, a cut stream, bytes that are no whole image): it was
    probably billed, and another attempt will probably read."""


class UnusableResponse(BadResponse, MayHaveCharged):
    """A success that reads but holds no usable image (the model answered in words, its image call failed,
    the image is too large): billed, and asking the same again would get the same."""


# ---------------------------------------------------------------------------------------------------
# The provider base class
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderConfig:
    """One entry of WAGTAIL_IMAGEGEN["PROVIDERS"], resolved (see conf.py)."""

    alias: str
    class_path: str
    model: str  # the draft model: what new jobs use unless they choose another
    final_model: str | None = None  # what "Final quality" re-renders with (None: the draft model)
    models: tuple[Any, ...] = ()  # the provider's own MODELS list: names, or dicts with NAME and overrides
    api_key: str | None = None
    base_url: str | None = None
    timeout: float = 300.0
    options: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show the key in tracebacks or logs
        return f"ProviderConfig(alias={self.alias!r}, class_path={self.class_path!r}, model={self.model!r})"


class ImageProvider:
    """Base class of image providers. Subclasses implement `generate()` and, where supported, `edit()`.

    A provider owns at most one httpx client, built in `build_client()`; pass `transport` to talk to
    `wagtail_imagegen.testing`'s fake API in process. Use it as a context manager, or call `close()`.
    """

    name: ClassVar[str] = "base"
    # Which catalog models this provider can call (ModelSpec.api), and its defaults among them.
    api: ClassVar[str] = "openai"
    default_model: ClassVar[str] = FLARE_26
    default_final_model: ClassVar[str] = SUNBURST_26
    # Where the API is unless BASE_URL says otherwise, and the environment variables that may hold the key.
    default_base_url: ClassVar[str | None] = None
    api_key_environment: ClassVar[tuple[str, ...]] = ("IMAGEGEN_API_KEY", "OPENAI_API_KEY")
    is_demo: ClassVar[bool] = False
    # Whether describe() can write alt text (a vision model behind the same account).
    describes: ClassVar[bool] = False
    requires_api_key: ClassVar[bool] = True
    requires_base_url: ClassVar[bool] = False

    def __init__(self, config: ProviderConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.transport = transport
        # Set by the caller (tasks.py) for providers that upload inputs once and reuse them.
        self.files: FileCache | None = None

    @property
    def model(self) -> str:
        return self.config.model

    def model_spec(self, model: str | None = None) -> ModelSpec:
        """What `model` (default: the draft model) can do as this provider serves it."""
        return model_spec(model or self.model, self.config.models)

    def list_models(self) -> dict[str, str | None] | None:
        """The API's own list of models with their shutdown dates (YYYY-MM-DD), or None when it has none."""
        return None

    def run(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        """Send `request` and return its images, or raise a ProviderError."""
        if request.kind == "edit":
            return self.edit(request, on_partial=on_partial)
        return self.generate(request, on_partial=on_partial)

    def generate(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        raise NotImplementedError(f"{type(self).__name__} must implement generate()")

    def edit(self, request: ImageRequest, on_partial: PartialCallback | None = None) -> ImageResult:
        raise Unsupported(_("This image service cannot edit images."), param="image")

    def vision_model(self) -> str:
        """The model describe() asks unless the request names one."""
        return self.model

    def describe(self, request: DescribeRequest) -> Description:
        """Alt text for `request.image` from a vision model, or Unsupported."""
        raise Unsupported(_("This image service cannot describe images."), param="image")

    def close(self) -> None:
        """Release network resources."""

    def __enter__(self) -> ImageProvider:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
