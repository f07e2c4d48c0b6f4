"""Spillway: a local-first overflow voice bot and smart-callback engine for Asterisk."""

__version__ = "0.1.0"
