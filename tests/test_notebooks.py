"""The notebooks run end to end at a tiny scale, and are committed without outputs."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
EXECUTED = ("01_quickstart", "02_policy_comparison", "03_sensitivity", "04_calibration")
"""Notebooks executed here. Each has a cell tagged ``parameters`` that sets ``OUT``."""

TIMEOUT_S = 180
"""Longest a single cell may run."""


def _parameter_index(book: nbformat.NotebookNode) -> int:
    for i, cell in enumerate(book.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise AssertionError("no cell tagged 'parameters'")


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.ipynb")), ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for i, cell in enumerate(book.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in book.metadata


@pytest.mark.parametrize("name", EXECUTED)
def test_notebook_runs(name, tmp_path, monkeypatch):
    """Run in a temporary working folder, with results written under it (not outputs/)."""
    book = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    at = _parameter_index(book)
    book.cells.insert(at + 1, nbformat.v4.new_code_cell(
        f"from pathlib import Path\nOUT = Path({str(tmp_path / 'outputs')!r})"))
    # The kernel is a subprocess: it must import the package from this checkout.
    path = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), path) if p))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = NotebookClient(book, timeout=TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    assert (tmp_path / "outputs").is_dir()
