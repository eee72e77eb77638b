from system.crm.schema import metadata
from system.kernel.db import run_migrations_online

run_migrations_online(metadata)
