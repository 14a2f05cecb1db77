"""Stage 1 stubs: classical machine learning from scratch in NumPy."""
