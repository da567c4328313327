"""The package as a user installs it: a wheel in a fresh environment, run from an empty folder.

The slow test builds the wheel from a copy of the checkout (so the build writes no ``build/``
into the checkout), creates a virtual environment outside the checkout and installs the wheel
there with pip, without dependencies. The dependencies come from the test's own environment
through a ``.pth`` line, written after the install so that pip sees only the fresh environment;
``displacement_sim`` itself is imported from the wheel alone, which the test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from displacement_sim import __version__

REPO = Path(__file__).resolve().parents[1]
PYPROJECT_VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
NOT_SOURCES = (".git", ".venv", "build", "dist", "*.egg-info", "outputs", "__pycache__",
               ".pytest_cache", ".ruff_cache", ".hypothesis", "notebooks")
"""What the copy of the checkout leaves out (none of it goes into the wheel)."""
PROBE = """\
import json, displacement_sim
from displacement_sim import data, resources
print(json.dumps({
    "file": displacement_sim.__file__,
    "version": displacement_sim.__version__,
    "scenarios": str(resources.scenario_dir()),
    "data": str(resources.data_dir()),
    "label": data._label(data.DEFAULT_DATA_DIR / data.WDI_FILE),
}))
"""
"""Prints where the fresh environment's package and its shipped files are."""


def test_version_is_pyproject_version() -> None:
    assert __version__ == PYPROJECT_VERSION


def _env() -> dict[str, str]:
    """The test's environment without anything that would point Python at the checkout."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DISPLACEMENT_SIM_DATA"}
    return {**{k: v for k, v in os.environ.items() if k not in drop},
            "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, f"{args}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment outside the checkout with only the wheel installed; its ``bin``."""
    root = tmp_path_factory.mktemp("package")
    src, dist, venv = root / "src", root / "dist", root / "venv"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    _run(sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-q", "-w", dist, cwd=root)
    (wheel,) = dist.glob("displacement_sim-*.whl")
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    # pip from this environment, run by the fresh interpreter: it installs there, sees only there
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q",
         "--root-user-action=ignore", wheel, cwd=root)
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                cwd=root).stdout.strip()
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site) / "zz_dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(deps)))
    return venv / "bin"


@pytest.mark.slow
def test_wheel_runs_baseline_from_an_empty_folder(fresh_venv: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    probe = json.loads(_run(fresh_venv / "python", "-c", PROBE, cwd=work).stdout)
    package = Path(probe["file"]).parent
    assert not package.is_relative_to(REPO), probe
    assert package.is_relative_to(fresh_venv.parent), probe
    assert probe["version"] == PYPROJECT_VERSION
    assert Path(probe["scenarios"]) == package / "_shipped" / "scenarios"
    assert Path(probe["data"]) == package / "_shipped" / "calibration" / "data"
    assert probe["label"] == "calibration/data/wdi_worldbank.csv"

    version = _run(fresh_venv / "python", "-m", "displacement_sim", "--version", cwd=work)
    assert version.stdout.strip() == f"displacement-sim {PYPROJECT_VERSION}"

    _run(fresh_venv / "displacement-sim", "run", "baseline", "--years", "1", "--replicates", "1",
         "--workers-per-agent", "1e9", "--executor", "sequential", "--no-figures", "--quiet",
         cwd=work)
    results = work / "outputs" / "baseline"
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["package_version"] == PYPROJECT_VERSION
    assert list((results / "parts").glob("*.parquet"))
    assert (results / "summary.csv").is_file()
    assert sorted(p.name for p in work.iterdir()) == ["outputs"]
    assert not (package / "outputs").exists(), "outputs were written inside the package"
