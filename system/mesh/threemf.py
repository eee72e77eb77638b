"""3MF reader: a ZIP package whose model part is XML listing vertices and triangles by vertex index.

The archive is checked from its central directory before anything is decompressed (entry count, total
expanded size, per-entry compression ratio), and the model part is then streamed through a pull parser
with a hard cap on the bytes actually produced, so neither a lying header nor a huge XML exhausts memory.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path
from typing import IO
from xml.etree import ElementTree as ET

import numpy as np

from system.mesh.errors import InvalidModel
from system.mesh.geometry import Triangles, first_non_finite
from system.mesh.threemf_xml import MeshCollector

MAX_ENTRIES = 1000  # a real package holds a handful of parts (model, rels, content types, thumbnails)
MAX_UNCOMPRESSED = 1 << 30
MAX_RATIO = 100  # XML meshes deflate 5-20x; a bomb is 1000x
RATIO_FLOOR = 1 << 20  # a part this small cannot hurt us, whatever its ratio
CHUNK = 1 << 20
DEFAULT_MODEL = "3D/3dmodel.model"
_FORBIDDEN = re.compile(rb"<!\s*(?i:doctype|entity)")  # no DTDs: entity expansion is the XML bomb
_MODEL_REL = re.compile(  # the <Relationship> whose Type ends in /3dmodel, attributes in either order
    rb'Target="/?([^"]+)"[^>]*Type="[^"]*/3dmodel"|Type="[^"]*/3dmodel"[^>]*Target="/?([^"]+)"'
)


def load_3mf(
    path: Path | IO[bytes],
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED,
    max_entries: int = MAX_ENTRIES,
    max_ratio: float = MAX_RATIO,
) -> Triangles:
    """Read every mesh of a 3MF package (a path or a seekable binary file) into one (n, 3, 3) array, in mm."""
    try:
        with zipfile.ZipFile(path) as archive:
            _check_archive(archive.infolist(), max_uncompressed, max_entries, max_ratio)
            name = _model_part(archive, max_uncompressed)
            if name not in archive.namelist():
                raise _invalid(f"The 3MF package has no model part {name!r}.")
            info = archive.getinfo(name)
            collector = MeshCollector()
            with archive.open(info) as stream:
                _stream_xml(stream, collector, min(info.file_size, max_uncompressed), info.filename)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: encrypted entries; NotImplementedError: exotic compression methods.
        raise _invalid(f"The 3MF package is not a readable ZIP archive ({exc}); it may be damaged.") from exc
    return _checked(collector.triangles())


def _check_archive(infos: list[zipfile.ZipInfo], max_total: int, max_entries: int, max_ratio: float) -> None:
    if len(infos) > max_entries:
        raise InvalidModel("zip-bomb", f"The 3MF package holds {len(infos)} files; we accept at most {max_entries}.")
    total = sum(info.file_size for info in infos)
    if total > max_total:
        raise InvalidModel("too-large", f"The 3MF package unpacks to {total} bytes; the limit is {max_total} bytes.")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > max_ratio:
            raise InvalidModel(
                "zip-bomb",
                f"The part {info.filename!r} of the 3MF package expands {ratio:.0f}-fold "
                f"({info.compress_size} to {info.file_size} bytes); we accept at most {max_ratio:.0f}-fold.",
            )


def _model_part(archive: zipfile.ZipFile, limit: int) -> str:
    """The model part named by the package relationships, else the conventional 3D/3dmodel.model."""
    try:
        info = archive.getinfo("_rels/.rels")
    except KeyError:
        return DEFAULT_MODEL
    with archive.open(info) as stream:
        rels = _read_bounded(stream, min(limit, CHUNK), info.filename)
    match = _MODEL_REL.search(rels)
    return (match.group(1) or match.group(2)).decode("utf-8", "replace") if match else DEFAULT_MODEL


def _read_bounded(stream: IO[bytes], limit: int, name: str) -> bytes:
    """Read a whole part, but never more than `limit` bytes, whatever its header claimed."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _overflow(name, limit)
    return data


def _stream_xml(stream: IO[bytes], collector: MeshCollector, limit: int, name: str) -> None:
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    produced, tail = 0, b""
    try:
        while chunk := stream.read(CHUNK):
            produced += len(chunk)
            if produced > limit:  # more than declared (or allowed): stop before using any of it
                raise _overflow(name, limit)
            window = tail + chunk  # a marker may straddle two chunks
            if _FORBIDDEN.search(window) or b"\x00" in chunk:
                raise _invalid("The 3MF model must be UTF-8 XML without DOCTYPE or entity declarations.")
            tail = chunk[-16:]
            parser.feed(chunk)
            collector.consume(parser.read_events())
        parser.close()
        collector.consume(parser.read_events())
    except ET.ParseError as exc:
        raise _invalid(f"The 3MF model part is not well-formed XML ({exc}).") from exc


def _checked(triangles: Triangles) -> Triangles:
    if len(triangles) == 0:
        raise InvalidModel("no-triangles", "The 3MF model contains no triangles: there is nothing to print.")
    bad = first_non_finite(triangles)
    if bad is not None:
        raise InvalidModel(
            "non-finite-coordinates",
            f"Triangle {bad + 1} of the 3MF model has a coordinate that is not a finite number (NaN or infinity).",
        )
    return np.ascontiguousarray(triangles, dtype=np.float64)


def _overflow(name: str, limit: int) -> InvalidModel:
    return InvalidModel(
        "zip-bomb",
        f"The part {name!r} of the 3MF package unpacks to more than {limit} bytes, "
        "more than it declares or than we allow.",
    )


def _invalid(detail: str) -> InvalidModel:
    return InvalidModel("invalid-3mf", detail)
