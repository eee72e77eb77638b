"""Checkpoint keys and stored form, the folder store on a real file system, and the File Service store over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from system.kernel.messaging.catalogue import Material, Process, Unit
from system.pricing import checkpoints
from system.pricing.adapters.checkpoint_store import FilesCheckpoints, FolderCheckpoints
from system.pricing.adapters.files_client import FilesClient
from system.pricing.build import Build
from system.pricing.checkpoints import decode, encode, orientation_key, search_key
from system.pricing.slicer import SliceEstimate

SHA = "ab" * 32
BUILT = Build("front down", SliceEstimate(3723.0, 12.5, 1.25))
SECRET = "unit-pricing-" + "x" * 32
REFUSED = Build("as uploaded", None, "That way up the part does not fit.")


def key(**changes: object) -> str:
    given: dict[str, object] = {"sha256": SHA, "unit": Unit.MM, "process": Process.FDM, "material": Material.PLA,
                                "slicer_version": "PrusaSlicer-2.5.0"} | changes  # fmt: skip
    return search_key(**given)  # type: ignore[arg-type]


def test_the_key_changes_with_everything_a_slice_depends_on() -> None:
    variants = [key(), key(sha256="cd" * 32), key(unit=Unit.INCH), key(process=Process.SLA),
                key(material=Material.PETG), key(slicer_version="PrusaSlicer-2.6.0")]  # fmt: skip
    assert len(set(variants)) == len(variants)
    assert key() == key(), "and with nothing else"


def test_the_key_changes_when_a_profile_is_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("fdm.ini", "fdm-pla.ini"):
        (tmp_path / name).write_text("layer_height = 0.2\n")
    monkeypatch.setattr(checkpoints, "PROFILES", tmp_path)
    before = key()
    (tmp_path / "fdm-pla.ini").write_text("layer_height = 0.2\ntemperature = 220\n")
    assert key() != before


@pytest.mark.parametrize("build", [BUILT, REFUSED], ids=["sliced", "refused"])
def test_a_build_reads_back_as_stored(build: Build) -> None:
    assert decode(encode(build)) == build


@pytest.mark.parametrize(
    "data", [b"", b"{", b'{"orientation": "x"}', b'{"orientation": 1, "estimate": [1], "refused": ""}']
)
def test_an_unreadable_entry_reads_as_missing(data: bytes) -> None:
    assert decode(data) is None


async def test_the_folder_store_keeps_builds_per_key(tmp_path: Path) -> None:
    store = FolderCheckpoints(tmp_path / "checkpoints")
    await store.prepare()
    where = orientation_key(key(), BUILT.orientation)
    assert await store.get(where) is None
    await store.put(where, BUILT)
    assert await store.get(where) == BUILT
    assert await FolderCheckpoints(tmp_path / "checkpoints").get(where) == BUILT, "another process reads it too"
    assert [p.name for p in (tmp_path / "checkpoints").rglob(".checkpoint-*")] == [], "no temporary left"


async def test_a_folder_store_that_cannot_write_loses_nothing_but_time(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    store = FolderCheckpoints(blocked)
    await store.put("k/front-down", BUILT)  # logged, not raised
    assert await store.get("k/front-down") is None


def files_service(answer: int | None, kept: dict[str, bytes]) -> httpx.AsyncClient:
    """A File Service over HTTP that keeps checkpoints in `kept`; with `answer`, one that only answers that status."""

    def handle(request: httpx.Request) -> httpx.Response:
        key = request.url.path.removeprefix("/pricing-checkpoints/")
        if answer is not None:
            return httpx.Response(answer)
        if request.method == "PUT":
            kept[key] = request.content
            return httpx.Response(204)
        return httpx.Response(200, content=kept[key]) if key in kept else httpx.Response(404)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://files")


async def test_the_file_service_store_keeps_builds_per_key() -> None:
    kept: dict[str, bytes] = {}
    async with files_service(None, kept) as http:
        store = FilesCheckpoints(FilesClient("http://files", http, SECRET))
        assert await store.get("k/front-down") is None
        await store.put("k/front-down", BUILT)
        assert await store.get("k/front-down") == BUILT
    assert set(kept) == {"k/front-down"}


@pytest.mark.parametrize("status", [403, 500, 503])
async def test_a_file_service_that_fails_loses_nothing_but_time(status: int) -> None:
    async with files_service(status, {}) as http:
        store = FilesCheckpoints(FilesClient("http://files", http, SECRET))
        await store.put("k/front-down", BUILT)  # logged, not raised: the job goes on
        assert await store.get("k/front-down") is None  # and is sliced again
