"""Training the demo model (not deployed)."""
