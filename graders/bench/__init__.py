"""`grade bench`: timing benchmarks of learner code against a baseline, timed by the judge."""
