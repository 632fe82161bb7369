"""Admin hooks for the editor: the chooser's Generate / Edit with AI, the "AI images" menu, permissions."""
