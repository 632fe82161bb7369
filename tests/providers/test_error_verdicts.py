"""Each provider error's class says whether the job is retried and whether the call may have been billed."""

from __future__ import annotations

import pytest

from wagtail_imagegen.providers import base
from wagtail_imagegen.providers.base import (
    ConnectionLost,
    DoNotRetry,
    InvalidRequest,
    MayHaveCharged,
    ModelNotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Retryable,
    UnusableResponse,
    advised,
)

MARKERS = {Retryable, DoNotRetry, MayHaveCharged}
# class name: (retried, may have been billed, code)
VERDICTS = {
    "ProviderError": (False, False, "provider_error"),
    "AuthenticationFailed": (False, False, "authentication_failed"),
    "AccessDenied": (False, False, "permission_denied"),
    "InvalidRequest": (False, False, "invalid_request"),
    "ModelNotFound": (False, False, "model_not_found"),
    "Unsupported": (False, False, "unsupported"),
    "ContentRejected": (False, False, "content_rejected"),
    "QuotaExceeded": (False, False, "quota_exceeded"),
    "RateLimited": (True, False, "rate_limited"),
    "ProviderUnavailable": (True, False, "provider_unavailable"),
    "ConnectionLost": (True, True, "provider_unavailable"),
    "ProviderTimeout": (True, True, "timeout"),
    "BadResponse": (False, False, "bad_response"),
    "GarbledResponse": (True, True, "bad_response"),
    "UnusableResponse": (False, True, "bad_response"),
}


def declared_errors(cls: type[ProviderError] = ProviderError) -> set[type[ProviderError]]:
    """cls and its subclasses as base.py declares them: no markers, no advised() variants."""
    found = {cls}
    for subclass in cls.__subclasses__():
        found |= declared_errors(subclass)
    return {error for error in found if error not in MARKERS and "[" not in error.__qualname__}


def make(cls: type[ProviderError], **kwargs) -> ProviderError:
    return cls("gpt-image-2", **kwargs) if issubclass(cls, ModelNotFound) else cls(**kwargs)


def test_every_error_class_is_pinned_here():
    declared = declared_errors()
    assert all(error.__module__ == base.__name__ for error in declared)
    assert {error.__name__ for error in declared} == set(VERDICTS)


@pytest.mark.parametrize("name", sorted(VERDICTS))
def test_the_class_alone_gives_the_verdicts(name):
    retried, billed, code = VERDICTS[name]
    error = make(getattr(base, name))
    assert (error.retryable, error.may_have_charged, error.code) == (retried, billed, code)
    assert isinstance(error, MayHaveCharged) is billed


@pytest.mark.parametrize("name", sorted(VERDICTS))
@pytest.mark.parametrize("flag", ["retryable", "may_have_charged"])
def test_no_instance_can_change_a_verdict(name, flag):
    cls = getattr(base, name)
    with pytest.raises(TypeError):
        make(cls, **{flag: True})
    error = make(cls)
    with pytest.raises(AttributeError):
        setattr(error, flag, not getattr(error, flag))


@pytest.mark.parametrize(("cls", "retry"), [
    (InvalidRequest, True), (ModelNotFound, True), (RateLimited, False), (ProviderUnavailable, False),
    (ConnectionLost, False), (UnusableResponse, True),
])
def test_an_advised_class_follows_the_api_and_is_otherwise_the_same_error(cls, retry):
    twin = advised(cls, retry)
    assert twin is not cls and issubclass(twin, cls) and advised(cls, retry) is twin
    error, original = make(twin, detail="d"), make(cls, detail="d")
    assert error.retryable is retry
    assert error.may_have_charged is original.may_have_charged
    assert (error.code, error.message, error.as_dict()) == (original.code, original.message, original.as_dict())
    assert twin.__name__ == cls.__name__


@pytest.mark.parametrize("cls", [InvalidRequest, RateLimited, ConnectionLost])
def test_advice_that_agrees_or_is_absent_keeps_the_class(cls):
    assert advised(cls, None) is cls
    assert advised(cls, VERDICTS[cls.__name__][0]) is cls
