"""Edits on the fake image API: multipart and JSON inputs, images derived from the inputs, masks, input checks."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image, ImageChops

from wagtail_imagegen.testing import UploadedPart

from .helpers import EDIT, MODEL, decode, error_of, mask_bytes, mean_difference, opened, picture, upload


def edit(http: httpx.Client, images: list[bytes] | None = None, *, field: str = "image", mask: bytes | None = None,
         **form: object) -> httpx.Response:
    """A multipart edit (MODEL, one picture unless told otherwise)."""
    images = [picture()] if images is None else images
    files = [(field, upload(data, f"in{i}.png")) for i, data in enumerate(images)]
    if mask is not None:
        files.append(("mask", upload(mask, "mask.png")))
    data = {"model": MODEL, "prompt": "Paint it teal", **{k: str(v) for k, v in form.items()}}
    return http.post(EDIT, data=data, files=files)


def test_an_edit_is_visibly_derived_from_its_input(http):
    source = picture(prompt="a red barn")
    output = opened(decode(edit(http, [source]).json()["data"][0]))
    unrelated = opened(picture(prompt="something unrelated"))
    assert output.size == (1024, 1024)
    assert mean_difference(output, opened(source)) < 0.75 * mean_difference(output, unrelated)


def test_a_mask_confines_the_edit_to_its_transparent_area(http):
    source = picture(prompt="a red barn")
    hole = (0, 0, 512, 512)
    output = opened(decode(edit(http, [source], mask=mask_bytes(1024, 1024, hole), size="1024x1024").json()["data"][0]))
    original = opened(source).convert("RGB")
    assert mean_difference(output.crop(hole), original.crop(hole)) > 10  # the hole was painted over
    kept = ImageChops.difference(output.convert("RGB"), original)
    assert kept.getbbox() == hole  # every changed pixel lies inside the hole


def test_several_images_arrive_as_image_array_parts_and_count_in_usage_at_high_fidelity(http, fake_api):
    inputs = [picture(1024, 1024), picture(1536, 1024, prompt="b"), picture(640, 480, "jpeg", prompt="c")]
    response = edit(http, inputs, field="image[]", quality="low", size="1024x1536")
    assert response.status_code == 200
    parts = fake_api.requests[-1].files["image[]"]
    assert [part.data for part in parts] == inputs
    assert parts[0] == UploadedPart("in0.png", "image/png", inputs[0])
    # 512-pixel tiles after fitting 2048 / 768: 4, 6 and 2 tiles at 85 + 170 each, four times over (2.x inputs
    # always count at high fidelity).
    usage = response.json()["usage"]
    assert usage["input_tokens_details"]["image_tokens"] == 4 * (765 + 1105 + 425)
    assert usage["output_tokens"] == 601  # 2.6 low, 1024x1536
    assert opened(decode(response.json()["data"][0])).size == (1024, 1536)


@pytest.mark.parametrize(("width", "height", "expected"),
                         [(1500, 1000, "1536x1024"), (600, 1000, "1024x1536"), (900, 1000, "1024x1024")])
def test_an_auto_size_edit_takes_the_standard_size_closest_to_the_first_input(http, width, height, expected):
    body = edit(http, [picture(width, height)], size="auto").json()
    assert body["size"] == expected
    assert "x".join(map(str, opened(decode(body["data"][0])).size)) == expected


def test_multipart_fields_arrive_as_strings_and_are_read_as_numbers_and_booleans(http, fake_api):
    body = edit(http, n="2", stream="false", output_format="jpeg", output_compression="50").json()
    assert len(body["data"]) == 2 and body["output_format"] == "jpeg"
    assert fake_api.requests[-1].form["n"] == ["2"]


def test_a_transparent_edit_keeps_the_inputs_transparency(http):
    source = Image.new("RGBA", (1024, 1024), (0, 0, 0, 0))
    source.paste((250, 20, 20, 255), (256, 256, 768, 768))
    buffer = io.BytesIO()
    source.save(buffer, "PNG")
    body = edit(http, [buffer.getvalue()], background="transparent", output_format="webp").json()
    output = opened(decode(body["data"][0]))
    assert output.format == "WEBP" and output.mode == "RGBA"
    assert output.getchannel("A").getpixel((10, 10)) == 0 and output.getchannel("A").getpixel((512, 512)) == 255


def test_an_edit_without_a_model_is_gpt_image_1_5_which_a_gateway_may_still_serve(serve):
    _, gateway = serve(serve_retired=True)
    response = gateway.post(EDIT, data={"prompt": "x"}, files=[("image", upload(picture()))])
    assert response.status_code == 200
    assert response.json()["usage"]["input_tokens_details"]["image_tokens"] == 765  # 1.5: low fidelity by default


def test_a_2_6_edit_can_answer_an_animated_gif_or_an_svg(http):
    gif = opened(decode(edit(http, output_format="gif", frame_count="3", quality="low").json()["data"][0]))
    assert (gif.format, gif.n_frames, gif.size) == ("GIF", 3, (1024, 1024))
    svg = decode(edit(http, output_format="svg", **{"svg[model]": "gpt-5.6-terra"}).json()["data"][0])
    assert svg.startswith(b'<svg xmlns="http://www.w3.org/2000/svg" width="1024" height="1024"')


def test_a_json_edit_takes_data_url_images_and_mask(http):
    def data_url(data: bytes) -> dict[str, str]:
        return {"image_url": "data:image/png;base64," + base64.b64encode(data).decode()}

    body = {"model": MODEL, "prompt": "teal", "moderation": "low", "complexity": "medium",
            "images": [data_url(picture()), data_url(picture(prompt="b"))], "mask": data_url(mask_bytes(1024, 1024))}
    response = http.post(EDIT, json=body)
    assert response.status_code == 200
    assert opened(decode(response.json()["data"][0])).size == (1024, 1024)


# ---------------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------------


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "GIF")
    return buffer.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
OPAQUE_MASK = picture(prompt="no alpha")


REFUSED_EDITS = {
    "only a mask": ({"images": [], "mask": mask_bytes(1024, 1024)}, "image", "missing_required_parameter"),
    "seventeen images": ({"images": [picture(64, 64)] * 17}, "image", "array_above_max_length"),
    "a gif": ({"images": [gif()]}, "image", "unsupported_file_mimetype"),
    "an svg": ({"images": [SVG]}, "image", "unsupported_file_mimetype"),
    "fifty megabytes": ({"images": [picture(64, 64) + b"\0" * (50 * 2**20)]}, "image", "image_too_large"),
    "mask without alpha": ({"mask": OPAQUE_MASK}, "mask", "invalid_value"),
    "jpeg mask": ({"mask": picture(fmt="jpeg")}, "mask", "invalid_value"),
    "mask of another size": ({"mask": mask_bytes(512, 512)}, "mask", "invalid_value"),
    "moderation": ({"moderation": "low"}, "moderation", "unknown_parameter"),
    "style": ({"style": "vivid"}, "style", "unknown_parameter"),
    "response_format": ({"response_format": "b64_json"}, "response_format", "unknown_parameter"),
    "input_fidelity on 2.6": ({"input_fidelity": "high"}, "input_fidelity", "unsupported_parameter"),
    "input_fidelity on 2.5": ({"model": "gpt-image-2.5-sunburst", "input_fidelity": "low"}, "input_fidelity",
                              "unsupported_parameter"),
    "input_fidelity on gpt-image-2": ({"model": "gpt-image-2", "input_fidelity": "high"}, "input_fidelity",
                                      "unsupported_parameter"),
    "input_fidelity medium": ({"model": "gpt-image-2", "input_fidelity": "medium"}, "input_fidelity",
                              "invalid_value"),
    "complexity on 2.5": ({"model": "gpt-image-2.5-flare", "complexity": "low"}, "complexity",
                          "unsupported_parameter"),
    "gif with a mask": ({"output_format": "gif", "mask": mask_bytes(1024, 1024)}, "mask", "unsupported_value"),
    "two svgs": ({"output_format": "svg", "n": 2}, "n", "unsupported_value"),
    "svg fields with png": ({"svg[model]": "gpt-5.6-terra"}, "svg", "unsupported_parameter"),
    "n as words": ({"n": "two"}, "n", "invalid_type"),
    "stream as words": ({"stream": "maybe"}, "stream", "invalid_type"),
}


@pytest.mark.parametrize("case", sorted(REFUSED_EDITS))
def test_an_edit_openai_would_refuse_gets_400_naming_the_parameter(http, case):
    arguments, param, code = REFUSED_EDITS[case]
    response = edit(http, field="image[]", **arguments)
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["param"], error["code"]) == (param, code), error


@pytest.mark.parametrize(
    ("reference", "words"),
    [({"file_id": "file-123"}, "no Files API"), ({"image_url": "https://example.com/a.png"}, "does not fetch URLs"),
     ({"image_url": "data:image/png;base64,@@@"}, "not valid base64"), ({"url": "x"}, "exactly one of")],
)
def test_a_json_edit_refuses_references_the_fake_cannot_resolve(http, reference, words):
    response = http.post(EDIT, json={"model": MODEL, "prompt": "x", "images": [reference]})
    assert response.status_code == 400
    assert words in error_of(response)["message"]
