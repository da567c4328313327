"""Paired comparison of policy options against a reference option, from tidy results.

Every option is run with the same replicate seeds (common random numbers), so replicate $r$ of an
option and replicate $r$ of the reference start from the same population and share the random
draws of every mechanism the policy does not touch. Each comparison is therefore made on
*paired differences*: option minus reference, replicate by replicate. Their mean estimates the
effect of choosing the option, their t-interval is its confidence interval, and the share of
pairs in which the option does better estimates the probability that it beats the reference.

Pure: tidy results in (one row per run, economy and month; docs/outputs.md), tidy tables out.
Nothing here runs a model or writes a file. Every measure, ratio and path metric is declared
once in ``displacement_sim.outcomes`` (``RUN_OUTCOMES``, ``REFERENCE_RATIOS``, ``INDICATORS``),
with the names and definitions the sensitivity analysis uses; the constants below are views.

The headline measures are the employment rate (employed / labour force) and the share
unemployed or in training ((unemployed + trainees) / labour force): trainees are in the labour
force and neither employed nor unemployed, so a programme cannot improve either by enrolling
people. The unemployment rate, unemployed / (employed + unemployed), leaves trainees out of both
and falls when people are enrolled; it is kept, labelled "trainees not counted".

Tables (each long, one row per economy and option, then measure, month or horizon):

- :func:`run_outcomes`: the compared outcomes of every run (:data:`MEASURES`);
- :func:`paired_differences`, :func:`summarize_pairs`: differences, their mean, confidence
  interval and probability of being better;
- :func:`cost_effectiveness`: extra programme cost per additional worker re-employed and per
  long-term-unemployment person-year avoided, with Fieller intervals;
- :func:`path_differences`: the paired difference of a monthly indicator (the employment rate
  in :func:`compare`), month by month;
- :func:`programme_effect`: employment 6, 12, 24 and 36 months after the start of training
  (trainees against displaced workers of the run without the programme), and of all displaced
  workers by months since displacement (paired runs with and without the programme).

References
----------
Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed. McGraw-Hill. Section 10.2 (paired-t
confidence interval for the difference of two systems) and 11.2 (common random numbers).
Fieller, E. C. (1954). Some problems in interval estimation. J. R. Stat. Soc. B 16(2), 175-185.
doi:10.1111/j.2517-6161.1954.tb00159.x
Willan, A. R. & O'Brien, B. J. (1996). Confidence intervals for cost-effectiveness ratios: an
application of Fieller's theorem. Health Econ. 5(4), 297-305.
doi:10.1002/(SICI)1099-1050(199607)5:4<297::AID-HEC216>3.0.CO;2-T
Card, D., Kluve, J. & Weber, A. (2018). What works? A meta analysis of recent active labor market
program evaluations. J. Eur. Econ. Assoc. 16(3), 894-931. doi:10.1093/jeea/jvx028 (effects of
training are small or negative in the first year, "lock-in", and grow two to three years on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from displacement_sim.constants import ECONOMY_NAMES
from displacement_sim.outcomes import (
    COHORT_MONTHS,
    INDICATORS,
    REFERENCE_RATIOS,
    RUN_OUTCOMES,
    TRAINEES_COUNTED,  # noqa: F401 - re-exported: reports import it from here
    RunOutcome,
    View,
)

Direction = Literal["lower", "higher"]

Measure = RunOutcome
"""One outcome of a run that options are compared on (``outcomes.RunOutcome``: ``name``,
``label``, ``unit``, ``better``, ``definition``, also as ``description``)."""

MEASURES: dict[str, RunOutcome] = RUN_OUTCOMES
"""The compared outcomes: every run outcome of ``outcomes.RUN_OUTCOMES`` (the registry itself,
so an outcome registered there is compared), each with its unit and the direction that counts
as better.

