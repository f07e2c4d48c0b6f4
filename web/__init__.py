"""The web application: the callback API (and later the dashboard), one floor below the CLI."""
