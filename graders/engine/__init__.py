"""The grading engine: the learner process, the wire between it and the judge, the runner."""
