"""Embedded infrastructure for local runs and tests: PostgreSQL and Redis from wheels."""
