"""`python -m cli` runs the CLI (the console script is `spillway`)."""

from cli.main import main

main()
