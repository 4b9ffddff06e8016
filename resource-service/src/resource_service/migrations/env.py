"""Alembic environment: the kit's runner, under the resource service's advisory lock."""

from service_kit.migrations import run_env

from resource_service.migrations import MIGRATION_LOCK_ID, VERSION_TABLE

run_env(MIGRATION_LOCK_ID, VERSION_TABLE)
