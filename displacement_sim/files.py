"""Atomic file writes, shared by every layer that writes (the store and reporting).

Every file is written to a temporary name in the same folder and renamed into place, so a
killed process leaves either a whole file or none.

Three guards keep writes where they belong:

- :func:`confined` resolves a path (symbolic links included) and refuses it unless it lies
  inside a given folder;
- :func:`writing` confines every atomic write and :func:`remove` in a block to one folder and
  can report each file to a recorder (the results store lists what it wrote, so ``--force``
  removes only those files);
- :func:`lock_folder` takes an exclusive lock on ``<folder>/.lock`` (``fcntl.flock``), so a
  second command writing to the same folder fails at once; the operating system releases it
  when the process ends, however it ends, and :func:`lock_scope` releases it when a command
  returns.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import tempfile
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Protocol

import pandas as pd

from displacement_sim.errors import StoreError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_read_umask()
"""File mode of results: what ``open`` would give (read once, at import)."""

LOCK_NAME = ".lock"
"""The lock file of a folder that a command writes (:func:`lock_folder`)."""


def confined(root: str | os.PathLike[str], path: str | os.PathLike[str],
             follow: bool = False) -> Path:
    """``path`` with symbolic links resolved, if it lies inside ``root`` (also resolved).

    The folders of ``path`` are resolved; its last component is kept as it is unless
    ``follow`` is set, so that a write or a removal replaces a symbolic link instead of the
    file it points to.

    Parameters
    ----------
    root : str or Path
        The folder that ``path`` must stay inside.
    path : str or Path
        The path to check; it need not exist yet.
    follow : bool
        Resolve the last component too (to check a folder that is written into).

    Returns
    -------
    Path
        The resolved path.

    Raises
    ------
    StoreError
        If the resolved path is outside the resolved ``root`` (a ``..`` or a symbolic link
        that leads out of it).

    Examples
    --------
    >>> confined("/tmp/out", "/tmp/out/figures/a.png").parts[-2:]
    ('figures', 'a.png')
    >>> confined("/tmp/out", "/tmp/out/../elsewhere")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    displacement_sim.errors.StoreError: /tmp/out/../elsewhere: outside the output folder ...
    """
    real_root = Path(root).resolve()
    given = Path(path)
    if follow or given.name in ("", ".", ".."):
        real = given.resolve()
    else:
        real = given.parent.resolve() / given.name
    if not real.is_relative_to(real_root):
        raise StoreError(f"{path}: outside the output folder {root} (resolves to {real}); "
                         "nothing is written or removed outside it")
    return real


class Recorder(Protocol):
    """What :func:`writing` reports files to (the results store)."""

    def record(self, path: Path, data: bytes) -> None:
        """Note that ``data`` is about to be written to ``path`` (resolved)."""

    def wrote(self, path: Path) -> bool:
        """Whether ``path`` (resolved) is a file this recorder noted."""


_SESSION: ContextVar[tuple[Path, Recorder | None] | None] = ContextVar(
    "displacement_sim_write_session", default=None)


@contextlib.contextmanager
def writing(root: str | os.PathLike[str], recorder: Recorder | None = None) -> Iterator[None]:
    """Confine every :func:`atomic_write_bytes` and :func:`remove` in the block to ``root``.

    Parameters
    ----------
    root : str or Path
        The output folder.
    recorder : Recorder, optional
        Told of every file before it is written (so that it can list it), and asked before
        :func:`remove` deletes one (only files it noted are removed).

    Raises
    ------
    StoreError
        From a write or removal in the block whose path resolves outside ``root``.
    """
    token = _SESSION.set((Path(root), recorder))
    try:
        yield
    finally:
        _SESSION.reset(token)


def remove(path: Path) -> bool:
    """Delete a file this tool wrote; returns whether it was deleted.

    Inside :func:`writing`, the path must lie inside the output folder, and with a recorder
    only a file the recorder noted is deleted (a user's file is left alone).

    Parameters
    ----------
    path : Path
        The file.

    Returns
    -------
    bool
        ``True`` if the file was deleted.
    """
    session = _SESSION.get()
    if session is not None:
        path = confined(session[0], path)
        if session[1] is not None and not session[1].wrote(path):
            return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise StoreError(f"{path}: cannot remove ({exc.strerror or exc})") from None
    return True


_HELD: dict[str, int] = {}
"""Folders this process holds the lock of: resolved path -> file descriptor of the lock."""

_SCOPE: ContextVar[list[str] | None] = ContextVar("displacement_sim_lock_scope", default=None)


def lock_folder(folder: str | os.PathLike[str]) -> None:
    """Hold the exclusive lock of ``folder`` (``<folder>/.lock``) for this process.

    The lock is an ``fcntl.flock`` on the lock file, so the operating system releases it when
    the process ends, even by ``kill -9``. A process that already holds it gets it again at
    once; it is released at the end of the outermost :func:`lock_scope` that took it, by
    :func:`unlock_folder`, or when the process ends.

    Parameters
    ----------
    folder : str or Path
        An existing folder.

    Raises
    ------
    StoreError
        If another process holds the lock, or the lock file cannot be created.
    """
    key = str(Path(folder).resolve())
    if key in _HELD:
        return
    path = Path(key) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, _FILE_MODE)
    except OSError as exc:
        raise StoreError(f"{folder}: cannot write results here ({exc.strerror or exc})"
                         ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
        os.close(fd)
        if isinstance(exc, BlockingIOError):
            who = f" (process {holder})" if holder.isdigit() else ""
            raise StoreError(f"{folder}: another displacement-sim command{who} is writing to "
                             "this folder; wait for it to end or choose another --out (nothing "
                             "was changed)") from None
        raise StoreError(f"{folder}: cannot lock {path} ({exc.strerror or exc})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    _HELD[key] = fd
    scope = _SCOPE.get()
    if scope is not None:
        scope.append(key)


def unlock_folder(folder: str | os.PathLike[str]) -> None:
    """Release the lock of ``folder`` if this process holds it.

    Parameters
    ----------
    folder : str or Path
        The folder of :func:`lock_folder`.
    """
    fd = _HELD.pop(str(Path(folder).resolve()), None)
    if fd is not None:
        os.close(fd)


@contextlib.contextmanager
def lock_scope() -> Iterator[None]:
    """Release, on leaving, the folder locks taken inside (also a decorator).

    Nested scopes leave their locks to the outermost one, so a lock taken by a workflow is
    held until the command around it (the CLI, an API call) returns.
    """
    if _SCOPE.get() is not None:
        yield
        return
    taken: list[str] = []
    token = _SCOPE.set(taken)
    try:
        yield
    finally:
        _SCOPE.reset(token)
        for key in taken:
            fd = _HELD.pop(key, None)
            if fd is not None:
                os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : Path
        The file to write; its folder is created if missing, an existing file is replaced.
    data : bytes
        The content.

    Raises
    ------
    StoreError
        If the file cannot be written (one line naming it), or, inside :func:`writing`, if it
        resolves outside the output folder.
    """
    session = _SESSION.get()
    if session is not None:
        path = confined(session[0], path)
        if session[1] is not None:
            session[1].record(path, data)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StoreError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise StoreError(f"{path}: cannot write here ({exc.strerror or exc})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically.

    Parameters
    ----------
    path : Path
        The file to write (as :func:`atomic_write_bytes`).
    text : str
        The content, encoded as UTF-8.
    """
    atomic_write_bytes(path, text.encode())


def atomic_write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a DataFrame as Parquet atomically.

    Parameters
    ----------
    path : Path
        The file to write (as :func:`atomic_write_bytes`).
    df : pandas.DataFrame
        The table, written without its index.
    """
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    atomic_write_bytes(path, buf.getvalue())
