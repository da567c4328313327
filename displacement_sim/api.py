"""The Python API of the command line: each command is one function here.

Each function composes the layers below it in their one direction: a validated input
(:mod:`displacement_sim.scenarios`, the study files) goes to a workflow
(:mod:`displacement_sim.workflows`: runs on any executor into a store), its results to the
pure analysis (:mod:`displacement_sim.analysis`) and then to reporting
(:mod:`displacement_sim.reporting`: tables, figures, reports). The command line
(:mod:`displacement_sim.cli`) only parses arguments and calls these; notebooks call them too.

Every ``executor`` argument takes an :class:`~displacement_sim.workflows.executors.Executor`,
any :class:`concurrent.futures.Executor`, a ``dask.distributed.Client`` (for example of a
dask-jobqueue or Kubernetes cluster), a name (``"sequential"``, ``"processes"``, ``"dask"``)
or ``None`` (local processes, one per core). What the caller hands in stays open.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from displacement_sim.analysis.history import annual_model_path, history_fit
from displacement_sim.analysis.sensitivity import AnalysisFile, SensitivityResult
from displacement_sim.analysis.summary import metric_columns
from displacement_sim.config import Scenario
from displacement_sim.constants import LATEST_OBSERVED_YEAR
from displacement_sim.data import load_series
from displacement_sim.errors import DisplacementSimError, StoreError
from displacement_sim.files import lock_scope, writing
from displacement_sim.inputs_safe import check_path
from displacement_sim.model.inputs import check_drivers
from displacement_sim.reporting.comparison_report import write_report
from displacement_sim.reporting.plots import save_run_figures
from displacement_sim.reporting.report import write_history_fit, write_run_summary, write_summaries
from displacement_sim.reporting.sensitivity import write_sensitivity
from displacement_sim.resources import output_dir
from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.studies import ComparisonFile
from displacement_sim.workflows.batch import run_batch, run_scenario
from displacement_sim.workflows.calibration import Calibrator
from displacement_sim.workflows.calibration import calibrate as _calibrate
from displacement_sim.workflows.comparison import ComparisonResult, run_comparison
from displacement_sim.workflows.executors import ExecutorLike
from displacement_sim.workflows.sensitivity import run_sensitivity
from displacement_sim.workflows.store import ResultsStore, read_results
from displacement_sim.workflows.validation import Validation
from displacement_sim.workflows.validation import validate as _validate


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` produced."""

    scenario: Scenario
    store: ResultsStore
    runs: dict[str, int]
    """Run counts: total, skipped (already stored), done, failed."""
    history: Path | None
    """``history.md``, where the run replays observed years."""


@lock_scope()
def run(scenario: Scenario | str | Path, out: str | Path | None = None,
        executor: ExecutorLike = None, *, force: bool = False, progress: bool = True,
        figures: bool = True, command: str | None = None,
        updates: Mapping[str, Any] | None = None, **overrides: Any) -> RunResult:
    """Run the replicates of one scenario; write its summary, figures and history fit.

    Parameters
    ----------
    scenario : Scenario, str or Path
        A validated scenario, a scenario file or the name of a shipped one.
    out : str or Path, optional
        The results folder (default ``./outputs/<scenario name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes).
    force : bool
        Replace results of a different study in ``out``.
    progress : bool
        Show a progress bar.
    figures : bool
        Write the figures (``<out>/figures``).
    command : str, optional
        The command quoted in ``history.md``.
    updates : mapping, optional
        Dotted config paths and values (``--set``), applied after ``overrides`` and validated
        like a scenario file (:func:`displacement_sim.scenarios.with_updates`).
    **overrides
        Top-level settings of a scenario file to replace (``seed``, ``years``, ...); ``None``
        values are ignored.

    Returns
    -------
    RunResult
    """
    if not isinstance(scenario, Scenario):
        source = str(scenario)
        scenario = load_scenario(scenario, **overrides)
    else:
        source = scenario.name
        values = {k: v for k, v in overrides.items() if v is not None}
        if values:
            scenario = with_updates(scenario, values, source)
    if updates:
        scenario = with_updates(scenario, dict(updates), "--set")
    check_drivers(scenario, source)
    store, runs = run_scenario(scenario, out=out, executor=executor, force=force,
                               progress=progress, source=source)
    history = None
    if store.done():
        df = store.read()
        with store.recording():
            write_run_summary(df, store.root)
            if figures:
                save_run_figures(df, store.root / "figures")
            history = write_history(df, scenario, store.root, command)
    return RunResult(scenario, store, runs, history)


