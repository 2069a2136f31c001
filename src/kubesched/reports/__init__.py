"""The `--report out.html` pages."""
