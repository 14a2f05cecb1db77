"""Stage 1 reference solutions."""