def write_history(df: pd.DataFrame, scenario: Scenario, root: Path,
                  command: str | None = None) -> Path | None:
    """Where a run replays observed years, score it against the observed unemployment rate.

    Returns the path of ``history.md``, or ``None`` if the run starts after the data end.

    Parameters
    ----------
    df : pandas.DataFrame
        The run's results (monthly rows with a ``year`` column).
    scenario : Scenario
        The scenario that was run; its economies select the observed series.
    root : Path
        The results folder; ``history.md`` is written into it.
    command : str, optional
        The command quoted in ``history.md`` (default: none).

    Returns
    -------
    Path or None
        ``<root>/history.md``, or ``None`` if the run starts in or after the latest observed
        year, or no economy has observed years to score.
    """
    start = int(df["year"].min())
    if start >= LATEST_OBSERVED_YEAR:
        return None
    obs = load_series("SL.UEM.TOTL.ZS", list(scenario.economies))
    obs = obs[obs["year"] <= LATEST_OBSERVED_YEAR].rename(
        columns={"economy_iso3": "economy", "value": "observed"})
    paths, scores = history_fit(annual_model_path(df, start), obs)
    if scores.empty:
        return None
    write_history_fit(paths, scores, root, command=command or "")
    return root / "history.md"


@lock_scope()
def batch(file: str | Path, out: str | Path | None = None, executor: ExecutorLike = None,
          *, force: bool = False, progress: bool = True,
          overrides: Mapping[str, Any] | None = None, updates: Mapping[str, Any] | None = None
          ) -> tuple[ResultsStore, dict[str, int]]:
    """Run or resume a batch file (:func:`displacement_sim.workflows.batch.run_batch`).

    ``overrides`` replace top-level keys of the file (``seed``); ``updates`` (``--set``) change
    every scenario of the batch, under its sweeps.

    Parameters
    ----------
    file : str or Path
        The batch file.
    out : str or Path, optional
        The results folder (default ``./outputs/<batch name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace results of a different study in ``out`` (default ``False``).
    progress : bool
        Show a progress bar (default ``True``).
    overrides : mapping, optional
        Top-level keys of the batch file to replace, validated like the file.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every scenario of the batch.

    Returns
    -------
    tuple of (ResultsStore, dict)
        The store and the run counts (total, skipped, done, failed).
    """
    return run_batch(file, out=out, executor=executor, force=force, progress=progress,
                     overrides=overrides, updates=updates)


@lock_scope()
def summarize(results: str | Path, metrics: Sequence[str] | None = None) -> list[Path]:
    """Summaries and fan charts of a results folder; returns the files written.

    Parameters
    ----------
    results : str or Path
        The results folder (``outputs/<name>``).
    metrics : sequence of str, optional
        The metrics to summarise (default: every metric column of the results).

    Returns
    -------
    list of Path
        The files written.

    Raises
    ------
    DisplacementSimError
        If ``results`` is not a folder, or a metric is not among the folder's metrics (the
        message lists them).
    StoreError
        If the folder holds no results, or a damaged part (raised by the store).
    """
    if check_path(results, StoreError) and not Path(results).is_dir():
        raise StoreError(f"{results}: not a folder (expected a results folder, such as "
                         "outputs/baseline)")
    df = read_results(results)
    if metrics is not None:
        known = metric_columns(df)
        unknown = [m for m in metrics if m not in known]
        if unknown or not metrics:
            close = difflib.get_close_matches(unknown[0], known, n=1) if unknown else []
            hint = f"; did you mean {close[0]!r}?" if close else ""
            what = f"unknown metric {unknown[0]!r}{hint}" if unknown else "no metric given"
            raise DisplacementSimError(f"--metrics: {what} (metrics of {results}: "
                                       f"{', '.join(known)})")
    store = ResultsStore(results)
    store.claim()
    with store.recording():
        return write_summaries(df, results, metrics)


