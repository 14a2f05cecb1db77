"""The Textual TUI behind `grade tui`: the curriculum, an exercise, criteria, benchmarks, the group.

Layout: app.py (the App, its keys, polling and grading), app.tcss (styles), screens/ (one
screen per module), widgets/ (small widgets with their own styles), messages.py (message
dataclasses), data.py (what the screens show, read from the catalogue and the tracker),
grade_server.py (the warm `grade serve` child the TUI grades with and streams from).
"""
