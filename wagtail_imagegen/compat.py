"""The few places where Wagtail 7.4 LTS and 8.x differ."""

from __future__ import annotations

from typing import Any

from wagtail import VERSION as WAGTAIL_VERSION
from wagtail.images import get_image_model


def get_image_permission_policy() -> Any:
    """Wagtail's image permission policy, without 8.x's deprecation warning."""
    if WAGTAIL_VERSION >= (8, 0):
        from wagtail.permissions import policy_registry

        return policy_registry.get_by_type(get_image_model())
    from wagtail.images.permissions import permission_policy

    return permission_policy
