"""Developer tools, never deployed: `python -m tools.openapi` writes docs/openapi.json."""