The first four are the headline: training cannot improve them by taking people out of the
count (:data:`TRAINEES_COUNTED`)."""

HEADLINE: tuple[str, ...] = tuple(n for n, m in RUN_OUTCOMES.items() if m.headline)
"""The measures a report leads with (its overview), the employment rate first."""

PATH_METRICS: View[tuple[str, Direction]] = View(
    INDICATORS, lambda i: (i.label, i.better), lambda i: i.better is not None)
"""Monthly indicators (results columns) with a direction, which a comparison can follow month
by month: plain label and the direction that counts as better (from ``outcomes.INDICATORS``)."""

PATH_METRIC = "employment_rate"
"""The monthly indicator whose paired difference :func:`compare` follows month by month."""

RATIOS: View[tuple[str, str, str]] = View(REFERENCE_RATIOS, lambda r: (r.label, r.unit, r.gain))
"""Cost-effectiveness ratios (``outcomes.REFERENCE_RATIOS``): label, unit and the measure whose
gain is the denominator."""

HEADLINE_RATIO = next(n for n, r in REFERENCE_RATIOS.items() if r.headline)
"""The cost-effectiveness ratio a report leads with (its overview)."""

EFFECT_METHODS: dict[str, str] = {
    "trainees": "Trainees, k months after the start of training, against displaced workers k "
                "months after displacement in the run without the programme",
    "displaced": "All displaced workers, k months after displacement, with against without the "
                 "programme (paired runs)",
}
"""The two estimates of the programme effect over time (see :func:`programme_effect`)."""

_RUN_KEYS = ["scenario", "replicate", "seed", "economy"]


# ----------------------------------------------------------------------------- statistics


def _zero(values: np.ndarray) -> float:
    """What counts as zero for a mean of ``values``: rounding error of their size."""
    finite = np.abs(values[np.isfinite(values)])
    return 1e-9 * max(float(finite.max()) if finite.size else 0.0, 1.0)


def t_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and t-interval of the finite values: ``(mean, low, high, n)``; NaN bounds if n < 2.

    Parameters
    ----------
    values : numpy.ndarray
        The sample; non-finite values are left out.
    confidence : float
        Level of the confidence interval (default 0.95).

    Examples
    --------
    >>> t_interval(np.array([1.0, 1.0, 1.0]))
    (1.0, 1.0, 1.0, 3)
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return float("nan"), float("nan"), float("nan"), 0
    mean = float(v.mean())
    if n < 2:
        return mean, float("nan"), float("nan"), n
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def fieller_interval(x: np.ndarray, y: np.ndarray, confidence: float = 0.95
                     ) -> tuple[float, float, float]:
    """Ratio of means ``mean(x) / mean(y)`` of paired samples, with Fieller's interval.

    Returns ``(ratio, low, high)``. The ratio is NaN when ``mean(y) <= 0`` (up to rounding:
    a mean below 1e-9 of the largest ``|y|`` counts as zero). The bounds are NaN
    when the interval is unbounded, which happens when ``mean(y)`` is not significantly
    different from zero at this confidence (Fieller 1954; Willan & O'Brien 1996).

    Parameters
    ----------
    x : numpy.ndarray
        The numerators (extra costs), one per pair.
    y : numpy.ndarray
        The denominators (gains), one per pair; pairs with a non-finite value are left out.
    confidence : float
        Level of the confidence interval (default 0.95).

    Examples
    --------
    >>> y = np.array([1.0, 1.1, 0.9, 1.0])
    >>> fieller_interval(2.0 * y, y)  # x = 2 y exactly: the interval is the single point
    (2.0, 2.0, 2.0)
    >>> fieller_interval(np.array([2.0, 4.0]), np.array([1.0, 2.0]))  # 2 pairs: unbounded
    (2.0, nan, nan)
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    nan = float("nan")
    if n == 0:
        return nan, nan, nan
    xm, ym = float(x.mean()), float(y.mean())
    if not ym > _zero(y):
        return nan, nan, nan
    ratio = xm / ym
    if n < 2:
        return ratio, nan, nan
    t2 = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) ** 2
    cov = np.cov(x, y, ddof=1) / n
    vxx, vxy, vyy = float(cov[0, 0]), float(cov[0, 1]), float(cov[1, 1])
    a = ym * ym - t2 * vyy
    if a <= 0:
        return ratio, nan, nan
    b = xm * ym - t2 * vxy
    c = xm * xm - t2 * vxx
    root = float(np.sqrt(max(b * b - a * c, 0.0)))
    return ratio, (b - root) / a, (b + root) / a


# ----------------------------------------------------------------------------- outcomes


def _check_columns(df: pd.DataFrame, needed: Sequence[str]) -> None:
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise ValueError(f"the results table lacks columns {missing}")


