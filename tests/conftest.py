"""Shared fixtures: tiny, fast scenarios, a model runner and a TOML writer.

Every model built here has a few hundred worker agents per economy and five firms per sector, so
one run of two economies over two years takes a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from displacement_sim.config import Scenario
from displacement_sim.model import DisplacementModel
from displacement_sim.scenarios import SCENARIO_DIR, validate

SHIPPED_SCENARIOS: tuple[Path, ...] = tuple(sorted(SCENARIO_DIR.glob("*.toml")))
"""Every scenario file shipped in ``scenarios/``."""

TINY: dict[str, Any] = {
    "name": "tiny",
    "economies": ["VNM", "SGP"],
    "years": 2,
    # A huge upper bound: every economy then gets exactly ``min_agents_per_economy`` agents.
    "workers_per_agent": 1e9,
    "min_agents_per_economy": 300,
    "firms_per_sector": 5,
}
"""Top-level settings of the tiny test scenario (file layout, as ``validate`` takes it)."""

TINY_TOML = """\
name = "tiny"
economies = ["VNM", "SGP"]
years = 1
min_agents_per_economy = 300
firms_per_sector = 5
"""
"""The tiny scenario as a standalone TOML file (no ``extends``, no per-economy overrides)."""


def tiny_scenario(**settings: Any) -> Scenario:
    """The tiny scenario with top-level settings or sections (file layout) replaced."""
    return validate({**TINY, **settings}, "tiny")


def run_model(scenario: Scenario, seed: int = 1, months: int | None = None) -> DisplacementModel:
    """Build a model and run it ``months`` steps (default: the scenario's horizon)."""
    model = DisplacementModel(scenario, seed=seed)
    model.run_months(12 * scenario.years if months is None else months)
    return model


@pytest.fixture
def tiny() -> Scenario:
    """Two economies (VNM, SGP), two years, 300 agents each, five firms per sector."""
    return tiny_scenario()


@pytest.fixture
def tiny_results(tiny: Scenario) -> pd.DataFrame:
    """The results table of one run of the tiny scenario (seed 1)."""
    return run_model(tiny).results()


@pytest.fixture
def write_toml(tmp_path: Path) -> Callable[..., Path]:
    """Write a TOML text into ``tmp_path`` and return the file's path."""

    def write(text: str, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


def nonfinite_metrics(df: pd.DataFrame) -> list[str]:
    """The indicators of a results table that hold a value they may not: any infinity, or a
    NaN other than a share with no one to take it of (a ratio whose denominator counts are 0,
    a group of workers that is empty at a small scale, no unemployed, no one displaced yet).

    Returns the offending column names (empty when every value is as it may be).
    """
    import numpy as np

    from displacement_sim.outcomes import INDICATORS

    bad = []
    for name, ind in INDICATORS.items():
        v = df[name].to_numpy(dtype=float)
        nan = np.isnan(v)
        if np.isinf(v).any() or nan.any() and ind.kind == "count":
            bad.append(name)
        elif not nan.any():
            continue
        elif ind.weights:
            empty = sum(df[c].to_numpy(dtype=float) for c in ind.weights) == 0
            if (nan & ~empty).any():
                bad.append(name)
        elif name == "median_unemployment_months":
            if (nan & (df["unemployed"].to_numpy() > 0)).any():
                bad.append(name)
        elif name.startswith("displaced_"):
            if (nan & (df["displaced_cumulative"].to_numpy() > 0)).any():
                bad.append(name)
        elif not name.startswith(("unemployment_rate_", "employment_to_population_",
                                  "internet_users_share_",
                                  "participation_rate_")):
            bad.append(name)  # an index or share of the whole economy: always defined
    return bad
