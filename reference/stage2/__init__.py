"""Stage 2 reference solutions."""
