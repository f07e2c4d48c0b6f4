"""spillway package."""
