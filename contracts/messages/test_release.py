"""Release snapshots: what a snapshot holds, which release counts as previous, and that a release is kept as cut."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.messages.labels import labelled
from contracts.messages.schemas import current_schemas
from contracts.release import main, previous_release, previous_schemas, releases, snapshot
from system.kernel.messaging.catalogue import CATALOGUE

pytestmark = labelled("release gate", "release snapshots", feature="compatibility with the previous release")


@pytest.fixture
def pacts(tmp_path: Path) -> Path:
    """A pact folder as contracts/pacts/ holds it, with its Python modules beside the pacts."""
    root = tmp_path / "pacts"
    for kind in ("http", "messages"):
        (root / kind).mkdir(parents=True)
        (root / kind / f"a-{kind}.json").write_text("{}")
    (root / "__init__.py").write_text("")
    return root


def test_a_snapshot_holds_the_pacts_and_every_message_schema(tmp_path: Path, pacts: Path) -> None:
    target = snapshot("0.2.0", root=tmp_path / "releases", pacts=pacts)
    assert sorted(p.relative_to(target).as_posix() for p in (target / "pacts").rglob("*")) == [
        "pacts/http", "pacts/http/a-http.json", "pacts/messages", "pacts/messages/a-messages.json",
    ]  # fmt: skip
    assert sorted(p.stem for p in (target / "schemas").glob("*.json")) == sorted(CATALOGUE)
    kept = json.loads((target / "schemas" / "order.placed.json").read_text())
    assert kept == json.loads(json.dumps(current_schemas()["order.placed"]))


def test_a_release_is_never_rewritten_and_a_version_must_be_one(tmp_path: Path, pacts: Path) -> None:
    snapshot("0.2.0", root=tmp_path, pacts=pacts)
    with pytest.raises(FileExistsError, match=r"0\.2\.0 is already snapshotted"):
        snapshot("0.2.0", root=tmp_path, pacts=pacts)
    with pytest.raises(ValueError, match="Invalid version"):
        snapshot("next", root=tmp_path, pacts=pacts)


def test_the_previous_release_is_the_newest_not_above_the_current_version(tmp_path: Path) -> None:
    for name in ("0.9.0", "0.10.0", "1.0.0", "notes"):
        (tmp_path / name).mkdir()
    assert releases(tmp_path) == ["0.9.0", "0.10.0", "1.0.0"]  # as versions, not as strings
    assert previous_release("0.10.0", root=tmp_path) == "0.10.0"  # cut from this version: what comes after it
    assert previous_release("0.11.0", root=tmp_path) == "0.10.0"
    assert previous_release("0.1.0", root=tmp_path) is None


def test_the_repository_keeps_a_previous_release_with_every_message_schema() -> None:
    found = previous_schemas()
    assert found is not None and set(found[1]) == set(CATALOGUE), "python -m contracts.release snapshot"


def test_the_command_names_the_previous_release(capsys: pytest.CaptureFixture[str]) -> None:
    main(["previous"])
    assert capsys.readouterr().out.strip() == previous_release()
