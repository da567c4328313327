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
    """The SALib problem on the unit hypercube (one row per factor).

    Parameters
    ----------
    factors : sequence of Factor
        The factors.
    use_groups : bool
        Add the factors' groups (a factor without one is its own group) when any factor has
        one (default ``True``).

    Returns
    -------
    dict
        SALib's problem: ``num_vars``, ``names``, ``bounds`` (all ``[0, 1]``) and maybe
        ``groups``.
    """
    problem: dict[str, Any] = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }
    if use_groups and any(f.group for f in factors):
        problem["groups"] = [f.group or f.name for f in factors]
    return problem


def scale_sample(factors: Sequence[Factor], unit: np.ndarray) -> np.ndarray:
    """Map a unit-hypercube sample (rows x factors) to the factors' distributions.

    Parameters
    ----------
    factors : sequence of Factor
        The factors, one per column.
    unit : numpy.ndarray
        The sample on the unit hypercube, shape ``(rows, factors)``.

    Returns
    -------
    numpy.ndarray
        The sample in the factors' units, same shape.
    """
    return np.column_stack([f.ppf(unit[:, j]) for j, f in enumerate(factors)])


def row_updates(factors: Sequence[Factor], row: np.ndarray) -> dict[str, Any]:
    """Config updates of one sample row.

    Parameters
    ----------
    factors : sequence of Factor
        The factors, one per value of ``row``.
    row : numpy.ndarray
        One sample point, in the factors' units.

    Returns
    -------
    dict
        Dotted config paths and values (:meth:`Factor.updates`).
    """
    out: dict[str, Any] = {}
    for f, v in zip(factors, row, strict=True):
        out.update(f.updates(v))
    return out
