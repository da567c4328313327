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

import numpy as np
import pandas as pd

from displacement_sim.studies import CalibrationFile, Target

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


# ----------------------------------------------------------------------- data and moments


def simulated(results: pd.DataFrame, start_year: int) -> pd.DataFrame:
    """Annual means of the target series (percent) from one run's monthly results.

    Parameters
    ----------
    results : pandas.DataFrame
        One run's monthly results for one economy (``step``, ``employed``,
        ``employment_<sector>``, ``unemployment_rate``).
    start_year : int
        The calendar year of month 0.

    Returns
    -------
    pandas.DataFrame
        Indexed by year (``cal_year``), one column per target series (``SERIES_INDICATORS``).
    """
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
    """Mean of weighted, scaled squared errors over targets and years.

    Parameters
    ----------
    sim : pandas.DataFrame
        Simulated annual series, indexed by year (:func:`simulated`).
    obs : pandas.DataFrame
        Observed annual series, indexed by year, same columns.
    targets : sequence of Target
        The target series, each with its scale (percentage points) and weight.
    years : sequence of int
        The years in the loss (the training years).

    Returns
    -------
    float
        The weighted mean over targets of each target's mean squared scaled error.
    """
    total, weight = 0.0, 0.0
    for t in targets:
        err = (sim.loc[years, t.series] - obs.loc[years, t.series]) / t.scale
        total += t.weight * float(np.mean(err.to_numpy() ** 2))
        weight += t.weight
    return total / weight


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
