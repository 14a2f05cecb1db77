"""Stage 3 graders."""
