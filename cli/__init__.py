"""The command-line interface (console script ``spillway``): the top floor."""
