"""Run one model run from a run spec, returning a tidy table.

A :class:`RunSpec` is what a run *is*: a validated scenario, the sweep parameters that made it,
its replicate number and its seed. Specs pickle, so every executor can ship them.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from displacement_sim.config import Scenario
from displacement_sim.model import DisplacementModel
from displacement_sim.seeding import run_seed

KEY_COLUMNS: tuple[str, ...] = ("run_id", "scenario", "replicate", "seed", "economy", "step")
"""The fixed key columns of every results table."""


def scenario_key(scenario: Scenario) -> str:
    """Hash of everything that makes runs of a scenario differ, except seed and replicates.

    Each simulated economy enters through its resolved, validated settings, so ``0`` and
    ``0.0`` in an override, or an override of an economy that is not simulated, do not change
    the key.
    """
    data = scenario.model_dump(mode="json", exclude={"seed", "replicates", "economy",
                                                     "defaults"})
    data["settings"] = {iso: scenario.settings_for(iso).model_dump(mode="json")
                        for iso in scenario.economies}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class RunSpec:
    """One run: scenario, sweep parameters, replicate and seed."""

    scenario: Scenario
    replicate: int
    seed: int
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    """Name of the scenario variant in results (default: the scenario's name)."""

    @property
    def name(self) -> str:
        """Scenario name as written in the results."""
        return self.label or self.scenario.name

    @property
    def variant(self) -> str:
        """Scenario name with its sweep parameters, e.g. ``baseline|policy.automation_tax=0.1``."""
        if not self.params:
            return self.name
        return self.name + "|" + ";".join(f"{k}={v}" for k, v in sorted(self.params.items()))

    @property
    def run_id(self) -> str:
        """Stable identity: scenario name, hash of the resolved settings, replicate."""
        return f"{self.name}-{scenario_key(self.scenario)[:12]}-r{self.replicate:04d}"


def make_specs(scenario: Scenario, replicates: int | None = None, master_seed: int | None = None,
               params: dict[str, Any] | None = None, label: str = "",
               common_random_numbers: bool = False) -> list[RunSpec]:
    """Run specs for the replicates of one scenario.

    Each run's seed derives from the master seed and the run's key: the scenario's settings
    hash and the replicate, or the replicate alone with ``common_random_numbers`` (so options
    compared against each other share their random draws).
    """
    replicates = scenario.replicates if replicates is None else replicates
    master = scenario.seed if master_seed is None else master_seed
    key = scenario_key(scenario)
    specs = []
    for r in range(replicates):
        parts = (r,) if common_random_numbers else (key, r)
        specs.append(RunSpec(scenario, r, run_seed(master, parts), dict(params or {}), label))
    return specs


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Run one spec to its horizon and return its tidy results.

    Columns: ``KEY_COLUMNS``, ``variant`` (scenario and sweep point), ``year``, one column per
    sweep parameter, then the metrics
    (``displacement_sim.model.METRICS``).
    """
    model = DisplacementModel(spec.scenario, seed=spec.seed)
    model.run_months(12 * spec.scenario.years)
    df = model.results()
    df.insert(0, "run_id", spec.run_id)
    df.insert(1, "scenario", spec.name)
    df.insert(2, "replicate", np.int32(spec.replicate))
    df.insert(3, "seed", np.int64(spec.seed))
    df.insert(len(KEY_COLUMNS), "variant", spec.variant)
    pos = list(df.columns).index("year") + 1
    for i, (path, value) in enumerate(sorted(spec.params.items())):
        # Numbers are written as float64 so that every part of a sweep has one column type.
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        df.insert(pos + i, path, float(value) if numeric else value)
    return df


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    """A run's table as Parquet bytes (encoded where the run ran, to spare the coordinator)."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def timed_run(spec: RunSpec) -> tuple[str, bytes | None, str | None, float]:
    """Run a spec, catching its error: ``(run_id, Parquet bytes or None, error or None,
    seconds)``.

    Executors call this, so that one failing run is recorded and does not stop the others;
    the worker encodes the table, so the coordinator only writes bytes.
    """
    start = time.perf_counter()
    try:
        data = to_parquet_bytes(run_one(spec))
        return spec.run_id, data, None, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - recorded with the run, retried on resume
        return spec.run_id, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start
