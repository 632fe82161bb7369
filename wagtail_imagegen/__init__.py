"""Generate and edit images with GPT Image models, in place, inside Wagtail."""

__version__ = "0.1.0.dev0"