def run_outcomes(df: pd.DataFrame) -> pd.DataFrame:
    """The compared outcomes (:data:`MEASURES`) of every run and economy.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results of one or more options (``scenario`` names the option).

    Returns
    -------
    One row per run and economy: ``scenario``, ``replicate``, ``seed``, ``economy`` and one
    column per measure, each computed by its ``RunOutcome.compute`` from that run's rows of
    that economy. Sums, means and peaks over the run cover months 1 to the horizon; month 0
    is the common starting state.
    """
    measures = list(MEASURES.values())
    needs = list(dict.fromkeys(c for m in measures for c in m.needs))
    _check_columns(df, [*_RUN_KEYS, "run_id", "step", *needs])
    table = df[["run_id", *_RUN_KEYS, "step", *needs]]
    rows = []
    # By option too: identical options share their run ids (the same runs, stored once).
    for (scenario, _, economy), run in table[table["step"] >= 1].groupby(
            ["scenario", "run_id", "economy"], sort=False):
        first = run.iloc[0]
        row = {"scenario": scenario, "replicate": first["replicate"], "seed": first["seed"],
               "economy": economy}
        row.update({m.name: m.compute(run) for m in measures})
        rows.append(row)
    out = pd.DataFrame(rows, columns=[*_RUN_KEYS, *MEASURES])
    return out.sort_values(_RUN_KEYS, kind="stable").reset_index(drop=True)


def _order(options: Sequence[str] | None, present: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(present))
    if options is None:
        return sorted(present)
    return [o for o in options if o in present] + sorted(set(present) - set(options))


def _sort(table: pd.DataFrame, options: Sequence[str], extra: Sequence[str] = ()
          ) -> pd.DataFrame:
    econ_order = {e: i for i, e in enumerate(ECONOMY_NAMES)}
    opt_order = {o: i for i, o in enumerate(options)}
    key = pd.DataFrame({"_e": table["economy"].map(econ_order),
                        "_o": table["option"].map(opt_order)})
    sorted_idx = pd.concat([key, table[list(extra)]], axis=1).sort_values(
        ["_e", "_o", *extra], kind="stable").index
    return table.loc[sorted_idx].reset_index(drop=True)


def _pair(table: pd.DataFrame, reference: str, on: Sequence[str]) -> pd.DataFrame:
    """Join every option's rows with the reference's rows of the same replicate."""
    if reference not in set(table["scenario"]):
        raise ValueError(f"the reference option {reference!r} is not in the results "
                         f"(options: {sorted(set(table['scenario']))})")
    ref = table[table["scenario"] == reference]
    opt = table[table["scenario"] != reference]
    merged = opt.merge(ref, on=list(on), suffixes=("", "_ref"), how="inner")
    bad = merged[merged["seed"] != merged["seed_ref"]]
    if not bad.empty:
        row = bad.iloc[0]
        raise ValueError(
            f"option {row['scenario']!r}, replicate {row['replicate']}: seed {row['seed']} "
            f"differs from the reference's {row['seed_ref']}; the runs are not paired (run "
            "the options with common random numbers)")
    return merged.rename(columns={"scenario": "option"})


def paired_differences(outcomes: pd.DataFrame, reference: str,
                       measures: Sequence[str] | None = None,
                       options: Sequence[str] | None = None) -> pd.DataFrame:
    """Option minus reference, replicate by replicate, for every measure.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        The table of :func:`run_outcomes`.
    reference : str
        The option compared against (its rows are the reference values).
    measures : sequence of str, optional
        Measures to compare (default: every one in :data:`MEASURES`).
    options : sequence of str, optional
        The order of options in the output (default: alphabetical).

    Returns
    -------
    Long table: ``economy``, ``option``, ``replicate``, ``seed``, ``measure``, ``value``,
    ``reference_value``, ``difference`` and ``better`` (True when the option does strictly
    better in that pair, in the measure's direction; ties are not better). Pairs whose value
    is missing on either side have a missing difference.
    """
    measures = list(measures) if measures is not None else list(MEASURES)
    merged = _pair(outcomes, reference, ["economy", "replicate"])
    frames = []
    for m in measures:
        value, ref = merged[m].to_numpy(float), merged[f"{m}_ref"].to_numpy(float)
        diff = value - ref
        better = diff < 0 if MEASURES[m].better == "lower" else diff > 0
        frames.append(pd.DataFrame({
            "economy": merged["economy"].to_numpy(), "option": merged["option"].to_numpy(),
            "replicate": merged["replicate"].to_numpy(), "seed": merged["seed"].to_numpy(),
            "measure": m, "value": value, "reference_value": ref, "difference": diff,
            "better": better & np.isfinite(diff)}))
    out = pd.concat(frames, ignore_index=True)
    order = _order(options, out["option"].tolist())
    measure_pos = {m: i for i, m in enumerate(measures)}
    out["_m"] = out["measure"].map(measure_pos)
    return _sort(out, order, ["_m", "replicate"]).drop(columns="_m")


