"""Uncertain factors, declared once: name, config path, distribution, unit, economies.

The SALib problem, calibration bounds and plot labels all derive from these declarations.
Samples are drawn on the unit hypercube and mapped to each factor's distribution with its
``ppf``, as EMA Workbench does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator
from scipy import stats

from displacement_sim.config import ISO3, Strict


class Factor(Strict):
    """One uncertain input: a config path and its distribution."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    path: Annotated[str, Field(min_length=1)]
    """Config path, e.g. ``policy.capacity_building.share_of_gdp``."""
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    bounds: tuple[float, float]
    """Lower and upper bound (``normal``: mean and standard deviation)."""
    mode: float | None = None
    """Peak of a ``triangular`` distribution (default: the midpoint)."""
    unit: str = ""
    label: str = ""
    """Plot label (default: the name)."""
    economies: tuple[ISO3, ...] | None = None
    """Apply to these economies only (``economy.<ISO3>.<path>``); default: every economy."""
    group: str | None = None
    integer: bool = False
    """Round sampled values to integers (for counts such as months)."""

    @model_validator(mode="after")
    def _check(self) -> Factor:
        lo, hi = self.bounds
        if self.distribution == "normal":
            if hi <= 0:
                raise ValueError("normal bounds are (mean, sd); sd must be > 0")
        elif not lo < hi:
            raise ValueError(f"bounds must satisfy lower < upper, got {self.bounds}")
        if self.distribution == "loguniform" and lo <= 0:
            raise ValueError("loguniform bounds must be > 0")
        if self.mode is not None and not lo <= self.mode <= hi:
            raise ValueError("mode must lie within bounds")
        return self

    @property
    def display(self) -> str:
        """Label for plots and tables."""
        text = self.label or self.name
        return f"{text} ({self.unit})" if self.unit else text

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval values to this factor's distribution."""
        lo, hi = self.bounds
        if self.distribution == "uniform":
            x = lo + u * (hi - lo)
        elif self.distribution == "loguniform":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        elif self.distribution == "triangular":
            c = ((self.mode if self.mode is not None else (lo + hi) / 2) - lo) / (hi - lo)
            x = stats.triang.ppf(u, c, loc=lo, scale=hi - lo)
        else:
            x = stats.norm.ppf(np.clip(u, 1e-9, 1 - 1e-9), loc=lo, scale=hi)
        return np.rint(x) if self.integer else x

    def updates(self, value: float) -> dict[str, Any]:
        """Config updates that set this factor to ``value``."""
        v: Any = int(value) if self.integer else float(value)
        if self.economies is None:
            return {self.path: v}
        return {f"economy.{iso}.{self.path}": v for iso in self.economies}


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