@lock_scope()
def compare(file: str | Path | ComparisonFile, out: str | Path | None = None,
            executor: ExecutorLike = None, *, force: bool = False, progress: bool = True,
            overrides: Mapping[str, Any] | None = None, updates: Mapping[str, Any] | None = None,
            report_dir: str | Path | None = None, base_dir: str | Path | None = None,
            command: str | None = None) -> ComparisonResult:
    """Run (or resume) a comparison, write its tables and its HTML and Markdown report.

    Parameters are those of :func:`displacement_sim.workflows.comparison.run_comparison`,
    plus ``report_dir`` (default ``<out>/report``) and ``command``, the command quoted in the
    report's header.

    Parameters
    ----------
    file : str, Path or ComparisonFile
        A comparison file, or a validated ``ComparisonFile``.
    out : str or Path, optional
        The results folder (default ``./outputs/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace results of a different study in ``out`` (default ``False``).
    progress : bool
        Show a progress bar (default ``True``).
    overrides : mapping, optional
        Top-level keys of the comparison file to replace, validated like the file.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every option's scenario.
    report_dir : str or Path, optional
        Folder of the report (default ``<out>/report``).
    base_dir : str or Path, optional
        Folder that option scenarios of a ``ComparisonFile`` are relative to (default: the
        working directory).
    command : str, optional
        The command quoted in the report's header.

    Returns
    -------
    ComparisonResult
        The runs, the comparison and its tables, with the report's files in ``report``.
    """
    result = run_comparison(file, out=out, executor=executor, force=force, progress=progress,
                            overrides=overrides, updates=updates, base_dir=base_dir)
    folder = Path(report_dir) if report_dir is not None else result.store.root / "report"
    inside = folder.resolve().is_relative_to(result.store.root.resolve())
    with result.store.recording() if inside else writing(folder):
        report = write_report(result.comparison, result.results, result.file,
                              result.scenarios, folder, command=command)
    return dataclasses.replace(result, report=report)


@lock_scope()
def sensitivity(spec: AnalysisFile | str | Path, out: str | Path | None = None,
                executor: ExecutorLike = None, *, force: bool = False, progress: bool = True,
                evaluator: Any = None, overrides: Mapping[str, Any] | None = None,
                updates: Mapping[str, Any] | None = None) -> SensitivityResult:
    """Sample, run, analyse and write a sensitivity analysis (tables, plots, summary).

    ``evaluator`` replaces the model (tests use the Ishigami function); ``overrides`` replace
    top-level keys of the file (``n``, ``seed``, ...) and ``updates`` (``--set``) change the
    base scenario; see :func:`displacement_sim.workflows.sensitivity.run_sensitivity`.

    Parameters
    ----------
    spec : AnalysisFile, str or Path
        An analysis file path or a validated ``AnalysisFile``.
    out : str or Path, optional
        The results folder (default ``./outputs/<name>``); the runs go to ``<out>/runs``.
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace the stored runs of a different analysis in ``out`` (default ``False``).
    progress : bool
        Show a progress bar (default ``True``).
    evaluator : callable, optional
        Replaces the model (default: the model through the executors).
    overrides : mapping, optional
        Top-level keys of the analysis file to replace, validated like the file.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to the base scenario.

    Returns
    -------
    SensitivityResult
        The sample, the outcomes and the tables of indices.
    """
    result = run_sensitivity(spec, out=out, evaluator=evaluator, executor=executor,
                             force=force, progress=progress, overrides=overrides,
                             updates=updates)
    folder = Path(out) if out is not None else output_dir() / result.spec.name
    with writing(folder):
        write_sensitivity(result, folder)
    return result


