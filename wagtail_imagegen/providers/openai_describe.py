"""Alt text through the Responses API: one user message with the instruction and the image, no tools, not
stored; the answer is the `message` item's `output_text` (docs/responses-api.md)."""

from __future__ import annotations

from typing import Any

import httpx

from .base import DescribeRequest, Description, UnusableResponse, Usage, shortened
from .openai_errors import unreadable
from .openai_responses import data_url

Fields = dict[str, Any]


def describe_body(request: DescribeRequest, model: str, *, file_id: str | None = None) -> Fields:
    """POST /responses for a description: the image by uploaded file id, else inline as a data URL."""
    image: Fields = {"type": "input_image", "detail": "low"}
    image.update({"file_id": file_id} if file_id else {"image_url": data_url(request.image)})
    return {
        "model": model,
        "input": [{"role": "user", "content": [{"type": "input_text", "text": request.instruction}, image]}],
        "store": False,  # nothing continues from a description
    }


def read_description(body: Any, response: httpx.Response, request: DescribeRequest,
                     api_key: str | None) -> Description:
    """The text of the Response's message items, shortened to the request's length; none is an error."""
    if not isinstance(body, dict) or not isinstance(body.get("output"), list):
        raise unreadable("the response has no output list", api_key)
    request_id = response.headers.get("x-request-id")
    texts = [str(part.get("text") or "") for item in body["output"] if isinstance(item, dict)
             and item.get("type") == "message" for part in item.get("content") or ()
             if isinstance(part, dict) and part.get("type") == "output_text"]
    text = shortened(" ".join(texts), request.max_length)
    if not text:
        raise UnusableResponse(status=200, request_id=request_id, detail="no output_text in the response")
    return Description(text=text, usage=mainline_usage(body), request_id=request_id,
                       model=str(body.get("model") or ""), metadata={"response_id": body.get("id")})


def mainline_usage(body: Fields) -> Usage | None:
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
    if usage is None:
        return None
    return Usage(mainline_input_tokens=int(usage.get("input_tokens") or 0),
                 mainline_output_tokens=int(usage.get("output_tokens") or 0),
                 mainline_model=str(body.get("model") or ""))
