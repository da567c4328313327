"""The numbers of a policymaker's brief, from a comparison's tables and runs.

Pure: tables in, tables out (nothing here reads or writes a file). The brief of one economy
ranks the options by their cost per additional displaced worker back in work
(``outcomes.REFERENCE_RATIOS``, headline ratio), says in plain words what each interval
allows one to conclude (:func:`verdict`), rounds every number to what its interval supports
(:func:`round_supported`), gives costs per year, as a share of GDP and as a discounted total
(:func:`discounted_extra_cost`), and shows outcomes by sex, age group and area
(:data:`GROUP_INDICATORS`, :func:`group_outcomes`).

References
----------
Office of Management and Budget (2003). Circular A-4: Regulatory Analysis. Washington, DC
(a 3% real discount rate, the consumption rate of interest).
Tan-Torres Edejer, T. et al. (eds., 2003). Making choices in health: WHO guide to
cost-effectiveness analysis. World Health Organization, Geneva (3% a year as the base case).
Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed. McGraw-Hill, 10.2 (paired-t
intervals).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from displacement_sim.analysis.compare import HEADLINE_RATIO, t_interval
from displacement_sim.outcomes import INDICATORS

DEFAULT_DISCOUNT_RATE = 0.03
"""Real discount rate a year for discounted totals: 3%, the rate of US OMB Circular A-4 (2003)
and WHO-CHOICE's base case (Tan-Torres Edejer et al. 2003). No ASEAN economy publishes a
common social discount rate, so for them it is an assumption; ``--discount-rate`` changes it."""

RANK_RATIO = HEADLINE_RATIO
"""The ratio options are ranked by: cost per additional displaced worker re-employed."""

GROUP_INDICATORS: tuple[tuple[str, str, str], ...] = (
    ("Women", "employment_to_population_F", "sex"),
    ("Men", "employment_to_population_M", "sex"),
    ("Aged 15-24", "employment_rate_15_24", "age"),
    ("Aged 25-54", "employment_rate_25_54", "age"),
    ("Aged 55-64", "employment_rate_55_64", "age"),
    ("Aged 65+", "employment_rate_65plus", "age"),
    ("Urban", "unemployment_rate_urban", "area"),
    ("Rural", "unemployment_rate_rural", "area"),
)
"""Who is affected: the group, the results column that describes it and its dimension. By sex
the employment-to-population ratio and by age the employment rate (trainees in the labour
force), which training cannot improve by enrolling people; by area the results hold only the
unemployment rate, which leaves trainees out (labelled so)."""

Verdict = str


# ----------------------------------------------------------------------------- rounding


def supported_step(value: float, low: float = math.nan, high: float = math.nan,
                   digits: int = 2) -> float:
    """The rounding step that ``value`` supports: ``digits`` significant figures at most, and
    no finer than the order of magnitude of the interval's half-width.

    Parameters
    ----------
    value : float
        The estimate.
    low, high : float
        Its interval (NaN when there is none: then only ``digits`` applies).
    digits : int
        The most significant figures shown (default 2).

    Returns
    -------
    float
        A power of ten (1.0 for a zero or non-finite value).

    Examples
    --------
    >>> supported_step(704771.0)
    10000.0
    >>> supported_step(704771.0, 300000.0, 2000000.0)
    100000.0
    """
    if not np.isfinite(value) or value == 0.0:
        return 1.0
    step = 10.0 ** (math.floor(math.log10(abs(value))) - (digits - 1))
    if np.isfinite(low) and np.isfinite(high) and high > low:
        step = max(step, 10.0 ** math.floor(math.log10((high - low) / 2.0)))
    return step


def round_to(value: float, step: float) -> float:
    """``value`` rounded to a multiple of ``step`` (NaN stays NaN; no ``-0.0``).

    Parameters
    ----------
    value : float
        The number to round.
    step : float
        The multiple to round to, positive (a power of ten in the brief).

    Returns
    -------
    float
        The rounded number, with no more decimals than ``step`` has.
    """
    if not np.isfinite(value):
        return float(value)
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return round(round(value / step) * step, decimals) + 0.0


def round_supported(value: float, low: float = math.nan, high: float = math.nan,
                    digits: int = 2) -> tuple[float, float, float]:
    """``(value, low, high)`` each rounded to what the interval supports.

    The value takes :func:`supported_step`; each bound the same step, or its own ``digits``
    significant figures where those are coarser.

    Parameters
    ----------
    value : float
        The central estimate.
    low, high : float
        The interval's bounds; NaN where there is no interval (default).
    digits : int
        Significant figures that the interval's width supports (default 2).

    Returns
    -------
    tuple of float
        ``(value, low, high)`` rounded.

    Examples
    --------
    >>> round_supported(704771.0, 312345.0, 2012345.0)
    (700000.0, 300000.0, 2000000.0)
    """
    step = supported_step(value, low, high, digits)
    bounds = []
    for b in (low, high):
        bounds.append(round_to(b, max(step, supported_step(b, digits=digits)))
                      if np.isfinite(b) and b != 0.0 else float(b))
    return round_to(value, step), bounds[0], bounds[1]


def significant_digits(value: float) -> int:
    """Significant figures of a number as written (trailing zeros of an integer not counted).

    Parameters
    ----------
    value : float
        The number; NaN and zero have none.

    Returns
    -------
    int
        The count of significant figures.

    Examples
    --------
    >>> significant_digits(700000.0), significant_digits(0.042), significant_digits(1.5)
    (1, 2, 2)
    """
    if not np.isfinite(value) or value == 0.0:
        return 0
    text = f"{abs(value):.12g}"
    if "e" in text:
        text = text.split("e")[0]
    digits = text.replace(".", "").lstrip("0")
    if "." not in text:
        digits = digits.rstrip("0")
    return len(digits)


# ----------------------------------------------------------------------------- words


def verdict(low: float, high: float, better: str, n: int = 2) -> Verdict:
    """What an interval of a difference from the reference allows one to say, in plain words.

    Parameters
    ----------
    low, high : float
        The confidence interval of the mean difference (option minus reference).
    better : str
        ``"higher"`` or ``"lower"``: the direction that counts as better.
    n : int
        Pairs behind the interval.

    Returns
    -------
    str
        ``"likely better"``, ``"likely worse"``, ``"cannot be told from current policy"`` (the
        interval includes zero), or ``"too few runs to tell"``.

    Examples
    --------
    >>> verdict(0.1, 0.4, "higher"), verdict(-0.1, 0.4, "higher"), verdict(-0.3, -0.1, "lower")
    ('likely better', 'cannot be told from current policy', 'likely better')
    """
    if n < 2 or not (np.isfinite(low) and np.isfinite(high)):
        return "too few runs to tell"
    if low <= 0.0 <= high:
        return "cannot be told from current policy"
    up = low > 0.0
    return "likely better" if up == (better == "higher") else "likely worse"


RATIO_WORDS: dict[str, str] = {
    "ok": "likely gain, at this cost",
    "saves money": "likely gain, and saves money",
    "no extra cost": "likely gain, at no extra cost",
    "gain uncertain": "gain cannot be told from current policy",
    "no gain": "no gain over current policy",
}
"""Plain words for each ``status`` of ``analysis.compare.cost_effectiveness``."""

_RANK_GROUP = {"saves money": 0, "no extra cost": 0, "ok": 1, "gain uncertain": 2,
               "no gain": 3}


# ----------------------------------------------------------------------------- tables


def same_as_reference(pairs: pd.DataFrame, economy: str) -> list[str]:
    """Options whose every outcome equals the reference's in every pair, in one economy.

    Such an option changes nothing there (for example "no active policy" where current policy
    has no programme), so the brief names it instead of showing zeros.

    Parameters
    ----------
    pairs : pandas.DataFrame
        Paired differences with columns ``economy``, ``option``, ``value``,
        ``reference_value`` and ``difference``.
    economy : str
        The ISO3 code of the economy.

    Returns
    -------
    list of str
        The options, in the order they first appear.
    """
    d = pairs[pairs["economy"] == economy]
    out = []
    for option, g in d.groupby("option", sort=False):
        diff = g["difference"].to_numpy(float)
        same = np.isnan(g["value"].to_numpy(float)) & np.isnan(
            g["reference_value"].to_numpy(float))
        if np.all((diff == 0.0) | same):
            out.append(str(option))
    return out


def discounted_extra_cost(df: pd.DataFrame, reference: str, economy: str, rate: float,
                          confidence: float = 0.95) -> pd.DataFrame:
    """Extra programme spending over the reference, discounted to the start, paired by replicate.

    ``sum over months t = 1..H of (spend_option(t) - spend_reference(t)) / (1 + rate)^(t/12)``
    for each replicate pair, then its mean and t-interval (Law 2015, 10.2).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results (``scenario`` names the option) with ``spending_total_usd``.
    reference : str
        The reference option.
    economy : str
        ISO3 code.
    rate : float
        Real discount rate a year (0.03 for 3%).
    confidence : float
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per option but the reference: ``option``, ``n``, ``mean``, ``ci_low``,
        ``ci_high`` (USD of the start year), ``total_option`` (the option's own discounted
        total, mean over runs).
    """
    d = df[(df["economy"] == economy) & (df["step"] >= 1)]
    factor = (1.0 + rate) ** (-d["step"].to_numpy(float) / 12.0)
    d = d.assign(_pv=d["spending_total_usd"].to_numpy(float) * factor)
    pv = d.groupby(["scenario", "replicate"])["_pv"].sum()
    ref = pv.xs(reference, level="scenario") if reference in pv.index.get_level_values(0) \
        else pd.Series(dtype=float)
    rows = []
    for option in dict.fromkeys(d["scenario"]):
        if option == reference:
            continue
        own = pv.xs(option, level="scenario")
        diff = (own - ref).dropna().to_numpy(float)
        mean, lo, hi, n = t_interval(diff, confidence)
        rows.append({"option": option, "n": n, "mean": mean, "ci_low": lo, "ci_high": hi,
                     "total_option": float(own.mean())})
    return pd.DataFrame(rows, columns=["option", "n", "mean", "ci_low", "ci_high",
                                       "total_option"])


def group_outcomes(df: pd.DataFrame, reference: str, option: str, economy: str,
                   confidence: float = 0.95) -> pd.DataFrame:
    """Outcomes by sex, age group and area: start, horizon under the reference, and the change
    with ``option`` (paired by replicate), for :data:`GROUP_INDICATORS`.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results of every option.
    reference : str
        The reference option.
    option : str
        The option whose change is shown.
    economy : str
        ISO3 code.
    confidence : float
        Level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group present in the results: ``group``, ``dimension``, ``indicator``,
        ``label``, ``better``, ``start``, ``horizon_reference`` (shares, means over runs),
        ``n``, ``change``, ``ci_low``, ``ci_high`` (share points).
    """
    d = df[df["economy"] == economy]
    first = d[d["step"] == d["step"].min()]
    last = d[d["step"] == d["step"].max()]
    ref = last[last["scenario"] == reference].set_index("replicate")
    opt = last[last["scenario"] == option].set_index("replicate")
    rows = []
    for group, column, dimension in GROUP_INDICATORS:
        if column not in d.columns:
            continue
        start = float(first[first["scenario"] == reference][column].mean())
        if not np.isfinite(start) and not np.isfinite(ref[column].mean()):
            continue  # not defined in this economy (no rural workers, say)
        diff = (opt[column] - ref[column]).dropna().to_numpy(float)
        mean, lo, hi, n = t_interval(diff, confidence)
        indicator = INDICATORS.get(column)
        rows.append({"group": group, "dimension": dimension, "indicator": column,
                     "label": indicator.label if indicator is not None else column,
                     "better": indicator.better if indicator is not None else "higher",
                     "start": start, "horizon_reference": float(ref[column].mean()),
                     "n": n, "change": mean, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Ranked:
    """One option of the ranking, its numbers unrounded."""

    option: str
    status: str
    ratio: float
    ratio_low: float
    ratio_high: float
    employment_change: float
    employment_low: float
    employment_high: float
    employment_n: int
    cost_per_year: float
    extra_discounted: float
    extra_discounted_low: float
    extra_discounted_high: float


def rank_options(differences: pd.DataFrame, cost_effectiveness: pd.DataFrame,
                 outcomes: pd.DataFrame, discounted: pd.DataFrame, economy: str,
                 options: Sequence[str], years: float, measure: str = "employment_rate_horizon"
                 ) -> list[Ranked]:
    """The options of one economy, best value first.

    Options that save money or cost nothing extra for a likely gain come first, then those
    with a likely gain by cost per additional worker back in work, then those whose gain
    cannot be told from the reference (by their point ratio), then those with no gain (by
    their change in ``measure``).

    Parameters
    ----------
    differences, cost_effectiveness, outcomes : pandas.DataFrame
        The comparison's tables (``analysis.compare``).
    discounted : pandas.DataFrame
        :func:`discounted_extra_cost` of the economy.
    economy : str
        ISO3 code.
    options : sequence of str
        The options to rank (the reference and options identical to it left out).
    years : float
        The horizon in years (for costs per year).
    measure : str
        The outcome whose change is shown beside the ratio.

    Returns
    -------
    list of Ranked
    """
    diff = differences[(differences["economy"] == economy)
                       & (differences["measure"] == measure)].set_index("option")
    ce = cost_effectiveness[(cost_effectiveness["economy"] == economy)
                            & (cost_effectiveness["ratio"] == RANK_RATIO)].set_index("option")
    cost = outcomes[outcomes["economy"] == economy].groupby("scenario")["programme_cost_usd"]
    cost_mean = cost.mean()
    disc = discounted.set_index("option") if not discounted.empty else discounted
    out = []
    for o in options:
        if o not in ce.index or o not in diff.index:
            continue
        c, dd = ce.loc[o], diff.loc[o]
        dr = disc.loc[o] if o in disc.index else None
        out.append(Ranked(
            option=o, status=str(c["status"]), ratio=float(c["value"]),
            ratio_low=float(c["ci_low"]), ratio_high=float(c["ci_high"]),
            employment_change=float(dd["mean_difference"]),
            employment_low=float(dd["ci_low"]), employment_high=float(dd["ci_high"]),
            employment_n=int(dd["n"]),
            cost_per_year=float(cost_mean.get(o, np.nan)) / years,
            extra_discounted=float(dr["mean"]) if dr is not None else np.nan,
            extra_discounted_low=float(dr["ci_low"]) if dr is not None else np.nan,
            extra_discounted_high=float(dr["ci_high"]) if dr is not None else np.nan))

    def key(r: Ranked) -> tuple[int, float]:
        group = _RANK_GROUP.get(r.status, 3)
        if group == 3:
            return group, -r.employment_change if np.isfinite(r.employment_change) else 0.0
        return group, r.ratio if np.isfinite(r.ratio) else math.inf

    return sorted(out, key=key)


__all__ = ["DEFAULT_DISCOUNT_RATE", "GROUP_INDICATORS", "RATIO_WORDS", "Ranked",
           "discounted_extra_cost", "group_outcomes", "rank_options", "round_supported",
           "round_to", "same_as_reference", "significant_digits", "supported_step", "verdict"]
