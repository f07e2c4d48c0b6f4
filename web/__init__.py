"""The web application: the operations console, the callback API and /metrics (floor 4)."""
