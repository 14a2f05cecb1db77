"""Study groups over git: each member shares a progress summary file."""
