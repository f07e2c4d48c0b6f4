"""Classic AGI scripts that Asterisk runs itself, on the PBX (not imported by Spillway)."""
