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
``updates`` (``--set``) change every scenario of the batch; the sweeps apply on top of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from displacement_sim.config import Scenario
from displacement_sim.errors import ScenarioError
from displacement_sim.files import lock_scope
from displacement_sim.model.inputs import check_inputs
from displacement_sim.scenarios import load_scenario, resolve_path, with_overrides, with_updates
from displacement_sim.studies import BatchFile, load_batch_file, sweep_points
from displacement_sim.workflows.execute import check_unique, execute, open_store
from displacement_sim.workflows.executors import ExecutorLike
from displacement_sim.workflows.runs import RunSpec, make_specs
from displacement_sim.workflows.store import ResultsStore


def expand_batch(batch: BatchFile, base_dir: Path, source: str = "<batch>",
                 updates: Mapping[str, Any] | None = None) -> list[RunSpec]:
    """All run specs of a batch, in a stable order. Validates every scenario variant.

    ``source`` (the batch file) prefixes every error message. ``updates`` (dotted config
    paths, as ``--set`` gives them) change every scenario before the sweeps apply.

    Parameters
    ----------
    batch : BatchFile
        The validated batch file.
    base_dir : Path
        The folder that the batch's scenario paths are relative to.
    source : str
        Names the batch in error messages (default ``"<batch>"``).
    updates : mapping, optional
        Dotted config paths and values applied to every scenario before the sweeps.

    Returns
    -------
    list of RunSpec
        Scenarios, then sweep points, then replicates.

    Raises
    ------
    ScenarioError
        If a scenario or sweep variant is invalid, or two runs are identical.
    """
    specs: list[RunSpec] = []
    overrides = {"years": batch.years, "economies": batch.economies,
                 "workers_per_agent": batch.workers_per_agent}
    for ref in batch.scenarios:
        path = resolve_path(ref, base_dir)
        try:
            scenario = load_scenario(ref, base_dir, **overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{source}: key 'scenarios': {ref!r} ({path}): {exc}") from None
        if updates:
            scenario = with_updates(scenario, dict(updates), f"--set (scenario {ref})")
        for point in sweep_points(batch.sweep):
            try:
                variant = with_updates(scenario, point, f"{ref} with sweep {point}") if point \
                    else scenario
            except ScenarioError as exc:
                raise ScenarioError(f"{source}: key 'sweep.parameters': {exc}") from None
            specs.extend(make_specs(variant, batch.replicates, batch.seed, point,
                                    common_random_numbers=batch.common_random_numbers))
    check_unique(specs, source)
    return specs


@lock_scope()
def run_batch(batch: str | Path | BatchFile, out: str | Path | None = None,
              executor: ExecutorLike = None, force: bool = False, progress: bool = True,
              base_dir: Path | None = None, *, overrides: Mapping[str, Any] | None = None,
              updates: Mapping[str, Any] | None = None
              ) -> tuple[ResultsStore, dict[str, Any]]:
    """Run (or resume) a batch file into ``out`` (default ``./outputs/<name>``).

    Parameters
    ----------
    batch : path or BatchFile
        A batch file path, or a validated ``BatchFile``.
    out : path, optional
        The results folder.
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace results of a different study in ``out``.
    progress : bool
        Show a progress bar.
    base_dir : path, optional
        Folder that scenario paths of a ``BatchFile`` are relative to (default: cwd).
    overrides : mapping, optional
        Top-level keys of the batch file to replace (``seed``, ...), validated like the file;
        ``None`` values are ignored.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every scenario of the batch,
        validated like a scenario file; the sweeps apply on top of them.

    Returns
    -------
    tuple
        The store and a summary of the runs.
    """
    if isinstance(batch, BatchFile):
        bf, base = batch, base_dir or Path.cwd()
    else:
        bf, path = load_batch_file(batch)
        base = path.parent
    source = str(batch) if not isinstance(batch, BatchFile) else bf.name
    if overrides:
        bf = with_overrides(bf, overrides, f"{source} (with options)")
    definition = bf.model_dump(mode="json")
    if updates:
        definition["updates"] = dict(updates)
    specs = expand_batch(bf, base, source, updates)
    check_inputs((s.scenario for s in specs), source)  # data and start years: before writing
    store = open_store(bf.name, specs, bf.seed, definition, out, force)
    return store, execute(specs, store, executor, progress=progress, desc=bf.name)


@lock_scope()
def run_scenario(scenario: Scenario | str | Path, out: str | Path | None = None,
                 replicates: int | None = None, executor: ExecutorLike = None,
                 force: bool = False, progress: bool = True,
                 source: str | None = None) -> tuple[ResultsStore, dict]:
    """Run the replicates of one scenario into ``out`` (default ``./outputs/<scenario name>``).

    Seeds follow the one policy (:mod:`displacement_sim.seeding`): common random numbers under
    the scenario's master seed, so the runs are those of any batch, comparison or sensitivity
    analysis with the same scenario and seed (same run ids, same results).

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, a scenario file or the name of a shipped one.
    out : str or Path, optional
        The results folder (default ``./outputs/<scenario name>``).
    replicates : int, optional
        Number of runs (default: the scenario's ``replicates``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace results of a different study in ``out`` (default ``False``).
    progress : bool
        Show a progress bar (default ``True``).
    source : str, optional
        What the scenario came from, named by input errors (default: its file, else its
        name).

    Returns
    -------
    tuple of (ResultsStore, dict)
        The store and the run counts (total, skipped, done, failed).
    """
    if not isinstance(scenario, Scenario):
        source = source or str(scenario)
        scenario = load_scenario(scenario)
    specs = make_specs(scenario, replicates)
    definition = {"scenario": scenario.model_dump(mode="json"), "replicates": len(specs)}
    check_inputs([scenario], source or scenario.name)  # data, start year: before writing
    store = open_store(scenario.name, specs, scenario.seed, definition, out, force)
    return store, execute(specs, store, executor, progress=progress, desc=scenario.name)
