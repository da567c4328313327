"""Summaries across replicates: mean, median, 5-95% range and a confidence interval of the mean."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from displacement_sim.outcomes import INDICATORS

GROUP_COLUMNS: tuple[str, ...] = ("scenario", "variant", "economy", "step", "year")


def metric_columns(df: pd.DataFrame) -> list[str]:
    """The metric columns present in a results table (``outcomes.INDICATORS``, in order).

    Parameters
    ----------
    df : pandas.DataFrame
        A results table.

    Returns
    -------
    list of str
        The column names.
    """
    return [c for c in INDICATORS if c in df.columns]


def summarize(df: pd.DataFrame, metrics: Sequence[str] | None = None,
              by: Sequence[str] | None = None, confidence: float = 0.95) -> pd.DataFrame:
    """Summarise each metric across replicates.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and step).
    metrics : sequence of str, optional
        Metrics to summarise (default: all present).
    by : sequence of str, optional
        Grouping columns (default: scenario, variant, economy, step, year and any sweep
        parameters).
    confidence : float
        Level of the t-interval of the mean.

    Returns
    -------
    Long table: the grouping columns, ``metric``, ``n``, ``mean``, ``median``, ``p05``,
    ``p95``, ``ci_low``, ``ci_high``.
    """
    metrics = list(metrics) if metrics is not None else metric_columns(df)
    if by is None:
        params = [c for c in df.columns if "." in c]
        by = [c for c in (*GROUP_COLUMNS, *params) if c in df.columns]
    by = list(by)
    long = df.melt(id_vars=by, value_vars=metrics, var_name="metric", value_name="value")
    g = long.groupby([*by, "metric"], sort=True, dropna=False)["value"]
    out = pd.concat({"n": g.count(), "mean": g.mean(), "median": g.median(), "std": g.std(),
                     "p05": g.quantile(0.05), "p95": g.quantile(0.95)}, axis=1).reset_index()
    n = out["n"].to_numpy(float)
    t = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1)), np.nan)
    half = t * out["std"].to_numpy(float) / np.sqrt(np.maximum(n, 1))
    out["ci_low"] = out["mean"] - half
    out["ci_high"] = out["mean"] + half
    return out.drop(columns="std")


def horizon(df: pd.DataFrame) -> pd.DataFrame:
    """Rows of the last simulated month of each run.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results with ``run_id`` and ``step``.

    Returns
    -------
    pandas.DataFrame
        The rows whose ``step`` is their run's largest.
    """
    last = df.groupby("run_id")["step"].transform("max")
    return df[df["step"] == last]
