"""Batches: many runs (scenarios x sweeps x replicates) through an executor into a store.

A batch file (TOML) names scenario files, replicates, a master seed and parameter sweeps::

    name = "capacity_sweep"
    scenarios = ["../baseline.toml", "../fast_automation.toml"]
    replicates = 10
    seed = 42

    [sweep]
    mode = "grid"          # every combination; "zip" pairs the lists element by element
    [sweep.parameters]
    "policy.capacity_building.share_of_gdp" = [0.0, 0.001, 0.005]
    "economy.VNM.policy.benefits.replacement_rate" = [0.0, 0.4]

Running the same batch again resumes it: stored runs are skipped, failed runs retried.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator
from tqdm.auto import tqdm

from displacement_sim.config import Scenario, Strict
from displacement_sim.errors import ScenarioError
from displacement_sim.scenarios import load_scenario, load_validated, with_updates
from displacement_sim.workflows.executors import Executor, make_executor
from displacement_sim.workflows.runs import RunSpec, make_specs, scenario_key, timed_run
from displacement_sim.workflows.store import ResultsStore

OUTPUT_DIR = Path(__file__).resolve().parents[1] / "outputs"


class Sweep(Strict):
    """Parameter sweeps over config paths."""

    mode: Literal["grid", "zip"] = "grid"
    """``grid``: every combination; ``zip``: the i-th values of every list together."""
    parameters: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict)
    """Dotted config path -> values, e.g. ``"policy.automation_tax" = [0, 0.1]``."""

    @model_validator(mode="after")
    def _zip_lengths(self) -> Sweep:
        if self.mode == "zip" and len({len(v) for v in self.parameters.values()}) > 1:
            raise ValueError("zip sweeps need lists of equal length")
        return self


class BatchFile(Strict):
    """A validated batch file."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    """Scenario files, relative to the batch file (or names in ``scenarios/``)."""
    replicates: Annotated[int, Field(ge=1)] = 1
    seed: Annotated[int, Field(ge=0)] = 0
    common_random_numbers: bool = False
    """Share seeds across scenarios and sweep points (paired comparisons)."""
    sweep: Sweep = Sweep()
    years: Annotated[int, Field(ge=1, le=100)] | None = None
    """Horizon override for every scenario."""
    economies: list[str] | None = None
    """Economies override for every scenario."""
    workers_per_agent: Annotated[float, Field(gt=0)] | None = None

    @field_validator("scenarios")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a scenario is listed twice")
        return v


def load_batch_file(path: str | Path) -> tuple[BatchFile, Path]:
    """Read and validate a batch file."""
    return load_validated(path, BatchFile)


def sweep_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of sweep values (a single empty point when there is no sweep)."""
    if not sweep.parameters:
        return [{}]
    keys = list(sweep.parameters)
    values = [sweep.parameters[k] for k in keys]
    combos = itertools.product(*values) if sweep.mode == "grid" else zip(*values, strict=True)
    return [dict(zip(keys, c, strict=True)) for c in combos]


