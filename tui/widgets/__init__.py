"""Small widgets of the Textual app, each with its own styles."""
