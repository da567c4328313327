"""Uncertain factors, declared once: name, config path, distribution, unit, economies.

The SALib problem, calibration bounds and plot labels all derive from these declarations.
Samples are drawn on the unit hypercube and mapped to each factor's distribution with its
``ppf``, as EMA Workbench does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from displacement_sim.studies import Factor


def salib_problem(factors: Sequence[Factor], use_groups: bool = True) -> dict[str, Any]:
    """The SALib problem on the unit hypercube (one row per factor)."""
    problem: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }
    if use_groups and any(f.group for f in factors):
        problem["groups"] = [f.group or f.name for f in factors]
    return problem


def scale_sample(factors: Sequence[Factor], unit: np.ndarray) -> np.ndarray:
    """Map a unit-hypercube sample (rows x factors) to the factors' distributions."""
    return np.column_stack([f.ppf(unit[:, j]) for j, f in enumerate(factors)])


def row_updates(factors: Sequence[Factor], row: np.ndarray) -> dict[str, Any]:
    """Config updates of one sample row."""
    out: dict[str, Any] = {}
    for f, v in zip(factors, row, strict=True):
        out.update(f.updates(v))
    return out
