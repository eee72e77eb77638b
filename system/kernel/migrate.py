"""`python -m system.kernel.migrate PACKAGE URL_VARIABLE`: bring a service's database to its newest schema.

What a deployment runs before a service starts (a Kubernetes init container, a compose one-shot): the URL is
read from the named environment variable, so it never appears in a process list. Replicas starting together
take turns (the migration holds a PostgreSQL advisory lock): the first migrates, the others find nothing to do.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from system.kernel.db import upgrade


def main(
    package: Annotated[str, typer.Argument(help="the service's Alembic scripts, e.g. system.crm.migrations")],
    url_variable: Annotated[str, typer.Argument(help="environment variable holding the database URL")],
) -> None:
    """Upgrade the database to the newest revision of PACKAGE."""
    url = os.environ.get(url_variable)
    if not url:
        typer.echo(f"{url_variable} is not set: it must hold the database URL", err=True)
        raise typer.Exit(2)
    upgrade(package, url)
    typer.echo(f"{package}: database at the newest revision")


if __name__ == "__main__":
    typer.run(main)
