"""Policy comparisons: a comparison file (TOML) -> paired runs -> tables and a report.

A comparison file names the options (scenario files), the economies, the horizon, the
replicates and the reference option::

    name = "reskilling_options"
    economies = ["VNM", "THA", "IDN", "PHL", "USA"]
    years = 10
    replicates = 10
    reference = "baseline"                # every option is compared with this one
    counterfactual = "no_active_policy"   # the run without any programme (effect over time)

    [options.baseline]
    scenario = "../baseline.toml"         # relative to this file, or a name in scenarios/
    label = "Current policy"

    [options.hiring_subsidy]
    scenario = "../hiring_subsidy.toml"
    label = "Hiring subsidy"

Every option runs with the same replicate seeds (common random numbers), so each difference is
paired. The runs go through the batch executors into a results store, so an interrupted
comparison resumes and any executor can run it. ``analysis.compare`` computes the tables;
``comparison_report`` writes the report. Both lead with the employment rate and the share
unemployed or in training, which a programme cannot improve by enrolling people
(``analysis.compare.HEADLINE``, ``TRAINEES_COUNTED``).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from displacement_sim.analysis.compare import Comparison, compare
from displacement_sim.config import Scenario
from displacement_sim.errors import RunError, ScenarioError
from displacement_sim.files import atomic_write_text, lock_scope
from displacement_sim.model.inputs import check_inputs
from displacement_sim.scenarios import (
    load_scenario,
    resolve_path,
    with_updates,
)
from displacement_sim.studies import (
    PAIRING_SETTINGS,
    ComparisonFile,
    load_comparison,
    validate_comparison,
)
from displacement_sim.workflows.execute import execute, open_store
from displacement_sim.workflows.executors import ExecutorLike
from displacement_sim.workflows.runs import RunSpec, make_specs
from displacement_sim.workflows.store import ResultsStore


def option_scenarios(cf: ComparisonFile, base_dir: Path, source: str = "<comparison>",
                     updates: Mapping[str, Any] | None = None) -> dict[str, Scenario]:
    """Load every option's scenario with the comparison's settings, checking they can pair.

    ``updates`` (dotted config paths, as ``--set`` gives them) change every option's scenario.

    Parameters
    ----------
    cf : ComparisonFile
        The validated comparison file.
    base_dir : Path
        The folder that the options' scenario paths are relative to.
    source : str
        Names the comparison in error messages (default ``"<comparison>"``).
    updates : mapping, optional
        Dotted config paths and values applied to every option's scenario.

    Returns
    -------
    dict of str to Scenario
        Each option's validated scenario, by option key.

    Raises
    ------
    ScenarioError
        If a scenario file is missing or invalid, or the options differ in a setting that
        pairing needs (``PAIRING_SETTINGS``) and the comparison does not set it.
    """
    scenarios: dict[str, Scenario] = {}
    overrides = cf.overrides()
    for key, option in cf.options.items():
        ref = option.scenario
        path = resolve_path(ref, base_dir)
        where = f"{source}: key 'options.{key}.scenario'"
        if not path.is_file():
            raise ScenarioError(f"{where}: file not found: {ref} (looked in {base_dir} and in "
                                "scenarios/)")
        try:
            scenarios[key] = load_scenario(path, **overrides)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {ref}: {exc}") from None
        if updates:
            scenarios[key] = with_updates(scenarios[key], dict(updates),
                                          f"--set (option {key})")
    for setting in PAIRING_SETTINGS:
        values = {k: getattr(s, setting) for k, s in scenarios.items()}
        if len(set(values.values())) > 1:
            shown = ", ".join(f"{k} = {v}" for k, v in values.items())
            raise ScenarioError(
                f"{source}: key 'options': the options' scenarios differ in '{setting}' "
                f"({shown}); runs can only be paired if they share it: set '{setting}' in "
                "the comparison file")
    return scenarios


@dataclass(frozen=True)
class ComparisonResult:
    """What :func:`run_comparison` produced."""

    file: ComparisonFile
    scenarios: dict[str, Scenario]
    store: ResultsStore
    runs: dict[str, Any]
    """Run counts: total, skipped (already stored), done, failed."""
    comparison: Comparison
    tables: list[Path]
    report: list[Path] = field(default_factory=list)
    """The report's files, once :func:`displacement_sim.api.compare` has written it."""
    results: pd.DataFrame | None = None
    """The runs' monthly results (the comparison's runs only)."""


def comparison_specs(cf: ComparisonFile, scenarios: Mapping[str, Scenario]) -> list[RunSpec]:
    """Run specs of every option, with common random numbers (replicate r shares a seed)."""
    return [spec for key, scenario in scenarios.items()
            for spec in make_specs(scenario, cf.replicates, cf.seed, label=key,
                                   common_random_numbers=True)]


