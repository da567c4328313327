"""The results store: the only writer of results.

Layout of ``outputs/<name>/``::

    manifest.json        what the batch is: definition, its hash, run keys, seeds, version
    parts/<run_id>.parquet   one tidy table per finished run (written atomically)
    errors/<run_id>.json     one record per failed run (removed when a retry succeeds)
    figures/, report.md  written by plots and reports

Every file is written to a temporary name in the same folder and renamed into place, so a
killed process leaves either a whole file or none. ``parts/`` reads as one table with pandas,
pyarrow or DuckDB (``read_parquet('outputs/NAME/parts/*.parquet')``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from displacement_sim import __version__
from displacement_sim.errors import StoreError
from displacement_sim.files import atomic_write_bytes, atomic_write_parquet, atomic_write_text


class ResultsStore:
    """A batch's folder of results.

    Parameters
    ----------
    root : the folder (``outputs/<name>``).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.parts = self.root / "parts"
        self.errors = self.root / "errors"
        self.manifest_path = self.root / "manifest.json"

    # -- ownership ------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any] | None:
        """The stored manifest, or ``None`` if there is none yet."""
        if not self.manifest_path.is_file():
            return None
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise StoreError(f"{self.manifest_path}: unreadable manifest ({exc})") from None

    def open(self, manifest: dict[str, Any], force: bool = False) -> None:
        """Claim the folder for a batch, checking that it is not another batch's.

        Raises
        ------
        StoreError
            If the folder cannot be written, or holds a different batch and ``force`` is off.
        """
        existing = self.read_manifest()
        if existing is not None and existing.get("definition_hash") != manifest[
                "definition_hash"]:
            if not force:
                raise StoreError(
                    f"{self.root}: holds results of a different batch "
                    f"({existing.get('name')!r}, definition {existing.get('definition_hash',
                                                                       '?')[:12]}); "
                    "choose another --out, or pass --force to replace them")
            self.clear()
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".write-test"
            probe.write_text("")
            probe.unlink()
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write results here ({exc.strerror})") from None
        manifest = {**manifest, "package_version": __version__}
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True))

    def clear(self) -> None:
        """Remove stored parts, errors, derived outputs and the manifest (for ``--force``)."""
        import shutil

        for folder in (self.parts, self.errors, self.root / "summary", self.root / "figures"):
            if folder.is_dir():
                shutil.rmtree(folder)
        for name in ("summary.md", "summary.csv", "report.md", "report.html"):
            (self.root / name).unlink(missing_ok=True)
        self.manifest_path.unlink(missing_ok=True)

    # -- runs ----------------------------------------------------------------------

    def done(self) -> set[str]:
        """Run ids whose results are stored."""
        if not self.parts.is_dir():
            return set()
        return {p.stem for p in self.parts.glob("*.parquet")}

    def write_run(self, run_id: str, df: pd.DataFrame) -> None:
        """Store one run's results atomically, clearing any earlier error record."""
        atomic_write_parquet(self.parts / f"{run_id}.parquet", df)
        (self.errors / f"{run_id}.json").unlink(missing_ok=True)

    def write_run_bytes(self, run_id: str, data: bytes) -> None:
        """Store one run's Parquet bytes atomically, clearing any earlier error record."""
        atomic_write_bytes(self.parts / f"{run_id}.parquet", data)
        (self.errors / f"{run_id}.json").unlink(missing_ok=True)

    def write_error(self, run_id: str, error: str, info: dict[str, Any]) -> None:
        """Record a failed run."""
        atomic_write_text(self.errors / f"{run_id}.json",
                          json.dumps({"run_id": run_id, "error": error, **info}, indent=2))

    def failed(self) -> dict[str, str]:
        """Run ids that failed, with their error messages."""
        if not self.errors.is_dir():
            return {}
        out = {}
        for p in self.errors.glob("*.json"):
            out[p.stem] = json.loads(p.read_text()).get("error", "")
        return out

    def update_manifest(self, **fields: Any) -> None:
        """Merge fields into the manifest (atomically)."""
        manifest = self.read_manifest() or {}
        manifest.update(fields)
        atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, sort_keys=True))

    def read(self, columns: Iterable[str] | None = None) -> pd.DataFrame:
        """All stored runs as one table, sorted by run and economy and step."""
        files = sorted(self.parts.glob("*.parquet")) if self.parts.is_dir() else []
        if not files:
            raise StoreError(f"{self.root}: no results stored")
        cols = list(columns) if columns is not None else None
        df = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
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
