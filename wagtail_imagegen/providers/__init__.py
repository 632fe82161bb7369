"""Image providers: one module per API, one shared base (base.py)."""
