"""Gatehouse resource service: an example API whose callers are verified with auth-client."""
