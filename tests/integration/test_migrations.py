"""Each service's Alembic migrations build exactly the schema its tables declare, and undo cleanly."""

from __future__ import annotations

import pytest
from alembic import command

from system.kernel.db import alembic_config
from system.stack.services import SERVICES, ServiceSpec
from system.stack.stack import Stack

MIGRATED = [s for s in SERVICES if s.migrations]


@pytest.mark.parametrize("service", MIGRATED, ids=[s.name for s in MIGRATED])
def test_migrations_match_the_declared_schema_and_downgrade(stack: Stack, unique: str, service: ServiceSpec) -> None:
    assert service.migrations is not None
    database = f"migrate_{unique}"
    stack.postgres.create_database(database)
    try:
        cfg = alembic_config(service.migrations, stack.settings.database_url(database))
        command.upgrade(cfg, "head")
        command.check(cfg)  # raises if the models and the migrated schema differ
        command.downgrade(cfg, "base")
        tables = stack.postgres.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database)
        assert tables == "1", "only alembic_version is left after downgrading to base"
    finally:
        stack.postgres.drop_database(database)
