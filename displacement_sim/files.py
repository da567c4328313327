"""Atomic file writes, shared by every layer that writes (the store and reporting).

Every file is written to a temporary name in the same folder and renamed into place, so a
killed process leaves either a whole file or none.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pandas as pd


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_read_umask()
"""File mode of results: what ``open`` would give (read once, at import)."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path : Path
        The file to write; its folder is created if missing, an existing file is replaced.
    data : bytes
        The content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
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
