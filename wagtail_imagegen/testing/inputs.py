"""Input images of an edit: uploaded parts or JSON data-URL references, sniffed and checked like OpenAI does."""

from __future__ import annotations

import base64
import binascii
import io
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError

from .errors import APIError, invalid_request, invalid_type, missing_parameter, too_long
from .wire import RecordedRequest

ACCEPTED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_IMAGE_BYTES = 50 * 1024 * 1024
MAX_MASK_BYTES = 4 * 1024 * 1024
MAX_INPUT_IMAGES = 16
SUPPORTED_TYPES = "'image/jpeg', 'image/png', and 'image/webp'"


@dataclass(frozen=True)
class InputImage:
    """An image the caller sent, with what Pillow found in it."""

    data: bytes
    param: str
    format: str
    size: tuple[int, int]
    has_alpha: bool


def uploaded_images(request: RecordedRequest) -> tuple[list[InputImage], InputImage | None]:
    """The multipart `image` / `image[]` parts (in that order) and the `mask` part."""
    parts = [part for name in ("image", "image[]") for part in request.files.get(name, [])]
    if len(parts) > MAX_INPUT_IMAGES:
        raise too_long("image", len(parts), MAX_INPUT_IMAGES, "array")
    images = [sniff(part.data, "image") for part in parts]
    masks = request.files.get("mask") or []
    return images, sniff(masks[0].data, "mask") if masks else None


def referenced_images(params: dict[str, Any]) -> tuple[list[InputImage], InputImage | None]:
    """The JSON variant's `images: [{"image_url": "data:..."}]` and optional `mask: {"image_url": ...}`."""
    refs = params.pop("images", None)
    mask = params.pop("mask", None)
    if refs is None:
        raise missing_parameter("images")
    if not isinstance(refs, list):
        raise invalid_type("images", "an array", refs)
    if not refs:
        raise invalid_request("images", "Invalid 'images': empty array. Expected an array with minimum "
                              "length 1, but got an empty array instead.", "empty_array")
    if len(refs) > MAX_INPUT_IMAGES:
        raise too_long("images", len(refs), MAX_INPUT_IMAGES, "array")
    images = [sniff(_data_url_bytes(ref, "images"), "images") for ref in refs]
    return images, sniff(_data_url_bytes(mask, "mask"), "mask") if mask is not None else None


def _data_url_bytes(ref: object, param: str) -> bytes:
    """The bytes of an ImageRefParam; only data URLs, since the fake never reaches out to the network."""
    if not isinstance(ref, dict) or len(ref) != 1 or not ({"image_url", "file_id"} & ref.keys()):
        raise invalid_request(param, f"Invalid '{param}': expected an object with exactly one of "
                              "'image_url' or 'file_id'.")
    if "file_id" in ref:
        raise invalid_request(param, "This fake image API has no Files API: send 'image_url' as a data URL.")
    return decode_data_url(ref["image_url"], param)


def decode_data_url(url: object, param: str) -> bytes:
    """The bytes of a base64 data URL; the fake never reaches out to the network for any other URL."""
    header, comma, payload = url.partition(",") if isinstance(url, str) else ("", "", "")
    if not (comma and header.startswith("data:") and header.endswith(";base64")):
        raise invalid_request(param, "This fake image API does not fetch URLs: send a base64 data URL "
                              "('data:image/png;base64,...').")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise invalid_request(param, f"Invalid '{param}': the data URL is not valid base64.") from error


def sniff(data: bytes, param: str) -> InputImage:
    """Check an input image is a real PNG/JPEG/WebP under the size limit, and read its size and alpha."""
    limit = MAX_MASK_BYTES if param == "mask" else MAX_IMAGE_BYTES
    if len(data) >= limit:
        raise invalid_request(param, f"Invalid file '{param}': the file is {math.ceil(len(data) / 2**20)} MB; "
                              f"it must be smaller than {limit // 2**20} MB.", "image_too_large")
    try:
        image = Image.open(io.BytesIO(data))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise _unsupported(param, "application/octet-stream") from error
    if image.format not in ACCEPTED_FORMATS:
        raise _unsupported(param, Image.MIME.get(image.format or "", "application/octet-stream"))
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    return InputImage(data, param, image.format, image.size, has_alpha)


def _unsupported(param: str, mimetype: str) -> APIError:
    return invalid_request(param, f"Invalid file '{param}': unsupported mimetype ('{mimetype}'). "
                           f"Supported file formats are {SUPPORTED_TYPES}.", "unsupported_file_mimetype")


def check_mask(mask: InputImage, first: InputImage) -> None:
    """OpenAI: a PNG with an alpha channel, the same dimensions as the (first) image."""
    if mask.format != "PNG" or not mask.has_alpha:
        raise invalid_request("mask", "Invalid mask image: the mask must be a PNG file with an alpha channel "
                              "(transparent where the image should be edited).")
    if mask.size != first.size:
        raise invalid_request("mask", "Invalid mask image: the mask ({}x{}) must have the same dimensions as "
                              "the image ({}x{}).".format(*mask.size, *first.size))
