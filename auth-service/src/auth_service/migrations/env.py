"""Alembic environment: the kit's runner, under the auth service's advisory lock."""

from service_kit.migrations import run_env

from auth_service.migrations import MIGRATION_LOCK_ID

run_env(MIGRATION_LOCK_ID)
