"""A small Wagtail site to try wagtail-imagegen: `scripts/demo` sets it up and runs it."""
