"""How well a run that replays history reproduces the observed unemployment rate.

Pure: data frames in, data frames out. The observed series is handed in (``data.load_series``
reads it), so that this module neither reads files nor runs models.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def annual_model_path(results: pd.DataFrame, start_year: int,
                      metric: str = "unemployment_rate") -> pd.DataFrame:
    """Annual means of a monthly metric, per economy, averaged over runs (percent).

    Year ``y`` is the mean over runs of the mean of months ``12 (y - start)`` to
    ``12 (y - start) + 11`` (month 0 is the state at the start of the start year); the last
    year of a run holds its last month only.

    Parameters
    ----------
    results : pandas.DataFrame
        Monthly results of one or more runs (``run_id``, ``economy``, ``step`` and ``metric``).
    start_year : int
        The calendar year of month 0.
    metric : str
        A share-valued metric column (default ``"unemployment_rate"``); reported in percent.

    Returns
    -------
    pandas.DataFrame
        Columns ``economy, year, model, model_lo, model_hi`` (mean and 5-95% range over runs).
    """
    df = results[["run_id", "economy", "step", metric]].copy()
    df["year"] = start_year + df["step"] // 12
    per_run = df.groupby(["economy", "year", "run_id"])[metric].mean() * 100.0
    g = per_run.groupby(["economy", "year"])
    return pd.DataFrame({"model": g.mean(), "model_lo": g.quantile(0.05),
                         "model_hi": g.quantile(0.95)}).reset_index()


def history_fit(model_path: pd.DataFrame, observed: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    """Score an annual model path against the observed one, with a naive benchmark.

    Parameters
    ----------
    model_path : pandas.DataFrame
        From :func:`annual_model_path`.
    observed : pandas.DataFrame
        Columns ``economy, year, observed`` (percent).

    Returns
    -------
    paths : pandas.DataFrame
        Per economy and year: ``model, model_lo, model_hi, observed, error`` (model minus
        observed, percentage points).
    scores : pandas.DataFrame
        Per economy: ``years`` scored (the start year excluded, where both start equal),
        ``mae_pp``, ``bias_pp``, ``error_last_pp`` (in the last scored year), ``last_year``,
        and ``mae_persistence_pp``: the error of the honest naive benchmark that keeps the
        start year's observed rate, and ``beats_persistence``.
    """
    paths = model_path.merge(observed, on=["economy", "year"], how="inner")
    paths["error"] = paths["model"] - paths["observed"]
    rows = []
    for iso, g in paths.groupby("economy", sort=False):
        g = g.sort_values("year")
        start = g.iloc[0]
        scored = g.iloc[1:]
        if scored.empty:
            continue
        persistence = np.abs(scored["observed"] - start["observed"])
        mae = float(np.abs(scored["error"]).mean())
        rows.append({
            "economy": iso,
            "first_year": int(scored["year"].iloc[0]),
            "last_year": int(scored["year"].iloc[-1]),
            "years": len(scored),
            "mae_pp": mae,
            "bias_pp": float(scored["error"].mean()),
            "error_last_pp": float(scored["error"].iloc[-1]),
            "mae_persistence_pp": float(persistence.mean()),
            "beats_persistence": bool(mae < persistence.mean()),
        })
    return paths, pd.DataFrame(rows)
