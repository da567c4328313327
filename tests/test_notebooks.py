"""The notebooks run end to end at a tiny scale, show the figures they promise, and are committed
without outputs.

Each code cell that draws declares how many figures it shows in its metadata,
``"figures": <n>`` (Jupyter: Property Inspector, or Edit > Cell Metadata). Executed with the
kernel's own inline backend, as in Jupyter, that cell must have exactly ``n`` ``image/png``
outputs and every other cell none: a plot that silently stops showing (a library module choosing
the ``Agg`` backend, an exception swallowed, a figure never drawn) fails here.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = tuple(sorted(NOTEBOOK_DIR.glob("*.ipynb")))
"""Every notebook: each has a cell tagged ``parameters`` that sets ``OUT``."""

TIMEOUT_S = 180
"""Longest a single cell may run."""


def _parameter_index(book: nbformat.NotebookNode) -> int:
    for i, cell in enumerate(book.cells):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    raise AssertionError("no cell tagged 'parameters'")


def _promised(cell: nbformat.NotebookNode) -> int:
    """Figures a cell promises (its ``figures`` metadata; 0 if it has none)."""
    return cell.get("metadata", {}).get("figures", 0) if cell.cell_type == "code" else 0


def _images(cell: nbformat.NotebookNode) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_notebooks_exist():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path):
    book = nbformat.read(path, as_version=4)
    nbformat.validate(book)
    for i, cell in enumerate(book.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
    assert "widgets" not in book.metadata


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_declares_its_figures(path):
    book = nbformat.read(path, as_version=4)
    counts = [cell.metadata["figures"] for cell in book.cells if "figures" in cell.metadata]
    assert counts, f"{path.name}: no cell declares 'figures' in its metadata"
    assert all(type(n) is int and n > 0 for n in counts), counts
    assert all(cell.cell_type == "code" for cell in book.cells if "figures" in cell.metadata)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_its_figures(path, tmp_path, monkeypatch):
    """Run in a temporary working folder, with results written under it, with the kernel's
    default (inline) matplotlib backend."""
    book = nbformat.read(path, as_version=4)
    at = _parameter_index(book)
    book.cells.insert(at + 1, nbformat.v4.new_code_cell(
        f"from pathlib import Path\nOUT = Path({str(tmp_path / 'outputs')!r})"))
    # The kernel is a subprocess: it must import the package from this checkout, and choose its
    # own backend (ipykernel: inline) as it does in Jupyter.
    pythonpath = os.environ.get("PYTHONPATH", "")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(ROOT), pythonpath) if p))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    client = NotebookClient(book, timeout=TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()

    wrong = [(cell.get("id", i), _promised(cell), _images(cell))
             for i, cell in enumerate(book.cells) if _images(cell) != _promised(cell)]
    assert not wrong, f"{path.name}: cells (id, figures promised, figures shown): {wrong}"
    assert (tmp_path / "outputs").is_dir()
