"""Sensitivity analyses as a workflow: sample, run the model on any executor, analyse.

The sampling and the indices are pure functions of :mod:`displacement_sim.analysis.sensitivity`;
the runs go through :func:`~displacement_sim.workflows.execute.execute` into a store, so an
analysis resumes; :mod:`displacement_sim.reporting.sensitivity` writes its tables and plots.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from displacement_sim.analysis.factors import row_updates, scale_sample
from displacement_sim.analysis.outputs import needed_columns, outcome
from displacement_sim.analysis.sensitivity import (
    AnalysisFile,
    Evaluator,
    SensitivityResult,
    analyse_outcomes,
    draw_sample,
    load_analysis,
)
from displacement_sim.errors import RunError, ScenarioError
from displacement_sim.files import lock_scope
from displacement_sim.model.inputs import check_inputs
from displacement_sim.outcomes import REFERENCE_RATIOS
from displacement_sim.resources import output_dir
from displacement_sim.scenarios import load_scenario, with_overrides, with_updates
from displacement_sim.workflows.execute import execute, open_store
from displacement_sim.workflows.executors import ExecutorLike
from displacement_sim.workflows.runs import make_specs


def check_factors(spec: AnalysisFile, base: Any, source: str) -> None:
    """Check that every factor's path is a setting of the base scenario and that the ends of
    its range are values the setting takes, before anything runs or is written.

    Parameters
    ----------
    spec : AnalysisFile
        The analysis.
    base : Scenario
        Its base scenario (with ``--set`` applied).
    source : str
        The analysis file, named by the message.

    Raises
    ------
    ScenarioError
        Naming the file, the factor (``factor.<i>.path``) and what the setting refused.
    """
    for i, factor in enumerate(spec.factor):
        ends = factor.ppf(np.array([0.5])) if factor.distribution == "normal" else \
            factor.ppf(np.array([0.0, 1.0]))
        for value in ends:
            try:
                with_updates(base, factor.updates(value), "@")
            except ScenarioError as exc:
                reason = str(exc).removeprefix("@: ")
                raise ScenarioError(f"{source}: key 'factor.{i}.path': {factor.path!r} at "
                                    f"{float(value):g} ({factor.name}): {reason}") from None


def model_evaluator(out: Path, executor: ExecutorLike = None, force: bool = False,
                    progress: bool = True, base_dir: Path | None = None,
                    updates: Mapping[str, Any] | None = None,
                    source: str | None = None) -> Evaluator:
    """An evaluator that runs the model through :func:`execute` into ``out/runs``.

    ``updates`` (dotted config paths, as ``--set`` gives them) change the base scenario; the
    factors are sampled on top of them.

    Parameters
    ----------
    out : Path
        The analysis's results folder; the runs are stored in ``<out>/runs``.
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace the stored runs of a different analysis (default ``False``).
    progress : bool
        Show a progress bar (default ``True``).
    base_dir : Path, optional
        The folder that the analysis file's base scenario path is relative to.
    updates : mapping, optional
        Dotted config paths and values applied to the base scenario.
    source : str, optional
        The analysis file, named by every error about its keys (default: the analysis's
        name).

    Returns
    -------
    callable
        ``evaluate(spec, sample)``: the outcomes of every sample point, one array of shape
        ``(points, replicates)`` per output name.
    """

    def evaluate(spec: AnalysisFile, sample: np.ndarray) -> dict[str, np.ndarray]:
        overrides = {"economies": spec.economies, "years": spec.years,
                     "workers_per_agent": spec.workers_per_agent,
                     "min_agents_per_economy": spec.min_agents_per_economy}
        where = source or spec.name
        try:
            base = load_scenario(spec.base, base_dir, **overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: key 'base': {exc}") from None
        if updates:
            base = with_updates(base, dict(updates), "--set")
        check_factors(spec, base, where)
        point_runs: list[list[str]] = []
        ref_runs: list[list[str]] = []
        specs: dict[str, Any] = {}
        for k, row in enumerate(sample):
            params = {f.name: float(v) for f, v in zip(spec.factor, row, strict=True)}
            variant = with_updates(base, row_updates(spec.factor, row),
                                   f"{where}: key 'factor': sample point {k} {params}")
            runs = make_specs(variant, spec.replicates, spec.seed, params, label=spec.name,
                              common_random_numbers=True)
            point_runs.append([r.run_id for r in runs])
            specs.update({r.run_id: r for r in runs})
            if spec.needs_reference:
                ref = with_updates(variant, spec.reference, f"{where}: key 'reference'")
                rruns = make_specs(ref, spec.replicates, spec.seed, params,
                                   label=f"{spec.name}-ref", common_random_numbers=True)
                ref_runs.append([r.run_id for r in rruns])
                specs.update({r.run_id: r for r in rruns})
        unique = list(specs.values())
        definition = spec.model_dump(mode="json")
        if updates:
            definition["updates"] = dict(updates)
        check_inputs((r.scenario for r in unique), where)  # data, start year: before writing
        store = open_store(spec.name, unique, spec.seed, definition, out / "runs", force)
        summary = execute(unique, store, executor, progress=progress, desc=spec.name)
        if summary["failed"]:
            failed = store.failed()
            run_id, error = next(iter(sorted(failed.items())))
            raise RunError(f"{len(failed)} model runs failed, e.g. {run_id}: {error}; their "
                           f"errors are in {store.errors}, and the same command retries them")
        ratios = {o.outcome: REFERENCE_RATIOS[o.outcome] for o in spec.output
                  if o.outcome in REFERENCE_RATIOS}
        base_outcomes = sorted({o.outcome for o in spec.output} - set(ratios)
                               | {n for r in ratios.values() for n in (r.cost, r.gain)})
        cols = needed_columns([o.outcome for o in spec.output])
        cache: dict[str, dict[tuple[str, str], float]] = {}
        economies = {o.economy for o in spec.output}
        for run_id in specs:
            df = store.read_run(run_id, columns=cols)
            cache[run_id] = {(name, e): outcome(df, name, e) for name in base_outcomes
                             for e in economies}
        result: dict[str, np.ndarray] = {}
        for o in spec.output:
            vals = np.empty((len(sample), spec.replicates))
            for i, ids in enumerate(point_runs):
                for r, rid in enumerate(ids):
                    if o.outcome in ratios:
                        ratio = ratios[o.outcome]
                        cost_n, gain_n = ratio.cost, ratio.gain
                        ref = ref_runs[i][r]
                        vals[i, r] = ratio.value(
                            cache[rid][(cost_n, o.economy)], cache[ref][(cost_n, o.economy)],
                            cache[rid][(gain_n, o.economy)], cache[ref][(gain_n, o.economy)])
                    else:
                        vals[i, r] = cache[rid][(o.outcome, o.economy)]
            result[o.name] = vals
        return result

    return evaluate


@lock_scope()
def run_sensitivity(spec: AnalysisFile | str | Path, out: str | Path | None = None,
                    evaluator: Evaluator | None = None, executor: ExecutorLike = None,
                    force: bool = False, progress: bool = True, *,
                    overrides: Mapping[str, Any] | None = None,
                    updates: Mapping[str, Any] | None = None) -> SensitivityResult:
    """Sample, evaluate (resumably, on any executor) and analyse a sensitivity analysis.

    :func:`displacement_sim.api.sensitivity` calls this and writes the tables, plots and
    summary.

    Parameters
    ----------
    spec : path or AnalysisFile
        An analysis file path or a validated ``AnalysisFile``.
    out : path, optional
        Results folder (default ``./outputs/<name>``); the runs go to ``<out>/runs``.
    evaluator : callable, optional
        Replaces the model (tests use the Ishigami function); default: the model through the
        batch executors.
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace the stored runs of a different analysis in ``out``.
    progress : bool
        Show a progress bar.
    overrides : mapping, optional
        Top-level keys of the analysis file to replace (``n``, ``replicates``, ``seed``,
        ``years``, ...), validated like the file; ``None`` values are ignored.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to the base scenario, validated
        like a scenario file; the factors are sampled on top of them.

    Returns
    -------
    SensitivityResult
        The sample, the outcomes and the tables of indices.
    """
    base_dir = None
    source = spec.name if isinstance(spec, AnalysisFile) else str(spec)
    if not isinstance(spec, AnalysisFile):
        spec, path = load_analysis(spec)
        base_dir = path.parent
    if overrides:
        spec = with_overrides(spec, overrides, f"{source} (with options)")
    out = Path(out) if out is not None else output_dir() / spec.name
    unit = draw_sample(spec)
    sample = scale_sample(spec.factor, unit)
    if evaluator is None:
        evaluator = model_evaluator(out, executor, force, progress, base_dir, updates,
                                    source=source)
    return analyse_outcomes(spec, unit, sample, evaluator(spec, sample))
