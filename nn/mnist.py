"""MNIST: 70,000 handwritten digits, 28×28 grey pixels, from the four standard IDX files.

``load_mnist`` reads ``train-images-idx3-ubyte.gz`` and its three siblings (LeCun, Cortes
and Burges' split: 60,000 training and 10,000 test images) from a folder, downloading the
missing ones first when allowed. Every file is checked against its SHA-256 before it is
used or saved, and saved atomically, so a failed or interrupted download leaves nothing
behind. An IDX file is a big-endian header — a magic number whose third byte is the type
(0x08: unsigned bytes) and whose fourth is the number of dimensions, then one 32-bit size
per dimension — followed by the numbers, row after row.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import struct
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograd_core.extras import require
from autograd_core.files import write_atomically
from nn.data import data_folder


@dataclass(frozen=True)
class IdxFile:
    """One of the four files: its name, SHA-256, and the shape of the array it holds."""

    name: str
    sha256: str
    shape: tuple[int, ...]  # (images, rows, columns) or (labels,)


FILES = (
    IdxFile(
        "train-images-idx3-ubyte.gz",
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        (60000, 28, 28),
    ),
    IdxFile(
        "train-labels-idx1-ubyte.gz",
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        (60000,),
    ),
    IdxFile(
        "t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", (10000, 28, 28)
    ),
    IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        (10000,),
    ),
)
MIRRORS = (  # tried in this order; each serves the four files under their own names
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
MAX_GZIP_BYTES = 12_000_000  # the largest file is 9,912,422 bytes: no download or file is read past this
TIMEOUT = 30.0  # seconds without data before a download gives up


class MnistFileError(ValueError):
    """An MNIST file is corrupt, truncated or not the standard one (the message names the file and why)."""


class MnistNotFoundError(FileNotFoundError):
    """MNIST files are missing and could not be downloaded; the message says how to fetch them by hand."""


def load_mnist(path: str | os.PathLike[str] | None = None, download: bool = True) -> tuple[Any, Any, Any, Any]:
    """MNIST as NumPy arrays ``(X_train, y_train, X_test, y_test)``.

    X: float64 of shape (n, 784), pixel/255 in [0, 1], each row an image read row by row;
    y: int64 labels 0–9. The files are looked for in ``path`` (default: ``data_folder()``)
    and, where missing and ``download`` is True, fetched from ``MIRRORS``. Raises
    ``MnistNotFoundError`` when a file is missing and cannot be fetched, ``MnistFileError``
    when one is corrupt or not the standard file.
    """
    if not isinstance(download, bool):
        raise TypeError(f"load_mnist(download) must be True or False, got {type(download).__name__}: {download!r}")
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_mnist(path) must be a folder path or None, got {type(path).__name__}: {path!r}")
    np = require("numpy", "nn", "load_mnist")
    folder = Path(path) if path is not None else data_folder()
    missing = [f for f in FILES if not (folder / f.name).exists()]
    if missing and not download:
        raise MnistNotFoundError(_how_to_fetch(missing, folder, "download=False"))
    for f in missing:
        _download(f, folder)
    arrays = [_read(f, folder / f.name, np) for f in FILES]
    train_X, train_y, test_X, test_y = arrays
    return _pixels(train_X, np), train_y.astype(np.int64), _pixels(test_X, np), test_y.astype(np.int64)


def _pixels(images: Any, np: Any) -> Any:
    """(n, 28, 28) bytes as (n, 784) floats in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float64) / 255.0


def _read(f: IdxFile, path: Path, np: Any) -> Any:
    """The array in the IDX file ``path``, after checking its SHA-256, header, size and labels."""
    packed = _read_bounded(path)
    digest = hashlib.sha256(packed).hexdigest()
    if digest != f.sha256:
        raise MnistFileError(
            f"{path}: SHA-256 {digest} is not the standard file's {f.sha256} (a different or damaged file: "
            "delete it and load again to download it)"
        )
    try:
        raw = gzip.decompress(packed)
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise MnistFileError(f"{path}: not a readable gzip file ({e})") from None
    return parse_idx(raw, f.shape, str(path), np)