@lock_scope()
def discover(results: str | Path, outcome: str, threshold: str, option: str | None = None, *,
             reference: str | None = None, economy: str | None = None,
             out: str | Path | None = None, min_density: float = 0.8,
             peel_alpha: float = 0.05, mass_min: float = 0.05,
             command: str | None = None) -> Any:
    """Scenario discovery (PRIM) over a sweep or sensitivity output: where does an option fail?

    Reads the cases (:func:`displacement_sim.workflows.discovery.load_cases`), flags those
    where ``option`` is worse than ``threshold`` on ``outcome``, runs PRIM
    (:func:`displacement_sim.analysis.discovery.find_box`) and writes ``trajectory.csv``,
    ``box.csv``, ``cases.csv``, ``discovery.png`` and ``summary.md`` (docs/discovery.md).
    Every input is checked before anything is written.

    Parameters
    ----------
    results : str or Path
        The output folder of ``batch`` or ``sensitivity``.
    outcome : str
        A run outcome (``outcomes.RUN_OUTCOMES``).
    threshold : str
        A number, ``"reference"``, or ``"reference+X"`` / ``"reference-X"``
        (:func:`displacement_sim.analysis.discovery.parse_threshold`).
    option : str, optional
        Batch: ``KEY=VALUE`` pairs or a scenario name; sensitivity analysis: its name (the
        default) or ``<name>-ref``.
    reference : str, optional
        The reference option (default: the first value of each of the option's keys; in a
        sensitivity analysis, its reference runs).
    economy : str, optional
        An ISO3 code, or ``"all"`` to pool economies (default: each economy a case).
    out : str or Path, optional
        Where the files go (default ``<results>/discovery``).
    min_density : float
        The density the chosen box must reach (default 0.8).
    peel_alpha : float
        Share of the cases peeled off at each step (default 0.05).
    mass_min : float
        Smallest share of the cases a box may hold (default 0.05).
    command : str, optional
        The command that made it, shown in the summary.

    Returns
    -------
    DiscoveryResult
        ``cases``, ``threshold``, ``failing``, ``discovery`` and the ``paths`` written.

    Raises
    ------
    DisplacementSimError
        One line naming what was expected: a folder that is not a sweep or sensitivity output,
        an unknown outcome, option or economy, a bad threshold, or one no case fails.
    """
    from displacement_sim.analysis.discovery import fails, find_box, parse_threshold
    from displacement_sim.reporting.discovery import write_discovery
    from displacement_sim.workflows.discovery import DiscoveryResult, load_cases

    for name, value, low, high in (("--min-density", min_density, 0.0, 1.0),
                                   ("--peel-alpha", peel_alpha, 0.0, 0.5),
                                   ("--mass-min", mass_min, 0.0, 1.0)):
        if not low < value <= high:
            raise DisplacementSimError(f"{name}: {value:g}: expected a number above {low:g} "
                                       f"and at most {high:g}")
    limit = parse_threshold(threshold)
    cases = load_cases(results, outcome, option, reference, economy,
                       need_reference=limit.relative)
    levels = limit.levels(cases.reference_value, len(cases.value))
    failing = fails(cases.value, levels, cases.outcome.better)
    if len(failing) and (failing.all() or not failing.any()):
        gap = cases.value - levels
        which = "no case fails" if not failing.any() else "every case fails"
        want = "some cases fail" if not failing.any() else "some cases pass"
        raise DisplacementSimError(
            f"--threshold {threshold}: {which} ({len(failing)} cases; {cases.outcome.name} "
            f"minus the threshold ranges from {gap.min():.4g} to {gap.max():.4g}, "
            f"{cases.outcome.better} is better): nothing to discover (expected a threshold "
            f"that {want})")
    found = find_box(cases.params, failing, cases.labels, min_density=min_density,
                     peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min)
    root = Path(results)
    folder = Path(out) if out is not None else root / "discovery"
    if cases.kind == "batch" and folder.resolve().is_relative_to(root.resolve()):
        store = ResultsStore(root)
        store.claim()
        with store.recording():
            paths = write_discovery(cases, limit, found, folder, failing, command)
    else:
        with writing(folder if out is not None else root):
            paths = write_discovery(cases, limit, found, folder, failing, command)
    return DiscoveryResult(cases, limit, failing, found, paths)


