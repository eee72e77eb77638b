"""`python -m system.stack up|down|status|kill`: the local stack from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from system.stack import runtimes
from system.stack.process import StackError
from system.stack.stack import Stack

app = typer.Typer(
    help="The local stack: RabbitMQ cluster, HAProxy, PostgreSQL, S3 and the services.", no_args_is_help=True
)
console = Console()


@app.callback()
def main(
    runtime: Annotated[
        runtimes.Choice | None,
        typer.Option(
            help="processes of this machine, containers of `make images`, or auto (containers where Docker answers "
            "and the images are built) [env: STACK_RUNTIME]"
        ),
    ] = None,
) -> None:
    """The local stack (the runtime, chosen once here, is read by every StackSettings of this process)."""
    try:
        selection = runtimes.select(runtime)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--runtime / STACK_RUNTIME") from exc
    if selection is not None and selection.why is not None:
        console.print(f"stack runtime: {selection}")


def _parse_replicas(values: list[str] | None) -> dict[str, int]:
    replicas = {}
    for value in values or []:
        name, _, count = value.partition("=")
        if not count.isdigit() or int(count) < 1:
            raise typer.BadParameter(f"expected service=N with N >= 1, got {value!r}")
        replicas[name] = int(count)
    return replicas


@app.command()
def up(replicas: Annotated[list[str] | None, typer.Option("--replicas", help="service=N")] = None) -> None:
    """Start everything that is not running and wait until it is healthy."""
    stack = Stack(replicas=_parse_replicas(replicas))
    try:
        seconds = stack.up(progress=lambda msg: console.print(f"[green]✓[/green] {msg}"))
    except StackError as exc:
        console.print(f"[red]stack up failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"stack up in {seconds:.1f}s")
    _print_status(stack)


@app.command()
def down() -> None:
    """Stop every process of the stack."""
    try:
        Stack().down(progress=lambda msg: console.print(msg))
    except StackError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


@app.command()
def status() -> None:
    """Show each component with its health; exit 1 if anything is unhealthy."""
    if not _print_status(Stack()):
        raise typer.Exit(1)


def _print_status(stack: Stack) -> bool:
    result = stack.status()
    table = Table("component", "health", "detail", title="local stack")
    for name, ok, detail in result.rows:
        table.add_row(name, "[green]healthy[/green]" if ok else "[red]DOWN[/red]", detail)
    console.print(table)
    return result.healthy
