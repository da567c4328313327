"""Out-of-sample validation: the model's held-out forecasts against three benchmarks.

For each forecast origin the caller chooses, the model is fitted on the years up to the origin
and forecasts the years after it (the caller runs it; this module only scores). Every target
series of every economy is scored against three benchmarks fitted on the same years:

- ``persistence``: the last observed value;
- ``trend``: the OLS linear trend over the training years;
- ``ar1``: an AR(1) ``y_t = c + phi y_{t-1} + e_t`` by OLS, iterated to each horizon.

Scores (:func:`score`): MAE and RMSE per economy, series and horizon; per economy and series
with all origins pooled, whether the model's MAE is lower than each benchmark's, a
Diebold-Mariano test of equal accuracy (:func:`diebold_mariano_panel`) and the share of held-out
observations inside the model's 90% band; headline counts of the economies and series where the
model beats each benchmark, at every origin.

Pure: DataFrames in, DataFrames out. Nothing here runs a model or reads a file; the caller
supplies the observed series (:func:`displacement_sim.targets.observed_targets`) and the model's
forecasts.

References
----------
Diebold, F. X. & Mariano, R. S. (1995). Comparing predictive accuracy. J. Bus. Econ. Stat.
13(3), 253-263. doi:10.1080/07350015.1995.10524599
Harvey, D., Leybourne, S. & Newbold, P. (1997). Testing the equality of prediction mean squared
errors. Int. J. Forecast. 13(2), 281-291. doi:10.1016/S0169-2070(96)00719-4
Newey, W. K. & West, K. D. (1987). A simple, positive semi-definite, heteroskedasticity and
autocorrelation consistent covariance matrix. Econometrica 55(3), 703-708. doi:10.2307/1913610
Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.
OTexts, section 5.2 (simple benchmark methods) and 5.8 (evaluating point forecast accuracy).
https://otexts.com/fpp3/
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from displacement_sim.errors import DataError
from displacement_sim.targets import TARGET_SERIES

__all__ = [
    "BENCHMARKS",
    "ar1_fit",
    "benchmark_forecasts",
    "diebold_mariano",
    "diebold_mariano_panel",
    "forecast_table",
    "group_order",
    "score",
    "series_group",
]

BENCHMARKS: tuple[str, ...] = ("persistence", "trend", "ar1")
"""The benchmark forecasts, in the order every table lists them."""

FORECASTERS: tuple[str, ...] = ("model", *BENCHMARKS)
"""The model and the benchmarks: the ``mae_<f>`` and ``rmse_<f>`` columns of :func:`score`."""

GROUP_ORDER: tuple[str, ...] = ("unemployment", "sector_shares", "participation",
                                "sector_groups")
"""Series groups in the order tables list them; any other group follows, by name."""

AR1_MIN_YEARS = 4
"""Fewest training years for the AR(1) benchmark (3 lag pairs, for 2 coefficients)."""

Loss = Literal["squared", "absolute"]


def series_group(series: str) -> str:
    """The group a target series is counted in by the headline.

    The group of a series declared in :data:`displacement_sim.targets.TARGET_SERIES`
    (``unemployment``, ``sector_shares``, ``sector_groups``, ``participation``); otherwise
    ``unemployment`` for ``unemployment_rate``, ``sector_shares`` for a name starting
    ``share_``, ``participation`` for one starting ``participation_``, and the series' own name
    for any other.

    Parameters
    ----------
    series : str
        The series name.

    Returns
    -------
    str
        The group.

    Examples
    --------
    >>> series_group("share_C"), series_group("share_services"), series_group("gdp")
    ('sector_shares', 'sector_groups', 'gdp')
    """
    if series in TARGET_SERIES:
        return TARGET_SERIES[series].group
    if series == "unemployment_rate":
        return "unemployment"
    if series.startswith("share_"):
        return "sector_shares"
    if series.startswith("participation_"):
        return "participation"
    return series


def group_order(groups: Sequence[str]) -> list[str]:
    """The distinct groups in the order tables list them (:data:`GROUP_ORDER`, then by name).

    Parameters
    ----------
    groups : sequence of str
        Group names, repeats allowed.

    Returns
    -------
    list of str
        Each group once.
    """
    present = list(dict.fromkeys(groups))
    known = [g for g in GROUP_ORDER if g in present]
    return known + sorted(g for g in present if g not in GROUP_ORDER)


# ----------------------------------------------------------------------------- benchmarks


def _training(history: pd.Series) -> pd.Series:
    h = pd.Series(np.asarray(history, dtype=float), index=np.asarray(history.index, dtype=int))
    h = h[np.isfinite(h.to_numpy())].sort_index()
    if h.index.has_duplicates:
        raise DataError(f"history has repeated years {sorted(set(h.index[h.index.duplicated()]))}")
    return h


def ar1_fit(history: pd.Series) -> tuple[float, float] | None:
    """OLS fit of ``y_t = c + phi y_{t-1} + e_t`` on one series, or ``None`` if degenerate.

    Only pairs of consecutive years enter the fit (a gap in the years breaks the lag). The fit
    is degenerate, and ``None`` is returned, with fewer than :data:`AR1_MIN_YEARS` observed
    years, fewer than three consecutive pairs, a constant lagged value, a non-finite
    coefficient, or an explosive one (``|phi| > 1``). OLS on a short trending or random-walk
    series can give ``phi > 1``, and iterated for ten years such a fit grows geometrically,
    far outside the data: a benchmark that does so would only flatter the model, so
    persistence stands in. ``phi = 1`` with a constant (a random walk with drift) is kept.

    Parameters
    ----------
    history : pandas.Series
        Observed values indexed by year (missing values are dropped).

    Returns
    -------
    tuple of float or None
        ``(c, phi)``, or ``None`` for a degenerate fit.

    References
    ----------
    Hamilton, J. D. (1994). Time Series Analysis. Princeton University Press, section 8.2 (OLS
    estimation of an autoregression). doi:10.2307/j.ctv14jx6sm
    """
    h = _training(history)
    if len(h) < AR1_MIN_YEARS:
        return None
    years = h.index.to_numpy()
    lagged = h.reindex(years - 1).to_numpy()
    keep = np.isfinite(lagged)
    x, y = lagged[keep], h.to_numpy()[keep]
    if len(x) < 3 or np.ptp(x) <= 1e-12 * max(1.0, float(np.max(np.abs(x)))):
        return None
    phi, c = np.polyfit(x, y, 1)
    if not (np.isfinite(phi) and np.isfinite(c)) or abs(phi) > 1.0:
        return None
    return float(c), float(phi)


def benchmark_forecasts(history: pd.Series, years: Sequence[int]) -> pd.DataFrame:
    """The three benchmark forecasts of one series for the given years.

    ``history`` holds the training years only (the caller passes the years up to the origin);
    the forecasts count horizons from its last observed year ``T``:

    - persistence: ``y_T`` for every year;
    - trend: ``a + b * year``, OLS over the training years (with one training year, the
      persistence forecast);
    - AR(1): ``f_{T+k} = c + phi f_{T+k-1}`` from ``f_T = y_T`` (:func:`ar1_fit`); a degenerate
      (or explosive) fit falls back to persistence, and ``ar1_fallback`` says so.

    Nothing is clipped: the trend of a share can leave [0, 100], as the trend an economist would
    fit does.

    Parameters
    ----------
    history : pandas.Series
        Observed values of the training years, indexed by year (missing values are dropped).
    years : sequence of int
        The years to forecast, each after the last training year.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``year``, ``persistence``, ``trend``, ``ar1``, ``ar1_fallback``.

    Raises
    ------
    DataError
        If ``history`` has no observed value, repeats a year, or a year to forecast is not after
        its last year.

    References
    ----------
    Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.
    OTexts, section 5.2. https://otexts.com/fpp3/

    Examples
    --------
    >>> h = pd.Series([1.0, 2.0, 3.0, 4.0], index=[2010, 2011, 2012, 2013])
    >>> benchmark_forecasts(h, [2014, 2015])[["year", "persistence", "trend"]]
       year  persistence  trend
    0  2014          4.0    5.0
    1  2015          4.0    6.0
    """
    h = _training(history)
    if h.empty:
        raise DataError("no observed value in the training years")
    target = np.asarray(years, dtype=int)
    last_year, last = int(h.index[-1]), float(h.iloc[-1])
    if target.size and target.min() <= last_year:
        raise DataError(f"year {int(target.min())} is not after the last training year "
                        f"{last_year}")
    if len(h) >= 2:
        slope, intercept = np.polyfit(h.index.to_numpy(float), h.to_numpy(), 1)
        trend = intercept + slope * target
    else:
        trend = np.full(target.size, last)
    fit = ar1_fit(h)
    steps = target - last_year
    if fit is None:
        ar1 = np.full(target.size, last)
    else:
        c, phi = fit
        path = [last]
        for _ in range(int(steps.max()) if steps.size else 0):
            path.append(c + phi * path[-1])
        ar1 = np.asarray(path)[steps]
    return pd.DataFrame({"year": target, "persistence": np.full(target.size, last),
                         "trend": np.asarray(trend, dtype=float), "ar1": ar1,
                         "ar1_fallback": np.full(target.size, fit is None)})


def _check_columns(df: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise DataError(f"the {what} table lacks columns {missing}")


def forecast_table(observed: pd.DataFrame, simulated: pd.DataFrame, origins: Sequence[int],
                   fit_start: int | None = None) -> pd.DataFrame:
    """The held-out observations with the model's and the benchmarks' forecasts.

    For each origin, economy and series, the benchmarks are fitted on the observed years from
    ``fit_start`` up to and including the origin, and forecast the years after it for which
    the model has a forecast. Only years with an observation are kept, so no value after an
    origin enters a benchmark of that origin.

    Parameters
    ----------
    observed : pandas.DataFrame
        Columns ``economy, series, year, value``: every observed year (missing values allowed
        and dropped).
    simulated : pandas.DataFrame
        Columns ``economy, series, origin, year, mean, p05, p95``: the model's forecast from
        each origin (mean and 5-95% band across replicates and near-optimal parameter sets).
        Years up to the origin and origins not in ``origins`` are ignored.
    origins : sequence of int
        The forecast origins (last training years).
    fit_start : int, optional
        First training year of the benchmarks (default: the first observed year).

    Returns
    -------
    pandas.DataFrame
        One row per origin, economy, series and held-out year with an observation: ``economy,
        series, origin, year, horizon`` (``year - origin``, at least 1), ``observed, model,
        model_p05, model_p95, persistence, trend, ar1`` and ``ar1_fallback`` (the AR(1) fit was
        degenerate and persistence stands in). The benchmarks are NaN where no training year
        was observed.

    Raises
    ------
    DataError
        If a column is missing, a key repeats, or an origin has no forecast after it.
    """
    _check_columns(observed, ["economy", "series", "year", "value"], "observed")
    _check_columns(simulated, ["economy", "series", "origin", "year", "mean", "p05", "p95"],
                   "simulated")
    origins = sorted({int(o) for o in origins})
    obs = observed[["economy", "series", "year", "value"]].copy()
    obs["year"] = obs["year"].astype(int)
    obs = obs[np.isfinite(obs["value"].to_numpy(float))]
    if obs.duplicated(["economy", "series", "year"]).any():
        raise DataError("the observed table repeats an economy, series and year")
    sim = simulated[["economy", "series", "origin", "year", "mean", "p05", "p95"]].copy()
    sim[["origin", "year"]] = sim[["origin", "year"]].astype(int)
    sim = sim[sim["origin"].isin(origins) & (sim["year"] > sim["origin"])]
    if sim.duplicated(["economy", "series", "origin", "year"]).any():
        raise DataError("the simulated table repeats an economy, series, origin and year")
    empty = [o for o in origins if not (sim["origin"] == o).any()]
    if empty:
        raise DataError(f"no model forecast after origin(s) {empty}")
    held = sim.merge(obs, on=["economy", "series", "year"], how="inner")
    held = held.rename(columns={"value": "observed", "mean": "model", "p05": "model_p05",
                                "p95": "model_p95"})
    history = {key: d.set_index("year")["value"]
               for key, d in obs.groupby(["economy", "series"], sort=False)}
    parts = []
    for (economy, series, origin), d in held.groupby(["economy", "series", "origin"],
                                                     sort=True):
        d = d.sort_values("year")
        h = history[(economy, series)]
        h = h[(h.index <= origin) & (h.index >= (fit_start if fit_start is not None
                                                  else h.index.min()))]
        if h.empty:
            bench = pd.DataFrame({"year": d["year"].to_numpy(),
                                  **{b: np.nan for b in BENCHMARKS}, "ar1_fallback": True})
        else:
            bench = benchmark_forecasts(h, d["year"].to_numpy())
        parts.append(d.merge(bench, on="year", how="left"))
    cols = ["economy", "series", "origin", "year", "horizon", "observed", "model",
            "model_p05", "model_p95", *BENCHMARKS, "ar1_fallback"]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    out["horizon"] = out["year"] - out["origin"]
    out["ar1_fallback"] = out["ar1_fallback"].astype(bool)
    return out[cols].sort_values(["origin", "economy", "series", "year"], ignore_index=True)


# -------------------------------------------------------------------------- Diebold-Mariano


def _loss(e: np.ndarray, loss: Loss) -> np.ndarray:
    if loss == "squared":
        return e * e
    if loss == "absolute":
        return np.abs(e)
    raise ValueError(f"loss must be 'squared' or 'absolute', not {loss!r}")


def _dm(sequences: list[np.ndarray], h: int) -> tuple[float, float]:
    d = np.concatenate(sequences)
    n = d.size
    if n < 3 or np.ptp(d) <= 1e-12 * max(1.0, float(np.max(np.abs(d)))):
        return float("nan"), float("nan")
    mean = float(d.mean())
    lags = max(0, min(int(h) - 1, max(len(s) for s in sequences) - 1))
    centred = [s - mean for s in sequences]
    gamma = np.array([sum(float(np.dot(c[k:], c[:len(c) - k])) for c in centred if len(c) > k)
                      for k in range(lags + 1)]) / n
    k = np.arange(1, lags + 1)
    tiny = 1e-12 * gamma[0]  # below this, rounding, not variance
    variance = gamma[0] + 2.0 * gamma[1:].sum()
    if variance <= tiny:  # the rectangular kernel need not be positive: Newey-West weights
        variance = gamma[0] + 2.0 * float(np.sum((1.0 - k / (lags + 1)) * gamma[1:]))
    h_eff = lags + 1
    correction = (n + 1 - 2 * h_eff + h_eff * (h_eff - 1) / n) / n
    if variance <= tiny or correction <= 0:
        return float("nan"), float("nan")
    stat = mean / np.sqrt(variance / n) * np.sqrt(correction)
    df = n - 1 if len(sequences) == 1 else len(sequences) - 1
    return float(stat), float(2.0 * stats.t.sf(abs(stat), df=df))


def _errors(e_model: Sequence[float], e_bench: Sequence[float], loss: Loss) -> np.ndarray:
    a, b = np.asarray(e_model, dtype=float), np.asarray(e_bench, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"the two error series differ in shape ({a.shape}, {b.shape})")
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise ValueError("the forecast errors must be finite")
    return _loss(a, loss) - _loss(b, loss)


def diebold_mariano(e_model: Sequence[float], e_bench: Sequence[float], h: int = 1,
                    loss: Loss = "squared") -> tuple[float, float]:
    """Diebold-Mariano test of equal accuracy, with the Harvey-Leybourne-Newbold correction.

    With ``d_t = L(e_model_t) - L(e_bench_t)``, ``n`` pairs and mean ``dbar``, the long-run
    variance is ``g_0 + 2 sum_{k=1}^{h-1} g_k``, where ``g_k = (1/n) sum_t (d_t - dbar)(d_{t-k}
    - dbar)`` (rectangular kernel, as Diebold and Mariano 1995; lags capped at ``n - 1``). If
    that is not positive, the Bartlett (Newey-West) weights ``1 - k/h`` are used instead. The
    statistic ``dbar / sqrt(variance / n)`` is multiplied by ``sqrt((n + 1 - 2h + h(h-1)/n) /
    n)`` (Harvey, Leybourne and Newbold 1997) and compared with Student's t with ``n - 1``
    degrees of freedom. A negative statistic means the model has the smaller loss.

    Parameters
    ----------
    e_model : sequence of float
        The model's forecast errors, in time order.
    e_bench : sequence of float
        The benchmark's forecast errors for the same targets.
    h : int
        The forecast horizon (``h - 1`` autocovariances; default 1).
    loss : {"squared", "absolute"}
        The loss function (default ``"squared"``).

    Returns
    -------
    tuple of float
        ``(statistic, p_value)``, the p-value two-sided; both NaN with fewer than 3 pairs, a
        differential of zero variance, or a non-positive variance or correction.

    Raises
    ------
    ValueError
        If the two series differ in length, an error is not finite, or ``loss`` is unknown.

    References
    ----------
    Diebold, F. X. & Mariano, R. S. (1995). Comparing predictive accuracy. J. Bus. Econ. Stat.
    13(3), 253-263. doi:10.1080/07350015.1995.10524599
    Harvey, D., Leybourne, S. & Newbold, P. (1997). Testing the equality of prediction mean
    squared errors. Int. J. Forecast. 13(2), 281-291. doi:10.1016/S0169-2070(96)00719-4
    Newey, W. K. & West, K. D. (1987). Econometrica 55(3), 703-708. doi:10.2307/1913610
    """
    return _dm([_errors(e_model, e_bench, loss)], h)


def diebold_mariano_panel(e_model: Sequence[float], e_bench: Sequence[float],
                          origins: Sequence[int], h: int, loss: Loss = "squared"
                          ) -> tuple[float, float]:
    """Diebold-Mariano test pooled over forecast origins (one economy and series).

    The differentials of each origin form one sequence, in the order given (the caller sorts
    by year). Their mean ``dbar`` is taken over all ``n`` pairs; the autocovariances ``g_k``
    are computed within each origin's sequence, about that common mean, and summed over
    origins before dividing by ``n``; lags run to ``h - 1`` (``h`` the longest horizon),
    capped at the length of the longest sequence less one. The variance and statistic are then
    those of :func:`diebold_mariano`: rectangular kernel (Bartlett if not positive), the
    Harvey-Leybourne-Newbold correction with ``n`` and the capped ``h``. The statistic is
    compared with Student's t with ``G - 1`` degrees of freedom for ``G`` origins (``n - 1``
    for one origin, where it equals :func:`diebold_mariano`).

    Why this choice: the forecasts of one origin overlap (the error at horizon 3 contains the
    shocks of horizons 1 and 2), so their differentials are correlated, and all lags within an
    origin are kept; the forecasts of different origins are treated as independent, so no
    covariance across origins enters. That is an approximation, stated plainly: origins a few
    years apart share the shocks of the years both forecast, and ignoring that understates the
    variance. With lags spanning each whole sequence (as :func:`score` sets them) the variance
    is in effect a cluster-robust one with one cluster per origin, estimated from ``G``
    sums; hence ``G - 1`` degrees of freedom, the usual rule for few clusters (Cameron and
    Miller 2015). In a seeded simulation under the null (random-walk errors over 8 horizons,
    absolute loss, 600 samples, as in ``tests/test_validation_analysis.py``), t with ``n - 1``
    degrees rejected at 5% in 19% of samples with 2 origins and 12.5% with 3; with ``G - 1``
    degrees in 3.5% and 2.8%: the test is conservative. With one origin and lags spanning its
    sequence, the correction is zero and the result NaN: one path of overlapping forecasts
    does not estimate its own variance.

    Parameters
    ----------
    e_model : sequence of float
        The model's forecast errors.
    e_bench : sequence of float
        The benchmark's forecast errors for the same targets.
    origins : sequence of int
        The origin of each error (same length); errors of one origin are in time order.
    h : int
        The longest forecast horizon.
    loss : {"squared", "absolute"}
        The loss function (default ``"squared"``).

    Returns
    -------
    tuple of float
        ``(statistic, p_value)``, as :func:`diebold_mariano`; negative: the model has the
        smaller loss.

    Raises
    ------
    ValueError
        As :func:`diebold_mariano`, or if ``origins`` differs in length.

    References
    ----------
    Diebold, F. X. & Mariano, R. S. (1995). J. Bus. Econ. Stat. 13(3), 253-263.
    doi:10.1080/07350015.1995.10524599
    Harvey, D., Leybourne, S. & Newbold, P. (1997). Int. J. Forecast. 13(2), 281-291.
    doi:10.1016/S0169-2070(96)00719-4
    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    J. Hum. Resour. 50(2), 317-372. doi:10.3368/jhr.50.2.317
    """
    d = _errors(e_model, e_bench, loss)
    labels = np.asarray(origins)
    if labels.shape != d.shape:
        raise ValueError(f"origins has shape {labels.shape}, the errors {d.shape}")
    return _dm([d[labels == o] for o in dict.fromkeys(labels.tolist())], h)


# ----------------------------------------------------------------------------------- scores


def _scored(table: pd.DataFrame) -> pd.DataFrame:
    _check_columns(table, ["economy", "series", "origin", "year", "horizon", "observed",
                           "model", "model_p05", "model_p95", *BENCHMARKS],
                   "forecast")
    t = table.copy()
    values = t[["observed", "model", *BENCHMARKS]].to_numpy(float)
    t = t[np.isfinite(values).all(axis=1)].copy()
    for f in FORECASTERS:
        t[f"ae_{f}"] = (t[f] - t["observed"]).abs()
        t[f"se_{f}"] = (t[f] - t["observed"]) ** 2
    band = np.isfinite(t[["model_p05", "model_p95"]].to_numpy(float)).all(axis=1)
    inside = (t["observed"] >= t["model_p05"]) & (t["observed"] <= t["model_p95"])
    t["inside"] = np.where(band, inside.astype(float), np.nan)
    t["group"] = [series_group(s) for s in t["series"]]
    return t


def _errors_by(t: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = t.groupby(keys, sort=True)
    out = g.size().rename("n").to_frame()
    for f in FORECASTERS:
        out[f"mae_{f}"] = g[f"ae_{f}"].mean()
        out[f"rmse_{f}"] = np.sqrt(g[f"se_{f}"].mean())
    out["coverage"] = g["inside"].mean()
    return out.reset_index()


def _beats(df: pd.DataFrame) -> pd.DataFrame:
    for b in BENCHMARKS:
        df[f"beats_{b}"] = df["mae_model"] < df[f"mae_{b}"]
    return df


def _headline(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for origin, f in frames.items():
        for group in group_order(f["group"]):
            d = f[f["group"] == group]
            means = d.groupby("economy")[[f"mae_{x}" for x in FORECASTERS]].mean()
            for b in BENCHMARKS:
                rows.append({"origin": origin, "group": group, "benchmark": b,
                             "economies_beaten": int((means["mae_model"]
                                                      < means[f"mae_{b}"]).sum()),
                             "economies": len(means),
                             "pairs_beaten": int(d[f"beats_{b}"].sum()), "pairs": len(d)})
        for b in BENCHMARKS:
            rows.append({"origin": origin, "group": "all", "benchmark": b,
                         "economies_beaten": pd.NA, "economies": pd.NA,
                         "pairs_beaten": int(f[f"beats_{b}"].sum()), "pairs": len(f)})
    out = pd.DataFrame(rows, columns=["origin", "group", "benchmark", "economies_beaten",
                                      "economies", "pairs_beaten", "pairs"])
    for c in ("economies_beaten", "economies"):
        out[c] = out[c].astype("Int64")
    return out


def _coverage(t: pd.DataFrame, origins: list[int]) -> pd.DataFrame:
    rows = []
    for origin in [*[str(o) for o in origins], "all"]:
        d = t if origin == "all" else t[t["origin"] == int(origin)]
        for group in ["all", *group_order(t["group"])]:
            inside = (d if group == "all" else d[d["group"] == group])["inside"].dropna()
            rows.append({"origin": origin, "group": group, "n": len(inside),
                         "inside": int(inside.sum()),
                         "coverage": float(inside.mean()) if len(inside) else float("nan")})
    return pd.DataFrame(rows)


def score(table: pd.DataFrame, loss: Loss = "absolute") -> dict[str, pd.DataFrame]:
    """Score the model's held-out forecasts against the benchmarks.

    Every score uses the same held-out observations: the rows of ``table`` where the
    observation, the model's mean and all three benchmarks are finite, so the model and the
    benchmarks are compared on a common sample. Errors are in the units of the series
    (percentage points for the targets). "Beats" means a strictly lower MAE. For a group of
    several series (the sector shares), an economy counts as beaten when the model's mean MAE
    over the group's series is lower than the benchmark's mean MAE over the same series. The
    coverage of the 90% band is the share of held-out observations within ``[model_p05,
    model_p95]`` (bounds included), over the rows where the band is finite.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`forecast_table`.
    loss : {"absolute", "squared"}
        The loss of the Diebold-Mariano tests (default ``"absolute"``, so that the sign of the
        statistic agrees with the MAE comparison of ``beats_<benchmark>``).

    Returns
    -------
    dict of str to pandas.DataFrame
        - ``errors``: per ``economy, series, horizon``: ``n``, ``mae_<f>`` and ``rmse_<f>``
          for ``f`` in ``model, persistence, trend, ar1``, and ``coverage``;
        - ``by_series``: per ``economy, series`` (origins and horizons pooled): ``group, n,
          n_origins``, the MAE and RMSE columns, ``beats_<b>``, ``dm_stat_<b>`` and
          ``dm_p_<b>`` (:func:`diebold_mariano_panel`, ``loss``) for each benchmark ``b``,
          ``coverage``;
        - ``by_origin``: per ``origin, economy, series``: ``group, n``, the MAE and RMSE
          columns, ``beats_<b>``, ``coverage``;
        - ``by_horizon``: per ``group, horizon``, pooled over economies and series: ``n``, the
          MAE and RMSE columns, ``coverage``;
        - ``headline``: per ``origin`` (each origin as a string, and ``"all"`` pooled),
          ``group`` and ``benchmark``: ``economies_beaten`` of ``economies``, and
          ``pairs_beaten`` of ``pairs`` (economy-series pairs); group ``"all"`` holds the
          pairs of every series (its economy counts are missing);
        - ``coverage``: per ``origin`` (as in ``headline``) and ``group`` (``"all"`` first):
          ``n``, ``inside``, ``coverage``.

    Raises
    ------
    DataError
        If a column of :func:`forecast_table` is missing.

    References
    ----------
    Diebold, F. X. & Mariano, R. S. (1995). J. Bus. Econ. Stat. 13(3), 253-263.
    doi:10.1080/07350015.1995.10524599
    Hyndman, R. J. & Athanasopoulos, G. (2021). Forecasting: Principles and Practice, 3rd ed.
    OTexts, section 5.8. https://otexts.com/fpp3/
    """
    t = _scored(table)
    origins = sorted(int(o) for o in pd.unique(table["origin"]))
    groups = t.groupby("series")["group"].first()

    errors = _errors_by(t, ["economy", "series", "horizon"])

    by_series = _errors_by(t, ["economy", "series"])
    by_series.insert(2, "group", by_series["series"].map(groups))
    n_origins = t.groupby(["economy", "series"])["origin"].nunique()
    by_series.insert(4, "n_origins", [int(n_origins[k]) for k in
                                      zip(by_series["economy"], by_series["series"],
                                          strict=True)])
    by_series = _beats(by_series)
    tests: dict[str, list[float]] = {f"dm_{k}_{b}": [] for b in BENCHMARKS
                                     for k in ("stat", "p")}
    for _, d in t.groupby(["economy", "series"], sort=True):
        d = d.sort_values(["origin", "year"])
        e_model = (d["model"] - d["observed"]).to_numpy()
        for b in BENCHMARKS:
            stat, p = diebold_mariano_panel(e_model, (d[b] - d["observed"]).to_numpy(),
                                            d["origin"].to_numpy(), int(d["horizon"].max()),
                                            loss)
            tests[f"dm_stat_{b}"].append(stat)
            tests[f"dm_p_{b}"].append(p)
    for b in BENCHMARKS:
        by_series[f"dm_stat_{b}"] = tests[f"dm_stat_{b}"]
        by_series[f"dm_p_{b}"] = tests[f"dm_p_{b}"]
    coverage_col = by_series.pop("coverage")
    by_series["coverage"] = coverage_col

    by_origin = _beats(_errors_by(t, ["origin", "economy", "series"]))
    by_origin.insert(3, "group", by_origin["series"].map(groups))
    by_origin["coverage"] = by_origin.pop("coverage")

    by_horizon = _errors_by(t, ["group", "horizon"])
    order = {g: i for i, g in enumerate(group_order(by_horizon["group"]))}
    by_horizon = by_horizon.sort_values(["group", "horizon"], key=lambda s: s.map(order)
                                        if s.name == "group" else s, ignore_index=True)

    frames = {str(o): by_origin[by_origin["origin"] == o] for o in origins}
    frames["all"] = by_series
    return {"errors": errors, "by_series": by_series, "by_origin": by_origin,
            "by_horizon": by_horizon, "headline": _headline(frames),
            "coverage": _coverage(t, origins)}