def parse_idx(raw: bytes, shape: tuple[int, ...], where: str, np: Any) -> Any:
    """The unsigned-byte array of ``shape`` in the IDX bytes ``raw``; ``MnistFileError`` naming ``where`` if not."""
    dims = len(shape)
    if len(raw) < 4 + 4 * dims:
        raise MnistFileError(f"{where}: {len(raw)} bytes is too short for an IDX header of {dims} dimensions")
    zero, kind, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or kind != 0x08 or ndim != dims:
        magic = int.from_bytes(raw[:4], "big")
        raise MnistFileError(
            f"{where}: magic number {magic:#010x}, expected {0x800 + dims:#010x} (unsigned bytes, {dims} dimensions)"
        )
    found = struct.unpack(f">{dims}I", raw[4 : 4 + 4 * dims])
    if found != shape:
        raise MnistFileError(f"{where}: the header says shape {found}, expected {shape}")
    body = raw[4 + 4 * dims :]
    count = int(np.prod(shape))
    if len(body) != count:
        what = "truncated" if len(body) < count else "longer than its header says"
        raise MnistFileError(f"{where}: {what}: {len(body)} bytes of data for shape {shape} ({count} bytes)")
    array = np.frombuffer(body, dtype=np.uint8).reshape(shape)
    if dims == 1 and array.size and int(array.max()) > 9:
        i = int(np.argmax(array > 9))
        raise MnistFileError(f"{where}: label {i} is {int(array[i])}, not a digit 0–9")
    return array


def _read_bounded(path: Path) -> bytes:
    """The bytes of the regular file ``path``, at most MAX_GZIP_BYTES (a FIFO, device or folder is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # opening a FIFO must not wait for a writer
    except OSError as e:
        raise MnistFileError(f"{path}: cannot be opened ({e.strerror or e})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise MnistFileError(f"{path}: not a regular file")
        chunks, size = [], 0
        while size <= MAX_GZIP_BYTES and (chunk := os.read(fd, MAX_GZIP_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    finally:
        os.close(fd)
    if len(data) > MAX_GZIP_BYTES:
        raise MnistFileError(f"{path}: larger than {MAX_GZIP_BYTES:,} bytes, not an MNIST file")
    return data


def _download(f: IdxFile, folder: Path) -> None:
    """Fetch ``f`` from the first mirror that serves it with the right SHA-256; write it atomically into ``folder``."""
    failures = []
    for mirror in MIRRORS:
        url = mirror + f.name
        try:
            data = _fetch(url)
        except (OSError, ValueError) as e:  # urllib.error.URLError is an OSError; a timeout too
            failures.append(f"{url}: {e}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest == f.sha256:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(folder / f.name, data)
            return
        failures.append(f"{url}: SHA-256 {digest}, expected {f.sha256}")
    raise MnistNotFoundError(_how_to_fetch([f], folder, "the download failed:\n  " + "\n  ".join(failures)))


def _fetch(url: str) -> bytes:
    """The body of ``url`` (at most MAX_GZIP_BYTES)."""
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        data = bytes(response.read(MAX_GZIP_BYTES + 1))
    if len(data) > MAX_GZIP_BYTES:
        raise ValueError(f"more than {MAX_GZIP_BYTES:,} bytes")
    return data


def _how_to_fetch(files: list[IdxFile], folder: Path, why: str) -> str:
    names = ", ".join(f.name for f in files)
    lines = "\n".join(f"  {f.name}  sha256 {f.sha256}" for f in files)
    return (
        f"MNIST files missing from {folder} ({why}): {names}. Fetch them by hand from {' or '.join(MIRRORS)} "
        f"into that folder, or pass load_mnist(path=...) a folder that has them:\n{lines}"
    )
