"""Reading and verifying IDX gz files with memory bounded by the published array size.

An IDX file (LeCun et al., "Gradient-based learning applied to document recognition", 1998; format on
the MNIST page) is a header, the magic number 0x00 0x00 0x08 <ndim> and ``ndim`` big-endian uint32
dimensions, followed by the array's bytes.  The gz file is read in chunks and inflated incrementally
(:func:`zlib.decompressobj` with ``max_length``), so

1. the file size is checked first: no gzip of the expected payload can be larger than
   :func:`max_gz_size` (stored deflate blocks cost 5 bytes per 65,535);
2. the header is checked as soon as its bytes are inflated, before the payload: magic number, and the
   shape against :data:`~lshlab.data.catalog.IDX_SHAPES` (exact integer arithmetic, so a header whose
   dimensions multiply past int64 is a clear error, not an overflow);
3. the payload is inflated into one preallocated array of the announced size; a stream that inflates to
   more is rejected at the first byte too many (a 0.26 MB gzip that inflates to 270 MB costs the
   announced 7.8 MB, not 270 MB);
4. the checksum (published gz MD5, or SHA-256 of the payload for re-gzipped copies) is computed on the
   way, and checked at the end with the pixel shape and the label range.

Every failure is a :class:`~lshlab.data.catalog.DataIntegrityError` naming the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .catalog import (
    GZ_SIZES, IDX_DATASETS, IDX_MAGIC, IDX_SHAPES, IMAGE_SHAPE, MD5_GZ, SHA256_PAYLOAD, TITLES,
    DataIntegrityError, check_name, file_kind, identify, replace_hint,
)

__all__ = ["IdxFile", "verify_file", "read_idx_gz", "gz_sha256", "idx_header", "payload_size", "max_gz_size"]

_READ_CHUNK = 1 << 18  # bytes of gz read at a time
_INFLATE_CHUNK = 1 << 18  # most bytes inflated by one decompress call


@dataclasses.dataclass(frozen=True)
class IdxFile:
    """A verified IDX file: its array and the digests computed while reading it."""

    array: np.ndarray
    gz_md5: str
    gz_sha256: str
    payload_sha256: str


def idx_header(shape) -> bytes:
    """The IDX header of a uint8 array of ``shape`` (magic 0x00 0x00 0x08 <ndim>, big-endian dims)."""
    return struct.pack(">I", 0x0800 | len(shape)) + struct.pack(f">{len(shape)}I", *shape)


def payload_size(shape) -> int:
    """Bytes of the decompressed IDX payload of a uint8 array of ``shape`` (header + data)."""
    return 4 + 4 * len(shape) + math.prod(shape)


def max_gz_size(dataset: str, fname: str) -> int:
    """Largest plausible size of a gz of this file: the published size, or a stored-block gzip of it."""
    payload = payload_size(IDX_SHAPES[dataset][fname])
    return max(GZ_SIZES.get(dataset, {}).get(fname, 0), payload + 5 * (payload // 65_535 + 1) + (64 << 10))


def _check_args(dataset, fname):
    check_name(dataset, allowed=IDX_DATASETS)
    if fname not in MD5_GZ[dataset]:
        raise ValueError(f"fname must be one of {sorted(MD5_GZ[dataset])}, got {fname!r}")


def _open_checked(path: Path, dataset: str, fname: str):
    """Open ``path`` for reading after checking its size against :func:`max_gz_size`."""
    fh = open(path, "rb")
    size = os.fstat(fh.fileno()).st_size
    limit = max_gz_size(dataset, fname)
    if size > limit:
        fh.close()
        raise DataIntegrityError(
            f"{path} has {size:,} bytes, more than any gzip of the {TITLES[dataset]} {fname} "
            f"({payload_size(IDX_SHAPES[dataset][fname]):,} decompressed bytes) can have ({limit:,}); "
            f"it is not that file. " + replace_hint(path, dataset, fname)
        )
    return fh


def gz_sha256(path, dataset: str, fname: str) -> str:
    """SHA-256 of the gz file itself (the cache key), read in chunks after the size check."""
    digest = hashlib.sha256()
    with _open_checked(Path(path), dataset, fname) as fh:
        while chunk := fh.read(_READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _inflate(fh, raw_hashes, path, dataset, fname):
    """Yield the inflated bytes of a (possibly multi-member) gzip stream, at most 256 KiB at a time.

    Zero bytes after a member are padding (as :mod:`gzip` allows); anything else starts a new member.
    """
    d = None  # the current member's decompressor; None between members
    members = 0  # complete members so far
    pending = b""
    n_raw = 0
    n_out = 0
    while True:
        if not pending:
            pending = fh.read(_READ_CHUNK)
            n_raw += len(pending)
            for h in raw_hashes:
                h.update(pending)
            if not pending:
                break
        if d is None:
            if members:  # after a complete member: zero padding, or the next member
                pending = pending.lstrip(b"\0")
                if not pending:
                    continue
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            piece = d.decompress(pending, _INFLATE_CHUNK)
        except zlib.error as exc:
            raise DataIntegrityError(
                f"{path} is not a valid gzip file ({exc}); {replace_hint(path, dataset, fname)}"
            ) from None
        pending = d.unconsumed_tail
        if d.eof:
            pending = d.unused_data + pending
            d = None
            members += 1
        if piece:
            n_out += len(piece)
            yield piece
    if d is not None or not members:
        expected = GZ_SIZES.get(dataset, {}).get(fname)
        size_msg = f"the published file has {expected:,} bytes" if expected else "the gzip stream is incomplete"
        raise DataIntegrityError(
            f"{path} is truncated: it has {n_raw:,} bytes and its gzip stream ends early "
            f"({n_out:,} bytes decompressed); {size_msg}. {replace_hint(path, dataset, fname)}"
        )


def _check_magic(head: bytes, path, kind, dataset, fname):
    want = IDX_MAGIC[kind]
    magic = int.from_bytes(head[:4], "big")
    if magic != want:
        raise DataIntegrityError(
            f"{path} has IDX magic number {magic}, expected {want} "
            f"(IDX {kind} file of unsigned bytes). Is it the right file?  " + replace_hint(path, dataset, fname)
        )


def _check_shape(head: bytes, path, kind, dataset, fname) -> tuple:
    """The shape announced by a complete IDX header, which must be the catalog's shape of the file."""
    ndim = IDX_MAGIC[kind] & 0xFF
    dims = struct.unpack(f">{ndim}I", head[4 : 4 + 4 * ndim])
    expected = tuple(IDX_SHAPES[dataset][fname])
    if dims != expected:
        raise DataIntegrityError(
            f"{path}: its IDX header announces {kind} of shape {dims} ({payload_size(dims):,} decompressed "
            f"bytes), but the {TITLES[dataset]} {fname} holds {kind} of shape {expected} "
            f"({payload_size(expected):,} bytes). " + replace_hint(path, dataset, fname)
        )
    return dims


