"""Apply a service's Alembic migrations to its database (in a child process: Alembic's env runs its own loop)."""

from __future__ import annotations

import sys

from system.stack.process import run
from system.stack.services import ServiceSpec
from system.stack.settings import StackSettings


def migrate_service(settings: StackSettings, spec: ServiceSpec) -> None:
    """Upgrade `spec`'s database to head."""
    assert spec.migrations and spec.database
    code = "import sys; from system.kernel.db import upgrade; upgrade(sys.argv[1], sys.argv[2])"
    run([sys.executable, "-c", code, spec.migrations, settings.database_url(spec.database)], timeout=120)
