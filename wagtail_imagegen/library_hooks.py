"""Admin hooks for the image library: variants on the image page, bulk variants, usage report."""
