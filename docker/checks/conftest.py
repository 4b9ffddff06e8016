"""A throw-away PostgreSQL for the roles check (devstack's fixture, as the services use)."""

pytest_plugins = ["devstack.testing"]