def expand_batch(batch: BatchFile, base_dir: Path, source: str = "<batch>") -> list[RunSpec]:
    """All run specs of a batch, in a stable order. Validates every scenario variant.

    ``source`` (the batch file) prefixes every error message.
    """
    specs: list[RunSpec] = []
    overrides = {"years": batch.years, "economies": batch.economies,
                 "workers_per_agent": batch.workers_per_agent}
    for ref in batch.scenarios:
        path = Path(ref) if Path(ref).is_absolute() else base_dir / ref
        try:
            scenario = load_scenario(path if path.is_file() else ref, **overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: key 'scenarios': {ref!r} ({path}): {exc}") from None
        for point in sweep_points(batch.sweep):
            try:
                variant = with_updates(scenario, point, f"{ref} with sweep {point}") if point \
                    else scenario
            except ScenarioError as exc:
                raise ScenarioError(f"{source}: key 'sweep.parameters': {exc}") from None
            specs.extend(make_specs(variant, batch.replicates, batch.seed, point,
                                    common_random_numbers=batch.common_random_numbers))
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        raise ScenarioError(f"{source}: two runs of the batch are identical (same scenario settings and "
                            "replicate); check for duplicate sweep values or scenarios")
    return specs


def definition_hash(specs: Sequence[RunSpec], master_seed: int) -> str:
    """Hash of what a batch computes: its run ids and seeds."""
    text = json.dumps([[s.run_id, s.seed] for s in specs] + [master_seed])
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_for(name: str, specs: Sequence[RunSpec], master_seed: int,
                 definition: dict[str, Any]) -> dict[str, Any]:
    """The manifest of a batch: its definition, resolved scenarios, run keys and seeds."""
    scenarios = {}
    for s in specs:
        key = scenario_key(s.scenario)
        scenarios.setdefault(key, {"name": s.name, "params": s.params,
                                   "config_hash": s.scenario.config_hash(),
                                   "config": s.scenario.model_dump(mode="json")})
    return {
        "name": name,
        "definition": definition,
        "definition_hash": definition_hash(specs, master_seed),
        "master_seed": master_seed,
        "scenarios": scenarios,
        "runs": [{"run_id": s.run_id, "scenario": s.name, "replicate": s.replicate,
                  "seed": s.seed, "scenario_key": scenario_key(s.scenario), "params": s.params}
                 for s in specs],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def run_specs(specs: Sequence[RunSpec], store: ResultsStore, executor: Executor,
              progress: bool = True, desc: str = "runs",
              on_result: Callable[[str, bool], None] | None = None) -> dict[str, Any]:
    """Run the specs not yet stored, writing each result as it finishes.

    Returns a summary: runs total, skipped (already stored), done now, failed now.
    """
    stored = store.done()
    todo = [s for s in specs if s.run_id not in stored]
    by_id = {s.run_id: s for s in todo}
    summary = {"total": len(specs), "skipped": len(specs) - len(todo), "done": 0, "failed": 0}
    bar = tqdm(total=len(specs), initial=summary["skipped"], desc=desc, unit="run",
               disable=not progress, dynamic_ncols=True)
    try:
        for run_id, data, error, seconds in executor.imap_unordered(timed_run, todo):
            if error is None:
                store.write_run_bytes(run_id, data)
                summary["done"] += 1
            else:
                spec = by_id[run_id]
                store.write_error(run_id, error, {"scenario": spec.name,
                                                  "replicate": spec.replicate,
                                                  "seed": spec.seed, "params": spec.params,
                                                  "seconds": seconds})
                summary["failed"] += 1
            if on_result is not None:
                on_result(run_id, error is None)
            bar.update(1)
    finally:
        bar.close()
    return summary


def run_batch(batch: str | Path | BatchFile, out: str | Path | None = None,
              executor: str = "processes", n_workers: int | None = None,
              scheduler: str | None = None, force: bool = False, progress: bool = True,
              base_dir: Path | None = None) -> tuple[ResultsStore, dict[str, Any]]:
    """Run (or resume) a batch file into ``out`` (default ``outputs/<name>``).

    Parameters
    ----------
    batch : path or BatchFile
        A batch file path, or a validated ``BatchFile``.
    out : path, optional
        The results folder.
    executor : {"processes", "sequential", "dask"}
        Where runs execute (default: local processes).
    n_workers : int, optional
        Number of workers (default: one per core).
    scheduler : str, optional
        A Dask scheduler address ``tcp://HOST:PORT``; implies ``dask``.
    force : bool
        Replace results of a different batch in ``out``.
    progress : bool
        Show a progress bar.
    base_dir : path, optional
        Folder that scenario paths of a ``BatchFile`` are relative to (default: cwd).

    Returns
    -------
    tuple
        The store and a summary of the runs.
    """
    if isinstance(batch, BatchFile):
        bf, base = batch, base_dir or Path.cwd()
        definition = bf.model_dump(mode="json")
    else:
        bf, path = load_batch_file(batch)
        base = path.parent
        definition = bf.model_dump(mode="json")
    specs = expand_batch(bf, base, str(batch) if not isinstance(batch, BatchFile) else bf.name)
    return execute(bf.name, specs, bf.seed, definition, out, executor, n_workers, scheduler,
                   force, progress)


def execute(name: str, specs: Sequence[RunSpec], master_seed: int, definition: dict[str, Any],
            out: str | Path | None = None, executor: str = "processes",
            n_workers: int | None = None, scheduler: str | None = None, force: bool = False,
            progress: bool = True) -> tuple[ResultsStore, dict[str, Any]]:
    """Claim ``out`` (default ``outputs/<name>``), run the specs not yet stored, and record in
    the manifest whether the batch is complete."""
    store = ResultsStore(out or OUTPUT_DIR / name)
    store.open(manifest_for(name, specs, master_seed, definition), force=force)
    with make_executor(executor, n_workers, scheduler) as ex:  # type: ignore[arg-type]
        summary = run_specs(specs, store, ex, progress, desc=name)
    store.update_manifest(complete=not store.failed() and len(store.done()) >= len(specs),
                          failed=sorted(store.failed()))
    return store, summary


def run_scenario(scenario: Scenario | str | Path, out: str | Path | None = None,
                 replicates: int | None = None, executor: str = "processes",
                 n_workers: int | None = None, scheduler: str | None = None,
                 force: bool = False, progress: bool = True) -> tuple[ResultsStore, dict]:
    """Run the replicates of one scenario into ``out`` (default ``outputs/<scenario name>``)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    # Common random numbers: replicate r of any scenario gets the same seed, so two scenarios
    # run with the same master seed are paired run by run.
    specs = make_specs(scenario, replicates, common_random_numbers=True)
    definition = {"scenario": scenario.model_dump(mode="json"), "replicates": len(specs)}
    return execute(scenario.name, specs, scenario.seed, definition, out, executor, n_workers,
                   scheduler, force, progress)
