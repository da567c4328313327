"""The results store: the only writer of results.

Layout of ``outputs/<name>/``::

    manifest.json            what the study is: definition, its hash, run keys, seeds, version
    written.jsonl            every file the tool wrote here, with its size and SHA-256
    .lock                    locked (``flock``) by the command that writes the folder
    parts/<run_id>.parquet   one tidy table per finished run (written atomically)
    errors/<run_id>.json     one record per failed run (removed when a retry succeeds)
    figures/, report.md      written by plots and reports (listed in written.jsonl too)

Every file is written to a temporary name in the same folder and renamed into place, so a
killed process leaves either a whole file or none; the temporary files of a killed process are
removed when the folder is next claimed. Before a file lands, a line with its path, size and
SHA-256 is appended to ``written.jsonl``. Resuming skips only the runs whose part matches its
line (a truncated, emptied, altered or unlisted part is computed again), reading checks the
same, and ``--force`` deletes only the files listed there (and the parts and error records of
the runs the old manifest lists), never anything else in the folder. ``parts/`` reads as one
table with pandas, pyarrow or DuckDB (``read_parquet('outputs/NAME/parts/*.parquet')``).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import math
import os
import re
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd

from displacement_sim import __version__
from displacement_sim.errors import StoreError
from displacement_sim.files import (
    _FILE_MODE,
    atomic_write_bytes,
    atomic_write_text,
    confined,
    lock_folder,
    unlock_folder,
    writing,
)

log = logging.getLogger(__name__)

INDEX_NAME = "written.jsonl"
"""The list of files the tool wrote in a results folder, one JSON object a line."""

OUTPUT_FOLDERS: tuple[str, ...] = ("parts", "errors", "figures", "summary", "comparison",
                                   "report")
"""Folders of a results folder that commands write: checked before anything is written."""

_TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
"""Names of the temporary files of :func:`displacement_sim.files.atomic_write_bytes`."""

_SHA256 = re.compile(r"[0-9a-f]{64}")


def strict_json(obj: Any, what: str) -> str:
    """``obj`` as strict JSON (no ``NaN`` or ``Infinity``), indented, keys sorted.

    Parameters
    ----------
    obj : object
        JSON-compatible data.
    what : str
        The file it is for, named in the error.

    Returns
    -------
    str
        The JSON text.

    Raises
    ------
    StoreError
        If a value is not a finite number (it should have been refused when it was read).
    """
    try:
        return json.dumps(obj, indent=2, sort_keys=True, allow_nan=False)
    except ValueError:
        where, value = _non_finite(obj) or ("?", None)
        raise StoreError(f"{what}: key {where!r} is {value} (not a finite number); results "
                         "are stored as strict JSON, and the input that gave this value "
                         "should have been refused where it was read") from None


def _non_finite(obj: Any, path: str = "") -> tuple[str, float] | None:
    if isinstance(obj, float) and not math.isfinite(obj):
        return path, obj
    items = (obj.items() if isinstance(obj, dict)
             else enumerate(obj) if isinstance(obj, list | tuple) else ())
    for key, value in items:
        found = _non_finite(value, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


def _stat_key(st: os.stat_result) -> tuple[int, int, int]:
    return st.st_size, st.st_mtime_ns, st.st_ino


def _valid_record(rec: Any) -> bool:
    if not isinstance(rec, dict):
        return False
    path, size, digest = rec.get("path"), rec.get("size"), rec.get("sha256")
    if not (isinstance(path, str) and isinstance(size, int) and isinstance(digest, str)):
        return False
    parts = PurePosixPath(path).parts
    return (bool(parts) and not PurePosixPath(path).is_absolute()
            and ".." not in parts and "." not in parts and size >= 0
            and _SHA256.fullmatch(digest) is not None)


def _plain_name(name: str) -> bool:
    """Whether a run id can be a file name in ``parts/`` (no separator, not hidden)."""
    return (bool(name) and "/" not in name and "\\" not in name and "\0" not in name
            and not name.startswith("."))


class ResultsStore:
    """A study's folder of results.

    Parameters
    ----------
    root : str or Path
        The folder (``outputs/<name>``).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.errors = self.root / "errors"
        self.manifest_path = self.root / "manifest.json"
        self.index_path = self.root / INDEX_NAME
        self._index: dict[str, dict[str, Any]] = {}
        self._index_stat: tuple[int, int, int] | None = None
        self._verified: dict[str, tuple[tuple[int, int, int], str]] = {}
        self._tail_checked = False

    # -- ownership ------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or ``None`` if there is none yet.

        Raises
        ------
        StoreError
            If the manifest is not strict JSON (``NaN`` or ``Infinity`` included) or not an
            object.
        """
        if not self.manifest_path.is_file():
            return None

        def refuse(name: str) -> None:
            raise ValueError(f"{name} is not strict JSON")

        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"),
                                  parse_constant=refuse)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StoreError(f"{self.manifest_path}: unreadable manifest ({exc})") from None
        if not isinstance(manifest, dict):
            raise StoreError(f"{self.manifest_path}: unreadable manifest (not a JSON object)")
        return manifest

    def claim(self) -> None:
        """Take the folder for this command, before anything is written into it.

        Creates the folder, locks it (:func:`displacement_sim.files.lock_folder`; held until
        the command ends), checks that every folder the commands write in it can be written
        and lies inside it (symbolic links resolved), removes the temporary files a killed
        process left, and compacts ``written.jsonl``.

        Raises
        ------
        StoreError
            If another process writes the folder, or a folder cannot be written or leads out
            of the output folder.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write results here "
                             f"({exc.strerror or exc})") from None
        lock_folder(self.root)
        folders = self._folders()
        for folder in folders:
            real = confined(self.root, folder, follow=True)
            if not real.is_dir():
                raise StoreError(f"{folder}: not a folder, but results are written there; "
                                 "move it away or choose another --out")
            if not os.access(real, os.W_OK | os.X_OK):
                raise StoreError(f"{folder}: cannot write results here (permission denied); "
                                 "make it writable or choose another --out")
        for folder in folders:
            for entry in folder.iterdir():
                if _TEMPORARY.fullmatch(entry.name) and entry.is_file() \
                        and not entry.is_symlink():
                    entry.unlink(missing_ok=True)
        index = self._load_index()
        live = {rel: rec for rel, rec in index.items() if (self.root / rel).is_file()}
        if self.index_path.exists():
            atomic_write_bytes(self.index_path, b"".join(
                (json.dumps(rec, separators=(",", ":")) + "\n").encode()
                for rec in live.values()))
        self._index, self._index_stat = live, None
        self._tail_checked = True

    def _folders(self) -> list[Path]:
        """The existing folders that commands write in (the root first)."""
        names = {*OUTPUT_FOLDERS, *(str(PurePosixPath(rel).parent)
                                    for rel in self._load_index())} - {"."}
        found = [self.root / name for name in sorted(names)]
        return [self.root] + [f for f in found if f.exists() or f.is_symlink()]

    def open(self, manifest: dict[str, Any], force: bool = False) -> None:
        """Claim the folder for a study (:meth:`claim`), checking that it is not another's.

        Parameters
        ----------
        manifest : dict
            The study's manifest (:func:`displacement_sim.workflows.execute.manifest_for`).
        force : bool
            Replace the results of a different study (:meth:`clear`).

        Raises
        ------
        StoreError
            If a value of the manifest is not finite, the folder cannot be claimed, or it
            holds a different study and ``force`` is off. Nothing is written before these
            checks.
        """
        manifest = {**manifest, "package_version": __version__}
        text = strict_json(manifest, str(self.manifest_path))
        self.claim()
        try:
            existing = self.read_manifest()
        except StoreError as exc:
            if not force:
                raise StoreError(f"{exc}; pass --force to replace the folder's results, or "
                                 "choose another --out") from None
            existing = {}
        if existing is not None and existing.get("definition_hash") != manifest[
                "definition_hash"]:
            if not force:
                held = str(existing.get("definition_hash", "?"))[:12]
                raise StoreError(
                    f"{self.root}: holds results of a different batch "
                    f"({existing.get('name')!r}, definition {held}); "
                    "choose another --out, or pass --force to replace them")
            self.clear()
        try:
            self.parts.mkdir(exist_ok=True)
        except OSError as exc:
            raise StoreError(f"{self.parts}: cannot write results here "
                             f"({exc.strerror or exc})") from None
        atomic_write_text(self.manifest_path, text)

    def close(self) -> None:
        """Release the folder's lock if this process holds it (it also ends with the
        process, or with the command that took it)."""
        unlock_folder(self.root)

    def clear(self) -> None:
        """Remove what this tool wrote here (for ``--force``), and nothing else.

        Deletes every file listed in ``written.jsonl``, the part and error record of every
        run the manifest lists, the manifest and the list itself; folders left empty are
        removed. Other files (a user's, in ``figures/`` or anywhere) stay.
        """
        paths = set(self._load_index())
        try:
            manifest = self.read_manifest() or {}
        except StoreError:
            manifest = {}
        runs = manifest.get("runs")
        for run in runs if isinstance(runs, list) else []:
            run_id = run.get("run_id") if isinstance(run, dict) else None
            if isinstance(run_id, str) and _plain_name(run_id):
                paths |= {f"parts/{run_id}.parquet", f"errors/{run_id}.json"}
        folders: set[Path] = set()
        for rel in sorted(paths):
            path = confined(self.root, self.root / rel)
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise StoreError(f"{path}: cannot remove ({exc.strerror or exc})") from None
            folders.update(path.parents[:len(PurePosixPath(rel).parts) - 1])
        for path in (self.index_path, self.manifest_path):
            path.unlink(missing_ok=True)
        self._index, self._index_stat = {}, None
        self._verified.clear()
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            try:
                folder.rmdir()
            except OSError:
                pass  # not empty: it holds files the tool did not write

    # -- the list of written files ---------------------------------------------------

    def _load_index(self) -> dict[str, dict[str, Any]]:
        """``written.jsonl`` as path -> latest record (torn or malformed lines skipped)."""
        try:
            st = self.index_path.stat()
        except FileNotFoundError:
            self._index, self._index_stat = {}, None
            return self._index
        if _stat_key(st) == self._index_stat:
            return self._index
        try:
            data = self.index_path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{self.index_path}: unreadable ({exc.strerror or exc})") from None
        index: dict[str, dict[str, Any]] = {}
        for line in data.split(b"\n"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue  # a line torn by a kill, or damaged: its file counts as unknown
            if _valid_record(rec):
                index[rec["path"]] = {k: rec[k] for k in ("path", "size", "sha256")}
        self._index, self._index_stat = index, _stat_key(st)
        return index

    def _relative(self, path: Path) -> str:
        real = confined(self.root, path)
        return real.relative_to(self.root.resolve()).as_posix()

    def _append(self, rel: str, data: bytes) -> str:
        """Add a file's line to ``written.jsonl`` (before the file lands); returns its hash."""
        digest = hashlib.sha256(data).hexdigest()
        rec = {"path": rel, "size": len(data), "sha256": digest}
        line = (json.dumps(rec, separators=(",", ":")) + "\n").encode()
        index = self._load_index()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.index_path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                         _FILE_MODE)
        except OSError as exc:
            raise StoreError(f"{self.index_path}: cannot write ({exc.strerror or exc})"
                             ) from None
        try:
            before = os.fstat(fd)
            if not self._tail_checked:
                if before.st_size and os.pread(fd, 1, before.st_size - 1) != b"\n":
                    line = b"\n" + line  # after a torn line, start a new one
                self._tail_checked = True
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            after = os.fstat(fd)
        except OSError as exc:
            raise StoreError(f"{self.index_path}: cannot write ({exc.strerror or exc})"
                             ) from None
        finally:
            os.close(fd)
        index[rel] = rec
        if self._index_stat in (None, _stat_key(before)) and self._index is index:
            self._index_stat = _stat_key(after)
        return digest

    def _write(self, path: Path, data: bytes) -> None:
        """Write one of the store's own files atomically, listed with its hash first."""
        rel = self._relative(path)
        digest = self._append(rel, data)
        atomic_write_bytes(path, data)
        self._verified[rel] = (_stat_key(path.stat()), digest)

    def record(self, path: Path, data: bytes) -> None:
        """List a file that is about to be written in the folder (``written.jsonl``).

        Parameters
        ----------
        path : Path
            The file, inside the folder.
        data : bytes
            Its content.

        Raises
        ------
        StoreError
            If ``path`` resolves outside the folder.
        """
        self._append(self._relative(path), data)

    def wrote(self, path: Path) -> bool:
        """Whether ``written.jsonl`` lists ``path`` (a file this tool wrote here).

        Parameters
        ----------
        path : Path
            A path inside the folder.

        Returns
        -------
        bool
        """
        return self._relative(path) in self._load_index()

    def recording(self) -> AbstractContextManager[None]:
        """A block whose writes (reports, figures, tables) stay inside the folder and are
        listed in ``written.jsonl`` (:func:`displacement_sim.files.writing`)."""
        return writing(self.root, self)

    # -- runs ----------------------------------------------------------------------

    def _part(self, run_id: str) -> Path:
        if not _plain_name(run_id):
            raise StoreError(f"{self.root}: run id {run_id!r} cannot be a file name")
        return self.parts / f"{run_id}.parquet"

    def _damage(self, rel: str, path: Path, rec: dict[str, Any], data: bytes | None = None
                ) -> str | None:
        """What is wrong with a listed file, or ``None`` if it is the file that was written.

        The size is checked every time; the SHA-256 once per version of the file (size,
        modification time and inode) that this store object sees.
        """
        try:
            st = path.stat()
        except OSError as exc:
            return f"unreadable: {exc.strerror or exc}"
        if st.st_size != rec["size"]:
            if st.st_size == 0:
                return f"empty; {rec['size']} bytes were written"
            return f"{st.st_size} bytes; {rec['size']} were written"
        key = _stat_key(st)
        if self._verified.get(rel) == (key, rec["sha256"]):
            return None
        try:
            if data is None:
                with path.open("rb") as fh:
                    digest = hashlib.file_digest(fh, "sha256").hexdigest()
            else:
                digest = hashlib.sha256(data).hexdigest()
        except OSError as exc:
            return f"unreadable: {exc.strerror or exc}"
        if digest != rec["sha256"]:
            return "its content differs from what was written (SHA-256 mismatch)"
        self._verified[rel] = (key, digest)
        return None

    def verify(self) -> tuple[set[str], dict[str, str]]:
        """Check every part against ``written.jsonl``.

        Returns
        -------
        tuple of (set of str, dict of str to str)
            The run ids whose part is whole, and the parts that are not (path relative to
            the folder -> what is wrong: damaged, or not written by this store).
        """
        if not self.parts.is_dir():
            return set(), {}
        index = self._load_index()
        whole: set[str] = set()
        bad: dict[str, str] = {}
        for path in sorted(self.parts.glob("*.parquet")):
            rel = f"parts/{path.name}"
            rec = index.get(rel)
            why = ("not listed in written.jsonl (not written by this study)" if rec is None
                   else self._damage(rel, path, rec))
            if why is None:
                whole.add(path.stem)
            else:
                bad[rel] = why
        return whole, bad

    def done(self) -> set[str]:
        """Run ids whose results are stored whole (as listed in ``written.jsonl``)."""
        return self.verify()[0]

    def write_run(self, run_id: str, df: pd.DataFrame) -> None:
        """Store one run's results atomically, clearing any earlier error record."""
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        self.write_run_bytes(run_id, buf.getvalue())

    def write_run_bytes(self, run_id: str, data: bytes) -> None:
        """Store one run's Parquet bytes atomically, clearing any earlier error record."""
        self._write(self._part(run_id), data)
        (self.errors / f"{run_id}.json").unlink(missing_ok=True)

    def write_error(self, run_id: str, error: str, info: dict[str, Any]) -> None:
        """Record a failed run."""
        path = self.errors / f"{self._part(run_id).stem}.json"
        self._write(path, json.dumps({"run_id": run_id, "error": error, **info},
                                     indent=2).encode())

    def failed(self) -> dict[str, str]:
        """Run ids that failed, with their error messages."""
        if not self.errors.is_dir():
            return {}
        out = {}
        for p in self.errors.glob("*.json"):
            try:
                record = json.loads(p.read_text(encoding="utf-8"))
                out[p.stem] = str(record.get("error", ""))
            except (OSError, UnicodeDecodeError, ValueError, AttributeError):
                out[p.stem] = f"(unreadable error record {p})"
        return out

    def update_manifest(self, **fields: Any) -> None:
        """Merge fields into the manifest (atomically, as strict JSON)."""
        manifest = self.read_manifest() or {}
        manifest.update(fields)
        atomic_write_text(self.manifest_path, strict_json(manifest, str(self.manifest_path)))

    # -- reading -------------------------------------------------------------------

    def _read_part(self, path: Path, rec: dict[str, Any] | None,
                   columns: list[str] | None) -> pd.DataFrame:
        if rec is None:  # a folder written before parts were listed, or by hand
            try:
                return pd.read_parquet(path, columns=columns)
            except Exception as exc:  # noqa: BLE001 - any reader error: the file is bad
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                raise StoreError(f"{path}: not a readable Parquet file "
                                 f"({type(exc).__name__}: {first})") from None
        rel = f"parts/{path.name}"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreError(f"{path}: unreadable ({exc.strerror or exc})") from None
        why = self._damage(rel, path, rec, data)
        if why is not None:
            raise StoreError(f"{path}: damaged ({why}); run the command that wrote "
                             f"{self.root} again to compute this run again")
        return pd.read_parquet(io.BytesIO(data), columns=columns)

    def read_run(self, run_id: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """One stored run's table, checked against ``written.jsonl``.

        Parameters
        ----------
        run_id : str
            The run.
        columns : iterable of str, optional
            The columns to read (default: all).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        StoreError
            If the run is not stored, or its part is damaged.
        """
        path = self._part(run_id)
        rec = self._load_index().get(f"parts/{path.name}")
        if rec is None or not path.is_file():
            raise StoreError(f"{path}: run {run_id} is not stored")
        return self._read_part(path, rec, list(columns) if columns is not None else None)

    def read(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """All stored runs as one table, sorted by run and economy and step.

        Every part listed in ``written.jsonl`` is checked (size and SHA-256); parts it does
        not list are left out, with a warning. A folder whose list names no part (written by
        hand, or before parts were listed) is read as it is.

        Raises
        ------
        StoreError
            If no run is stored, or a part is damaged (one line naming the file).
        """
        files = sorted(self.parts.glob("*.parquet")) if self.parts.is_dir() else []
        index = self._load_index()
        listed = any(rel.startswith("parts/") for rel in index)
        cols = list(columns) if columns is not None else None
        frames, unknown = [], []
        for f in files:
            rec = index.get(f"parts/{f.name}")
            if rec is None and listed:
                unknown.append(f.name)
                continue
            frames.append(self._read_part(f, rec, cols))
        if unknown:
            log.warning("%s: %d part(s) not written by this study left out (not listed in "
                        "%s), e.g. %s", self.parts, len(unknown), INDEX_NAME, unknown[0])
        if not frames:
            raise StoreError(f"{self.root}: no results stored")
        df = pd.concat(frames, ignore_index=True)
        sort = [c for c in ("scenario", "replicate", "run_id", "economy", "step") if c in
                df.columns]
        return df.sort_values(sort, kind="stable").reset_index(drop=True)


def read_results(root: str | os.PathLike[str], columns: Iterable[str] | None = None
                 ) -> pd.DataFrame:
    """Read a results folder (``outputs/<name>``) as one tidy table.

    Parameters
    ----------
    root : str or path-like
        The results folder.
    columns : iterable of str, optional
        Columns to read (default: every column).

    Returns
    -------
    pandas.DataFrame
        Every stored run, sorted by scenario, replicate, run, economy and month.

    Raises
    ------
    StoreError
        If the folder holds no results.
    """
    return ResultsStore(root).read(columns)