def read_idx_gz(path, dataset: str, fname: str) -> IdxFile:
    """Read, check and decode one IDX gz file of ``dataset`` named ``fname`` (see the module docstring)."""
    path = Path(path)
    kind = file_kind(fname)
    header_len = 4 + 4 * (IDX_MAGIC[kind] & 0xFF)
    md5, raw_sha, payload_sha = hashlib.md5(), hashlib.sha256(), hashlib.sha256()
    head = b""  # the header bytes, until the header is complete
    flat = None  # the payload array (flat view), allocated once the header is checked
    filled = 0
    with _open_checked(path, dataset, fname) as fh:
        for piece in _inflate(fh, (md5, raw_sha), path, dataset, fname):
            if flat is None:
                head += piece
                if len(head) >= 4:
                    _check_magic(head, path, kind, dataset, fname)
                if len(head) < header_len:
                    continue
                shape = _check_shape(head, path, kind, dataset, fname)
                out = np.empty(shape, dtype=np.uint8)
                flat = out.reshape(-1)
                piece, head = head[header_len:], head[:header_len]
                payload_sha.update(head)
            if filled + len(piece) > flat.size:
                raise DataIntegrityError(
                    f"{path} is longer than its header says: its IDX header announces {kind} of shape "
                    f"{shape}, i.e. {payload_size(shape):,} decompressed bytes, but it has more "
                    f"(inflating stopped at {header_len + filled + len(piece):,}). "
                    + replace_hint(path, dataset, fname)
                )
            flat[filled : filled + len(piece)] = np.frombuffer(piece, dtype=np.uint8)
            payload_sha.update(piece)
            filled += len(piece)
    if flat is None:
        raise DataIntegrityError(
            f"{path} is truncated: {len(head)} decompressed bytes, its IDX header needs {header_len}. "
            + replace_hint(path, dataset, fname)
        )
    if filled < flat.size:
        raise DataIntegrityError(
            f"{path} is truncated: its IDX header announces {kind} of shape {shape}, i.e. "
            f"{payload_size(shape):,} decompressed bytes, but it has {header_len + filled:,}. "
            + replace_hint(path, dataset, fname)
        )
    result = IdxFile(out, md5.hexdigest(), raw_sha.hexdigest(), payload_sha.hexdigest())
    _check_checksum(result, path, dataset, fname)
    if kind == "images" and out.shape[1:] != IMAGE_SHAPE[dataset]:
        raise DataIntegrityError(f"{path} holds images of shape {out.shape[1:]}, expected {IMAGE_SHAPE[dataset]}")
    if kind == "labels" and out.size and out.max() > 9:
        raise DataIntegrityError(f"{path} holds label {int(out.max())}, expected labels 0..9")
    return result


def _check_checksum(result: IdxFile, path, dataset, fname):
    if result.gz_md5 == MD5_GZ[dataset][fname]:
        return
    sha = SHA256_PAYLOAD[dataset].get(fname)
    if sha is not None and result.payload_sha256 == sha:
        return
    other = identify(result.gz_md5)
    is_other = f" It is {other}." if other else ""
    accepted = f"the published gz MD5 {MD5_GZ[dataset][fname]}"
    if sha is not None:
        accepted += f" or the payload SHA-256 {sha}"
    raise DataIntegrityError(
        f"{path} fails its checksum: gz MD5 {result.gz_md5} matches neither {accepted}.{is_other} "
        f"The file is corrupt or not the {TITLES[dataset]} {fname}. " + replace_hint(path, dataset, fname)
    )


def verify_file(path, dataset: str, fname: str | None = None) -> np.ndarray:
    """Read, check and decode one IDX gz file of ``dataset``; return its uint8 array.

    Checks, in order: file size, complete gzip stream, IDX magic (2051 images / 2049 labels) and the shape
    announced by the header (before the payload is inflated), payload size, then the checksum (published
    gz MD5 or payload SHA-256).  Images must be 28x28 and labels 0..9.  Memory: the array plus about 1 MiB
    of buffers, whatever the file holds.  Raises :class:`DataIntegrityError` naming the file;
    ``FileNotFoundError`` if absent.
    """
    path = Path(path)
    fname = fname or path.name
    _check_args(dataset, fname)
    return read_idx_gz(path, dataset, fname).array
