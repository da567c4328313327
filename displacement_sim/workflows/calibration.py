"""Calibration as a workflow: candidate runs on any executor, stored, resumable.

The estimator's pure parts (moments, loss, uncertainty, out-of-sample scores, the TOML of the
fit) are in :mod:`displacement_sim.analysis.calibration`; here the observed targets are read,
candidates run through :func:`~displacement_sim.workflows.execute.execute` into a store (so a
repeated fit is read back, not recomputed) and scipy's ``differential_evolution`` searches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError
from scipy.optimize import differential_evolution
from tqdm.auto import tqdm

from displacement_sim.analysis.calibration import (
    loss_of,
    loss_standard_error,
    near_optimal_sets,
    params_toml,
    score_out_of_sample,
    simulated,
    target_scales,
    target_years,
    uncertainty_from_history,
)
from displacement_sim.constants import ECONOMIES, SECTORS
from displacement_sim.data import load_displaced_survey
from displacement_sim.errors import CalibrationError, RunError, ScenarioError
from displacement_sim.files import atomic_write_text, lock_scope
from displacement_sim.model.inputs import check_inputs
from displacement_sim.reporting.calibration_report import (
    REPLAY_SCORES,
    write_calibration_report,
)
from displacement_sim.resources import calibrated_dir, output_dir
from displacement_sim.scenarios import (
    format_validation_error,
    load_scenario,
    resolve_path,
    with_overrides,
    with_updates,
)
from displacement_sim.seeding import tool_seed
from displacement_sim.studies import CalibrationFile, load_calibration_file
from displacement_sim.targets import (
    DISPLACED_SURVEY,
    PARTICIPATION_SEXES,
    TARGET_SERIES,
    observed_targets,
)
from displacement_sim.workflows.execute import execute
from displacement_sim.workflows.executors import ExecutorLike, executor_for
from displacement_sim.workflows.runs import make_specs
from displacement_sim.workflows.store import ResultsStore


def observed(iso3: str, start: int, end: int,
             series: Sequence[str] | None = None) -> pd.DataFrame:
    """Observed target series (percent) for one economy, one row per year.

    Parameters
    ----------
    iso3 : str
        ISO3 code of the economy.
    start : int
        First year kept.
    end : int
        Last year kept.
    series : sequence of str, optional
        The series (default: all of :data:`~displacement_sim.targets.TARGET_SERIES`).

    Returns
    -------
    pandas.DataFrame
        Indexed by year, one column per series (:func:`displacement_sim.targets.observed_targets`).

    Raises
    ------
    CalibrationError
        If a series lacks a year between ``start`` and ``end``.
    """
    return observed_targets(iso3, start, end, tuple(series) if series is not None else None)


def failed_runs_error(store: ResultsStore, economy: str, what: str) -> RunError:
    """The error for a study step whose runs failed, with one of their errors.

    Parameters
    ----------
    store : ResultsStore
        The store whose failed runs are reported.
    economy : str
        The economy, named first.
    what : str
        What failed.

    Returns
    -------
    RunError
    """
    failed = store.failed()
    example = next(iter(sorted(failed.items())), None)
    shown = f", e.g. {example[0]}: {example[1]}" if example else ""
    return RunError(f"{economy}: {what} ({len(failed)} failed runs{shown}); their errors are "
                    f"in {store.errors}, and the same command retries them")


def result_columns(series: Sequence[str]) -> list[str]:
    """The columns of a run's results that
    :func:`~displacement_sim.analysis.calibration.simulated` needs.

    Parameters
    ----------
    series : sequence of str
        The target series to compute.

    Returns
    -------
    list of str
    """
    cols = ["step", "employed", "unemployment_rate", *[f"employment_{s}" for s in SECTORS]]
    cols += [f"participation_rate_{code}" for sex, code in PARTICIPATION_SEXES.items()
             if f"participation_{sex}" in series]
    return cols + [f"{c}_share" for c in DISPLACED_SURVEY.values() if c in series]


class Calibrator:
    """Calibrate one economy by simulated method of moments (scikit-learn style).

    Parameters
    ----------
    config : a ``CalibrationFile`` (or a path to one).
    economy : ISO3 code of the economy to fit.
    out : folder for stored runs (default ``./outputs/calibration/<name>/<ISO3>``).
    executor : where candidate runs execute: an Executor, a concurrent.futures.Executor, a
        dask.distributed.Client, a name, or None (local processes).
    random_state : seed of the optimiser (default ``config.seed``); the same value gives the
        same fit.
    progress : show a progress bar with the best loss so far.
    observations : target series to fit instead of the data (one row per year, columns as
        ``SERIES_INDICATORS``): for recovery tests on synthetic data.
    updates : dotted config paths and values (``--set``) applied to the base scenario before
        the free parameters.
    source : the calibration file, named by errors about its keys (default: the path given
        as ``config``, else ``calibration <name>``).

    Attributes
    ----------
    best_params_ : dict of the best parameter values.
    loss_ : the best loss.
    history_ : DataFrame of every candidate evaluated (parameters, loss, generation, the
        optimiser's seed and the evaluation count of its search: the convergence record).
    scales_ : dict of each target's scale in the loss (stated, or from the data's variability
        and the simulation's own noise).
    noise_ : DataFrame per target: the data-based scale, the standard deviation of the
        simulated moment across replicates, and the scale used.
    loss_se_ : the jackknife standard error of the best loss over replicates: the noise of the
        loss, against which differences between candidates are read.
    near_optimal_ : DataFrame of up to ``parameter_sets`` distinct near-optimal parameter
        vectors, best first (forecasts run over them).
    moment_sensitivity_ : DataFrame per parameter and target: the change in the target (in
        its scale's units, mean over the fitting years) when the parameter moves by a tenth
        of its bounds around the optimum, with common random numbers; the moments that pin
        each parameter down are those with the largest absolute values.
    uncertainty_ : DataFrame per parameter: best, near-optimal range, identified flag, and
        re-fit spread when ``refits`` > 0.
    fit_ : DataFrame of observed and simulated series per year (mean and 5-95% across
        replicates) at the best parameters, with a ``sample`` column (train / test).
    """

    def __init__(self, config: CalibrationFile | str | Path, economy: str,
                 out: str | Path | None = None, executor: ExecutorLike = None,
                 random_state: int | None = None, progress: bool = True,
                 observations: pd.DataFrame | None = None,
                 updates: Mapping[str, Any] | None = None, source: str | None = None) -> None:
        self.config = config
        self.source = source
        self.observations = observations
        self.updates = updates
        self.economy = economy
        self.out = out
        self.executor = executor
        self.random_state = random_state
        self.progress = progress

    # -- helpers ------------------------------------------------------------------

    def _setup(self) -> None:
        cfg = self.config
        source = self.source
        if not isinstance(cfg, CalibrationFile):
            source = source or str(cfg)
            cfg, path = load_calibration_file(cfg)
            cfg = cfg.model_copy(update={"base": str(resolve_path(cfg.base, path.parent))})
        self._source = source or f"calibration {cfg.name}"
        self.cfg_ = cfg
        if self.economy not in ECONOMIES:
            raise CalibrationError(f"unknown economy {self.economy!r}")
        try:
            self._base = load_scenario(
                cfg.base, economies=[self.economy], start_year=cfg.start_year,
                years=cfg.end_year - cfg.start_year + 1, workers_per_agent=cfg.workers_per_agent,
                min_agents_per_economy=cfg.min_agents(self.economy),
                firms_per_sector=cfg.firms_per_sector)
        except ScenarioError as exc:
            raise CalibrationError(f"{self._source}: key 'base': {exc}") from None
        if cfg.natural_rate == "fitted_line":
            self._base = with_updates(self._base, {
                f"economy.{self.economy}.labour_market.natural_rate_years":
                    [cfg.start_year, cfg.fit_until]}, self._source)
        if self.updates:
            self._base = with_updates(self._base, dict(self.updates), "--set")
        self._check_parameters()
        check_inputs([self._base], self._source)  # data and start year: before writing
        # A survey target applies where the survey has the economy (the DWS: the US only).
        surveyed = set(load_displaced_survey()["economy_iso3"])
        self._targets = [t for t in cfg.target if self.economy in surveyed
                         or TARGET_SERIES[t.series].group != "displaced_survey"]
        if not self._targets:
            raise CalibrationError(f"{self._source}: key 'target': no target series applies "
                                   f"to {self.economy} (the survey targets are for "
                                   f"{', '.join(sorted(surveyed))} only)")
        self._series = list(dict.fromkeys(t.series for t in self._targets))
        self._obs = (observed(self.economy, cfg.start_year, cfg.end_year, self._series)
                     if self.observations is None else self.observations)
        self._train_years = {s: target_years(s, self._obs, cfg.fit_until)
                             for s in self._series}
        self.scales_ = target_scales(self._targets, self._obs, self._train_years)
        root = Path(self.out) if self.out else output_dir() / "calibration" / cfg.name
        self._store = ResultsStore(root / self.economy)
        self._store.claim()

    def _check_parameters(self) -> None:
        """Each free parameter's path is a setting, and both ends of its bounds are values
        the setting takes: else one error naming the file and ``parameter.<i>``."""
        for i, p in enumerate(self.cfg_.parameter):
            for what, value in zip(("lower bound", "upper bound"), p.bounds, strict=True):
                try:
                    with_updates(self._base, {f"economy.{self.economy}.{p.path}": float(value)},
                                 "@")
                except ScenarioError as exc:
                    reason = str(exc).removeprefix("@: ")
                    raise CalibrationError(f"{self._source}: key 'parameter.{i}.path': "
                                           f"{p.path!r} at its {what} {value:g} ({p.name}): "
                                           f"{reason}") from None

    def _failed_runs(self, what: str) -> RunError:
        """The error for runs that all failed, with one of their errors."""
        return failed_runs_error(self._store, self.economy, what)

    def _scenario(self, x: Sequence[float]):
        updates = {f"economy.{self.economy}.{p.path}": float(v)
                   for p, v in zip(self.cfg_.parameter, x, strict=True)}
        return with_updates(self._base, updates, f"calibration {self.cfg_.name}")

    def _specs(self, x: Sequence[float], seed: int):
        params = {p.name: float(v) for p, v in zip(self.cfg_.parameter, x, strict=True)}
        return make_specs(self._scenario(x), self.cfg_.replicates, seed, params,
                          label=f"cal-{self.economy}", common_random_numbers=True)

    def _evaluate(self, population: np.ndarray, seed: int, executor) -> np.ndarray:
        """Losses of candidates (rows); runs not yet stored execute in parallel; a candidate
        with a failed run has an infinite loss."""
        return np.array([np.inf if m is None else loss_of(
            m, self._obs, self._targets, self._train_years, self.scales_)
            for m in self._means(population, executor, seed)])

    def _read(self, run_id: str) -> pd.DataFrame:
        return self._store.read_run(run_id, columns=result_columns(self._series))

    def _optimise(self, seed: int, executor, bar) -> tuple[np.ndarray, float, list[dict]]:
        cfg = self.cfg_
        bounds = [p.bounds for p in cfg.parameter]
        history: list[dict] = []
        best = [np.inf]
        generation = [0]

        def objective(xt: np.ndarray) -> np.ndarray:
            pop = np.atleast_2d(xt.T)
            losses = self._evaluate(pop, cfg.seed, executor)
            for x, loss in zip(pop, losses, strict=True):
                best_so_far = min(float(loss), history[-1]["best_so_far"] if history
                                  else np.inf)
                history.append({**{p.name: float(v) for p, v in zip(cfg.parameter, x,
                                                                     strict=True)},
                                "loss": float(loss), "generation": generation[0],
                                "optimiser_seed": seed, "evaluation": len(history) + 1,
                                "best_so_far": best_so_far})
            best[0] = min(best[0], float(np.min(losses)))
            generation[0] += 1
            bar.update(1)
            bar.set_postfix(best_loss=f"{best[0]:.3g}")
            return losses

        # A Generator takes any 64-bit seed (a legacy RandomState only 32 bits).
        res = differential_evolution(objective, bounds, popsize=cfg.popsize,
                                     maxiter=cfg.maxiter, tol=cfg.tol,
                                     rng=np.random.default_rng(seed), vectorized=True,
                                     updating="deferred", polish=False,
                                     init="latinhypercube")
        return np.asarray(res.x), float(res.fun), history

    # -- the estimator ------------------------------------------------------------

    @lock_scope()
    def fit(self) -> Calibrator:
        """Fit the free parameters; returns ``self``."""
        self._setup()
        cfg = self.cfg_
        seed = cfg.seed if self.random_state is None else self.random_state
        seeds = [seed] + [tool_seed(seed, f"calibration-refit-{k}") for k in range(cfg.refits)]
        bar = tqdm(total=(cfg.maxiter + 1) * len(seeds), desc=f"calibrate {self.economy}",
                   unit="gen", disable=not self.progress, dynamic_ncols=True)
        fits = []
        history: list[dict] = []
        try:
            with executor_for(self.executor) as ex:
                self._add_simulation_noise(ex)
                for s in seeds:
                    x, loss, h = self._optimise(s, ex, bar)
                    if not np.isfinite(loss):  # no candidate ran: nothing to fit
                        raise self._failed_runs("every candidate run failed")
                    fits.append((x, loss))
                    history.extend(h)
                self.history_ = pd.DataFrame(history)
                self.best_params_ = {p.name: float(v) for p, v in zip(
                    cfg.parameter, fits[0][0], strict=True)}
                self.loss_ = fits[0][1]
                self.uncertainty_ = self._uncertainty(fits)
                self.near_optimal_ = near_optimal_sets(self.history_, cfg, cfg.parameter_sets)
                self.fit_ = self._fit_table(fits[0][0], ex)
                self.moment_sensitivity_ = self._moment_sensitivity(fits[0][0], ex)
        finally:
            bar.close()
        self.out_of_sample_ = score_out_of_sample(self.fit_, cfg) if cfg.train_until else None
        return self

    def _add_simulation_noise(self, executor) -> None:
        """Widen each data-based scale by the simulated moment's own noise.

        The error of a moment is the data's irregular part minus the simulation's: with ``R``
        replicates averaged, its variance is ``data_scale**2 + var_sim / R``, where ``var_sim``
        is the variance across replicates at the centre of the bounds (mean over the fitting
        years). A share that a few hundred worker agents cannot resolve is then weighted for
        what the runs can tell, not for the data's smoothness alone. Stated scales stay.
        """
        cfg = self.cfg_
        centre = np.array([(p.bounds[0] + p.bounds[1]) / 2 for p in cfg.parameter])
        specs = self._specs(centre, cfg.seed)
        execute(specs, self._store, executor, progress=False)
        failed = self._store.failed()
        sims = [simulated(self._read(s.run_id), cfg.start_year) for s in specs
                if s.run_id not in failed]
        rows = []
        for t in self._targets:
            data = self.scales_[t.series]
            years = self._train_years[t.series]
            sd = float("nan")
            if len(sims) >= 2 and years:
                values = np.array([d.loc[years, t.series].to_numpy(float) for d in sims])
                sd = float(np.sqrt(np.nanmean(np.var(values, axis=0, ddof=1))))
            if t.scale is None and np.isfinite(sd):
                self.scales_[t.series] = float(np.sqrt(data ** 2 + sd ** 2 / len(sims)))
            rows.append({"series": t.series, "data_scale_pp": data, "simulation_sd_pp": sd,
                         "scale_pp": self.scales_[t.series],
                         "stated": t.scale is not None})
        self.noise_ = pd.DataFrame(rows)

    def _uncertainty(self, fits: list[tuple[np.ndarray, float]]) -> pd.DataFrame:
        refit = [f[0] for f in fits] if len(fits) > 1 else None
        return uncertainty_from_history(self.history_, self.cfg_, fits[0][0], refit)

    def _fit_table(self, x: np.ndarray, executor) -> pd.DataFrame:
        specs = self._specs(x, self.cfg_.seed)
        execute(specs, self._store, executor, progress=False)
        if any(s.run_id in self._store.failed() for s in specs):
            raise self._failed_runs("the runs at the best parameters failed")
        per_run = [simulated(self._read(s.run_id), self.cfg_.start_year) for s in specs]
        self.loss_se_ = loss_standard_error(per_run, self._obs, self._targets,
                                            self._train_years, self.scales_)
        sims = pd.concat([d.assign(replicate=s.replicate)
                          for d, s in zip(per_run, specs, strict=True)])
        rows = []
        for series in self._series:
            g = sims.groupby(level=0)[series]
            mean, p05, p95 = g.mean(), g.quantile(0.05), g.quantile(0.95)
            train = set(self._train_years[series])
            for year in self._obs.index[self._obs[series].notna()]:
                rows.append({"economy": self.economy, "series": series, "year": int(year),
                             "observed": float(self._obs.loc[year, series]),
                             "simulated": float(mean.loc[year]),
                             "sim_p05": float(p05.loc[year]),
                             "sim_p95": float(p95.loc[year]),
                             "sample": "train" if year in train else "test"})
        return pd.DataFrame(rows)

    def _moment_sensitivity(self, x: np.ndarray, executor) -> pd.DataFrame:
        """How far each target moves, in its scale's units, when a parameter moves by a
        tenth of its bounds (central difference within the bounds, common random numbers)."""
        cfg = self.cfg_
        points, rows = [], []
        for j, p in enumerate(cfg.parameter):
            lo, hi = p.bounds
            step = 0.1 * (hi - lo)
            down, up = x.copy(), x.copy()
            down[j], up[j] = max(lo, x[j] - step / 2), min(hi, x[j] + step / 2)
            points += [down, up]
        sims = self._means(np.array(points), executor)
        if any(m is None for m in sims):
            raise self._failed_runs("runs near the best parameters failed")
        for j, p in enumerate(cfg.parameter):
            d_sim, u_sim = sims[2 * j], sims[2 * j + 1]
            moved = (points[2 * j + 1][j] - points[2 * j][j]) / (0.1 * (p.bounds[1]
                                                                      - p.bounds[0]))
            for series in self._series:
                years = self._train_years[series]
                change = (u_sim.loc[years, series] - d_sim.loc[years, series]).mean()
                rows.append({"parameter": p.name, "series": series,
                             "change_in_scales": float(change / self.scales_[series]
                                                       / moved)})
        return pd.DataFrame(rows)

    def _means(self, population: np.ndarray, executor,
               seed: int | None = None) -> list[pd.DataFrame | None]:
        """The replicate mean of the simulated series of each candidate (rows); None for a
        candidate with a failed run."""
        seed = self.cfg_.seed if seed is None else seed
        groups = [self._specs(x, seed) for x in population]
        flat = {s.run_id: s for g in groups for s in g}
        execute(list(flat.values()), self._store, executor, progress=False)
        failed = self._store.failed()
        out: list[pd.DataFrame | None] = []
        for g in groups:
            if any(s.run_id in failed for s in g):
                out.append(None)
                continue
            sims = [simulated(self._read(s.run_id), self.cfg_.start_year) for s in g]
            out.append(sum(sims) / len(sims))
        return out

    def to_toml(self) -> str:
        """The fitted parameters as a scenario fragment that other scenarios can extend."""
        return params_toml(self.economy, self.cfg_, self.uncertainty_, self.loss_)


@lock_scope()
def calibrate(config: str | Path | CalibrationFile, economies: Sequence[str] | None = None,
              train_until: int | None = None, out: str | Path | None = None,
              executor: ExecutorLike = None, progress: bool = True,
              update_shipped: bool = False, *, seed: int | None = None,
              updates: Mapping[str, Any] | None = None, docs: str | Path | None = None,
              command: str | None = None, replay: str | Path | None = None
              ) -> dict[str, Calibrator]:
    """Calibrate several economies; write their tables, and their parameters as TOML.

    The fitted parameters go to the output folder (``<out>/<full|train_until_YEAR>/params/
    <ISO3>.toml``); the shipped files that the baseline extends
    (``calibration/calibrated/<ISO3>.toml``) change only with ``update_shipped``.

    Parameters
    ----------
    config : path or CalibrationFile
        The calibration file.
    economies : sequence of str, optional
        ISO3 codes (default: the file's), validated like the file's (lower case accepted).
    train_until : int, optional
        Fit on years up to this one and score the later years out of sample.
    out : path, optional
        Folder for candidate runs, tables and fitted parameters (default
        ``./outputs/calibration/<name>``).
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (default: local processes, one per core).
    progress : bool
        Show a progress bar with the best loss so far.
    update_shipped : bool
        Also write each fit over the shipped ``calibration/calibrated/<ISO3>.toml`` (full fits
        only: a fit with ``train_until`` never replaces the shipped parameters).
    seed : int, optional
        Replace the file's master seed (validated like the file).
    updates : mapping, optional
        Dotted config paths and values (``--set``) applied to the base scenario of every
        economy, validated like a scenario file.
    docs : path, optional
        Also write the calibration page there (e.g. ``docs/calibration.md``), its figures
        beside it (:func:`displacement_sim.reporting.calibration_report.
        write_calibration_report`).
    command : str, optional
        The command line, quoted in the page.
    replay : path, optional
        The results folder of a run that replays observed years (``history_scores.csv``),
        whose scores the page shows (with ``docs``).

    Returns
    -------
    dict
        The fitted ``Calibrator`` of each economy.
    """
    if not isinstance(config, CalibrationFile):
        cfg, path = load_calibration_file(config)
        cfg = cfg.model_copy(update={"base": str(resolve_path(cfg.base, path.parent))})
        source = str(config)
    else:
        cfg = config
        source = f"calibration {cfg.name}"
    if train_until is not None:
        try:
            cfg = CalibrationFile.model_validate({**cfg.model_dump(), "train_until": train_until})
        except ValidationError as exc:
            raise CalibrationError(format_validation_error("--train-until", exc)) from None
    if seed is not None:
        cfg = with_overrides(cfg, {"seed": seed}, "--seed", CalibrationError)
    if economies is not None:
        economies = with_overrides(cfg, {"economies": list(economies)}, "--economies",
                                   CalibrationError).economies
    if update_shipped and cfg.train_until:
        raise CalibrationError("--update-shipped: a fit with --train-until is for scoring out "
                               "of sample and never replaces the shipped parameters")
    if replay is not None and not (docs is not None and (Path(replay) / REPLAY_SCORES).is_file()):
        raise CalibrationError(f"--replay: expected, with --docs, the results folder of a run "
                               f"over observed years (holding {REPLAY_SCORES}); got {replay}")
    root = Path(out) if out else output_dir() / "calibration" / cfg.name
    suffix = f"train_until_{cfg.train_until}" if cfg.train_until else "full"
    fitted: dict[str, Calibrator] = {}
    for iso in economies if economies is not None else cfg.economies:
        cal = Calibrator(cfg, iso, out=root / suffix, executor=executor,
                         progress=progress, updates=updates, source=source).fit()
        fitted[iso] = cal
        tables = root / suffix / "tables"
        atomic_write_text(tables / f"{iso}_fit.csv", cal.fit_.to_csv(index=False))
        atomic_write_text(tables / f"{iso}_uncertainty.csv", cal.uncertainty_.to_csv(
            index=False))
        atomic_write_text(tables / f"{iso}_history.csv", cal.history_.to_csv(index=False))
        atomic_write_text(tables / f"{iso}_near_optimal.csv",
                          cal.near_optimal_.to_csv(index=False))
        atomic_write_text(tables / f"{iso}_moment_sensitivity.csv",
                          cal.moment_sensitivity_.to_csv(index=False))
        atomic_write_text(tables / f"{iso}_summary.csv", pd.DataFrame([{
            "economy": iso, "loss": cal.loss_, "loss_se": cal.loss_se_,
            "evaluations": len(cal.history_), "replicates": cfg.replicates}]).to_csv(
                index=False))
        atomic_write_text(tables / f"{iso}_scales.csv", cal.noise_.to_csv(index=False))
        if cal.out_of_sample_ is not None:
            atomic_write_text(tables / f"{iso}_out_of_sample.csv",
                              cal.out_of_sample_.to_csv(index=False))
        atomic_write_text(root / suffix / "params" / f"{iso}.toml", cal.to_toml())
        if update_shipped:
            atomic_write_text(calibrated_dir() / f"{iso}.toml", cal.to_toml())
    if docs is not None:
        # No time on the page: a repeated command reads its runs back in seconds.
        write_calibration_report(root / suffix / "tables", docs, cfg, command, replay=replay)
    return fitted
