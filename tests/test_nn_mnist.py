"""nn.load_mnist on small IDX files made here: reading, checks, the download (from a local server), errors."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from nn import mnist  # noqa: E402
from nn.mnist import IdxFile, MnistFileError, MnistNotFoundError, load_mnist  # noqa: E402

SHAPES = {"train-images": (5, 2, 3), "train-labels": (5,), "t10k-images": (2, 2, 3), "t10k-labels": (2,)}


def idx(array: np.ndarray) -> bytes:
    """The IDX bytes of an unsigned-byte array: magic 0x0000 08 ndim, the sizes, the data."""
    return struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def made_files(seed: int = 0) -> dict[str, tuple[bytes, np.ndarray]]:
    """{file name: (gzip bytes, array)} for a tiny MNIST of the SHAPES above."""
    rng = np.random.default_rng(seed)
    files = {}
    for stem, shape in SHAPES.items():
        high = 10 if len(shape) == 1 else 256
        array = rng.integers(0, high, size=shape, dtype=np.uint8)
        files[f"{stem}-idx{len(shape)}-ubyte.gz"] = (gzip.compress(idx(array)), array)
    return files


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[bytes, np.ndarray]]:
    """The made files, with nn.mnist.FILES pointed at their checksums and shapes (no real MNIST needed)."""
    files = made_files()
    table = tuple(IdxFile(name, hashlib.sha256(packed).hexdigest(), a.shape) for name, (packed, a) in files.items())
    monkeypatch.setattr(mnist, "FILES", table)
    monkeypatch.setattr(mnist, "MIRRORS", ("http://127.0.0.1:9/nothing-listens-here/",))
    return files


def write(folder: Path, files: dict[str, tuple[bytes, np.ndarray]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (packed, _) in files.items():
        (folder / name).write_bytes(packed)


def test_the_real_files_are_the_standard_split() -> None:
    assert [f.shape for f in mnist.FILES] == [(60000, 28, 28), (60000,), (10000, 28, 28), (10000,)]
    assert all(len(f.sha256) == 64 and int(f.sha256, 16) >= 0 for f in mnist.FILES)
    assert all(m.startswith("https://") and m.endswith("/") for m in mnist.MIRRORS)


def test_load_reads_pixels_in_0_1_and_labels(tiny, tmp_path: Path) -> None:
    write(tmp_path, tiny)
    X_train, y_train, X_test, y_test = load_mnist(tmp_path, download=False)
    images = tiny["train-images-idx3-ubyte.gz"][1]
    assert X_train.shape == (5, 6) and X_test.shape == (2, 6) and X_train.dtype == np.float64
    np.testing.assert_array_equal(X_train, images.reshape(5, 6) / 255.0)  # row by row: [r0c0 r0c1 r0c2 r1c0 …]
    assert X_train[0, 3] == images[0, 1, 0] / 255.0
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0
    np.testing.assert_array_equal(y_train, tiny["train-labels-idx1-ubyte.gz"][1])
    assert y_test.dtype == np.int64 and y_test.tolist() == tiny["t10k-labels-idx1-ubyte.gz"][1].tolist()


def test_missing_files_without_download_name_the_files_the_folder_and_how_to_fetch(tiny, tmp_path: Path) -> None:
    write(tmp_path, {k: v for k, v in tiny.items() if "train" in k})
    with pytest.raises(MnistNotFoundError) as e:
        load_mnist(tmp_path, download=False)
    text = str(e.value)
    assert str(tmp_path) in text and "t10k-images-idx3-ubyte.gz" in text and "t10k-labels-idx1-ubyte.gz" in text
    assert "train-images" not in text and "download=False" in text and mnist.MIRRORS[0] in text
    assert isinstance(e.value, FileNotFoundError)


def test_the_default_folder_is_autograd_core_data_or_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AUTOGRAD_CORE_DATA", str(tmp_path))
    assert mnist.data_folder() == tmp_path / "mnist"
    monkeypatch.delenv("AUTOGRAD_CORE_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.data_folder() == tmp_path / "home" / ".cache" / "autograd-core" / "mnist"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local HTTP server on 127.0.0.1 serving the folder it returns (the mirror in these tests)."""
    root = tmp_path / "served"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", root
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_missing_files_are_downloaded_checked_and_kept(tiny, server, tmp_path, monkeypatch) -> None:
    url, root = server
    write(root / "b", tiny)
    monkeypatch.setattr(mnist, "MIRRORS", (url + "a/", url + "b/"))  # the first mirror answers 404
    folder = tmp_path / "data" / "mnist"
    write(folder, {k: v for k, v in tiny.items() if "labels" in k})  # only the images are missing
    X_train, *_ = load_mnist(folder)
    assert X_train.shape == (5, 6)
    assert sorted(p.name for p in folder.iterdir()) == sorted(tiny)  # no temporary file left
    assert (folder / "t10k-images-idx3-ubyte.gz").read_bytes() == tiny["t10k-images-idx3-ubyte.gz"][0]
    monkeypatch.setattr(mnist, "MIRRORS", ("http://127.0.0.1:9/",))  # now all there: no download needed
    assert load_mnist(folder)[1].tolist() == tiny["train-labels-idx1-ubyte.gz"][1].tolist()


def test_a_download_with_the_wrong_checksum_leaves_no_file(tiny, server, tmp_path, monkeypatch) -> None:
    url, root = server
    write(root, tiny)
    (root / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"not mnist"))
    monkeypatch.setattr(mnist, "MIRRORS", (url,))
    folder = tmp_path / "mnist"
    with pytest.raises(MnistNotFoundError, match=r"t10k-labels-idx1-ubyte\.gz: SHA-256 [0-9a-f]{64}, expected"):
        load_mnist(folder)
    assert "t10k-labels-idx1-ubyte.gz" not in os.listdir(folder)
    assert all(not name.startswith(".") for name in os.listdir(folder))  # no half-written temporary file