def option_results(df: pd.DataFrame, specs: Sequence[RunSpec]) -> pd.DataFrame:
    """Each option's rows of the stored results, labelled with the option (``scenario``).

    A run shared by two options (the same settings) appears once per option.

    Parameters
    ----------
    df : pandas.DataFrame
        The stored results (one row per run, economy and month).
    specs : sequence of RunSpec
        Every option's run specs; the spec's name is its option.

    Returns
    -------
    pandas.DataFrame
        The options' rows, with ``scenario`` set to the option.
    """
    ids: dict[str, list[str]] = {}
    for s in specs:
        ids.setdefault(s.name, []).append(s.run_id)
    parts = [df[df["run_id"].isin(run_ids)].assign(scenario=label)
             for label, run_ids in ids.items()]
    return pd.concat(parts, ignore_index=True)


def write_tables(comparison: Comparison, folder: str | Path) -> list[Path]:
    """Write every comparison table as CSV into ``folder`` (atomically); return the paths.

    Parameters
    ----------
    comparison : Comparison
        The analysed comparison.
    folder : str or Path
        The folder of the tables (created if missing).

    Returns
    -------
    list of Path
        One ``<table name>.csv`` per table.
    """
    folder = Path(folder)
    paths = []
    for name, table in comparison.tables().items():
        buf = io.StringIO()
        table.to_csv(buf, index=False)
        path = folder / f"{name}.csv"
        atomic_write_text(path, buf.getvalue())
        paths.append(path)
    return paths


@lock_scope()
def run_comparison(file: str | Path | ComparisonFile, out: str | Path | None = None,
                   executor: ExecutorLike = None, force: bool = False, progress: bool = True,
                   *, overrides: Mapping[str, Any] | None = None,
                   updates: Mapping[str, Any] | None = None,
                   base_dir: str | Path | None = None) -> ComparisonResult:
    """Run (or resume) a comparison, analyse it and write its tables.

    The report is written by :func:`displacement_sim.api.compare`, which calls this.

    Parameters
    ----------
    file : str, Path or ComparisonFile
        A comparison file, or a validated ``ComparisonFile``.
    out : str or Path, optional
        The results folder (default ``./outputs/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    force : bool
        Replace results of a different batch in ``out``.
    progress : bool
        Show a progress bar.
    overrides : mapping, optional
        Top-level keys of the file to replace (``years``, ``replicates``, ``economies``,
        ``workers_per_agent``, ...), validated like the file.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every option's scenario,
        validated like a scenario file.
    base_dir : str or Path, optional
        Folder that option scenarios are relative to, for a ``ComparisonFile`` (default: the
        working directory).

    Returns
    -------
    A :class:`ComparisonResult`. The tables are in ``<out>/comparison/`` (CSV).

    Raises
    ------
    ScenarioError
        For any invalid input, before anything is written.
    RunError
        If model runs failed (after the others are stored; a rerun retries them).
    """

    if isinstance(file, ComparisonFile):
        source = file.name
        cf = file
        if overrides:
            cf = validate_comparison({**file.model_dump(mode="json", exclude_none=True),
                                      **overrides}, source)
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    else:
        source = str(file)
        cf, path = load_comparison(file, **dict(overrides or {}))
        base = Path(base_dir) if base_dir is not None else path.parent
    scenarios = option_scenarios(cf, base, source, updates)
    per_option = comparison_specs(cf, scenarios)
    # Options with the same settings are the same runs (same ids): run them once.
    specs = list({s.run_id: s for s in per_option}.values())
    definition = {"comparison": cf.model_dump(mode="json")}
    if updates:
        definition["updates"] = dict(updates)
    check_inputs(scenarios.values(), source)  # data and start year: before anything is written
    store = open_store(cf.name, specs, cf.seed, definition, out, force)
    runs = execute(specs, store, executor, progress=progress, desc=cf.name)
    failed = store.failed()
    if failed:
        run_id, err = sorted(failed.items())[0]
        raise RunError(f"{len(failed)} of {len(specs)} runs failed (first: {run_id}: {err}); "
                       f"errors are in {store.errors}; run the same command to retry them")
    df = option_results(store.read(), per_option)
    comparison = compare(df, cf.reference, cf.counterfactual, options=list(cf.options),
                         confidence=cf.confidence, bottom_line=cf.bottom_line)
    with store.recording():
        tables = write_tables(comparison, store.root / "comparison")
    return ComparisonResult(cf, scenarios, store, runs, comparison, tables, results=df)


def read_comparison_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """Read the tables written by :func:`write_tables` (``<out>/comparison``).

    Parameters
    ----------
    folder : str or Path
        The folder of the tables.

    Returns
    -------
    dict of str to pandas.DataFrame
        Each table by its file name without ``.csv``.
    """
    folder = Path(folder)
    return {p.stem: pd.read_csv(p) for p in sorted(folder.glob("*.csv"))}


__all__ = ["ComparisonResult", "option_results", "option_scenarios", "read_comparison_tables",
           "run_comparison", "write_tables"]
