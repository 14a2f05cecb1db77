"""Stage 3 stubs: the modern toolkit in PyTorch."""
