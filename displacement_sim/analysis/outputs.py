"""Scalar outcomes of a run, computed from its tidy results, per economy or aggregated.

Each outcome is a named function of one run's table restricted to the chosen economies. "all"
aggregates economies by summing people (and money) before taking ratios, so large economies
weigh more, as in a pooled labour market.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {
    "peak_unemployment_rate": ("employed", "unemployed"),
    "unemployment_rate_horizon": ("employed", "unemployed"),
    "displaced_unemployment_months": ("displaced_unemployed",),
    "reemployed_within_12m": ("cohort_12m_employed", "cohort_12m_size"),
    "long_term_unemployment_share": ("long_term_unemployed_share", "unemployed"),
    "programme_cost_usd": ("spending_total_usd",),
    "displaced_reemployed": ("displaced_reemployed",),
    "displaced_cumulative": ("displaced_cumulative",),
}
"""Outcomes and the metric columns each needs."""

NEEDS_REFERENCE = {"cost_per_additional_reemployed": ("programme_cost_usd",
                                                       "displaced_reemployed")}
"""Outcomes that compare a run with its reference run (same seed, programme switched off)."""


def _by_step(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
    return df.groupby("step")[list(cols)].sum()


def _last(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["step"] == df["step"].max()]


def peak_unemployment_rate(df: pd.DataFrame) -> float:
    """Highest monthly unemployment rate over the run."""
    s = _by_step(df, ("employed", "unemployed"))
    return float((s["unemployed"] / (s["employed"] + s["unemployed"])).max())


def unemployment_rate_horizon(df: pd.DataFrame) -> float:
    """Unemployment rate in the last month."""
    s = _last(df)[["employed", "unemployed"]].sum()
    return float(s["unemployed"] / (s["employed"] + s["unemployed"]))


def displaced_unemployment_months(df: pd.DataFrame) -> float:
    """Person-months that displaced workers spent unemployed."""
    return float(df["displaced_unemployed"].sum())


def reemployed_within_12m(df: pd.DataFrame) -> float:
    """Share of displaced workers employed 12 months after displacement (last month)."""
    last = _last(df)
    size = last["cohort_12m_size"].to_numpy(float)
    if size.sum() <= 0:
        return float("nan")
    return float(np.nansum(last["cohort_12m_employed"].to_numpy(float) * size) / size.sum())


def long_term_unemployment_share(df: pd.DataFrame) -> float:
    """Share of the unemployed unemployed for 12 months or more, in the last month."""
    last = _last(df)
    u = last["unemployed"].to_numpy(float)
    return float(np.nansum(last["long_term_unemployed_share"].to_numpy(float) * u) / u.sum())


def programme_cost_usd(df: pd.DataFrame) -> float:
    """All programme spending over the run (USD)."""
    return float(df["spending_total_usd"].sum())


def displaced_reemployed(df: pd.DataFrame) -> float:
    """Workers ever displaced who are employed in the last month."""
    return float(_last(df)["displaced_reemployed"].sum())


def displaced_cumulative(df: pd.DataFrame) -> float:
    """Displacements over the run."""
    return float(_last(df)["displaced_cumulative"].sum())


OUTCOMES: dict[str, Callable[[pd.DataFrame], float]] = {
    "peak_unemployment_rate": peak_unemployment_rate,
    "unemployment_rate_horizon": unemployment_rate_horizon,
    "displaced_unemployment_months": displaced_unemployment_months,
    "reemployed_within_12m": reemployed_within_12m,
    "long_term_unemployment_share": long_term_unemployment_share,
    "programme_cost_usd": programme_cost_usd,
    "displaced_reemployed": displaced_reemployed,
    "displaced_cumulative": displaced_cumulative,
}


def outcome(df: pd.DataFrame, name: str, economy: str = "all") -> float:
    """One outcome of one run, for one economy or all."""
    d = df if economy == "all" else df[df["economy"] == economy]
    if d.empty:
        return float("nan")
    return OUTCOMES[name](d)


def cost_per_additional(cost: float, cost_ref: float, gain: float, gain_ref: float) -> float:
    """Extra cost over extra re-employed workers against the reference; NaN if no gain.

    Examples
    --------
    >>> cost_per_additional(3e6, 1e6, 1_500, 1_000)
    4000.0
    """
    extra = gain - gain_ref
    return (cost - cost_ref) / extra if extra > 0 else float("nan")


def needed_columns(names: list[str]) -> list[str]:
    """Metric columns needed to compute the named outcomes."""
    cols = {"economy", "step"}
    for n in names:
        for base in NEEDS_REFERENCE.get(n, (n,)):
            cols.update(OUTCOME_COLUMNS[base])
    return sorted(cols)
