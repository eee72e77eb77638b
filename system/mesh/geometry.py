"""Primitives over a triangle soup, all vectorised: bounds, finite checks, and exact vertex identities."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Triangles = npt.NDArray[np.float64]
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)


def bounds(triangles: Triangles) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The lowest and highest coordinate on each axis."""
    columns = triangles.reshape(-1, 3).T  # per-column reductions are ~8x faster than min(axis=0) here
    return np.array([column.min() for column in columns]), np.array([column.max() for column in columns])


def first_non_finite(triangles: npt.NDArray[np.floating]) -> int | None:
    """Index of the first triangle with a NaN or infinite coordinate, or None if all are finite."""
    bad = ~np.isfinite(triangles).all(axis=(1, 2))
    return int(np.argmax(bad)) if bad.any() else None


def vertex_ids(vertices: Triangles, hashes: npt.NDArray[np.uint64] | None = None) -> tuple[npt.NDArray[np.int64], int]:
    """Label each (x, y, z) row so bit-identical coordinates share an id; return (ids, distinct count)."""
    # + 0.0 turns -0.0 into 0.0, so equal values have equal bits
    return row_ids(np.ascontiguousarray(vertices + 0.0).view(np.uint64), hashes)


def row_ids(bits: npt.NDArray[np.uint64], hashes: npt.NDArray[np.uint64] | None = None) -> tuple[
    npt.NDArray[np.int64], int]:  # fmt: skip
    """Label each row of 64-bit words so equal rows share an id; return (ids, distinct count)."""
    keys = _hash_rows(bits) if hashes is None else hashes
    # Sorting a hash groups equal rows (a 3-column lexsort is ~4x slower than one argsort). Equal rows always hash
    # alike; two different rows sharing a hash make the two sets of run flags disagree, and an exacter way is
    # tried: first the hash's top bits sorted with the row index (one SIMD sort), then the whole hash, then rows.
    index_bits = bits_for(len(bits))
    order, sorted_keys = sort_order(keys >> np.uint64(index_bits), 64 - index_bits)
    starts = run_starts(np.take(bits, order, axis=0))
    if not np.array_equal(starts, run_starts(sorted_keys)):
        order = np.argsort(keys)
        starts = run_starts(np.take(bits, order, axis=0))
        if not np.array_equal(starts, run_starts(keys[order])):
            order = np.lexsort(bits.T[::-1])
            starts = run_starts(np.take(bits, order, axis=0))
    ids = np.empty(len(bits), dtype=np.int64)
    ids[order] = np.cumsum(starts) - 1
    return ids, int(starts.sum())


def sort_order(keys: npt.NDArray[Any], key_bits: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64]]:
    """(order, sorted keys) of non-negative integer `keys` below 2**key_bits, equal keys in index order.

    When a key and its index fit in 64 bits together, one plain sort of (key << index bits | index) replaces an
    argsort: numpy sorts plain integers with SIMD, ~8x faster than argsort on this machine (3M keys: 0.08 s
    against 0.68 s). Otherwise a stable argsort.
    """
    index_bits = bits_for(len(keys))
    if key_bits + index_bits > 64:
        order = np.argsort(keys, kind="stable")
        return order, keys[order].astype(np.uint64)
    packed = keys.astype(np.uint64)  # a copy, then worked on in place: these arrays run to tens of megabytes
    packed <<= np.uint64(index_bits)
    packed |= np.arange(len(keys), dtype=np.uint64)
    packed.sort()
    order = (packed & np.uint64((1 << index_bits) - 1)).view(np.int64)
    packed >>= np.uint64(index_bits)
    return order, packed


def bits_for(n: int) -> int:
    """Bits that hold every index below n."""
    return max(1, (n - 1).bit_length())


def _hash_rows(bits: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    key = np.zeros(len(bits), dtype=np.uint64)
    spare = np.empty_like(key)  # in place: these arrays run to tens of megabytes, temporaries cost more than math
    for column in bits.T:
        key ^= column
        _mix(key, spare)
    return key


def _mix(x: npt.NDArray[np.uint64], spare: npt.NDArray[np.uint64]) -> None:
    # splitmix64 finaliser: every input bit affects every output bit, so structured coordinates spread out.
    for shift, multiplier in ((30, _C1), (27, _C2)):
        np.right_shift(x, np.uint64(shift), out=spare)
        x ^= spare
        x *= multiplier
    np.right_shift(x, np.uint64(31), out=spare)
    x ^= spare


def run_starts(rows: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Mark the first element of each run of equal consecutive rows (or values)."""
    starts = np.ones(len(rows), dtype=bool)
    columns = rows.T if rows.ndim == 2 else rows[None]
    differs = starts[1:]
    differs[:] = False
    for column in columns:  # column by column: ~4x faster than .any(axis=1) over a narrow 2-d array
        differs |= column[1:] != column[:-1]
    return starts


def run_lengths(sorted_keys: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    starts = np.flatnonzero(run_starts(sorted_keys))
    return np.diff(np.append(starts, len(sorted_keys)))
