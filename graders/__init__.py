"""Graders: one module per exercise (graders/stage1/linreg.py), the engine and the kit."""
