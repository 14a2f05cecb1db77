"""Real data sets: find, download (checksummed, atomic) and load them."""
