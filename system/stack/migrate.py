"""Apply a service's Alembic migrations to its database (in a child process: Alembic's env runs its own loop)."""

from __future__ import annotations

import sys

from system.stack.containers import SERVICE_USER, container, program
from system.stack.process import run
from system.stack.services import ServiceSpec
from system.stack.settings import StackSettings


def migrate_service(settings: StackSettings, spec: ServiceSpec) -> None:
    """Upgrade `spec`'s database to head (with the migrate command a deployment runs; the URL in the environment)."""
    assert spec.migrations and spec.database
    argv = [program(settings, "python", sys.executable), "-m", "system.kernel.migrate", spec.migrations, "DATABASE_URL"]
    env = {"DATABASE_URL": settings.database_url(spec.database)}
    run(argv, env=env, timeout=120, container=container(settings, "services", user=SERVICE_USER))
