"""Out-of-sample validation as a workflow: fit up to each origin, forecast the years after it.

For each forecast origin ``o`` and economy, the calibration of the file is fitted on the
years from its ``start_year`` to ``o`` (:class:`~displacement_sim.workflows.calibration.
Calibrator`); the model then starts from the observed profile of ``o`` and runs to the file's
``end_year`` over the fit's near-optimal parameter vectors, each with the file's replicates,
so that the band holds parameter uncertainty as well as replicate noise. By default the
forecast is *ex ante*: the run sees the drivers (labour force, participation, real GDP) only up
to ``o`` (``drivers.observed_until``) and extrapolates them after it by the model's rules; with
``drivers="observed"`` it is handed the observed drivers of the forecast years (a forecast
conditional on the GDP and labour-force paths, which the benchmarks do not get).

The benchmarks (persistence, the linear trend and an AR(1) per series) are fitted on the same
observed years as the model, and the scores, tests and the report come from
:mod:`displacement_sim.analysis.validation` and
:mod:`displacement_sim.reporting.validation_report`. Every run goes through
:func:`~displacement_sim.workflows.execute.execute` into a store per origin, so validation runs
on any executor and a repeated or interrupted command resumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import ValidationError

from displacement_sim.analysis.calibration import simulated
from displacement_sim.analysis.validation import forecast_table, score
from displacement_sim.errors import CalibrationError, ScenarioError
from displacement_sim.files import atomic_write_text, lock_scope
from displacement_sim.inputs_safe import TOML_LIMIT, read_text
from displacement_sim.reporting.validation_report import (
    plot_validation_paths,
    validation_markdown,
)
from displacement_sim.resources import output_dir
from displacement_sim.scenarios import (
    format_validation_error,
    load_scenario,
    resolve_path,
    with_overrides,
    with_updates,
)
from displacement_sim.studies import CalibrationFile, load_calibration_file
from displacement_sim.targets import TARGET_SERIES, observed_targets
from displacement_sim.workflows.calibration import (
    Calibrator,
    failed_runs_error,
    result_columns,
)
from displacement_sim.workflows.execute import execute
from displacement_sim.workflows.executors import ExecutorLike, executor_for
from displacement_sim.workflows.runs import make_specs
from displacement_sim.workflows.store import ResultsStore

DriversMode = Literal["ex_ante", "observed"]


@dataclass
class Validation:
    """What :func:`validate` computed: the tables it wrote, and where."""

    table: pd.DataFrame
    """Every held-out observation with the model's forecast, band and the benchmarks."""
    scores: dict[str, pd.DataFrame]
    """From :func:`displacement_sim.analysis.validation.score`."""
    fits: dict[tuple[int, str], pd.DataFrame] = field(default_factory=dict)
    """The near-optimal parameter vectors of each (origin, economy) fit."""
    out: Path | None = None
    """The folder written."""


def check_origins(cfg: CalibrationFile, origins: Sequence[int], source: str) -> list[int]:
    """The origins, sorted and unique, each with at least three fitting years and one year
    to forecast.

    Parameters
    ----------
    cfg : CalibrationFile
        The calibration file (its ``start_year`` and ``end_year``).
    origins : sequence of int
        The origins asked for.
    source : str
        The file, named by the error.

    Returns
    -------
    list of int

    Raises
    ------
    CalibrationError
        One line naming ``--origins`` for an origin outside the file's years.
    """
    if not origins:
        raise CalibrationError(f"{source}: --origins: expected at least one year")
    out = sorted(set(int(o) for o in origins))
    # A fitted natural-rate line needs five fitting years; otherwise three will do.
    need = 5 if cfg.natural_rate == "fitted_line" else 3
    for o in out:
        if not cfg.start_year + need - 1 <= o < cfg.end_year:
            raise CalibrationError(
                f"{source}: --origins: {o} is outside {cfg.start_year + need - 1}-"
                f"{cfg.end_year - 1} (an origin needs {need} fitting years from start_year "
                f"{cfg.start_year} and a year to forecast up to end_year {cfg.end_year})")
    return out


def scored_series(cfg: CalibrationFile) -> list[str]:
    """The target series that validation scores: all but the survey shares, which have one
    observation and no history to fit a benchmark on.

    Parameters
    ----------
    cfg : CalibrationFile
        The calibration file.

    Returns
    -------
    list of str
    """
    return [s for s in dict.fromkeys(t.series for t in cfg.target)
            if TARGET_SERIES[s].group != "displaced_survey"]


