"""Stage 2 stubs: neural network fundamentals."""
