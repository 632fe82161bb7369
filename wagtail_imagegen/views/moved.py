"""Old addresses a bookmark may hold, redirected to where the page lives now."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve


def library_address(request: Any, rest: str) -> HttpResponsePermanentRedirect:
    """imagegen/library/<rest> (batches, usage, an image's variants) is now imagegen/<rest>, query string kept."""
    cut = len("library/" + rest)
    try:
        match = resolve(request.path_info[:-cut] + rest)
    except Resolver404 as exc:
        raise Http404 from exc
    if match.namespaces[:1] != ["wagtail_imagegen"] or match.url_name == "moved":  # not one of the app's pages
        raise Http404
    query = request.META.get("QUERY_STRING", "")
    return HttpResponsePermanentRedirect(request.path[:-cut] + rest + (f"?{query}" if query else ""))