def _read_notes(path: str | Path) -> list[str]:
    """The paragraphs of a notes file (markdown), read as a safe text input."""
    text = read_text(path, TOML_LIMIT, "markdown file", CalibrationError)
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _origin_cfg(cfg: CalibrationFile, origin: int) -> CalibrationFile:
    return CalibrationFile.model_validate({**cfg.model_dump(), "end_year": origin,
                                           "train_until": None})


def _forecast(cfg: CalibrationFile, cal: Calibrator, iso: str, origin: int, store_dir: Path,
              executor, drivers: DriversMode, updates: Mapping[str, Any] | None,
              source: str) -> pd.DataFrame:
    """The model's forecast from ``origin``: mean and 5-95% band per series and year across
    every near-optimal parameter vector and replicate."""
    try:
        base = load_scenario(cfg.base, economies=[iso], start_year=origin,
                             years=cfg.end_year - origin + 1,
                             workers_per_agent=cfg.workers_per_agent,
                             min_agents_per_economy=cfg.min_agents(iso),
                             firms_per_sector=cfg.firms_per_sector)
    except ScenarioError as exc:
        raise CalibrationError(f"{source}: key 'base': {exc}") from None
    if updates:
        base = with_updates(base, dict(updates), "--set")
    if drivers == "ex_ante":
        # The natural rate's line, if the base carries one (the shipped parameters' 2000-2023),
        # may not see past the origin either; from the origin on it is unused (ODD 6.6).
        base = with_updates(base, {
            f"economy.{iso}.drivers.observed_until": origin,
            f"economy.{iso}.labour_market.natural_rate_years":
                [min(cfg.start_year, origin - 4), origin]},
            f"validation origin {origin}")
    store = ResultsStore(store_dir)
    store.claim()
    specs = []
    for row in cal.near_optimal_.itertuples(index=False):
        params = {p.name: float(getattr(row, p.name)) for p in cfg.parameter}
        scenario = with_updates(base, {f"economy.{iso}.{p.path}": params[p.name]
                                       for p in cfg.parameter}, f"validation {cfg.name}")
        specs += make_specs(scenario, cfg.replicates, cfg.seed, {**params, "set": row.rank},
                            label=f"val-{iso}-o{origin}-k{row.rank}",
                            common_random_numbers=True)
    execute(specs, store, executor, progress=False)
    failed = store.failed()
    ok = [s for s in specs if s.run_id not in failed]
    if not ok:
        # The forecast's own store: its failures, not the fit's.
        raise failed_runs_error(store, iso, f"every forecast run from {origin} failed")
    series = scored_series(cfg)
    columns = result_columns(series)
    sims = pd.concat([simulated(store.read_run(s.run_id, columns=columns), origin).assign(run=i)
                      for i, s in enumerate(ok)])
    rows = []
    for name in series:
        g = sims.groupby(level=0)[name]
        mean, p05, p95 = g.mean(), g.quantile(0.05), g.quantile(0.95)
        for year in mean.index:
            rows.append({"economy": iso, "series": name, "origin": origin, "year": int(year),
                         "mean": float(mean.loc[year]), "p05": float(p05.loc[year]),
                         "p95": float(p95.loc[year]), "runs": len(ok)})
    return pd.DataFrame(rows)


