"""Typer sub-applications, one per area; each is a thin layer over the library."""
