"""`grade bench`: timing benchmarks of learner code against a baseline, timed by the judge.

Each exercise with benchmarks has a workload module here named after its id
(stage3/attention -> mldojo.graders.bench.stage3_attention) with
`measure(exercise, bench, learner_file, root, warmup=None, repeats=None) -> BenchOutcome`.
"""
