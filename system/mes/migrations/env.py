from system.kernel.db import run_migrations_online
from system.mes.schema import metadata

run_migrations_online(metadata)