@lock_scope()
def calibrate(config: Any, economies: Sequence[str] | None = None,
              train_until: int | None = None, out: str | Path | None = None,
              executor: ExecutorLike = None, *, progress: bool = True,
              update_shipped: bool = False, seed: int | None = None,
              updates: Mapping[str, Any] | None = None, docs: str | Path | None = None,
              command: str | None = None, replay: str | Path | None = None
              ) -> dict[str, Calibrator]:
    """Calibrate economies (:func:`displacement_sim.workflows.calibration.calibrate`).

    Parameters
    ----------
    config : str, Path or CalibrationFile
        The calibration file.
    economies : sequence of str, optional
        ISO3 codes to fit (default: the file's).
    train_until : int, optional
        Fit on years up to this one and score the later years out of sample.
    out : str or Path, optional
        Folder for candidate runs, tables and fitted parameters (default
        ``./outputs/calibration/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    progress : bool
        Show a progress bar (default ``True``).
    update_shipped : bool
        Also write each full fit over the shipped ``calibration/calibrated/<ISO3>.toml``
        (default ``False``).
    seed : int, optional
        Replace the file's master seed.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every economy's base scenario.
    docs : str or Path, optional
        Also write the calibration page there (e.g. ``docs/calibration.md``), figures beside it.
    command : str, optional
        The command line, quoted in the page.
    replay : str or Path, optional
        With ``docs``: the results folder of a run that replays observed years (e.g.
        ``displacement-sim run baseline --start-year 2005 --years 18``), whose scores per
        economy the page shows.

    Returns
    -------
    dict of str to Calibrator
        The fitted calibrator of each economy.
    """
    return _calibrate(config, economies, train_until, out=out, executor=executor,
                      progress=progress, update_shipped=update_shipped, seed=seed,
                      updates=updates, docs=docs, command=command, replay=replay)


def validate(config: Any, origins: Sequence[int], economies: Sequence[str] | None = None,
             out: str | Path | None = None, executor: ExecutorLike = None, *,
             progress: bool = True, seed: int | None = None,
             updates: Mapping[str, Any] | None = None, drivers: str = "ex_ante",
             docs: str | Path | None = None, notes: str | Path | None = None,
             command: str | None = None) -> Validation:
    """Validate out of sample (:func:`displacement_sim.workflows.validation.validate`).

    Parameters
    ----------
    config : str, Path or CalibrationFile
        The calibration file.
    origins : sequence of int
        Forecast origins: each is the last year of a fit, and the years after it are held out.
    economies : sequence of str, optional
        ISO3 codes (default: the file's).
    out : str or Path, optional
        Output folder (default ``./outputs/validation/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    progress : bool
        Show progress bars (default ``True``).
    seed : int, optional
        Replace the file's master seed.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every base scenario.
    drivers : {"ex_ante", "observed"}
        Forecasts see the drivers only up to the origin (default), or the observed ones.
    docs : str or Path, optional
        Also write the page there (e.g. ``docs/validation.md``), figures beside it.
    notes : str or Path, optional
        A markdown file of reasons for where the model does worse, quoted under "Why".
    command : str, optional
        The command line, quoted in the page.

    Returns
    -------
    Validation
        The held-out table, the scores and the near-optimal parameter sets.
    """
    return _validate(config, origins, economies, out=out, executor=executor,
                     progress=progress, seed=seed, updates=updates, drivers=drivers,
                     docs=docs, notes=notes, command=command)


__all__ = ["RunResult", "batch", "brief", "calibrate", "compare", "dashboard", "discover", "run",
           "sensitivity", "summarize", "validate", "write_history"]


