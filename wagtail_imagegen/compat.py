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


def register_permission_policy(model: Any, policy: Any) -> None:
    """8.x looks a model's policy up in its registry; 7.4's viewsets and views take it as an attribute."""
    if WAGTAIL_VERSION >= (8, 0):
        from wagtail.permissions import register_permission_policy as register

        register(model, policy, exact_class=True)
