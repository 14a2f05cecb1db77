"""mldojo package."""