@lock_scope()
def validate(config: str | Path | CalibrationFile, origins: Sequence[int],
             economies: Sequence[str] | None = None, out: str | Path | None = None,
             executor: ExecutorLike = None, progress: bool = True, *,
             seed: int | None = None, updates: Mapping[str, Any] | None = None,
             drivers: DriversMode = "ex_ante", docs: str | Path | None = None,
             notes: str | Path | None = None, command: str | None = None) -> Validation:
    """Fit up to each origin, forecast the held-out years, score them against benchmarks.

    Parameters
    ----------
    config : path or CalibrationFile
        The calibration file: its base scenario, free parameters, targets, budget and the
        years (``start_year`` is the first fitting year of every origin, ``end_year`` the last
        forecast year).
    origins : sequence of int
        Forecast origins (calendar years), each the last year of its fit.
    economies : sequence of str, optional
        ISO3 codes (default: the file's).
    out : path, optional
        Output folder (default ``./outputs/validation/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    progress : bool
        Show the calibration's progress bars.
    seed : int, optional
        Replace the file's master seed.
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to every base scenario.
    drivers : {"ex_ante", "observed"}
        Whether forecasts see only the drivers up to the origin (default) or the observed ones.
    docs : path, optional
        Also write the page there (e.g. ``docs/validation.md``), with its figures in the folder
        ``<stem>/`` beside it.
    notes : path, optional
        A markdown file with the reasons, found by analysing the results, for where the model
        does worse than a benchmark: its paragraphs go under the page's "Why" (the page never
        makes one up; without notes it says that no reason has been established).
    command : str, optional
        The command line, quoted in the page.

    Returns
    -------
    Validation
    """
    if not isinstance(config, CalibrationFile):
        cfg, path = load_calibration_file(config)
        cfg = cfg.model_copy(update={"base": str(resolve_path(cfg.base, path.parent))})
        source = str(config)
    else:
        cfg, source = config, f"calibration {config.name}"
    if seed is not None:
        cfg = with_overrides(cfg, {"seed": seed}, "--seed", CalibrationError)
    if economies is not None:
        cfg = with_overrides(cfg, {"economies": list(economies)}, "--economies",
                             CalibrationError)
    if drivers not in ("ex_ante", "observed"):
        raise CalibrationError(f"--drivers: expected ex_ante or observed (got {drivers!r})")
    origins = check_origins(cfg, origins, source)
    reasons = _read_notes(notes) if notes is not None else []
    root = Path(out) if out else output_dir() / "validation" / cfg.name
    series = scored_series(cfg)
    observed = pd.concat([
        observed_targets(iso, cfg.start_year, cfg.end_year, tuple(series)).reset_index()
        .melt(id_vars="year", var_name="series", value_name="value").assign(economy=iso)
        for iso in cfg.economies], ignore_index=True)
    forecasts, fits = [], {}
    with executor_for(executor) as ex:
        for origin in origins:
            try:
                ocfg = _origin_cfg(cfg, origin)
            except ValidationError as exc:
                raise CalibrationError(format_validation_error(source, exc)) from None
            for iso in cfg.economies:
                cal = Calibrator(ocfg, iso, out=root / f"origin_{origin}" / "fit",
                                 executor=ex, progress=progress, updates=updates,
                                 source=source).fit()
                fits[(origin, iso)] = cal.near_optimal_
                forecasts.append(_forecast(cfg, cal, iso, origin,
                                           root / f"origin_{origin}" / "forecast" / iso, ex,
                                           drivers, updates, source))
    sim = pd.concat(forecasts, ignore_index=True)
    table = forecast_table(observed, sim, origins, fit_start=cfg.start_year)
    scores = score(table)
    _write(root, docs, table, observed, scores, fits, cfg, origins, drivers, command, reasons)
    return Validation(table=table, scores=scores, fits=fits, out=root)


def _write(root: Path, docs: str | Path | None, table: pd.DataFrame, observed: pd.DataFrame,
           scores: dict[str, pd.DataFrame], fits: dict, cfg: CalibrationFile,
           origins: list[int], drivers: str, command: str | None,
           reasons: list[str]) -> None:
    tables = root / "tables"
    atomic_write_text(tables / "forecasts.csv", table.to_csv(index=False))
    for name, df in scores.items():
        atomic_write_text(tables / f"{name}.csv", df.to_csv(index=False))
    near = pd.concat([df.assign(origin=o, economy=iso) for (o, iso), df in fits.items()],
                     ignore_index=True)
    atomic_write_text(tables / "near_optimal.csv", near.to_csv(index=False))
    meta = {"origins": origins, "fit_start": cfg.start_year, "end_year": cfg.end_year,
            "economies": list(cfg.economies), "replicates": cfg.replicates,
            "parameter_sets": cfg.parameter_sets, "drivers": drivers,
            "command": command,  # no run time: a repeated command reads its runs back
            "reasons": reasons}
    targets = [(root / "validation.md", root / "figures", "figures")]
    if docs is not None:
        page = Path(docs)
        targets.append((page, page.parent / page.stem, page.stem))
    for page, fig_dir, rel in targets:
        paths = plot_validation_paths(table, observed, fig_dir)
        figures = {p.stem.removeprefix("validation_"): f"{rel}/{p.name}" for p in paths}
        atomic_write_text(page, validation_markdown(scores, meta, figures))
