"""Spillway test suite."""
