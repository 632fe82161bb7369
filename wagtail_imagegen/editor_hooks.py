"""Admin hooks for the editor: the chooser's Generate / Edit with AI, the "AI images" menu, permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Permission
from django.db.models import ForeignKey
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms.models import register_form_field_override
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.images import get_image_model

from . import permissions
from .widgets import image_field_override


@hooks.register("register_admin_urls")
def register_admin_urls() -> list:
    # Every ForeignKey to the image model asks REPLACE_IMAGE_CHOOSER for its widget. Registered here, as
    # Wagtail's chooser viewsets do, because hooks modules may be imported while apps are still loading,
    # before wagtail.images registers its own chooser (the last registration wins).
    register_form_field_override(ForeignKey, to=get_image_model(), override=image_field_override)
    return [path("imagegen/", include("wagtail_imagegen.views.urls", namespace="wagtail_imagegen"))]


@hooks.register("register_admin_menu_item")
def register_ai_images_menu() -> SubmenuMenuItem:
    # Other modules add items with @hooks.register("register_imagegen_menu_item").
    menu = Menu(register_hook_name="register_imagegen_menu_item", construct_hook_name="construct_imagegen_menu")
    return SubmenuMenuItem(_("AI images"), menu, name="imagegen", icon_name="imagegen-wand", order=310)


@hooks.register("register_imagegen_menu_item")
def register_generate_menu_item() -> MenuItem:
    return MenuItem(_("Generate"), reverse("wagtail_imagegen:generate"), name="imagegen-generate",
                            icon_name="imagegen-wand", order=100)


@hooks.register("register_imagegen_menu_item")
def register_jobs_menu_item() -> MenuItem:
    return MenuItem(_("Jobs"), reverse("wagtail_imagegen:job_list"), name="imagegen-jobs",
                            icon_name="list-ul", order=200)


@hooks.register("construct_imagegen_menu")
@hooks.register("construct_reports_menu")
def hide_menu_items_the_policy_refuses(request: Any, items: list) -> None:
    items[:] = [item for item in items if permissions.menu_item_shown(request.user, item.name)]


@hooks.register("register_permissions")
def register_permissions() -> Any:
    # In the group editor: "Can generate and edit images with AI" and "Can see everyone's AI image jobs".
    return Permission.objects.filter(content_type__app_label="wagtail_imagegen",
                                     codename__in=[permissions.GENERATE, permissions.VIEW_ALL])


@hooks.register("register_icons")
def register_icons(icons: list[str]) -> list[str]:
    return [*icons, "wagtail_imagegen/icons/imagegen-wand.svg"]
