"""The Textual TUI. Not built yet: the TUI issue fills this package; `grade` offers no `tui` command until then."""
