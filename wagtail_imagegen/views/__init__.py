"""The editor's admin views, a module per screen or endpoint; urls.py lists them."""
