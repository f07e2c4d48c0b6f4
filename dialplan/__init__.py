"""dialplan package."""
