"""Exercise stubs the learner fills in, one module per exercise, and catalogue.toml."""
