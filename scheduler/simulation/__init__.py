"""The simulator: synthetic worlds of customers, runs of a timing policy over them, and reports.

It may use timing; nothing in timing or the dialler uses it.
"""
