"""Stage 3 reference solutions (hidden from the learner's process)."""
