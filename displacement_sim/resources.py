"""Where the shipped scenarios and data are, and where outputs go.

A source checkout keeps them at the top of the repository (``scenarios/``,
``calibration/data/``, ``calibration/calibrated/``); an installed wheel holds the same files
inside the package. Every path the package reads by default comes from here, so no other module
computes paths from its own location.

- ``DISPLACEMENT_SIM_DATA`` points the data loaders at another data folder (same file layout as
  ``calibration/data``; :mod:`displacement_sim.data`).
- Outputs go to ``./outputs`` of the working directory, never inside the package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _shipped(relative: str) -> Path:
    """The folder in a source checkout if there is one, else the copy inside the package.

    The wheel keeps the checkout's layout under ``displacement_sim/_shipped/`` (``scenarios/``
    beside ``calibration/``), so the relative paths inside scenario files hold in both.
    """
    here = _CHECKOUT / relative
    if here.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return here
    return _PACKAGE / "_shipped" / relative


def scenario_dir() -> Path:
    """The shipped scenario files (``scenarios/``)."""
    return _shipped("scenarios")


def data_dir() -> Path:
    """The shipped data (``calibration/data/``)."""
    return _shipped("calibration/data")


def calibrated_dir() -> Path:
    """The shipped calibrated parameters (``calibration/calibrated/``)."""
    return _shipped("calibration/calibrated")


def calibration_dir() -> Path:
    """The shipped calibration files (``calibration/``)."""
    return _shipped("calibration")


def output_dir() -> Path:
    """Default parent of results folders: ``outputs/`` in the working directory."""
    return Path.cwd() / "outputs"