def test_an_unreachable_mirror_says_so_and_how_to_fetch_by_hand(tiny, tmp_path: Path) -> None:
    with pytest.raises(MnistNotFoundError, match="the download failed") as e:
        load_mnist(tmp_path / "mnist")
    assert "127.0.0.1:9" in str(e.value) and "Fetch them by hand" in str(e.value)
    assert not (tmp_path / "mnist").exists() or not os.listdir(tmp_path / "mnist")


def corrupt(tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, raw: bytes) -> Path:
    """Replace file ``name`` by gzip(raw), with the checksum table updated so the IDX checks are reached."""
    write(tmp_path, tiny)
    packed = gzip.compress(raw)
    (tmp_path / name).write_bytes(packed)
    table = tuple(
        IdxFile(f.name, hashlib.sha256(packed).hexdigest(), f.shape) if f.name == name else f for f in mnist.FILES
    )
    monkeypatch.setattr(mnist, "FILES", table)
    return tmp_path


LABELS = "train-labels-idx1-ubyte.gz"
IMAGES = "t10k-images-idx3-ubyte.gz"


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (LABELS, b"\x00\x00\x08", "too short for an IDX header"),
        (LABELS, struct.pack(">HBBI", 0, 0x08, 3, 5) + bytes(5), r"magic number 0x00000803, expected 0x00000801"),
        (LABELS, struct.pack(">HBBI", 0, 0x0D, 1, 5) + bytes(20), r"magic number 0x00000d01"),
        (LABELS, struct.pack(">HBBI", 0, 0x08, 1, 4) + bytes(4), r"the header says shape \(4,\), expected \(5,\)"),
        (LABELS, struct.pack(">HBBI", 0, 0x08, 1, 5) + bytes(3), r"truncated: 3 bytes of data for shape \(5,\)"),
        (LABELS, struct.pack(">HBBI", 0, 0x08, 1, 5) + bytes(6), "longer than its header says"),
        (LABELS, struct.pack(">HBBI", 0, 0x08, 1, 5) + bytes([1, 2, 11, 3, 4]), "label 2 is 11, not a digit"),
        (IMAGES, struct.pack(">HBBIII", 0, 0x08, 3, 2, 3, 2) + bytes(12), r"shape \(2, 3, 2\), expected \(2, 2, 3\)"),
    ],
)
def test_a_corrupt_file_names_itself_and_what_is_wrong(tiny, tmp_path, monkeypatch, name, raw, message) -> None:
    folder = corrupt(tiny, tmp_path, monkeypatch, name, raw)
    with pytest.raises(MnistFileError, match=message) as e:
        load_mnist(folder, download=False)
    assert name in str(e.value)


def test_a_file_that_is_not_the_standard_one_fails_its_checksum(tiny, tmp_path: Path) -> None:
    write(tmp_path, tiny)
    (tmp_path / IMAGES).write_bytes(made_files(seed=1)[IMAGES][0])
    with pytest.raises(MnistFileError, match=r"t10k-images-idx3-ubyte\.gz: SHA-256 [0-9a-f]{64} is not the standard"):
        load_mnist(tmp_path, download=False)


def test_a_file_that_is_not_gzip_says_so(tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, tiny)
    (tmp_path / LABELS).write_bytes(b"plain bytes")
    table = tuple(
        IdxFile(f.name, hashlib.sha256(b"plain bytes").hexdigest(), f.shape) if f.name == LABELS else f
        for f in mnist.FILES
    )
    monkeypatch.setattr(mnist, "FILES", table)
    with pytest.raises(MnistFileError, match="not a readable gzip file"):
        load_mnist(tmp_path, download=False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are a POSIX thing")
def test_special_files_are_refused_without_reading_them(tiny, tmp_path: Path) -> None:
    write(tmp_path, tiny)
    (tmp_path / LABELS).unlink()
    os.mkfifo(tmp_path / LABELS)  # opening it for reading would wait for a writer forever
    with pytest.raises(MnistFileError, match="not a regular file"):
        load_mnist(tmp_path, download=False)
    (tmp_path / LABELS).unlink()
    (tmp_path / LABELS).mkdir()
    with pytest.raises(MnistFileError, match="not a regular file"):
        load_mnist(tmp_path, download=False)
    (tmp_path / LABELS).rmdir()
    if os.path.exists("/dev/zero"):
        (tmp_path / LABELS).symlink_to("/dev/zero")  # endless bytes
        with pytest.raises(MnistFileError, match="not a regular file"):
            load_mnist(tmp_path, download=False)


def test_a_huge_file_is_not_read_past_the_cap(tiny, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, tiny)
    monkeypatch.setattr(mnist, "MAX_GZIP_BYTES", 1000)
    (tmp_path / LABELS).write_bytes(bytes(5000))
    with pytest.raises(MnistFileError, match="larger than 1,000 bytes"):
        load_mnist(tmp_path, download=False)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"download": "no"}, TypeError, r"load_mnist\(download\) must be True or False, got str: 'no'"),
        ({"download": 1}, TypeError, r"load_mnist\(download\) must be True or False"),
        ({"path": 3}, TypeError, r"load_mnist\(path\) must be a folder path or None, got int: 3"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message) -> None:
    with pytest.raises(error, match=message):
        load_mnist(**kwargs)
