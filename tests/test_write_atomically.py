"""write_atomically (autograd_core.files; viz and nn use it): permissions kept, symlinks followed, fsync."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from autograd_core.files import write_atomically

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions and symlinks")


@posix_only
def test_an_existing_private_file_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_text("old")
    path.chmod(0o600)
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o664)  # wider than the umask allows a new file: kept too
    write_atomically(path, b"newer")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


@posix_only
def test_a_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.json", b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o644


@posix_only
def test_a_symlink_stays_a_link_and_its_target_is_written(tmp_path: Path) -> None:
    target = tmp_path / "store" / "model.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "model.json"
    link.symlink_to(target)
    write_atomically(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(target.parent)) == ["model.json"]  # no temporary file left


def test_a_missing_folder_is_named_not_the_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "no_such_folder" / "model.json"
    with pytest.raises(FileNotFoundError) as e:
        write_atomically(path, b"x")
    assert e.value.filename == str(path)
    assert ".tmp" not in str(e.value) and str(path) in str(e.value)


def test_a_read_only_folder_is_named_not_the_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def read_only_open(file: str | os.PathLike[str], flags: int, mode: int = 0o777) -> int:
        if flags & os.O_CREAT:  # what a read-only folder does (simulated: root may write anywhere)
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, mode)

    monkeypatch.setattr(os, "open", read_only_open)
    path = tmp_path / "model.json"
    with pytest.raises(PermissionError) as e:
        write_atomically(path, b"x")
    assert e.value.filename == str(path) and ".tmp" not in str(e.value)


def test_a_failed_rename_is_named_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    folder = tmp_path / "model.json"
    folder.mkdir()  # a folder where the file should go: the rename fails
    (folder / "inside").write_text("x")
    with pytest.raises(OSError) as e:
        write_atomically(folder, b"x")
    assert e.value.filename == str(folder) and ".tmp" not in str(e.value)
    assert os.listdir(tmp_path) == ["model.json"]


def test_the_data_is_fsynced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        events.append("rename")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    write_atomically(tmp_path / "m.json", b"x")
    expected = ["fsync file", "rename"] + (["fsync folder"] if sys.platform != "win32" else [])
    assert events == expected


def test_one_implementation_reachable_from_its_old_home() -> None:
    import autograd_core.viz
    import nn.serialization

    assert autograd_core.viz.write_atomically is write_atomically  # the path older code imports
    assert nn.serialization.write_atomically is write_atomically  # saving a model does not go through viz
