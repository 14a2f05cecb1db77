"""Reference solutions, same tree as the stubs; shown to a learner only by `grade reveal`."""
