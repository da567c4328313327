"""Calibration by simulated method of moments, per economy, with out-of-sample scoring.

The model starts from an observed year's profile and runs forward month by month; each
simulated year is the mean of its twelve months. The loss is the mean squared scaled error of
the targets (:mod:`displacement_sim.targets`: unemployment, the 14 sector shares, participation
by sex, the US displaced-worker survey) over the training years, for the mean of replicates
that share their seeds across candidates (common random numbers, so the loss surface is not
re-drawn for every candidate). Each target's scale comes from its data (:func:`data_scale`)
and, in the workflow, from the simulated moment's own noise. scipy's
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
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from displacement_sim.constants import SECTORS
from displacement_sim.studies import CalibrationFile, Target
from displacement_sim.targets import (
    DISPLACED_SURVEY,
    PARTICIPATION_SEXES,
    SECTOR_GROUPS,
    TARGET_SERIES,
)

DATA_SCALE_FLOOR = 0.1
"""Smallest data-based scale (percentage points), a named assumption: ILO modelled estimates
are smoothed, so a small sector's share can move by hundredths of a point a year, and an error
of 0.1 point in a published share is within its rounding and revision. Bounds: 0.05-0.5."""


SURVEY_SCALE = 1.5
"""Scale (percentage points) of a survey share with no history to measure its variability
(the ``dws_*`` targets), a named assumption: half the 3-point tolerance within which the
project asks the US baseline to match the survey. Bounds: 1-3."""


def target_years(series: str, observed: pd.DataFrame, fit_until: int) -> list[int]:
    """The years of ``series`` in the loss: its observed years up to ``fit_until``; for a
    survey target, up to the January after it (the month a run that ends in ``fit_until``
    reaches).

    Parameters
    ----------
    series : str
        A target series.
    observed : pandas.DataFrame
        Observed series indexed by year (NaN where there is no observation).
    fit_until : int
        The last fitting year.

    Returns
    -------
    list of int
    """
    last = fit_until + 1 if TARGET_SERIES[series].group == "displaced_survey" else fit_until
    ok = observed[series].notna()
    return [int(y) for y in observed.index[ok] if y <= last]


def _share_columns(df: pd.DataFrame) -> dict[str, pd.Series]:
    emp = df["employed"].to_numpy(float)
    out = {f"share_{s}": 100.0 * df[f"employment_{s}"] / emp for s in SECTORS}
    for group, codes in SECTOR_GROUPS.items():
        out[f"share_{group}"] = sum(out[f"share_{c}"] for c in codes)
    return out


def simulated(results: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Annual means of the target series (percent) from one run's monthly results.

    Parameters
    ----------
    results : pandas.DataFrame
        One run's monthly results for one economy (``step``, ``employed``,
        ``employment_<sector>``, ``unemployment_rate`` and, where reported,
        ``participation_rate_F`` and ``participation_rate_M``).
    start_year : int
        The calendar year of month 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by year (``cal_year``), one column per target series of
        :data:`~displacement_sim.targets.TARGET_SERIES` that the results hold.
    """
    df = results
    cols: dict[str, object] = {"cal_year": start_year + (df["step"].to_numpy() // 12)}
    cols.update(_share_columns(df))
    cols["unemployment_rate"] = 100.0 * df["unemployment_rate"]
    for sex, code in PARTICIPATION_SEXES.items():
        if f"participation_rate_{code}" in df:
            cols[f"participation_{sex}"] = 100.0 * df[f"participation_rate_{code}"]
    for col in DISPLACED_SURVEY.values():
        if f"{col}_share" in df:
            cols[col] = 100.0 * df[f"{col}_share"]
    return pd.DataFrame(cols).groupby("cal_year").mean()


def data_scale(observed: pd.Series, floor: float = DATA_SCALE_FLOOR) -> float:
    """The scale of a target from its data: the standard deviation of its irregular part.

    If a series is a smooth path plus independent yearly noise of variance ``s**2``, its
    year-to-year changes vary around their mean with variance ``2 s**2`` (plus what the smooth
    path's own changes vary), so ``s`` is estimated by the standard deviation of the changes
    over the fitting years divided by sqrt(2). It is an upper estimate of the noise, the
    variability that a model of the smooth path cannot be asked to reproduce. Weighting each
    moment by the inverse of its data variance is the diagonal weighting of the method of
    moments (Altonji & Segal 1996 on why the full optimal matrix is not used).

    Parameters
    ----------
    observed : pandas.Series
        The series over the fitting years (NaN ignored).
    floor : float
        The smallest scale returned (:data:`DATA_SCALE_FLOOR`).

    Returns
    -------
    float
        The scale in the series' unit (percentage points).

    References
    ----------
    Altonji, J. G. & Segal, L. M. (1996). Small-sample bias in GMM estimation of covariance
    structures. J. Bus. Econ. Stat. 14(3), 353-366. doi:10.1080/07350015.1996.10524661
    """
    changes = np.diff(observed.dropna().to_numpy(float))
    if changes.size < 2:
        return float(floor)
    return float(max(np.std(changes, ddof=1) / np.sqrt(2.0), floor))


def target_scales(targets: Sequence[Target], observed: pd.DataFrame,
                  years: Sequence[int] | Mapping[str, Sequence[int]]) -> dict[str, float]:
    """Each target's scale: as stated in the file, else from the data (:func:`data_scale`;
    :data:`SURVEY_SCALE` for a survey share).

    Parameters
    ----------
    targets : sequence of Target
        The target series.
    observed : pandas.DataFrame
        Observed series indexed by year.
    years : sequence of int, or mapping of series to sequence of int
        The fitting years (the scale sees no other).

    Returns
    -------
    dict
        Series name to scale (percentage points).
    """
    out = {}
    for t in targets:
        if t.scale is not None:
            out[t.series] = float(t.scale)
        elif TARGET_SERIES[t.series].group == "displaced_survey":
            out[t.series] = SURVEY_SCALE
        else:
            out[t.series] = data_scale(observed.loc[list(_years_of(years, t.series)),
                                                    t.series])
    return out


def _years_of(years: Sequence[int] | Mapping[str, Sequence[int]], series: str) -> list[int]:
    return list(years[series]) if isinstance(years, Mapping) else list(years)


def loss_of(sim: pd.DataFrame, obs: pd.DataFrame, targets: Sequence[Target],
            years: Sequence[int] | Mapping[str, Sequence[int]],
            scales: dict[str, float] | None = None) -> float:
    """Mean of weighted, scaled squared errors over targets and years.

    Parameters
    ----------
    sim : pandas.DataFrame
        Simulated annual series, indexed by year (:func:`simulated`).
    obs : pandas.DataFrame
        Observed annual series, indexed by year, same columns.
    targets : sequence of Target
        The target series, each with its weight.
    years : sequence of int, or mapping of series to sequence of int
        The years in the loss (the training years; per series: :func:`target_years`).
    scales : dict, optional
        Each target's scale (default: :func:`target_scales` on ``obs`` over ``years``).

    Returns
    -------
    float
        The weighted mean over targets of each target's mean squared scaled error.
    """
    scales = scales if scales is not None else target_scales(targets, obs, years)
    total, weight = 0.0, 0.0
    for t in targets:
        ys = _years_of(years, t.series)
        if not ys:  # not observed in the fitting years (a survey after them)
            continue
        err = (sim.loc[ys, t.series] - obs.loc[ys, t.series]) / scales[t.series]
        total += t.weight * float(np.mean(err.to_numpy() ** 2))
        weight += t.weight
    return total / weight if weight else float("nan")


def loss_standard_error(sims: Sequence[pd.DataFrame], obs: pd.DataFrame,
                        targets: Sequence[Target], years: Sequence[int],
                        scales: dict[str, float]) -> float:
    """Jackknife standard error of the loss of the replicate mean (the loss's own noise).

    With ``R`` replicates, the loss of the mean of each leave-one-out set of ``R - 1`` gives
    the jackknife estimate of how much the loss would move with other draws. A search whose
    candidates differ by less than this cannot be told apart: the number the replicate count
    must bring down.

    Parameters
    ----------
    sims : sequence of pandas.DataFrame
        Each replicate's simulated series (:func:`simulated`).
    obs, targets, years, scales
        As :func:`loss_of`.

    Returns
    -------
    float
        The standard error (NaN with fewer than two replicates).

    References
    ----------
    Efron, B. & Stein, C. (1981). The jackknife estimate of variance. Ann. Statist. 9(3),
    586-596. doi:10.1214/aos/1176345462
    """
    r = len(sims)
    if r < 2:
        return float("nan")
    total = sum(sims)
    loo = np.array([loss_of((total - s) / (r - 1), obs, targets, years, scales)
                    for s in sims])
    return float(np.sqrt((r - 1) / r * np.sum((loo - loo.mean()) ** 2)))


def near_optimal_sets(history: pd.DataFrame, cfg: CalibrationFile, k: int) -> pd.DataFrame:
    """Up to ``k`` distinct parameter vectors from the near-optimal set, best first.

    The near-optimal set is as in :func:`uncertainty_from_history`; forecasts run over these
    vectors so that their bands hold the parameter uncertainty the data leave, not only the
    noise of replicates.

    Parameters
    ----------
    history : pandas.DataFrame
        Every candidate evaluated (one column per parameter and ``loss``).
    cfg : CalibrationFile
        The calibration file (its parameters and ``near_optimal``).
    k : int
        How many vectors at most.

    Returns
    -------
    pandas.DataFrame
        One row per vector: the parameters, ``loss`` and ``rank`` (0 = best).
    """
    names = [p.name for p in cfg.parameter]
    h = history[np.isfinite(history["loss"])].sort_values("loss", kind="stable")
    n_near = max(int(np.ceil(cfg.near_optimal * len(h))), len(names) + 1)
    near = h.head(n_near).drop_duplicates(subset=names)
    return near.head(k)[[*names, "loss"]].reset_index(drop=True).rename_axis(
        "rank").reset_index()


def uncertainty_from_history(history: pd.DataFrame, cfg: CalibrationFile,
                             best: Sequence[float],
                             refits: Sequence[Sequence[float]] | None = None) -> pd.DataFrame:
    """Near-optimal ranges and identifiability of each parameter from the search history.

    The near-optimal set is the best ``near_optimal`` fraction of the candidates evaluated
    (at least ``len(parameters) + 1``). A parameter whose range in that set spans more than
    ``identifiability_threshold`` of its bounds is not pinned down by the data: candidates
    that fit about as well disagree on it.

    Parameters
    ----------
    history : pandas.DataFrame
        Every candidate evaluated: one column per parameter and ``loss``.
    cfg : CalibrationFile
        The calibration file (parameters, ``near_optimal``, ``identifiability_threshold``).
    best : sequence of float
        The best parameter values, in the order of ``cfg.parameter``.
    refits : sequence of sequence of float, optional
        The optima of repeated fits with other seeds, for the re-fit spread (default: none).

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``best``, the near-optimal range and its span (share of the
        bounds), ``identified`` and, with ``refits``, ``refit_mean`` and ``refit_sd``.
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

    Parameters
    ----------
    economy : str
        ISO3 code of the economy fitted.
    cfg : CalibrationFile
        The calibration file (its parameters' config paths).
    uncertainty : pandas.DataFrame
        From :func:`uncertainty_from_history` (``best`` and ``identified`` per parameter).
    loss : float
        The best loss, quoted in the header comment.

    Returns
    -------
    str
        The TOML text.
    """
    unc = uncertainty.set_index("parameter")
    lines = [f"# Calibrated parameters for {economy} ({cfg.name}): fitted "
             f"{cfg.start_year}-{cfg.fit_until} by simulated method of moments, loss {loss:.4g}.",
             "# Written by `displacement-sim calibrate`; see docs/calibration.md. Parameters",
             "# the data do not identify are commented out: their defaults apply.",
             f'name = "calibrated_{economy}"', ""]
    tables: dict[str, list[str]] = {}
    if cfg.natural_rate == "fitted_line":
        tables["labour_market"] = [
            "# The natural rate over the fit years: the OLS line of the observed rate (a first",
            "# stage, not searched); runs that start in the last of them or later do not use it.",
            f"natural_rate_years = [{cfg.start_year}, {cfg.fit_until}]"]
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

    Parameters
    ----------
    fit : pandas.DataFrame
        Observed and simulated series per economy, series and year, with ``sample`` (``train``
        or ``test``), as ``Calibrator.fit_``.
    cfg : CalibrationFile
        The calibration file (unused: the test years are those of ``fit``).

    Returns
    -------
    pandas.DataFrame
        One row per economy and series with test years: ``mae_model_pp``,
        ``mae_persistence_pp``, ``mae_trend_pp`` and whether the model beats each benchmark.
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
