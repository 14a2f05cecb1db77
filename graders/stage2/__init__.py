"""Stage 2 graders (and drivers that run inside the learner process)."""
