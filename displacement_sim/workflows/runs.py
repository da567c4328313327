"""Run one model run from a run spec, returning a tidy table.

A :class:`RunSpec` is what a run *is*: a validated scenario, its replicate number, its master
seed and whether it uses common random numbers (which fix its seed and its id), and the sweep
parameters that made it. Specs pickle, so every executor can ship them.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from displacement_sim.config import Scenario, canonical_json, field_json, memo
from displacement_sim.model import DisplacementModel
from displacement_sim.seeding import run_seed

KEY_COLUMNS: tuple[str, ...] = ("run_id", "scenario", "replicate", "seed", "economy", "step")
"""The fixed key columns of every results table."""


def scenario_key(scenario: Scenario) -> str:
    """Hash of everything that makes runs of a scenario differ, except seed and replicates.

    Each simulated economy enters through its resolved, validated settings, so ``0`` and
    ``0.0`` in an override, or an override of an economy that is not simulated, do not change
    the key. The key is the SHA-256 of the canonical JSON of the top-level settings with
    ``settings`` (each economy's), put together from each settings object's canonical JSON
    (economies without overrides share one), and is computed once per scenario.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.

    Returns
    -------
    str
        SHA-256 hex digest.
    """
    cache = memo(scenario)
    key = cache.get("scenario_key")
    if key is not None:
        return key
    # The text of json.dumps(<the scenario's JSON without seed, replicates, economy and
    # defaults, with "settings">, sort_keys=True, separators=(",", ":")), from its parts:
    # the same bytes, so the same keys and run ids as ever.
    parts = dict(zip(_KEY_FIELDS, field_json(scenario, _KEY_FIELDS), strict=True))
    parts["settings"] = "{" + ",".join([
        f'"{iso}":{canonical_json(scenario.settings_for(iso))}'  # ISO3 codes need no escape
        for iso in sorted(set(scenario.economies))]) + "}"
    text = "{" + ",".join([f'"{k}":{parts[k]}' for k in _KEY_ORDER]) + "}"
    key = cache["scenario_key"] = hashlib.sha256(text.encode()).hexdigest()
    return key


_KEY_FIELDS = tuple(k for k in Scenario.model_fields
                    if k not in ("seed", "replicates", "economy", "defaults"))
_KEY_ORDER = tuple(sorted((*_KEY_FIELDS, "settings")))
"""The fields of :func:`scenario_key`, and its keys in JSON order (plain names)."""


def run_id(scenario: Scenario, replicate: int, master_seed: int,
           common_random_numbers: bool = True) -> str:
    """The identity of a run, from everything its results depend on.

    ``<scenario name>-<settings hash>-s<master seed>[i]-r<replicate>``, with ``i`` when the
    run draws its own numbers instead of common random numbers
    (:mod:`displacement_sim.seeding`). The same scenario, master seed, pairing and replicate
    give the same id, and the same results, through every entry point.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    replicate : int
        The replicate number.
    master_seed : int
        The master seed.
    common_random_numbers : bool
        Whether the run uses common random numbers (default ``True``).

    Returns
    -------
    str
        The run id.
    """
    pairing = "" if common_random_numbers else "i"
    return (f"{scenario.name}-{scenario_key(scenario)[:12]}-s{master_seed}{pairing}"
            f"-r{replicate:04d}")


@dataclass(frozen=True)
class RunSpec:
    """One run: scenario, replicate, how its seed was made, and the sweep parameters."""

    scenario: Scenario
    replicate: int
    master_seed: int
    common_random_numbers: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    """Name of the scenario variant in results (default: the scenario's name)."""

    @cached_property
    def key(self) -> str:
        """The scenario's settings hash (:func:`scenario_key`), computed once."""
        return scenario_key(self.scenario)

    @cached_property
    def seed(self) -> int:
        """The run's seed (:func:`displacement_sim.seeding.run_seed`)."""
        return run_seed(self.master_seed, self.replicate,
                        None if self.common_random_numbers else self.key)

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

    @cached_property
    def run_id(self) -> str:
        """Stable identity (:func:`run_id`); the label is not part of it."""
        pairing = "" if self.common_random_numbers else "i"
        return (f"{self.scenario.name}-{self.key[:12]}-s{self.master_seed}{pairing}"
                f"-r{self.replicate:04d}")


def make_specs(scenario: Scenario, replicates: int | None = None, master_seed: int | None = None,
               params: dict[str, Any] | None = None, label: str = "",
               common_random_numbers: bool = True) -> list[RunSpec]:
    """Run specs for the replicates of one scenario (the seed policy of
    :mod:`displacement_sim.seeding`).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    replicates : int, optional
        Default: the scenario's.
    master_seed : int, optional
        Default: the scenario's ``seed``.
    params : dict, optional
        Sweep parameters written as columns of the results.
    label : str
        Name of the variant in the results (default: the scenario's name).
    common_random_numbers : bool
        Replicate ``r`` shares its seed with replicate ``r`` of every other scenario (default);
        ``False`` gives each scenario its own numbers.
    """
    replicates = scenario.replicates if replicates is None else replicates
    master = scenario.seed if master_seed is None else master_seed
    return [RunSpec(scenario, r, master, common_random_numbers, dict(params or {}), label)
            for r in range(replicates)]


def run_one(spec: RunSpec) -> pd.DataFrame:
    """Run one spec to its horizon and return its tidy results.

    Columns: ``KEY_COLUMNS``, ``variant`` (scenario and sweep point), ``year``, one column per
    sweep parameter, then the metrics
    (``displacement_sim.model.METRICS``).

    Parameters
    ----------
    spec : RunSpec
        The run.

    Returns
    -------
    pandas.DataFrame
        One row per economy and month.
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
    """A run's table as Parquet bytes (encoded where the run ran, to spare the coordinator).

    Parameters
    ----------
    df : pandas.DataFrame
        The table, written without its index.

    Returns
    -------
    bytes
        The Parquet file.
    """
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def timed_run(spec: RunSpec) -> tuple[str, bytes | None, str | None, float]:
    """Run a spec, catching its error: ``(run_id, Parquet bytes or None, error or None,
    seconds)``.

    Executors call this, so that one failing run is recorded and does not stop the others;
    the worker encodes the table, so the coordinator only writes bytes.

    Parameters
    ----------
    spec : RunSpec
        The run.

    Returns
    -------
    tuple of (str, bytes or None, str or None, float)
        The run id, the results as Parquet (``None`` if the run failed), the error as
        ``"<type>: <message>"`` (``None`` if it succeeded) and the wall-clock seconds.
    """
    start = time.perf_counter()
    try:
        data = to_parquet_bytes(run_one(spec))
        return spec.run_id, data, None, time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - recorded with the run, retried on resume
        return spec.run_id, None, f"{type(exc).__name__}: {exc}", time.perf_counter() - start
