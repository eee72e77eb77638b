"""Each service's Alembic migrations build exactly the schema its tables declare, and undo cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic import command

from system.kernel.db import MIGRATION_LOCK, alembic_config
from system.stack.services import SERVICES, ServiceSpec, service
from system.stack.stack import Stack
from tests.plugins.clients import wait_for

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


def test_replicas_migrating_together_take_turns(stack: Stack, unique: str) -> None:
    # Two replicas of a Deployment start at once and both run `python -m system.kernel.migrate` (its init
    # container). The test holds the migration lock first, so both must queue behind it, then both succeed.
    crm = service("crm")
    assert crm.migrations is not None
    database = f"migrate_race_{unique}"
    stack.postgres.create_database(database)
    url = stack.settings.database_url(database)
    s = stack.settings
    holder = subprocess.Popen(
        ["psql", "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", s.pg_user, "-d", database, "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "PGPASSWORD": s.pg_password},
    )  # fmt: skip
    assert holder.stdin is not None
    waiting = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    try:
        holder.stdin.write(f"SELECT pg_advisory_lock({MIGRATION_LOCK});\n")
        holder.stdin.flush()
        held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        wait_for(lambda: stack.postgres.psql(held, database) == "1", within=30, what="the test holding the lock")
        env = {**os.environ, "CRM_DATABASE_URL": url}
        migrate = [sys.executable, "-m", "system.kernel.migrate", crm.migrations, "CRM_DATABASE_URL"]
        replicas = [subprocess.Popen(migrate, env=env) for _ in range(2)]
        wait_for(lambda: stack.postgres.psql(waiting, database) == "2", within=60, what="both replicas queued")
        holder.stdin.write(f"SELECT pg_advisory_unlock({MIGRATION_LOCK});\n")
        holder.stdin.flush()
        assert [replica.wait(timeout=120) for replica in replicas] == [0, 0]
        command.check(alembic_config(crm.migrations, url))  # at head, matching the models
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        stack.postgres.drop_database(database)
