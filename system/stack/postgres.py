"""PostgreSQL initialised under the stack's state directory, one database per service."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from system.stack.containers import container, owner
from system.stack.process import ManagedProcess, StackError, chown_tree, gone, reap, run, wait_until
from system.stack.settings import StackSettings

PG_USER = "postgres"  # initdb refuses to run as root


def pg_binary(name: str, in_image: bool = False) -> str:
    """Path of a PostgreSQL server binary (PATH first, then Debian's versioned directory; the image's PATH)."""
    if in_image:
        return name
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise StackError(f"PostgreSQL's {name} is not installed: run `make setup`")


class Postgres:
    """One PostgreSQL server on 127.0.0.1:pg_port, data in <state>/postgres."""

    name = "postgres"

    def __init__(self, settings: StackSettings, databases: list[str]) -> None:
        self.settings = settings
        self.databases = databases
        self.home = settings.state_dir / "postgres"
        self.data = self.home / "data"
        self.container = container(settings, "postgres")
        self.process = ManagedProcess(
            name="postgres",
            argv=[
                pg_binary("postgres", in_image=self.container is not None),
                "-D",
                str(self.data),
                "-p",
                str(settings.pg_port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.home}",
                "-c",
                "max_connections=300",
                "-c",
                "shared_buffers=256MB",
            ],
            run_dir=settings.run_dir,
            log_dir=settings.log_dir,
            user=PG_USER,
            env={"PGPORT": str(settings.pg_port)},  # the image's health check probes it
            container=self.container,
        )

    def _initdb(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.home.mkdir(parents=True, exist_ok=True)
        pwfile = self.home / "pw"
        pwfile.write_text(self.settings.pg_password)
        chown_tree(self.home, owner(self.settings, PG_USER))
        run(
            [
                pg_binary("initdb", in_image=self.container is not None),
                "-D",
                str(self.data),
                "-U",
                self.settings.pg_user,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            user=PG_USER,
            timeout=120,
            container=self.container,
        )
        pwfile.unlink()

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one SQL statement as the stack's superuser and return its unaligned output."""
        env = {"PGPASSWORD": self.settings.pg_password}
        argv = [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.settings.pg_port),
            "-U",
            self.settings.pg_user,
            "-d",
            database,
            "-tAc",
            sql,
        ]
        return run(argv, env=env, timeout=30, container=self.container).stdout.strip()

    def create_database(self, name: str) -> None:
        """Create `name` unless it exists."""
        if not self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'"):
            self.psql(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        """Drop `name` if it exists, closing its connections."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def up(self) -> None:
        """Initialise on first use, start, wait until it accepts queries, create the databases."""
        self._initdb()
        # A server killed with -9 leaves postmaster.pid behind; postgres refuses to start while that pid (or a
        # zombie of it) still exists, and its backends take a moment to notice their postmaster died.
        self._wait_for_previous_server()
        self.process.start()
        wait_until(self._accepts, process=self.process, timeout=60, what=f"PostgreSQL (see {self.process.logfile})")
        for name in self.databases:
            self.create_database(name)

    def _wait_for_previous_server(self) -> None:
        try:
            pid = int((self.data / "postmaster.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return
        if self.process.running():
            return  # it is up: start() leaves it alone
        reap(pid)
        wait_until(lambda: gone(pid), timeout=30, what=f"the previous PostgreSQL (pid {pid}) to be gone")

    def _accepts(self) -> bool:
        try:
            return self.psql("SELECT 1") == "1"
        except StackError:  # "the database system is starting up", connection refused...
            return False

    def down(self) -> None:
        """Fast shutdown (SIGINT would be 'fast' too; SIGTERM is 'smart' but bounded by stop())."""
        pid = self.process.pid
        if pid is not None:
            os.kill(pid, 2)  # SIGINT: fast shutdown, clients disconnected
        self.process.stop(timeout=30)

    def health(self) -> tuple[bool, str]:
        """(ok, detail): the server answers a query."""
        if not self.process.running():
            return False, "not running"
        try:
            count = self.psql("SELECT count(*) FROM pg_stat_activity")
        except StackError as exc:
            return False, str(exc)[:120]
        return True, f":{self.settings.pg_port}, {count} connections"

    def processes(self) -> list[ManagedProcess]:
        return [self.process]
