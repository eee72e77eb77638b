"""Each release's contracts, kept for the next: `python -m contracts.release snapshot [VERSION]`.

`contracts/releases/<version>/` holds a copy of `contracts/pacts/` (http/ and messages/) and `schemas/<type>.json`
(the JSON Schema of each message type's envelope and payload). The release workflow writes it when a version is
cut; the contracts suite checks the tree against the latest one (the previous release).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tomllib
from pathlib import Path

from packaging.version import InvalidVersion, Version

from contracts.messages.schemas import Schema, current_schemas

CONTRACTS = Path(__file__).resolve().parent
ROOT = CONTRACTS.parent
RELEASES = CONTRACTS / "releases"
PACTS = CONTRACTS / "pacts"


def current_version(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """project.version of pyproject.toml."""
    version: str = tomllib.loads(pyproject.read_text())["project"]["version"]
    return version


def releases(root: Path = RELEASES) -> list[str]:
    """The snapshotted versions, oldest first (sorted as versions: 0.10.0 after 0.9.0)."""
    found = [p.name for p in root.iterdir() if p.is_dir() and _is_version(p.name)] if root.is_dir() else []
    return sorted(found, key=Version)


def previous_release(current: str | None = None, root: Path = RELEASES) -> str | None:
    """The release this tree must stay compatible with: the latest snapshot not above the current version.

    A snapshot of the current version itself is the release cut from it: the tree is what comes after it.
    """
    ceiling = Version(current or current_version())
    earlier = [v for v in releases(root) if Version(v) <= ceiling]
    return earlier[-1] if earlier else None


def previous_pacts(kind: str, root: Path = RELEASES) -> list[Path]:
    """The previous release's pact files of one kind ("http" or "messages"); none without a previous release."""
    version = previous_release(root=root)
    return sorted((root / version / "pacts" / kind).glob("*.json")) if version else []


def previous_schemas(root: Path = RELEASES) -> tuple[str, dict[str, Schema]] | None:
    """(version, schema by message type) of the previous release, or None."""
    version = previous_release(root=root)
    if version is None:
        return None
    folder = root / version / "schemas"
    return version, {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))}


def snapshot(version: str, *, root: Path = RELEASES, pacts: Path = PACTS, force: bool = False) -> Path:
    """Write `root/<version>/`: the committed pacts and every message type's schema. A release is not rewritten."""
    Version(version)  # InvalidVersion for anything that does not sort as a version
    target = root / version
    if target.exists() and not force:
        raise FileExistsError(f"release {version} is already snapshotted in {target} (a release is immutable)")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(pacts, target / "pacts", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (target / "schemas").mkdir()
    for type_, schema in current_schemas().items():
        (target / "schemas" / f"{type_}.json").write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    return target


def _is_version(name: str) -> bool:
    try:
        Version(name)
    except InvalidVersion:
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    """The release workflow's entry point."""
    parser = argparse.ArgumentParser(prog="python -m contracts.release", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    snap = commands.add_parser("snapshot", help="keep this tree's pacts and message schemas as a release")
    snap.add_argument("version", nargs="?", help="default: project.version of pyproject.toml")
    snap.add_argument("--force", action="store_true", help="rewrite an existing snapshot")
    commands.add_parser("previous", help="print the release this tree is checked against")
    args = parser.parse_args(argv)
    if args.command == "previous":
        print(previous_release() or "none")
        return
    print(snapshot(args.version or current_version(), force=args.force).relative_to(ROOT))


if __name__ == "__main__":
    main()
