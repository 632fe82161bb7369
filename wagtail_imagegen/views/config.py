"""config.js: what the editor's scripts need on any admin page (URLs), served only to users who may generate.

A widget cannot know who is looking at it (StreamField blocks are rendered once for every user), so the
scripts keep the AI buttons hidden unless this script loaded and said so.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Placeholders the scripts replace with a real id.
JOB_PLACEHOLDER = uuid.UUID(int=0)
OUTPUT_PLACEHOLDER = 0


def script_urls() -> dict[str, str]:
    def url(name: str, *args: Any) -> str:
        return reverse(f"wagtail_imagegen:{name}", args=args)

    return {
        "modal": url("modal"),
        "submit": url("submit"),
        "estimate": url("estimate"),
        "recent": url("recent"),
        "sourceImages": url("source_images"),
        "jobStatus": url("jobs:status", JOB_PLACEHOLDER),
        "jobCancel": url("jobs:cancel", JOB_PLACEHOLDER),
        "outputUse": url("output_use", OUTPUT_PLACEHOLDER),
        "outputDiscard": url("output_discard", OUTPUT_PLACEHOLDER),
        "outputRefine": url("output_refine", OUTPUT_PLACEHOLDER),
        "outputFinal": url("output_final", OUTPUT_PLACEHOLDER),
    }


@require_GET
@never_cache
def config_js(request: Any) -> HttpResponse:
    config = {"canGenerate": True, "jobPlaceholder": str(JOB_PLACEHOLDER), "urls": script_urls()}
    return HttpResponse(f"window.wagtailImagegenConfig = {json.dumps(config)};\n",
                        content_type="text/javascript; charset=utf-8")
