"""nn.load_mnist1d: the paper's default split from the mnist1d generator, cached, global RNGs untouched."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")
pytest.importorskip("mnist1d", reason="the mnist1d extra")

from autograd_core.extras import MissingExtraError  # noqa: E402
from nn import data, load_mnist1d  # noqa: E402


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def in_folder(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AUTOGRAD_CORE_DATA", str(folder))
    return folder


@pytest.fixture
def generated(in_folder: Path) -> tuple:
    """The default split, generated once for this module (a few seconds) and cached in a temporary folder."""
    return load_mnist1d()


def test_the_default_split_has_the_papers_shape(generated) -> None:
    X, y, X_test, y_test = generated
    assert X.shape == (4000, 40) and X_test.shape == (1000, 40)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert sorted(set(y.tolist())) == list(range(10)) and sorted(set(y_test.tolist())) == list(range(10))
    assert abs(X.mean()) < 0.05 and 0.9 < X.std() < 1.1  # the generator centres and scales the whole set


def test_the_cache_is_read_back_without_generating(generated, in_folder, monkeypatch) -> None:
    assert (in_folder / "mnist1d" / "mnist1d_seed42.npz").is_file()

    def no(*args):
        raise AssertionError("generated again although the cache holds the arrays")

    monkeypatch.setattr(data, "_generate_mnist1d", no)
    for a, b in zip(load_mnist1d(), generated):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_cache_is_made_again(generated, in_folder) -> None:
    path = in_folder / "mnist1d" / "mnist1d_seed42.npz"
    path.write_bytes(b"not an npz file")
    X, *_ = load_mnist1d()
    np.testing.assert_array_equal(X, generated[0])
    assert path.stat().st_size > 1000


def test_global_random_states_are_left_alone(in_folder, monkeypatch) -> None:
    random.seed(123)
    np.random.seed(7)
    expected = random.random(), np.random.random()
    random.seed(123)
    np.random.seed(7)
    load_mnist1d(seed=42, cache=False)  # the generator seeds both global generators
    assert (random.random(), np.random.random()) == expected


def test_bad_arguments_and_a_missing_package(in_folder, monkeypatch) -> None:
    with pytest.raises(TypeError, match=r"load_mnist1d\(seed\) must be an int, got float"):
        load_mnist1d(seed=1.5)
    with pytest.raises(TypeError, match=r"load_mnist1d\(cache\) must be True or False"):
        load_mnist1d(cache="yes")
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(MissingExtraError, match=r"autograd-core\[mnist1d\]"):
        load_mnist1d(seed=3, cache=False)