def summarize_pairs(pairs: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean paired difference, its t-interval and the probability of doing better.

    Parameters
    ----------
    pairs : pandas.DataFrame
        The table of :func:`paired_differences`.
    confidence : float
        Level of the confidence interval.

    Returns
    -------
    One row per economy, option and measure: ``label``, ``unit``, ``better`` (direction),
    ``n`` (pairs with a value on both sides), ``mean_option``, ``mean_reference``,
    ``mean_difference``, ``ci_low``, ``ci_high`` and ``p_better`` (share of those pairs in
    which the option does strictly better).
    """
    rows = []
    for (econ, option, measure), d in pairs.groupby(["economy", "option", "measure"],
                                                    sort=False):
        diff = d["difference"].to_numpy(float)
        ok = np.isfinite(diff)
        mean, lo, hi, n = t_interval(diff, confidence)
        m = MEASURES[measure]
        rows.append({
            "economy": econ, "option": option, "measure": measure, "label": m.label,
            "unit": m.unit, "better": m.better, "n": n,
            "mean_option": float(d["value"][ok].mean()) if n else float("nan"),
            "mean_reference": float(d["reference_value"][ok].mean()) if n else float("nan"),
            "mean_difference": mean, "ci_low": lo, "ci_high": hi,
            "p_better": float(d["better"][ok].mean()) if n else float("nan"),
        })
    return pd.DataFrame(rows)


def cost_effectiveness_pairs(outcomes: pd.DataFrame, reference: str,
                             options: Sequence[str] | None = None) -> pd.DataFrame:
    """Extra cost, gain and their ratio in every replicate pair, for each ratio in :data:`RATIOS`.

    The extra cost is the option's programme cost minus the reference's (USD over the run).
    The gain is, for ``cost_per_reemployed_usd``, the option's displaced workers employed at
    the horizon minus the reference's; for ``cost_per_ltu_year_avoided_usd``, the reference's
    long-term-unemployment person-years minus the option's. The pair's ratio is extra cost /
    gain, and is missing ("no gain") when the gain is zero or negative.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        The table of :func:`run_outcomes`.
    reference : str
        The option compared against.
    options : sequence of str, optional
        The order of options in the output (default: alphabetical; options not listed follow,
        alphabetically).

    Returns
    -------
    Long table: ``economy``, ``option``, ``replicate``, ``ratio`` (the ratio's name),
    ``extra_cost_usd``, ``gain``, ``value`` (the pair's ratio or NaN).
    """
    merged = _pair(outcomes, reference, ["economy", "replicate"])
    frames = []
    for name, r in REFERENCE_RATIOS.items():
        extra = (merged[r.cost] - merged[f"{r.cost}_ref"]).to_numpy(float)
        gain = r.gain_sign * (merged[r.gain] - merged[f"{r.gain}_ref"]).to_numpy(float)
        value = np.divide(extra, gain, out=np.full(gain.shape, np.nan), where=gain > 0)
        frames.append(pd.DataFrame({
            "economy": merged["economy"].to_numpy(), "option": merged["option"].to_numpy(),
            "replicate": merged["replicate"].to_numpy(), "ratio": name,
            "extra_cost_usd": extra, "gain": gain, "value": value}))
    out = pd.concat(frames, ignore_index=True)
    order = _order(options, out["option"].tolist())
    out["_r"] = out["ratio"].map({r: i for i, r in enumerate(RATIOS)})
    return _sort(out, order, ["_r", "replicate"]).drop(columns="_r")


def cost_effectiveness(outcomes: pd.DataFrame, reference: str, confidence: float = 0.95,
                       options: Sequence[str] | None = None) -> pd.DataFrame:
    """Cost per additional worker re-employed and per long-term-unemployment year avoided.

    Across pairs, the ratio is mean extra cost / mean gain (the incremental cost-effectiveness
    ratio), with Fieller's interval for a ratio of paired means. When a single pair's gain is
    the same in every pair, this is the mean of the pairs' ratios.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        The table of :func:`run_outcomes`.
    reference : str
        The option compared against.
    confidence : float
        Level of the confidence interval (default 0.95).
    options : sequence of str, optional
        The order of options in the output (default: alphabetical; options not listed follow,
        alphabetically).

    Returns
    -------
    One row per economy, option and ratio: ``label``, ``unit``, ``n`` (pairs),
    ``pairs_with_gain``, ``extra_cost_usd`` and ``gain`` (means over pairs), ``value`` (the
    ratio), ``ci_low``, ``ci_high`` and ``status``:

    - ``"no gain"``: the mean gain is zero or negative; the ratio is not defined;
    - ``"gain uncertain"``: the mean gain is positive but its confidence interval includes
      zero, so the ratio's interval is unbounded (bounds missing);
    - ``"no extra cost"``: a positive gain at the reference's cost (the ratio is 0);
    - ``"saves money"``: a positive gain at a lower cost than the reference;
    - ``"ok"``: a positive gain at a higher cost, with a bounded interval.
    """
    pairs = cost_effectiveness_pairs(outcomes, reference, options)
    rows = []
    for (econ, option, name), d in pairs.groupby(["economy", "option", "ratio"], sort=False):
        x, y = d["extra_cost_usd"].to_numpy(float), d["gain"].to_numpy(float)
        ok = np.isfinite(x) & np.isfinite(y)
        ratio, lo, hi = fieller_interval(x, y, confidence)
        gain = float(y[ok].mean()) if ok.any() else float("nan")
        cost = float(x[ok].mean()) if ok.any() else float("nan")
        if not gain > _zero(y):
            status = "no gain"
        elif not np.isfinite(lo):
            status = "gain uncertain"
        elif abs(cost) <= _zero(x):
            status = "no extra cost"
        elif cost < 0:
            status = "saves money"
        else:
            status = "ok"
        label, unit = REFERENCE_RATIOS[name].label, REFERENCE_RATIOS[name].unit
        rows.append({"economy": econ, "option": option, "ratio": name, "label": label,
                     "unit": unit, "n": int(ok.sum()),
                     "pairs_with_gain": int((y[ok] > 0).sum()), "extra_cost_usd": cost,
                     "gain": gain, "value": ratio, "ci_low": lo, "ci_high": hi,
                     "status": status})
    return pd.DataFrame(rows)


def path_differences(df: pd.DataFrame, reference: str, metric: str = PATH_METRIC,
                     confidence: float = 0.95, options: Sequence[str] | None = None
                     ) -> pd.DataFrame:
    """Paired difference of a monthly indicator (default :data:`PATH_METRIC`), month by month.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results of every option (``scenario`` names the option).
    reference : str
        The option compared against.
    metric : str
        The monthly indicator (default :data:`PATH_METRIC`).
    confidence : float
        Level of the confidence interval (default 0.95).
    options : sequence of str, optional
        The order of options in the output (default: alphabetical; options not listed follow,
        alphabetically).

    Returns
    -------
    One row per economy, option and month: ``step``, ``year``, ``metric``, ``n``,
    ``mean_option``, ``mean_reference``, ``mean_difference``, ``ci_low``, ``ci_high``.
    """
    _check_columns(df, [*_RUN_KEYS, "step", "year", metric])
    table = df[[*_RUN_KEYS, "step", "year", metric]]
    merged = _pair(table, reference, ["economy", "replicate", "step"])
    merged["difference"] = merged[metric] - merged[f"{metric}_ref"]
    g = merged.groupby(["economy", "option", "step"], sort=False)
    out = pd.DataFrame({
        "year": g["year"].first(), "n": g["difference"].count(),
        "mean_option": g[metric].mean(), "mean_reference": g[f"{metric}_ref"].mean(),
        "mean_difference": g["difference"].mean(), "sd": g["difference"].std(ddof=1),
    }).reset_index()
    n = out["n"].to_numpy(float)
    t = np.where(n > 1, stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1)), np.nan)
    half = t * out["sd"].to_numpy(float) / np.sqrt(np.maximum(n, 1))
    out["ci_low"] = out["mean_difference"] - half
    out["ci_high"] = out["mean_difference"] + half
    out.insert(3, "metric", metric)
    out = out.drop(columns="sd")
    return _sort(out, _order(options, out["option"].tolist()), ["step"])


def effect_inputs(df: pd.DataFrame) -> pd.DataFrame:
    """Per run and economy, employment k months after training start and after displacement.

    For each k in ``COHORT_MONTHS``:

    - ``trainee_{k}m_employed``: share of trainees employed k months after the start of their
      training, pooled over every month of the run (each month's ``trainee_{k}m_size`` people
      whose training started k months earlier, weighted by their number);
    - ``trainee_{k}m_size``: those trainees (people);
    - ``cohort_{k}m_employed``, ``cohort_{k}m_size``: displaced workers employed k months after
      their latest displacement, pooled over every displacement at least k months before the
      horizon (the metric in the last month).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results of every option (``scenario`` names the option), with the
        ``trainee_{k}m_*`` and ``cohort_{k}m_*`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per option, run and economy: ``economy``, ``scenario``, ``replicate``, ``seed``
        and the columns above.
    """
    cols = [f"{p}_{k}m_{s}" for p in ("trainee", "cohort") for k in COHORT_MONTHS
            for s in ("employed", "size")]
    _check_columns(df, [*_RUN_KEYS, "run_id", "step", *cols])
    d = df[df["step"] >= 1]
    keys = ["scenario", "run_id", "economy"]  # identical options share their run ids
    g = d.groupby(keys, sort=False)
    last = d.loc[g["step"].idxmax()].set_index(keys)
    out = last[["replicate", "seed"]].copy()
    by = [d[k] for k in keys]
    for k in COHORT_MONTHS:
        size = d[f"trainee_{k}m_size"].to_numpy(float)
        share = d[f"trainee_{k}m_employed"].to_numpy(float)
        employed = pd.Series(np.where(size > 0, size * np.nan_to_num(share), 0.0), d.index)
        total = d[f"trainee_{k}m_size"].groupby(by, sort=False).sum()
        emp = employed.groupby(by, sort=False).sum()
        out[f"trainee_{k}m_employed"] = (emp / total.where(total > 0)).reindex(out.index)
        out[f"trainee_{k}m_size"] = total.reindex(out.index)
        out[f"cohort_{k}m_employed"] = last[f"cohort_{k}m_employed"]
        out[f"cohort_{k}m_size"] = last[f"cohort_{k}m_size"]
    out = out.reset_index().drop(columns="run_id")
    out = out[["economy", "scenario", *out.columns.drop(["economy", "scenario"])]]
    return out.sort_values(_RUN_KEYS, kind="stable").reset_index(drop=True)


def programme_effect(df: pd.DataFrame, counterfactual: str, confidence: float = 0.95,
                     options: Sequence[str] | None = None) -> pd.DataFrame:
    """Employment 6, 12, 24 and 36 months after the start of training, against no programme.

    Two estimates, both paired by replicate with the ``counterfactual`` option (the run without
    the programme, same seed):

    - ``method = "trainees"``: the option's trainees employed k months after the start of
      training, minus the counterfactual's displaced workers employed k months after
      displacement. Trainees enrol a few months after displacement, and only while still
      unemployed, so they are a harder-to-place group than all displaced workers: the
      difference understates the programme's effect on its participants, most at short k.
    - ``method = "displaced"``: all displaced workers of the option employed k months after
      displacement, minus the same share in the counterfactual. This is the effect of offering
      the programme, over participants and non-participants alike (including any crowding
      out of other job seekers); it is diluted by those who never train.

    A negative difference at 6 or 12 months is the lock-in effect: trainees search less while
    in training. The months at which the difference turns positive show when the gain arrives.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy monthly results of every option (``scenario`` names the option).
    counterfactual : str
        The option without the programme.
    confidence : float
        Level of the confidence interval (default 0.95).
    options : sequence of str, optional
        The order of options in the output (default: alphabetical; options not listed follow,
        alphabetically).

    Returns
    -------
    One row per economy, option (every option but the counterfactual), method and ``months``:
    ``n`` (pairs with both values), ``group_size`` (mean people in the option's group:
    trainees or displaced), ``mean_option``, ``mean_reference``, ``mean_difference``,
    ``ci_low``, ``ci_high`` (shares; the difference in share points).
    """
    inputs = effect_inputs(df)
    merged = _pair(inputs, counterfactual, ["economy", "replicate"])
    rows = []
    for (econ, option), d in merged.groupby(["economy", "option"], sort=False):
        for method in EFFECT_METHODS:
            for k in COHORT_MONTHS:
                source = "trainee" if method == "trainees" else "cohort"
                value = d[f"{source}_{k}m_employed"].to_numpy(float)
                ref = d[f"cohort_{k}m_employed_ref"].to_numpy(float)
                diff = value - ref
                ok = np.isfinite(diff)
                mean, lo, hi, n = t_interval(diff, confidence)
                rows.append({
                    "economy": econ, "option": option, "method": method, "months": k,
                    "n": n,
                    "group_size": float(d[f"{source}_{k}m_size"].mean()),
                    "mean_option": float(value[ok].mean()) if n else float("nan"),
                    "mean_reference": float(ref[ok].mean()) if n else float("nan"),
                    "mean_difference": mean, "ci_low": lo, "ci_high": hi})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["_m"] = out["method"].map({m: i for i, m in enumerate(EFFECT_METHODS)})
    return _sort(out, _order(options, out["option"].tolist()), ["_m", "months"]).drop(
        columns="_m")


@dataclass(frozen=True)
class Comparison:
    """Every table of a comparison (see the module docstring)."""

    reference: str
    counterfactual: str
    options: tuple[str, ...]
    outcomes: pd.DataFrame
    pairs: pd.DataFrame
    differences: pd.DataFrame
    cost_pairs: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    paths: pd.DataFrame
    effect: pd.DataFrame
    confidence: float = 0.95
    path_metric: str = PATH_METRIC
    """The monthly indicator of :attr:`paths`."""
    bottom_line: str = "cost_per_worker"
    """What the bottom line ranks the options by (``studies.ComparisonFile.bottom_line``)."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by name (for writing)."""
        return {"outcomes": self.outcomes, "pairs": self.pairs,
                "differences": self.differences, "cost_pairs": self.cost_pairs,
                "cost_effectiveness": self.cost_effectiveness, "paths": self.paths,
                "effect": self.effect}


def compare(df: pd.DataFrame, reference: str, counterfactual: str | None = None,
            options: Sequence[str] | None = None, confidence: float = 0.95,
            path_metric: str = PATH_METRIC, bottom_line: str = "cost_per_worker"
            ) -> Comparison:
    """Every comparison table of options against ``reference``.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results of every option (``scenario`` names the option), run with common random
        numbers so that replicate r of each option has the same seed.
    reference : str
        The option every other is compared with (usually current policy).
    counterfactual : str, optional
        The option without the programme, for :func:`programme_effect` (default:
        ``reference``).
    options : sequence of str, optional
        The order of options in the tables (default: alphabetical).
    confidence : float
        Level of every confidence interval.
    path_metric : str
        The monthly indicator followed month by month in ``paths`` (default: the employment
        rate, :data:`PATH_METRIC`).
    bottom_line : str
        What the bottom line ranks the options by (``studies.ComparisonFile.bottom_line``).

    Returns
    -------
    A :class:`Comparison`.
    """
    counterfactual = counterfactual or reference
    order = _order(options, df["scenario"].unique().tolist())
    outcomes = run_outcomes(df)
    pairs = paired_differences(outcomes, reference, options=order)
    return Comparison(
        reference=reference, counterfactual=counterfactual, options=tuple(order),
        outcomes=outcomes, pairs=pairs, differences=summarize_pairs(pairs, confidence),
        cost_pairs=cost_effectiveness_pairs(outcomes, reference, order),
        cost_effectiveness=cost_effectiveness(outcomes, reference, confidence, order),
        paths=path_differences(df, reference, path_metric, confidence, order),
        effect=programme_effect(df, counterfactual, confidence, order),
        confidence=confidence, path_metric=path_metric, bottom_line=bottom_line)
