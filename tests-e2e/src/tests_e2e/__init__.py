"""Helpers for the end-to-end tests (the tests themselves live in tests-e2e/tests/)."""
