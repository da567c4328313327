"""Calibration by simulated method of moments, per economy, with out-of-sample scoring.

The model starts from an observed year's profile and runs forward month by month; each
simulated year is the mean of its twelve months. The loss is the mean squared scaled error of
the targets (employment shares of sector groups, the unemployment rate) over the training
years, averaged over replicates that share their seeds across candidates (common random
numbers, so the loss surface is not re-drawn for every candidate). scipy's
``differential_evolution`` searches the free parameters; each generation's candidates run in
parallel through the batch executors and are stored, so a repeated fit is read back, not
recomputed (resume and warm start).

Uncertainty and identifiability: the best ``near_optimal`` fraction of the candidates
evaluated during the search forms a near-optimal set; a parameter whose range in that set spans
more than ``identifiability_threshold`` of its bounds is flagged as not pinned down by the
data. Optional re-fits with other seeds (``refits``) add the spread of the optimum.

References
----------
McFadden, D. (1989). A method of simulated moments for estimation of discrete response models
without numerical integration. Econometrica 57(5), 995-1026. doi:10.2307/1913621
Storn, R. & Price, K. (1997). Differential evolution. J. Global Optim. 11, 341-359.
doi:10.1023/A:1008202821328
del Rio-Chanona, R. M. et al. (2021), doi:10.1098/rsif.2020.0898 (calibrated by grid search).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator
from scipy.optimize import differential_evolution
from tqdm.auto import tqdm

from displacement_sim.config import ISO3, Strict
from displacement_sim.constants import ECONOMIES, SECTORS
from displacement_sim.errors import CalibrationError, ScenarioError
from displacement_sim.scenarios import (
    format_validation_error,
    load_scenario,
    load_validated,
    with_updates,
)

SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "agriculture": ("A",),
    "industry": ("B", "C", "DE", "F"),
    "services": ("G", "HJ", "I", "K", "LMN", "O", "P", "Q", "RSTU"),
}
"""Sector groups as in WDI SL.AGR/IND/SRV.EMPL.ZS (ILOEST sections)."""

SERIES_INDICATORS: dict[str, str] = {
    "share_agriculture": "SL.AGR.EMPL.ZS",
    "share_industry": "SL.IND.EMPL.ZS",
    "share_services": "SL.SRV.EMPL.ZS",
    "unemployment_rate": "SL.UEM.TOTL.ZS",
}
"""Target series and the data indicator each is compared with (all in percent)."""


class Parameter(Strict):
    """A free parameter: a config path (set per economy), bounds and unit."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    path: Annotated[str, Field(min_length=1)]
    bounds: tuple[float, float]
    unit: str = ""
    label: str = ""

    @model_validator(mode="after")
    def _check(self) -> Parameter:
        if not self.bounds[0] < self.bounds[1]:
            raise ValueError(f"bounds must satisfy lower < upper, got {self.bounds}")
        return self


class Target(Strict):
    """A target series with its scale (a stated tolerance, in percentage points)."""

    series: Literal["share_agriculture", "share_industry", "share_services",
                    "unemployment_rate"]
    scale: Annotated[float, Field(gt=0)] = 1.0
    """Error of one scale unit (percentage points) counts 1 in the loss."""
    weight: Annotated[float, Field(gt=0)] = 1.0


