"""Wires the app into Wagtail's admin; each area registers its own hooks in its own module."""

from . import alt_text_hooks, editor_hooks, library_hooks  # noqa: F401