@lock_scope()
def brief(comparison: str | Path, economies: Sequence[str] | None = None,
          out: str | Path | None = None, *, sensitivity: str | Path | None = None,
          validation: str | Path | None = None, discount_rate: float | None = None,
          command: str | None = None) -> list[Path]:
    """One A4 page per economy (PDF, HTML, CSV and Excel tables) from a comparison's output.

    Parameters
    ----------
    comparison : str or Path
        The output folder of :func:`compare` (``displacement-sim compare``).
    economies : sequence of str, optional
        ISO3 codes, or ``"ASEAN"`` (any case) for the ASEAN members of the comparison pooled
        run by run (``reporting.brief.aggregate_inputs``). Default: every economy of the
        comparison, and ``"ASEAN"`` too when it has two or more ASEAN members.
    out : str or Path, optional
        Where to write (default ``<comparison>/brief``).
    sensitivity : str or Path, optional
        The output folder of :func:`sensitivity`: the assumptions that move the result most.
    validation : str or Path, optional
        The output folder of :func:`validate`: how far the forecasts held out of sample.
    discount_rate : float, optional
        Real discount rate a year for discounted totals (default 0.03,
        ``analysis.brief.DEFAULT_DISCOUNT_RATE``).
    command : str, optional
        The command quoted in each page's footer.

    Returns
    -------
    list of Path
        The files written, five per page.

    Raises
    ------
    ScenarioError
        If a folder is not what it should be, an economy is not in the comparison, or
        ``"ASEAN"`` is asked of a comparison without an ASEAN member, before anything is
        written.
    """
    from displacement_sim.analysis.brief import (
        AGGREGATE,
        DEFAULT_DISCOUNT_RATE,
        aggregate_members,
    )
    from displacement_sim.errors import ScenarioError
    from displacement_sim.reporting.brief import (
        aggregate_inputs,
        build_page,
        load_inputs,
        write_page,
    )

    rate = DEFAULT_DISCOUNT_RATE if discount_rate is None else float(discount_rate)
    if not (0.0 <= rate < 1.0):
        raise ScenarioError(f"--discount-rate: expected a rate a year from 0 to below 1 "
                            f"(0.03 for 3%), got {rate:g}")
    for p in (comparison, sensitivity, validation):
        if p is not None:
            check_path(p, ScenarioError)
    inputs = load_inputs(comparison, sensitivity, validation)
    default = [*inputs.economies,
               *([AGGREGATE] if len(aggregate_members(inputs.economies)) >= 2 else [])]
    chosen = [e.strip().upper() for e in (economies or default) if e.strip()]
    unknown = [e for e in chosen if e not in inputs.economies and e != AGGREGATE]
    if unknown:
        raise ScenarioError(f"--economy: {unknown[0]!r} is not in the comparison {comparison} "
                            f"(its economies: {', '.join(inputs.economies)}; or {AGGREGATE} "
                            "for its ASEAN members pooled)")
    pooled = aggregate_inputs(inputs, AGGREGATE) if AGGREGATE in chosen else None
    pages = [build_page(pooled if e == AGGREGATE and pooled is not None else inputs, e, rate,
                        command) for e in dict.fromkeys(chosen)]
    root = Path(comparison)
    folder = Path(out) if out is not None else root / "brief"
    paths: list[Path] = []
    if folder.resolve().is_relative_to(root.resolve()):
        store = ResultsStore(root)
        store.claim()
        with store.recording():
            for page in pages:
                paths += write_page(page, folder)
    else:
        with writing(folder):
            for page in pages:
                paths += write_page(page, folder)
    return paths


def dashboard(economy: str = "VNM", *, host: str = "127.0.0.1", port: int = 8765,
              store: str | Path | None = None, replicates: int = 4, years: int = 5,
              agents: int = 2000, precompute: Sequence[str] | None = None,
              progress: bool = True) -> None:
    """Serve the policy dashboard (Mesa SolaraViz) until interrupted; ``docs/dashboard.md``.

    Parameters
    ----------
    economy : str
        ISO3 code of the economy shown first (default ``"VNM"``).
    host : str
        Address to listen on (default ``127.0.0.1``: this machine only).
    port : int
        Port (default 8765).
    store : str or Path, optional
        Results folder of the page's runs (default ``./outputs/dashboard``).
    replicates, years, agents : int
        Runs per setting, horizon in years and worker agents (defaults 4, 5, 2000).
    precompute : sequence of str, optional
        ISO3 codes whose current-policy runs are stored before the page is served.
    progress : bool
        Show a progress bar while precomputing (default ``True``).
    """
    from displacement_sim.app.dashboard import Settings, serve
    from displacement_sim.app.dashboard import precompute as store_current_policy

    settings = Settings(economy.upper(), replicates, years, agents,
                        Path(store) if store is not None else output_dir() / "dashboard")
    if precompute:
        store_current_policy(settings, [c.upper() for c in precompute], progress=progress)
    serve(settings, host, port)
