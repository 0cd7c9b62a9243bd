"""Writing files so that a crash never leaves half a file: ``write_atomically(path, data)``.

A neutral module: saving a model (``nn``), a drawing (``viz``) and a stepping page
(``stepping``) all write through it, and none of them depends on another for it.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

__all__ = ["write_atomically"]


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to a new file next to ``path``, then rename it into place (never half-written).

    The temporary file is fsynced before the rename and the folder after it (where the
    system allows), so a crash leaves the old file or the new one. Over an existing file the
    permissions are kept (a 0600 file stays 0600); a new file gets the usual 0666 minus the
    umask. A symlink at ``path`` stays a link: its target is replaced. An error (missing or
    read-only folder, full disk) names ``path``, not the temporary file.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))  # follow symlinks: write the file the link points to
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            if mode is not None:
                os.chmod(tmp, mode)  # exactly the old permissions, whatever the umask
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise OSError(e.errno, e.strerror, str(path)) from e
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse to fsync a folder
    finally:
        os.close(fd)
