"""GET /v1/models and GET /v1/models/{model}: the lineup as OpenAI lists it, on a given day.

The Model object is `{id, object: "model", created, owned_by}` plus an optional `shutdown_date`
(YYYY-MM-DD, "the date when the model will shut down"; SDK 3.57 `types/model.py`). A model past its
date answers model_not_found, like one OpenAI never had.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Any

from .errors import model_not_found
from .lineup import ImageModel, find_model, served_ids

OWNER = "system"  # what OpenAI's list says for its own image models


def model_list(today: date, serve_retired: bool) -> dict[str, Any]:
    """The list body: every id served on `today`, dated snapshots included."""
    data = [model_object(model_id, model) for model_id, model in served_ids(today, serve_retired)]
    return {"object": "list", "data": data}


def retrieve_model(model_id: str, today: date, serve_retired: bool) -> dict[str, Any]:
    """One Model object; raises the 404 OpenAI gives for an unknown or shut-down model."""
    model = find_model(model_id)
    if model is None or (model.retired_on(today) and not serve_retired):
        raise model_not_found(model_id)
    return model_object(model_id, model)


def model_object(model_id: str, model: ImageModel) -> dict[str, Any]:
    created = calendar.timegm(model.released.timetuple())
    body: dict[str, Any] = {"id": model_id, "object": "model", "created": created, "owned_by": OWNER}
    if model.shutdown is not None:
        body["shutdown_date"] = model.shutdown.isoformat()
    return body
