"""`dlq` command: list, show and replay dead-lettered messages."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from system.kernel.messaging.dlq import list_dead_letters, replay

app = typer.Typer(help="Inspect and replay dead-letter queues (<queue>.dlq).", no_args_is_help=True)
console = Console()
Url = Annotated[str, typer.Option(envvar="AMQP_URL", help="AMQP URL of the cluster")]
DEFAULT_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5680/")


def _dlq(queue: str) -> str:
    return queue if queue.endswith(".dlq") else f"{queue}.dlq"


@app.command("list")
def list_(queue: str, url: Url = DEFAULT_URL, limit: int = 50) -> None:
    """List the messages in QUEUE's DLQ with the reason each one is there."""
    letters = asyncio.run(list_dead_letters(url, _dlq(queue), limit))
    table = Table("message id", "type", "attempts", "reason", title=f"{_dlq(queue)}: {len(letters)} shown")
    for d in letters:
        table.add_row(d.message_id, d.type, str(d.attempts), d.reason)
    console.print(table)


@app.command()
def show(queue: str, message_id: str, url: Url = DEFAULT_URL) -> None:
    """Print one dead-lettered message as JSON."""
    letters = asyncio.run(list_dead_letters(url, _dlq(queue), 10_000))
    match = [d for d in letters if d.message_id == message_id]
    if not match:
        console.print(f"[red]no message {message_id} in {_dlq(queue)}[/red]")
        raise typer.Exit(1)
    console.print_json(json.dumps(match[0].as_dict(), default=str))


@app.command("replay")
def replay_(
    queue: str,
    ids: Annotated[list[str] | None, typer.Option("--id")] = None,
    all_: Annotated[bool, typer.Option("--all")] = False,
    url: Url = DEFAULT_URL,
) -> None:
    """Send messages (--id ..., or --all) back to their work queue."""
    if not ids and not all_:
        console.print("[red]say which: --id MESSAGE_ID (repeatable) or --all[/red]")
        raise typer.Exit(2)
    count = asyncio.run(replay(url, _dlq(queue), None if all_ else set(ids or [])))
    console.print(f"replayed {count} message(s) from {_dlq(queue)}")