class CalibrationFile(Strict):
    """A validated calibration file."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    base: str = "no_active_policy"
    economies: list[ISO3] = Field(default_factory=lambda: list(ECONOMIES))
    start_year: Annotated[int, Field(ge=1991, le=2023)] = 2005
    end_year: Annotated[int, Field(ge=1992, le=2023)] = 2023
    train_until: Annotated[int, Field(ge=1992, le=2023)] | None = None
    """Fit on years up to this one; score the later years out of sample."""
    workers_per_agent: Annotated[float, Field(gt=0)] = 1e12
    min_agents_per_economy: Annotated[int, Field(ge=100)] = 1500
    firms_per_sector: Annotated[int, Field(ge=1)] = 10
    replicates: Annotated[int, Field(ge=1)] = 2
    seed: Annotated[int, Field(ge=0)] = 0
    popsize: Annotated[int, Field(ge=2)] = 4
    maxiter: Annotated[int, Field(ge=1)] = 5
    tol: Annotated[float, Field(ge=0)] = 0.01
    near_optimal: Annotated[float, Field(gt=0, le=1)] = 0.1
    """Fraction of the evaluated candidates, best first, that forms the near-optimal set."""
    identifiability_threshold: Annotated[float, Field(gt=0, le=1)] = 0.5
    refits: Annotated[int, Field(ge=0)] = 0
    parameter: Annotated[list[Parameter], Field(min_length=1)]
    target: Annotated[list[Target], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> CalibrationFile:
        if self.end_year <= self.start_year:
            raise ValueError("end_year must be after start_year")
        if self.train_until is not None and not self.start_year < self.train_until < \
                self.end_year:
            raise ValueError("train_until must lie strictly between start_year and end_year")
        if len({p.name for p in self.parameter}) != len(self.parameter):
            raise ValueError("parameter names must be unique")
        return self

    @property
    def fit_until(self) -> int:
        """Last year in the loss."""
        return self.train_until if self.train_until is not None else self.end_year


def load_calibration_file(path: str | Path) -> tuple[CalibrationFile, Path]:
    """Read and validate a calibration file (errors name the file and key)."""
    return load_validated(path, CalibrationFile, CalibrationError)


# ----------------------------------------------------------------------- data and moments


def observed(iso3: str, start: int, end: int) -> pd.DataFrame:
    """Observed target series (percent) for one economy, one row per year."""
    from displacement_sim.data import load_series

    cols = {}
    total = load_series("EMP_2EMP_SEX_ECO_NB.ECO_DETAILS_TOTAL", [iso3]).set_index("year")[
        "value"]
    for series, code in SERIES_INDICATORS.items():
        if series.startswith("share_"):
            # As WDI defines SL.*.EMPL.ZS: 100 x group / total, from ILOEST counts.
            group = series.removeprefix("share_")
            parts = [load_series(f"EMP_2EMP_SEX_ECO_NB.ECO_DETAILS_{s}", [iso3]).set_index(
                "year")["value"] for s in SECTOR_GROUPS[group]]
            cols[series] = 100.0 * sum(parts) / total
        else:
            cols[series] = load_series(code, [iso3]).set_index("year")["value"]
    df = pd.DataFrame(cols)
    df = df[(df.index >= start) & (df.index <= end)]
    if df.isna().any().any():
        raise CalibrationError(f"{iso3}: observed targets missing for some years {start}-{end}")
    return df


def simulated(results: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Annual means of the target series (percent) from one run's monthly results."""
    df = results.copy()
    df["cal_year"] = start_year + (df["step"] // 12)
    emp = df["employed"].to_numpy(float)
    out = pd.DataFrame({"cal_year": df["cal_year"]})
    for group, codes in SECTOR_GROUPS.items():
        out[f"share_{group}"] = 100.0 * sum(df[f"employment_{c}"] for c in codes) / emp
    out["unemployment_rate"] = 100.0 * df["unemployment_rate"]
    return out.groupby("cal_year").mean()


def loss_of(sim: pd.DataFrame, obs: pd.DataFrame, targets: Sequence[Target],
            years: Sequence[int]) -> float:
    """Mean of weighted, scaled squared errors over targets and years."""
    total, weight = 0.0, 0.0
    for t in targets:
        err = (sim.loc[years, t.series] - obs.loc[years, t.series]) / t.scale
        total += t.weight * float(np.mean(err.to_numpy() ** 2))
        weight += t.weight
    return total / weight


# ----------------------------------------------------------------------- the estimator


class Calibrator:
    """Calibrate one economy by simulated method of moments (scikit-learn style).

    Parameters
    ----------
    config : a ``CalibrationFile`` (or a path to one).
    economy : ISO3 code of the economy to fit.
    out : folder for stored runs (default ``outputs/calibration/<name>/<ISO3>``).
    executor, n_workers, scheduler : where candidate runs execute.
    random_state : seed of the optimiser (default ``config.seed``); the same value gives the
        same fit.
    progress : show a progress bar with the best loss so far.
    observations : target series to fit instead of the data (one row per year, columns as
        ``SERIES_INDICATORS``): for recovery tests on synthetic data.

    Attributes
    ----------
    best_params_ : dict of the best parameter values.
    loss_ : the best loss.
    history_ : DataFrame of every candidate evaluated (parameters, loss, generation).
    uncertainty_ : DataFrame per parameter: best, near-optimal range, identified flag, and
        re-fit spread when ``refits`` > 0.
    fit_ : DataFrame of observed and simulated series per year (mean and 5-95% across
        replicates) at the best parameters, with a ``sample`` column (train / test).
    """

    def __init__(self, config: CalibrationFile | str | Path, economy: str,
                 out: str | Path | None = None, executor: str = "processes",
                 n_workers: int | None = None, scheduler: str | None = None,
                 random_state: int | None = None, progress: bool = True,
                 observations: pd.DataFrame | None = None) -> None:
        self.config = config
        self.observations = observations
        self.economy = economy
        self.out = out
        self.executor = executor
        self.n_workers = n_workers
        self.scheduler = scheduler
        self.random_state = random_state
        self.progress = progress

    # -- helpers ------------------------------------------------------------------

    def _setup(self) -> None:
        from displacement_sim.workflows.batch import OUTPUT_DIR
        from displacement_sim.workflows.store import ResultsStore

        cfg = self.config
        if not isinstance(cfg, CalibrationFile):
            cfg, path = load_calibration_file(cfg)
            base = path.parent / cfg.base
            if base.is_file():
                cfg = cfg.model_copy(update={"base": str(base)})
        self.cfg_ = cfg
        if self.economy not in ECONOMIES:
            raise CalibrationError(f"unknown economy {self.economy!r}")
        try:
            self._base = load_scenario(
                cfg.base, economies=[self.economy], start_year=cfg.start_year,
                years=cfg.end_year - cfg.start_year + 1, workers_per_agent=cfg.workers_per_agent,
                min_agents_per_economy=cfg.min_agents_per_economy,
                firms_per_sector=cfg.firms_per_sector)
        except ScenarioError as exc:
            raise CalibrationError(f"calibration base scenario: {exc}") from None
        self._obs = (observed(self.economy, cfg.start_year, cfg.end_year)
                     if self.observations is None else self.observations)
        self._train_years = [y for y in self._obs.index if y <= cfg.fit_until]
        root = Path(self.out) if self.out else OUTPUT_DIR / "calibration" / cfg.name
        self._store = ResultsStore(root / self.economy)
        self._store.parts.mkdir(parents=True, exist_ok=True)

    def _scenario(self, x: Sequence[float]):
        updates = {f"economy.{self.economy}.{p.path}": float(v)
                   for p, v in zip(self.cfg_.parameter, x, strict=True)}
        return with_updates(self._base, updates, f"calibration {self.cfg_.name}")

    def _specs(self, x: Sequence[float], seed: int):
        from displacement_sim.workflows.runs import make_specs

        params = {p.name: float(v) for p, v in zip(self.cfg_.parameter, x, strict=True)}
        return make_specs(self._scenario(x), self.cfg_.replicates, seed, params,
                          label=f"cal-{self.economy}", common_random_numbers=True)

    def _evaluate(self, population: np.ndarray, seed: int, executor) -> np.ndarray:
        """Losses of candidates (rows); runs not yet stored execute in parallel."""
        from displacement_sim.workflows.batch import run_specs

        groups = [self._specs(x, seed) for x in population]
        flat = {s.run_id: s for g in groups for s in g}
        run_specs(list(flat.values()), self._store, executor, progress=False)
        failed = self._store.failed()
        losses = np.empty(len(population))
        for i, g in enumerate(groups):
            if any(s.run_id in failed for s in g):
                losses[i] = np.inf
                continue
            sims = [simulated(self._read(s.run_id), self.cfg_.start_year) for s in g]
            mean = sum(sims) / len(sims)
            losses[i] = loss_of(mean, self._obs, self.cfg_.target, self._train_years)
        return losses

    def _read(self, run_id: str) -> pd.DataFrame:
        cols = ["step", "employed", "unemployment_rate",
                *[f"employment_{s}" for s in SECTORS]]
        return pd.read_parquet(self._store.parts / f"{run_id}.parquet", columns=cols)

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
                history.append({**{p.name: float(v) for p, v in zip(cfg.parameter, x,
                                                                     strict=True)},
                                "loss": float(loss), "generation": generation[0],
                                "optimiser_seed": seed})
            best[0] = min(best[0], float(np.min(losses)))
            generation[0] += 1
            bar.update(1)
            bar.set_postfix(best_loss=f"{best[0]:.3g}")
            return losses

        res = differential_evolution(objective, bounds, popsize=cfg.popsize,
                                     maxiter=cfg.maxiter, tol=cfg.tol, seed=seed,
                                     vectorized=True, updating="deferred", polish=False,
                                     init="latinhypercube")
        return np.asarray(res.x), float(res.fun), history

    # -- the estimator ------------------------------------------------------------

    def fit(self) -> Calibrator:
        """Fit the free parameters; returns ``self``."""
        from displacement_sim.workflows.executors import make_executor

        self._setup()
        cfg = self.cfg_
        seed = cfg.seed if self.random_state is None else self.random_state
        seeds = [seed] + [seed + 1 + k for k in range(cfg.refits)]
        bar = tqdm(total=(cfg.maxiter + 1) * len(seeds), desc=f"calibrate {self.economy}",
                   unit="gen", disable=not self.progress, dynamic_ncols=True)
        fits = []
        history: list[dict] = []
        try:
            with make_executor(self.executor, self.n_workers, self.scheduler) as ex:  # type: ignore[arg-type]
                for s in seeds:
                    x, loss, h = self._optimise(s, ex, bar)
                    fits.append((x, loss))
                    history.extend(h)
                self.history_ = pd.DataFrame(history)
                self.best_params_ = {p.name: float(v) for p, v in zip(
                    cfg.parameter, fits[0][0], strict=True)}
                self.loss_ = fits[0][1]
                self.uncertainty_ = self._uncertainty(fits)
                self.fit_ = self._fit_table(fits[0][0], ex)
        finally:
            bar.close()
        self.out_of_sample_ = score_out_of_sample(self.fit_, cfg) if cfg.train_until else None
        return self

    def _uncertainty(self, fits: list[tuple[np.ndarray, float]]) -> pd.DataFrame:
        refit = [f[0] for f in fits] if len(fits) > 1 else None
        return uncertainty_from_history(self.history_, self.cfg_, fits[0][0], refit)

    def _fit_table(self, x: np.ndarray, executor) -> pd.DataFrame:
        from displacement_sim.workflows.batch import run_specs

        specs = self._specs(x, self.cfg_.seed)
        run_specs(specs, self._store, executor, progress=False)
        sims = pd.concat([simulated(self._read(s.run_id), self.cfg_.start_year).assign(
            replicate=s.replicate) for s in specs])
        rows = []
        for series in SERIES_INDICATORS:
            g = sims.groupby(level=0)[series]
            for year in self._obs.index:
                rows.append({"economy": self.economy, "series": series, "year": int(year),
                             "observed": float(self._obs.loc[year, series]),
                             "simulated": float(g.mean().loc[year]),
                             "sim_p05": float(g.quantile(0.05).loc[year]),
                             "sim_p95": float(g.quantile(0.95).loc[year]),
                             "sample": "train" if year <= self.cfg_.fit_until else "test"})
        return pd.DataFrame(rows)

    def to_toml(self) -> str:
        """The fitted parameters as a scenario fragment that other scenarios can extend."""
        return params_toml(self.economy, self.cfg_, self.uncertainty_, self.loss_)


def uncertainty_from_history(history: pd.DataFrame, cfg: CalibrationFile,
                             best: Sequence[float],
                             refits: Sequence[Sequence[float]] | None = None) -> pd.DataFrame:
    """Near-optimal ranges and identifiability of each parameter from the search history.

    The near-optimal set is the best ``near_optimal`` fraction of the candidates evaluated
    (at least ``len(parameters) + 1``). A parameter whose range in that set spans more than
    ``identifiability_threshold`` of its bounds is not pinned down by the data: candidates
    that fit about as well disagree on it.
    """
    h = history[np.isfinite(history["loss"])].sort_values("loss")
    k = max(int(np.ceil(cfg.near_optimal * len(h))), len(cfg.parameter) + 1)
    near = h.head(k)
    rows = []
    for j, p in enumerate(cfg.parameter):
        lo, hi = p.bounds
        span = float((near[p.name].max() - near[p.name].min()) / (hi - lo))
        row = {"parameter": p.name, "path": p.path, "unit": p.unit, "best": float(best[j]),
               "near_optimal_low": float(near[p.name].min()),
               "near_optimal_high": float(near[p.name].max()), "near_optimal_span": span,
               "n_near_optimal": len(near), "loss_cutoff": float(near["loss"].max()),
               "identified": bool(span <= cfg.identifiability_threshold)}
        if refits is not None:
            vals = np.array([f[j] for f in refits])
            row["refit_mean"], row["refit_sd"] = float(vals.mean()), float(vals.std(ddof=1))
        rows.append(row)
    return pd.DataFrame(rows)


def params_toml(economy: str, cfg: CalibrationFile, uncertainty: pd.DataFrame,
                loss: float) -> str:
    """A scenario fragment ``[economy.<ISO3>.<section>]`` with the fitted parameters.

    Parameters the data do not pin down (``identified`` false) are written as comments, so a
    scenario that extends the file keeps their documented defaults.
    """
    unc = uncertainty.set_index("parameter")
    lines = [f"# Calibrated parameters for {economy} ({cfg.name}): fitted "
             f"{cfg.start_year}-{cfg.fit_until} by simulated method of moments, loss {loss:.4g}.",
             "# Written by `displacement-sim calibrate`; see docs/calibration.md. Parameters",
             "# the data do not identify are commented out: their defaults apply.",
             f'name = "calibrated_{economy}"', ""]
    tables: dict[str, list[str]] = {}
    for p in cfg.parameter:
        *section, key = p.path.split(".")
        value = float(unc.loc[p.name, "best"])
        line = f"{_toml_key(key)} = {value!r}"
        if not bool(unc.loc[p.name, "identified"]):
            line = f"# {line}  # not identified by the data"
        tables.setdefault(".".join(section), []).append(line)
    for section, entries in tables.items():
        lines.append(f"[economy.{economy}.{section}]")
        lines.extend(entries)
        lines.append("")
    return "\n".join(lines)


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").isalnum() else json.dumps(key)


def score_out_of_sample(fit: pd.DataFrame, cfg: CalibrationFile) -> pd.DataFrame:
    """MAE (percentage points) of the model and two naive forecasts on the test years.

    Naive forecasts: persistence (the last training year's observed value) and the linear
    trend of each series over the training years.
    """
    rows = []
    for (economy, series), d in fit.groupby(["economy", "series"]):
        train = d[d["sample"] == "train"]
        test = d[d["sample"] == "test"]
        if test.empty:
            continue
        last = float(train.sort_values("year")["observed"].iloc[-1])
        slope, intercept = np.polyfit(train["year"], train["observed"], 1)
        trend = intercept + slope * test["year"]
        obs = test["observed"].to_numpy()
        mae_model = float(np.mean(np.abs(test["simulated"].to_numpy() - obs)))
        mae_persist = float(np.mean(np.abs(last - obs)))
        mae_trend = float(np.mean(np.abs(trend.to_numpy() - obs)))
        rows.append({"economy": economy, "series": series, "test_years":
                     f"{int(test['year'].min())}-{int(test['year'].max())}",
                     "mae_model_pp": mae_model, "mae_persistence_pp": mae_persist,
                     "mae_trend_pp": mae_trend, "beats_persistence": mae_model < mae_persist,
                     "beats_trend": mae_model < mae_trend})
    return pd.DataFrame(rows)


def calibrate(config: str | Path | CalibrationFile, economies: Sequence[str] | None = None,
              train_until: int | None = None, out: str | Path | None = None,
              write_params: bool = True, executor: str = "processes",
              n_workers: int | None = None, scheduler: str | None = None,
              progress: bool = True, params_dir: str | Path | None = None
              ) -> dict[str, Calibrator]:
    """Calibrate several economies; write their tables, and their parameters as TOML.

    Parameters
    ----------
    config : path or CalibrationFile
        The calibration file.
    economies : sequence of str, optional
        ISO3 codes (default: the file's).
    train_until : int, optional
        Fit on years up to this one and score the later years out of sample.
    out : path, optional
        Folder for candidate runs and tables (default ``outputs/calibration/<name>``).
    write_params : bool
        Write ``<ISO3>.toml`` with the fitted parameters.
    executor : {"processes", "sequential", "dask"}
        Where runs execute (default: local processes).
    n_workers : int, optional
        Number of workers (default: one per core).
    scheduler : str, optional
        A Dask scheduler address ``tcp://HOST:PORT``; implies ``dask``.
    progress : bool
        Show a progress bar with the best loss so far.
    params_dir : path, optional
        Where ``<ISO3>.toml`` files go (default ``calibration/calibrated``; with
        ``train_until``, ``calibration/calibrated/train_until_<YEAR>``).

    Returns
    -------
    dict
        The fitted ``Calibrator`` of each economy.
    """
    from displacement_sim.files import atomic_write_text
    from displacement_sim.workflows.batch import OUTPUT_DIR

    if not isinstance(config, CalibrationFile):
        cfg, path = load_calibration_file(config)
        base = path.parent / cfg.base
        if base.is_file():
            cfg = cfg.model_copy(update={"base": str(base)})
    else:
        cfg = config
    if train_until is not None:
        try:
            cfg = CalibrationFile.model_validate({**cfg.model_dump(), "train_until": train_until})
        except ValidationError as exc:
            raise CalibrationError(format_validation_error("--train-until", exc)) from None
    root = Path(out) if out else OUTPUT_DIR / "calibration" / cfg.name
    suffix = f"train_until_{cfg.train_until}" if cfg.train_until else "full"
    pdir = Path(params_dir) if params_dir else CALIBRATED_DIR / (
        "" if not cfg.train_until else suffix)
    fitted: dict[str, Calibrator] = {}
    for iso in economies or cfg.economies:
        cal = Calibrator(cfg, iso, out=root / suffix, executor=executor, n_workers=n_workers,
                         scheduler=scheduler, progress=progress).fit()
        fitted[iso] = cal
        tables = root / suffix / "tables"
        atomic_write_text(tables / f"{iso}_fit.csv", cal.fit_.to_csv(index=False))
        atomic_write_text(tables / f"{iso}_uncertainty.csv", cal.uncertainty_.to_csv(
            index=False))
        atomic_write_text(tables / f"{iso}_history.csv", cal.history_.to_csv(index=False))
        if cal.out_of_sample_ is not None:
            atomic_write_text(tables / f"{iso}_out_of_sample.csv",
                              cal.out_of_sample_.to_csv(index=False))
        if write_params:
            atomic_write_text(pdir / f"{iso}.toml", cal.to_toml())
    return fitted


CALIBRATED_DIR = Path(__file__).resolve().parents[2] / "calibration" / "calibrated"
