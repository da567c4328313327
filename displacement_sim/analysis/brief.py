"""The numbers of a policymaker's brief, from a comparison's tables and runs.

Pure: tables in, tables out (nothing here reads or writes a file). The brief of one economy
ranks the options by their cost per additional displaced worker back in work
(``outcomes.REFERENCE_RATIOS``, headline ratio), says in plain words what each interval
allows one to conclude (:func:`verdict`), rounds every number to what its interval supports
(:func:`round_supported`), gives costs per year, as a share of GDP and as a discounted total
(:func:`discounted_extra_cost`), and shows outcomes by sex, age group and area
(:data:`GROUP_INDICATORS`, :func:`group_outcomes`).

The ASEAN page pools the members a comparison simulated run by run (:func:`pool_economies`):
for each option, replicate and month, counts are summed over the members and each ratio is
recomputed from the summed counts (``outcomes.monthly``'s rule), so one pooled table goes
through the same comparison (``analysis.compare.compare``) as one economy.

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
from displacement_sim.constants import ASEAN, SEXES
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

AGGREGATE = "ASEAN"
"""The code of the aggregate page: the ASEAN members of a comparison, pooled."""

AGGREGATE_MEMBERS: tuple[str, ...] = ASEAN
"""The economies the aggregate may pool (``constants.ASEAN``; never the United States)."""

DERIVED_WEIGHTS: dict[str, tuple[str, str]] = {
    f"{prefix}_{s}": (f"labour_force_{s}", f"participation_rate_{s}")
    for s in SEXES for prefix in ("employment_to_population", "participation_rate")}
"""Ratios that ``outcomes.INDICATORS`` declares without weights but whose denominator the
results hold indirectly: by sex, the working-age population is the labour force over the
participation rate (``labour_force_{s} / participation_rate_{s}``, exact where the
participation rate is positive), so employment to population and participation by sex pool
weighted by it. Ratio name -> (count, ratio) whose quotient is the weight."""

_META = ("run_id", "seed", "variant", "year")


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



def aggregate_members(economies: Sequence[str]) -> list[str]:
    """The economies of ``economies`` that the ASEAN aggregate pools, in the package's order.

    Parameters
    ----------
    economies : sequence of str
        ISO3 codes (a comparison's economies).

    Returns
    -------
    list of str
        The ASEAN members among them (``constants.ASEAN``); the United States never.

    Examples
    --------
    >>> aggregate_members(["USA", "VNM", "PHL"])
    ['PHL', 'VNM']
    """
    present = set(economies)
    return [e for e in AGGREGATE_MEMBERS if e in present]


def pooled_weights(df: pd.DataFrame, column: str) -> np.ndarray | None:
    """The weights that pool a ratio column over economies, row by row; None if it cannot be.

    A count needs none (it is summed: ``np.ones``); a ratio is weighted by the counts of its
    :attr:`outcomes.Indicator.weights` (its denominator), or by :data:`DERIVED_WEIGHTS`.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results.
    column : str
        An indicator (``outcomes.INDICATORS``).

    Returns
    -------
    numpy.ndarray or None
        One weight per row, or None for a ratio whose denominator the results do not hold
        (the urban and rural unemployment rates, medians, indices).
    """
    ind = INDICATORS[column]
    if ind.kind == "count":
        return np.ones(len(df))
    if ind.weights:
        return sum(df[c].to_numpy(float) for c in ind.weights)
    if column in DERIVED_WEIGHTS:
        count, ratio = DERIVED_WEIGHTS[column]
        num, den = df[count].to_numpy(float), df[ratio].to_numpy(float)
        return np.divide(num, den, out=np.zeros(len(df)), where=den > 0)
    return None


def pool_economies(df: pd.DataFrame, members: Sequence[str], name: str = AGGREGATE
                   ) -> pd.DataFrame:
    """Several economies' monthly results pooled into one economy, run by run.

    For each option (``scenario``), replicate and month, every count is summed over the
    members and every ratio becomes the ratio of the summed counts: its values weighted by its
    denominator (:func:`pooled_weights`), as ``outcomes.monthly`` pools a run's economies (a
    missing value with a positive weight counts as zero; no weight at all gives NaN). Ratios
    that cannot be pooled are NaN when two or more members are present (one member's are kept
    as they are, so pooling one economy gives its own table). Month 0 is pooled too (the
    starting state). The pooled table goes through ``analysis.compare.compare`` exactly as one
    economy's.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results of every option (``scenario`` names the option), all economies of
        a run sharing its ``run_id`` and ``seed``.
    members : sequence of str
        ISO3 codes pooled.
    name : str
        The pooled economy's code in the output (default ``"ASEAN"``).

    Returns
    -------
    pandas.DataFrame
        One row per option, replicate and month, with the columns of ``df``; ``economy`` is
        ``name``.

    Raises
    ------
    ValueError
        If no member is in ``df``.

    Examples
    --------
    >>> df = pd.DataFrame({"scenario": "a", "replicate": 0, "step": 1, "run_id": "r",
    ...                    "seed": 1, "economy": ["A", "B"], "employed": [90.0, 150.0],
    ...                    "labour_force": [100.0, 300.0], "employment_rate": [0.9, 0.5]})
    >>> pool_economies(df, ["A", "B"])[["employed", "employment_rate"]].to_numpy().tolist()
    [[240.0, 0.6]]
    """
    d = df[df["economy"].isin(list(members))].reset_index(drop=True)
    if d.empty:
        raise ValueError(f"none of {list(members)} is in the results")
    keys = ["scenario", "replicate", "step"]
    several = d["economy"].nunique() > 1
    codes = d.groupby(keys, sort=False).ngroup().to_numpy()
    n = int(codes.max()) + 1
    _, first = np.unique(codes, return_index=True)
    out = {k: d[k].to_numpy()[first] for k in keys}
    out["economy"] = np.full(n, name, dtype=object)
    for c in _META:
        if c in d.columns:
            out[c] = d[c].to_numpy()[first]
    for c in d.columns:
        if c in out or c not in INDICATORS:
            continue
        values = d[c].to_numpy(float)
        w = pooled_weights(d, c)
        if w is None:
            out[c] = np.full(n, np.nan) if several else values[first]
        elif INDICATORS[c].kind == "count":
            out[c] = np.bincount(codes, weights=values, minlength=n)
        else:
            num = np.bincount(codes, weights=np.where(w > 0, np.nan_to_num(values) * w, 0.0),
                              minlength=n)
            den = np.bincount(codes, weights=w, minlength=n)
            out[c] = np.divide(num, den, out=np.full(n, np.nan), where=den > 0)
    cols = [c for c in df.columns if c in out]
    return pd.DataFrame(out)[cols]


def pooled_gdp(gdp_usd: dict[str, float], members: Sequence[str]) -> float:
    """The members' summed GDP (NaN if any member's is missing).

    Parameters
    ----------
    gdp_usd : dict of str to float
        GDP of each economy (USD).
    members : sequence of str
        ISO3 codes pooled.

    Returns
    -------
    float
        The sum, for costs as a share of the pooled GDP.
    """
    values = [float(gdp_usd.get(m, np.nan)) for m in members]
    return float(sum(values)) if values and bool(np.all(np.isfinite(values))) else float("nan")


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


__all__ = ["AGGREGATE", "AGGREGATE_MEMBERS", "DEFAULT_DISCOUNT_RATE", "DERIVED_WEIGHTS",
           "GROUP_INDICATORS", "RATIO_WORDS", "Ranked", "aggregate_members",
           "discounted_extra_cost", "group_outcomes", "pool_economies", "pooled_gdp",
           "pooled_weights", "rank_options", "round_supported", "round_to", "same_as_reference",
           "significant_digits", "supported_step", "verdict"]
