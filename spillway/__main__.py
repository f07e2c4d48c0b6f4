"""`python -m spillway` runs the CLI."""

from spillway.cli import main

main()
