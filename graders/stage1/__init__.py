"""Stage 1 graders."""
