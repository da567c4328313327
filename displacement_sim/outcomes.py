"""Every quantity the model reports, declared once: monthly indicators and run outcomes.

Two registries, read by the model, the analyses, the reports, the command line and the docs:

- :data:`INDICATORS`: every column the model writes per economy and month (name, label,
  definition, unit, direction of "better" where it has one, and whether it is a count that
  sums over economies or a ratio, with the columns that weight it when economies are pooled).
  ``model/reporters.py`` computes them and builds ``METRICS`` from this registry.
- :data:`RUN_OUTCOMES`: scalars per run (and economy, or pooled economies) that the
  sensitivity analysis and the policy comparison use, each with its label, definition, unit,
  direction, the monthly indicators it reads and the pure function that computes it from one
  run's tidy table. :data:`REFERENCE_RATIOS` adds the cost-effectiveness ratios, which compare
  a run with its reference run (same seed).

One name, one definition: sums, means and peaks over a run cover months 1 to the horizon; month
0, the common starting state, is left out. "At the horizon" is the last month.

Pooling economies: a run's table may hold several economies (``economy = "all"`` in a
sensitivity analysis). :func:`monthly` then sums counts and takes the weighted mean of a ratio,
weighted by the counts that make up its denominator (:attr:`Indicator.weights`), which is the
ratio of the pooled counts: large economies weigh more, as in one pooled labour market. A ratio
without weights (e.g. the urban unemployment rate, whose denominator is not reported) cannot be
pooled, and an outcome that reads it is defined per economy only (:attr:`RunOutcome.pools`).

This module imports nothing from the model, the workflows, the analyses or the reports.
``python -m displacement_sim.outcomes docs/outputs.md`` regenerates the tables of
docs/outputs.md from it.
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar, get_args

import numpy as np
import pandas as pd

from displacement_sim.constants import AGE_GROUPS, SECTOR_NAMES, SECTORS, SEXES

Direction = Literal["lower", "higher"]
"""Whether a lower or a higher value is better."""

Kind = Literal["count", "ratio"]
"""``count``: people, jobs or money, a stock or a flow, that adds up over economies;
``ratio``: anything else (shares, rates, indices, medians, means)."""

IndicatorUnit = Literal["people", "jobs", "share", "ratio", "index", "months", "USD per month"]
"""Units of monthly indicators (docs/outputs.md, "Metrics")."""

OutcomeUnit = Literal["share", "points", "people", "person-months", "person-years", "USD"]
"""Units of run outcomes: a share (0-1), a difference of two shares ("points", 0-1), people,
person-months, person-years or US dollars of the start year (totals over the run)."""

Reduction = Literal["horizon", "peak", "mean", "total"]
"""How :class:`Reduce` turns a monthly indicator into one number per run."""

COHORT_MONTHS: tuple[int, ...] = (6, 12, 24, 36)
"""Months after displacement (or the start of training) at which cohorts are observed; the
model's ``workers.COHORT_MONTHS`` is this one."""

DWS_WINDOW_MONTHS = 36
"""Months, the survey month included, in which a job loss counts for the displaced-worker
survey indicators (``dws_*``): the BLS Displaced Worker Survey of January 2024 asks about
jobs lost in 2021-2023 (U.S. Bureau of Labor Statistics 2024)."""

DWS_TENURE_MONTHS = 36
"""Months a lost job must have been held for the ``dws_*`` indicators: BLS's "long-tenured"
displaced workers, with 3 or more years of tenure on the lost job (U.S. Bureau of Labor
Statistics 2024)."""

DWS_STATUSES: dict[str, str] = {
    "reemployed": "dws_reemployed_share",
    "unemployed": "dws_unemployed_share",
    "out_of_labour_force": "dws_olf_share",
}
"""Status at the survey, as ``calibration/data/bls_displaced_workers_2024.csv`` names it, ->
the indicator that the model computes for it (docs/ODD.md, "Displaced-worker survey").

References
----------
U.S. Bureau of Labor Statistics (2024), Worker Displacement: 2021-2023, news release
USDL-24-1758, https://www.bls.gov/news.release/disp.nr0.htm
"""

DEMAND_EFFECTS: tuple[str, ...] = ("drivers", "displacement", "productivity", "reinstatement",
                                   "absorption")
"""Parts of the monthly change in labour demand (docs/ODD.md, "Labour demand")."""

TRAINEES_COUNTED = (
    "How trainees are counted: people in a training programme are in the labour force and "
    "neither employed nor unemployed; the employment rate and the share unemployed or in "
    "training cannot be improved by enrolling people, while the unemployment rate leaves "
    "trainees out.")
"""One line, for every report, on how trainees enter the measures."""

_NAME = re.compile(r"^[a-z][A-Za-z0-9_]*$")


def _check(value: object, allowed: type, what: str, name: str) -> None:
    if value not in get_args(allowed):
        raise ValueError(f"{name}: {what} {value!r} is not one of {get_args(allowed)}")


# ----------------------------------------------------------------------------- indicators


@dataclass(frozen=True)
class Indicator:
    """One column of the results table: a monthly indicator per economy.

    Parameters
    ----------
    name : str
        The column name.
    label : str
        Plain-language name, for reports and figures.
    unit : str
        One of :data:`IndicatorUnit`.
    kind : str
        ``"count"`` (sums over economies) or ``"ratio"``.
    definition : str
        What it measures, exactly.
    section : str
        The docs section it is listed in (a key of :data:`SECTIONS`).
    weights : tuple of str
        For a ratio: the count columns whose sum is its denominator, so that its value over
        several economies is the weighted mean. Empty: it cannot be pooled.
    better : str, optional
        ``"lower"`` or ``"higher"`` where one direction is better; None otherwise.
    family : Family, optional
        The declaration it was expanded from (docs list a family in one row).
    """

    name: str
    label: str
    unit: IndicatorUnit
    kind: Kind
    definition: str
    section: str
    weights: tuple[str, ...] = ()
    better: Direction | None = None
    family: Family | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"{self.name!r}: an indicator name is snake case (ISO and ISIC codes upper case)")
        _check(self.unit, IndicatorUnit, "unit", self.name)
        _check(self.kind, Kind, "kind", self.name)
        if self.better is not None:
            _check(self.better, Direction, "better", self.name)
        if self.section not in SECTIONS:
            raise ValueError(f"{self.name}: section {self.section!r} is not one of "
                             f"{list(SECTIONS)}")
        if self.kind == "count" and self.weights:
            raise ValueError(f"{self.name}: a count sums over economies and has no weights")
        if self.kind == "count" and self.unit not in ("people", "jobs", "USD per month"):
            raise ValueError(f"{self.name}: a count is in people, jobs or USD per month")


@dataclass(frozen=True)
class Dimension:
    """A placeholder of a :class:`Family`: its values in column names and in text."""

    placeholder: str
    values: tuple[tuple[str, str], ...]
    """``(part of the column name, text in labels and definitions)`` for each value."""
    doc: str
    """How the docs describe the values."""


@dataclass(frozen=True)
class Family:
    """Indicators declared once for every value of one or more dimensions.

    ``name``, ``label``, ``definition`` and ``weights`` hold ``{placeholder}`` fields: the
    name and weights take each value's name part, label and definition its text.
    """

    name: str
    label: str
    unit: IndicatorUnit
    kind: Kind
    definition: str
    section: str
    over: tuple[Dimension, ...]
    weights: tuple[str, ...] = ()
    better: Direction | None = None


def _expand(*families: Family) -> list[Indicator]:
    """The indicators of families sharing dimensions, values outermost, families innermost."""
    over = families[0].over
    if any(f.over != over for f in families):
        raise ValueError("families expanded together share their dimensions")
    out = []
    for combo in itertools.product(*(d.values for d in over)):
        keys = {d.placeholder: v[0] for d, v in zip(over, combo, strict=True)}
        texts = {d.placeholder: v[1] for d, v in zip(over, combo, strict=True)}
        for f in families:
            out.append(Indicator(
                f.name.format(**keys), f.label.format(**texts), f.unit, f.kind,
                f.definition.format(**texts), f.section,
                tuple(w.format(**keys) for w in f.weights), f.better, f))
    return out


SECTIONS: dict[str, str] = {
    "status": "Labour-force status",
    "groups": "By sex and age group",
    "demand": "Labour demand and why it moved",
    "automation": "Automation and displacement",
    "training": "Training",
    "flows": "Flows in and out of the labour force",
    "money": "Wages and money",
    "cohorts": "Cohorts of displaced workers",
    "trainees": "Trainees by months since the start of training",
    "survey": "Displaced-worker survey (BLS DWS)",
    "shocks": "Typhoons and digital access",
}
"""Sections of docs/outputs.md's list of indicators, in order."""

AGE_LABELS: dict[str, str] = {a: a.replace("-", "_").replace("+", "plus") for a in AGE_GROUPS}
"""Age band (ILOEST) -> its suffix in column names."""

_SEX = Dimension("sex", tuple((s, {"F": "women", "M": "men"}[s]) for s in SEXES),
                 "`F` (women) or `M` (men)")
_AGE = Dimension("age", tuple((AGE_LABELS[a], a) for a in AGE_GROUPS),
                 "an age band: " + ", ".join(f"`{AGE_LABELS[a]}`" for a in AGE_GROUPS))
_AREA = Dimension("area", (("urban", "urban"), ("rural", "rural")), "`urban` or `rural`")
_SECTOR = Dimension("s", tuple((s, f"{s} ({SECTOR_NAMES[s]})") for s in SECTORS),
                    "an ISIC group: " + ", ".join(f"`{s}`" for s in SECTORS)
                    + " (names in `constants.SECTOR_NAMES`)")
_EFFECT = Dimension("effect", tuple((e, e) for e in DEMAND_EFFECTS),
                    "one of " + ", ".join(f"`{e}`" for e in DEMAND_EFFECTS))
_K = Dimension("k", tuple((str(k), str(k)) for k in COHORT_MONTHS),
               ", ".join(str(k) for k in COHORT_MONTHS[:-1]) + f" or {COHORT_MONTHS[-1]} "
               "(`COHORT_MONTHS`)")
_STATE = Dimension("state", (("employed", "employed"), ("unemployed", "unemployed"),
                             ("training", "in training"), ("olf", "out of the labour force")),
                   "`employed`, `unemployed`, `training` or `olf` (out of the labour force)")

_EFFECT_TEXT = {
    "drivers": "the drivers: the labour force, the output gap, wages and structural change",
    "displacement": "automation's displacement effect (work automated; negative)",
    "productivity": "automation's productivity effect (lower unit costs raise demand)",
    "reinstatement": "new tasks created after automation (reinstatement)",
    "absorption": "the aggregate absorption of the net loss, as output returns to potential",
}

_LF = ("labour_force",)
_POP = ("population",)


def _i(name: str, label: str, unit: IndicatorUnit, kind: Kind, definition: str, section: str,
       weights: tuple[str, ...] = (), better: Direction | None = None) -> list[Indicator]:
    return [Indicator(name, label, unit, kind, definition, section, weights, better)]


_DECLARED: list[Indicator] = [
    *_i("labour_force", "Labour force", "people", "count",
        "employed + unemployed + in training", "status"),
    *_i("employed", "Employed", "people", "count", "employed", "status"),
    *_i("unemployed", "Unemployed", "people", "count", "unemployed (searching)", "status"),
    *_i("in_training", "In training", "people", "count", "in a training programme", "status"),
    *_i("out_of_labour_force", "Outside the labour force", "people", "count",
        "of working age (15+) and outside the labour force", "status"),
    *_i("population", "Working-age population", "people", "count",
        "working-age population (15+): labour force + out of the labour force", "status"),
    *_i("unemployment_rate", "Unemployment rate (trainees not counted)", "share", "ratio",
        "unemployed / (employed + unemployed); trainees are outside it, so enrolling people "
        "lowers it", "status", ("employed", "unemployed"), "lower"),
    *_i("unemployment_rate_incl_training", "Share unemployed or in training", "share", "ratio",
        "(unemployed + trainees) / labour force", "status", _LF, "lower"),
    *_i("employment_rate", "Employment rate", "share", "ratio",
        "employed / labour force, trainees included in the labour force: **a programme "
        "cannot raise it by enrolling people**", "status", _LF, "higher"),
    *_i("employment_to_population", "Employment to population", "share", "ratio",
        "employed / working-age population", "status", _POP, "higher"),
    *_i("participation_rate", "Participation rate", "share", "ratio",
        "labour force / working-age population", "status", _POP),
    *_expand(
        Family("labour_force_{sex}", "Labour force, {sex}", "people", "count",
               "labour force, {sex}", "groups", (_SEX,)),
        Family("unemployment_rate_{sex}", "Unemployment rate, {sex}", "share", "ratio",
               "unemployment rate (trainees outside), {sex}", "groups", (_SEX,),
               better="lower"),
        Family("employment_to_population_{sex}", "Employment to population, {sex}", "share",
               "ratio", "employed / working-age population, {sex}", "groups", (_SEX,),
               better="higher"),
        Family("participation_rate_{sex}", "Participation rate, {sex}", "share", "ratio",
               "labour force / working-age population, {sex}", "groups", (_SEX,))),
    *_expand(
        Family("labour_force_{age}", "Labour force aged {age}", "people", "count",
               "labour force aged {age}", "groups", (_AGE,)),
        Family("unemployment_rate_{age}", "Unemployment rate aged {age}", "share", "ratio",
               "unemployment rate (trainees outside) of people aged {age}", "groups", (_AGE,),
               better="lower"),
        Family("employment_rate_{age}", "Employment rate aged {age}", "share", "ratio",
               "employed / labour force (trainees included) of people aged {age}", "groups",
               (_AGE,), ("labour_force_{age}",), "higher")),
    *_expand(Family("unemployment_rate_{area}", "Unemployment rate, {area}", "share", "ratio",
                    "unemployment rate (trainees outside) of {area} workers", "status",
                    (_AREA,), better="lower")),
    *_i("long_term_unemployed_share", "Long-term unemployed, share of the unemployed", "share",
        "ratio", "share of the unemployed whose current spell is at least "
        "`labour_market.long_term_months` (default 12)", "status", ("unemployed",), "lower"),
    *_i("median_unemployment_months", "Median unemployment duration", "months", "ratio",
        "median months in the current unemployment spell", "status", better="lower"),
    *_expand(Family("employment_{s}", "Employment in {s}", "people", "count",
                    "employment in ISIC group {s}", "status", (_SECTOR,))),
    *_i("vacancies", "Vacancies", "jobs", "count", "open vacancies after this month's hires",
        "status"),
    *_i("labour_demand", "Labour demand", "jobs", "count",
        "the firms' labour demand: jobs filled and wanted (del Rio-Chanona's target demand)",
        "demand"),
    *[ind for e in DEMAND_EFFECTS for ind in _i(
        f"demand_{e}", f"Change in labour demand from {e}", "jobs", "count",
        f"change in labour demand this month from {_EFFECT_TEXT[e]}", "demand")],
    *_expand(Family("demand_{effect}_{s}", "Change in labour demand in {s} from {effect}",
                    "jobs", "count", "the same as `demand_{effect}`, in ISIC group {s}",
                    "demand", (_EFFECT, _SECTOR))),
    *_i("automated_share", "Work automated", "share", "ratio",
        "share of the starting work automated so far (adopters' automated shares weighted by "
        "firms' starting target demand)", "automation"),
    *_i("firms_adopted_share", "Firms that adopted automation", "share", "ratio",
        "share of firms that have adopted automation", "automation"),
    *_i("cost_ratio", "Cost of automating over the wage cost", "ratio", "ratio",
        "cost of automating over the wage cost of the work, on the learning curve anchored at "
        "`automation.cost_reference_year` (docs/ODD.md, 7.1); the median firm adopts below 1. "
        "Reported in every mode, but used only in `endogenous` mode.", "automation"),
    *_i("wage_index", "Real wage index", "index", "ratio",
        "real wage index, 1 at the start: productivity trend times the wage-curve factor",
        "demand"),
    *_i("displaced", "Displaced", "people", "count", "displaced by automation this month",
        "automation"),
    *_i("displaced_cumulative", "Displacements since the start", "people", "count",
        "displacements since the start. A worker displaced twice counts twice.", "automation"),
    *_i("displaced_reemployed", "Displaced workers employed", "people", "count",
        "workers ever displaced who are employed now", "automation", better="higher"),
    *_i("displaced_reemployed_share", "Ever-displaced workers now employed", "share", "ratio",
        "share of workers ever displaced who are employed now", "automation", better="higher"),
    *_i("displaced_unemployed", "Displaced workers unemployed", "people", "count",
        "workers ever displaced who are unemployed now", "automation", better="lower"),
    *_i("displaced_olf_share", "Ever-displaced workers out of the labour force", "share",
        "ratio", "share of workers ever displaced who are out of the labour force now",
        "flows"),
    *_i("separations", "Separations", "people", "count",
        "ordinary separations this month (churn; not displacement)", "automation"),
    *_i("hires", "Hires", "people", "count", "hires this month", "automation"),
    *_i("hires_displaced", "Hires of displaced workers", "people", "count",
        "hires of workers ever displaced this month", "automation"),
    *_i("training_slots", "Training places", "people", "count",
        "places the capacity-building budget buys this month (used or not)", "training"),
    *_i("training_started", "Enrolled in training", "people", "count",
        "enrolled this month, capacity building and regional centre together", "training"),
    *_i("training_started_cumulative", "Enrolled in training (cumulative)", "people", "count",
        "enrolled since the start", "training"),
    *_i("training_completed", "Completed training", "people", "count",
        "completed this month", "training"),
    *_i("training_completed_cumulative", "Completed training (cumulative)", "people", "count",
        "completed since the start", "training"),
    *_i("training_dropped", "Dropped out of training", "people", "count",
        "dropped out this month", "training"),
    *_i("training_left_for_job", "Left training for a job", "people", "count",
        "left training for a job this month", "training"),
    *_i("centre_trainees", "Enrolled at the regional centre", "people", "count",
        "enrolled at the regional centre this month (included in `training_started`)",
        "training"),
    *_i("exits", "Left the labour force", "people", "count",
        "people who left the labour force this month, from any status and spell length",
        "flows"),
    *_i("entries", "Entered the labour force", "people", "count",
        "people who entered or re-entered the labour force this month (they enter unemployed)",
        "flows"),
    *_i("exits_employed", "Left the labour force from employment", "people", "count",
        "employed people who left the labour force this month", "flows"),
    *_i("exits_searching", "Left the labour force from unemployment", "people", "count",
        "unemployed people who left the labour force this month", "flows"),
    *_i("exits_training", "Left the labour force from training", "people", "count",
        "trainees who left the labour force this month", "flows"),
    *_i("population_joined", "Joined the working-age population", "people", "count",
        "people who joined the working-age population this month", "flows"),
    *_i("population_left", "Left the working-age population", "people", "count",
        "people who left the working-age population this month", "flows"),
    *_i("mean_wage_usd", "Mean wage", "USD per month", "ratio",
        "mean monthly wage of the employed", "money", ("employed",), "higher"),
    *_i("displaced_income_loss_usd", "Income lost by displaced workers", "USD per month",
        "count", "sum over workers ever displaced of (wage before displacement − current "
        "income), both at today's wage index. Current income is the wage if employed, the "
        "benefit if within entitlement, else 0. Negative terms (higher wages after retraining) "
        "offset positive ones.", "money", better="lower"),
    *_i("spending_training_usd", "Training spending", "USD per month", "count",
        "capacity-building spending: enrolled × cost per trainee", "money"),
    *_i("spending_benefits_usd", "Unemployment benefits", "USD per month", "count",
        "unemployment benefits paid. Every unemployed worker within entitlement is paid "
        "(take-up 100%), so this is an upper bound (docs/ODD.md, 9.2).", "money"),
    *_i("spending_subsidy_usd", "Hiring subsidies", "USD per month", "count",
        "hiring subsidies paid", "money"),
    *_i("centre_contribution_usd", "Contribution to the regional centre", "USD per month",
        "count", "the economy's contribution to the regional centre", "money"),
    *_i("spending_digital_usd", "Digital-access spending", "USD per month", "count",
        "digital-access spending: people connected × cost per person connected", "money"),
    *_i("spending_total_usd", "Programme spending", "USD per month", "count",
        "sum of the five spending columns above", "money"),
    *_i("typhoon_separated", "Separated by a typhoon", "people", "count",
        "employed workers separated temporarily by a typhoon this month (they wait to be "
        "recalled; docs/ODD.md, \"Disasters\")", "shocks", better="lower"),
    *_i("recalled", "Recalled after a typhoon", "people", "count",
        "workers separated by a typhoon recalled to their job this month", "shocks"),
    *_i("awaiting_recall", "Waiting to be recalled", "people", "count",
        "workers separated by a typhoon, unemployed and still waiting to be recalled "
        "(included in `unemployed`)", "shocks", better="lower"),
    *_i("connected", "Connected to the internet", "people", "count",
        "rural people connected this month by digital-access spending", "shocks"),
    *_i("internet_users_share", "Internet users", "share", "ratio",
        "share of the working-age population using the internet", "shocks", _POP, "higher"),
    *_i("internet_users_share_rural", "Internet users, rural", "share", "ratio",
        "share of the rural working-age population using the internet", "shocks",
        better="higher"),
    *_expand(Family("cohort_{k}m_{state}", "Displaced workers {state} {k} months on", "share",
                    "ratio", "of `cohort_{k}m_size`, the share {state} exactly {k} months "
                    "after displacement", "cohorts", (_K, _STATE),
                    ("cohort_{k}m_size",))),
    *_expand(Family("cohort_{k}m_size", "Displaced at least {k} months ago", "people", "count",
                    "workers whose latest displacement was at least {k} months ago",
                    "cohorts", (_K,))),
    *_expand(Family("trainee_{k}m_employed", "Trainees employed {k} months after the start",
                    "share", "ratio", "of `trainee_{k}m_size`, the share employed at the end "
                    "of this month; missing (NaN) when there are none", "trainees", (_K,),
                    ("trainee_{k}m_size",), "higher")),
    *_expand(Family("trainee_{k}m_size", "Trainees who started {k} months ago", "people",
                    "count", "workers whose training started exactly {k} months before this "
                    "month (capacity building or the regional centre)", "trainees", (_K,))),
    *_i("dws_n", "Long-tenured job losers of the last 3 years", "people", "count",
        f"people who lost a job they had held at least {DWS_TENURE_MONTHS} months, "
        "involuntarily (a separation into unemployment, or a displacement by automation; not "
        "an exit from employment to inactivity), in this month or the "
        f"{DWS_WINDOW_MONTHS - 1} before it, and are still in the working-age population: "
        "the population of the BLS Displaced Worker Survey's long-tenured displaced workers",
        "survey"),
    *_i("dws_reemployed_share", "Long-tenured job losers re-employed", "share", "ratio",
        "of `dws_n`, the share employed now", "survey", ("dws_n",), "higher"),
    *_i("dws_unemployed_share", "Long-tenured job losers unemployed", "share", "ratio",
        "of `dws_n`, the share unemployed or in training now (trainees search, as the "
        "survey's unemployed do)", "survey", ("dws_n",), "lower"),
    *_i("dws_olf_share", "Long-tenured job losers out of the labour force", "share", "ratio",
        "of `dws_n`, the share out of the labour force now; the three `dws_*_share` sum to "
        "one. Targets: `calibration/data/bls_displaced_workers_2024.csv`", "survey",
        ("dws_n",)),
]

INDICATORS: dict[str, Indicator] = {i.name: i for i in _DECLARED}
"""Every monthly indicator, in the order of the results table's columns."""


def _check_indicators() -> None:
    if len(INDICATORS) != len(_DECLARED):
        raise ValueError("indicator names must be unique")
    for ind in INDICATORS.values():
        for w in ind.weights:
            if w not in INDICATORS or INDICATORS[w].kind != "count":
                raise ValueError(f"{ind.name}: weight {w!r} is not a declared count")


_check_indicators()


# ----------------------------------------------------------------------------- one run


def _months(run: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = run["step"].to_numpy()
    keep = steps >= 1
    month, inverse = np.unique(steps[keep], return_inverse=True)
    return keep, month, inverse


def monthly(run: pd.DataFrame, name: str) -> np.ndarray:
    """A monthly indicator over months 1 to the horizon, pooled over the run's economies.

    Parameters
    ----------
    run : pandas.DataFrame
        One run's tidy table (``step`` and the indicator's columns), for one economy or
        several.
    name : str
        An indicator (:data:`INDICATORS`).

    Returns
    -------
    One value per month, in order; month 0 (the starting state) left out. With one economy,
    the column itself; with several, the sum of a count, or the mean of a ratio weighted by
    its :attr:`Indicator.weights` (the ratio of the pooled counts; missing where they sum to
    zero).

    Raises
    ------
    ValueError
        With several economies, for a ratio that cannot be pooled (no weights).

    Examples
    --------
    >>> run = pd.DataFrame({"economy": ["A", "B", "A", "B"], "step": [1, 1, 2, 2],
    ...                     "labour_force": [100.0, 300.0, 100.0, 300.0],
    ...                     "employment_rate": [0.9, 0.5, 1.0, 0.6]})
    >>> monthly(run, "employment_rate").round(3).tolist()
    [0.6, 0.7]
    """
    keep, month, inverse = _months(run)
    values = run[name].to_numpy(float)[keep]
    if month.size == values.size:  # one economy: one row per month
        return values[np.argsort(inverse, kind="stable")]
    ind = INDICATORS[name]
    if ind.kind == "count":
        return np.bincount(inverse, weights=values, minlength=month.size)
    if not ind.weights:
        raise ValueError(f"the indicator {name!r} cannot be pooled over economies (its "
                         "denominator is not reported); compute this outcome per economy")
    w = sum(run[c].to_numpy(float)[keep] for c in ind.weights)
    num = np.bincount(inverse, weights=np.where(w > 0, np.nan_to_num(values) * w, 0.0),
                      minlength=month.size)
    den = np.bincount(inverse, weights=w, minlength=month.size)
    return np.divide(num, den, out=np.full(month.size, np.nan), where=den > 0)


@dataclass(frozen=True)
class Reduce:
    """One number from one monthly indicator over months 1 to the horizon.

    ``how``: ``"horizon"`` the last month's value, ``"peak"`` the highest, ``"mean"`` the mean,
    ``"total"`` the sum (missing months are skipped; a peak or mean of no value is NaN).

    Examples
    --------
    >>> run = pd.DataFrame({"economy": "A", "step": [0, 1, 2],
    ...                     "unemployment_rate": [0.5, 0.1, 0.2]})
    >>> Reduce("peak", "unemployment_rate")(run)  # month 0 is left out
    0.2
    """

    how: Reduction
    indicator: str

    def __post_init__(self) -> None:
        _check(self.how, Reduction, "reduction", self.indicator)

    def __call__(self, run: pd.DataFrame) -> float:
        v = monthly(run, self.indicator)
        if self.how == "horizon":
            return float(v[-1]) if v.size else float("nan")
        if self.how == "total":
            return float(np.nansum(v))
        finite = v[np.isfinite(v)]
        if not finite.size:
            return float("nan")
        return float(finite.max() if self.how == "peak" else finite.mean())


# ----------------------------------------------------------------------------- run outcomes


@dataclass(frozen=True)
class RunOutcome:
    """One scalar outcome of a run, for one economy or pooled economies.

    Parameters
    ----------
    name : str
        The outcome's one name (a column of the comparison's ``outcomes`` table, a valid
        ``outcome`` of a sensitivity analysis).
    label : str
        Plain-language name.
    unit : str
        One of :data:`OutcomeUnit`.
    better : str
        ``"lower"`` or ``"higher"``.
    definition : str
        What it is, exactly.
    compute : callable
        ``compute(run) -> float`` from one run's tidy table (one economy or several): a
        :class:`Reduce` or a pure function that reads indicators through :func:`monthly`.
    needs : tuple of str
        The monthly indicators ``compute`` reads (default: a :class:`Reduce`'s indicator).
    headline : bool
        Whether reports lead with it.
    """

    name: str
    label: str
    unit: OutcomeUnit
    better: Direction
    definition: str
    compute: Callable[[pd.DataFrame], float] = field(compare=False)
    needs: tuple[str, ...] = ()
    headline: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"{self.name!r}: an outcome name is snake case")
        _check(self.unit, OutcomeUnit, "unit", self.name)
        _check(self.better, Direction, "better", self.name)
        if not self.needs and isinstance(self.compute, Reduce):
            object.__setattr__(self, "needs", (self.compute.indicator,))
        if not self.needs:
            raise ValueError(f"{self.name}: declare the indicators it needs")
        unknown = [n for n in self.needs if n not in INDICATORS]
        if unknown:
            raise ValueError(f"{self.name}: needs undeclared indicators {unknown}")

    @property
    def description(self) -> str:
        """The definition (the name ``analysis.compare.Measure`` used)."""
        return self.definition

    @property
    def columns(self) -> tuple[str, ...]:
        """Results columns it reads, with the weights that pool its ratios over economies."""
        cols = dict.fromkeys(self.needs)
        for n in self.needs:
            cols.update(dict.fromkeys(INDICATORS[n].weights))
        return tuple(cols)

    @property
    def pools(self) -> bool:
        """Whether it is defined over several economies pooled (every ratio it reads pools)."""
        return all(INDICATORS[n].kind == "count" or INDICATORS[n].weights for n in self.needs)


def long_term_unemployed_years(run: pd.DataFrame) -> float:
    """Person-years of long-term unemployment over months 1 to the horizon.

    Parameters
    ----------
    run : pandas.DataFrame
        One run's tidy results (one economy, or several pooled by :func:`monthly`).

    Returns
    -------
    float
        Long-term unemployed people summed over the months, divided by 12 (person-years).
    """
    share = monthly(run, "long_term_unemployed_share")
    return float(np.nansum(share * monthly(run, "unemployed"))) / 12.0


def urban_rural_gap(run: pd.DataFrame) -> float:
    """Absolute difference of the rural and urban unemployment rates in the last month.

    Parameters
    ----------
    run : pandas.DataFrame
        One run's tidy results, for one economy (the urban and rural rates do not pool).

    Returns
    -------
    float
        The gap, in points (0-1).
    """
    return abs(Reduce("horizon", "unemployment_rate_rural")(run)
               - Reduce("horizon", "unemployment_rate_urban")(run))


_OVER_RUN = "over months 1 to the horizon (month 0, the common starting state, left out)"

RUN_OUTCOMES: dict[str, RunOutcome] = {o.name: o for o in (
    RunOutcome("employment_rate_horizon", "Employment rate at the horizon", "share", "higher",
               "`employment_rate`, employed / labour force with trainees counted in the "
               "labour force (not as employed), in the last month",
               Reduce("horizon", "employment_rate"), headline=True),
    RunOutcome("employment_rate_mean", "Mean employment rate over the run", "share", "higher",
               f"mean of the monthly `employment_rate` {_OVER_RUN}",
               Reduce("mean", "employment_rate")),
    RunOutcome("unemployment_rate_incl_training_horizon",
               "Share unemployed or in training at the horizon", "share", "lower",
               "`unemployment_rate_incl_training`, (unemployed + trainees) / labour force, in "
               "the last month", Reduce("horizon", "unemployment_rate_incl_training")),
    RunOutcome("unemployment_rate_incl_training_peak", "Peak share unemployed or in training",
               "share", "lower", "highest monthly `unemployment_rate_incl_training`, "
               f"(unemployed + trainees) / labour force, {_OVER_RUN}",
               Reduce("peak", "unemployment_rate_incl_training"), headline=True),
    RunOutcome("unemployment_rate_peak", "Peak unemployment rate (trainees not counted)",
               "share", "lower", "highest monthly `unemployment_rate`, unemployed / (employed "
               f"+ unemployed), {_OVER_RUN}; trainees are left out of both, so enrolling "
               "people lowers it", Reduce("peak", "unemployment_rate")),
    RunOutcome("unemployment_rate_horizon",
               "Unemployment rate at the horizon (trainees not counted)", "share", "lower",
               "`unemployment_rate`, unemployed / (employed + unemployed), in the last month; "
               "trainees are left out of both", Reduce("horizon", "unemployment_rate")),
    RunOutcome("long_term_unemployed_share", "Long-term unemployed, share of the unemployed",
               "share", "lower", "`long_term_unemployed_share` in the last month: the share of "
               "the unemployed whose spell is at least `labour_market.long_term_months` "
               "(default 12)", Reduce("horizon", "long_term_unemployed_share")),
    RunOutcome("long_term_unemployed_years", "Long-term unemployment", "person-years", "lower",
               "long-term unemployed people (`long_term_unemployed_share` × `unemployed`) "
               f"summed {_OVER_RUN}, divided by 12", long_term_unemployed_years,
               ("long_term_unemployed_share", "unemployed")),
    RunOutcome("reemployed_12m", "Displaced workers employed 12 months after displacement",
               "share", "higher", "`cohort_12m_employed` in the last month: the share of "
               "displaced workers employed exactly 12 months after their latest displacement, "
               "pooled over every displacement at least 12 months before the horizon",
               Reduce("horizon", "cohort_12m_employed")),
    RunOutcome("reemployed_24m", "Displaced workers employed 24 months after displacement",
               "share", "higher", "`cohort_24m_employed` in the last month: as "
               "`reemployed_12m`, 24 months after displacement",
               Reduce("horizon", "cohort_24m_employed"), headline=True),
    RunOutcome("displaced_reemployed", "Displaced workers employed at the horizon", "people",
               "higher", "`displaced_reemployed` in the last month: workers ever displaced who "
               "are employed", Reduce("horizon", "displaced_reemployed")),
    RunOutcome("displaced_unemployment_months", "Months displaced workers spent unemployed",
               "person-months", "lower", f"`displaced_unemployed` summed {_OVER_RUN}: "
               "person-months that workers ever displaced spent unemployed",
               Reduce("total", "displaced_unemployed")),
    RunOutcome("displaced_cumulative", "Displacements by automation", "people", "lower",
               "`displaced_cumulative` in the last month: displacements by automation since the "
               "start; a worker displaced twice counts twice",
               Reduce("horizon", "displaced_cumulative")),
    RunOutcome("displaced_income_loss_usd", "Income lost by displaced workers", "USD", "lower",
               f"`displaced_income_loss_usd` summed {_OVER_RUN}: displaced workers' wage "
               "before displacement minus current income (wage, or benefit while entitled)",
               Reduce("total", "displaced_income_loss_usd")),
    RunOutcome("programme_cost_usd", "Programme cost", "USD", "lower",
               f"`spending_total_usd` summed {_OVER_RUN}: training, benefits, hiring subsidies "
               "and contributions to the regional centre",
               Reduce("total", "spending_total_usd"), headline=True),
    RunOutcome("urban_rural_gap", "Urban-rural unemployment gap (trainees not counted)",
               "points", "lower", "absolute difference between `unemployment_rate_rural` and "
               "`unemployment_rate_urban` in the last month", urban_rural_gap,
               ("unemployment_rate_rural", "unemployment_rate_urban")),
)}
"""Every run outcome, in the order of the comparison's tables."""


@dataclass(frozen=True)
class ReferenceRatio:
    """Extra cost per unit of extra gain of a run against its reference run (same seed).

    The gain is the increase of :attr:`gain` over the reference when higher is better, its
    decrease when lower is better; the ratio is missing when the gain is zero or negative.
    """

    name: str
    label: str
    unit: str
    definition: str
    gain: str
    """The run outcome whose improvement is the denominator."""
    cost: str = "programme_cost_usd"
    """The run outcome whose increase is the numerator."""
    headline: bool = False

    def __post_init__(self) -> None:
        for n in (self.gain, self.cost):
            if n not in RUN_OUTCOMES:
                raise ValueError(f"{self.name}: {n!r} is not a run outcome")

    @property
    def gain_sign(self) -> float:
        """+1 when a higher value of the gain outcome is better, -1 when a lower one is."""
        return 1.0 if RUN_OUTCOMES[self.gain].better == "higher" else -1.0

    def value(self, cost: float, cost_ref: float, gain: float, gain_ref: float) -> float:
        """The ratio for one pair of runs.

        Examples
        --------
        >>> REFERENCE_RATIOS["cost_per_ltu_year_avoided_usd"].value(3e6, 1e6, 800.0, 1000.0)
        10000.0
        """
        extra = self.gain_sign * (gain - gain_ref)
        return (cost - cost_ref) / extra if extra > 0 else float("nan")


REFERENCE_RATIOS: dict[str, ReferenceRatio] = {r.name: r for r in (
    ReferenceRatio("cost_per_reemployed_usd", "Cost per additional displaced worker re-employed",
                   "USD per worker", "(`programme_cost_usd` − the reference's) / "
                   "(`displaced_reemployed` − the reference's), for a run and its reference "
                   "run with the same seed; missing when the gain is zero or negative",
                   "displaced_reemployed", headline=True),
    ReferenceRatio("cost_per_ltu_year_avoided_usd",
                   "Cost per long-term-unemployment year avoided", "USD per person-year",
                   "(`programme_cost_usd` − the reference's) / (the reference's "
                   "`long_term_unemployed_years` − the run's); missing when the gain is zero "
                   "or negative", "long_term_unemployed_years"),
)}
"""Cost-effectiveness ratios against a reference run."""

RENAMED: dict[str, str] = {
    "peak_unemployment_rate": "unemployment_rate_peak",
    "reemployed_within_12m": "reemployed_12m",
    "long_term_unemployment_share": "long_term_unemployed_share",
    "cost_per_additional_reemployed": "cost_per_reemployed_usd",
}
"""Former sensitivity-analysis outcome names -> their one name now. Note that
``peak_unemployment_rate`` included month 0; ``unemployment_rate_peak`` does not."""


def outcome_names() -> tuple[str, ...]:
    """Every name an analysis can ask for: run outcomes, then reference ratios."""
    return (*RUN_OUTCOMES, *REFERENCE_RATIOS)


def check_name(name: str) -> str:
    """``name`` if it is an outcome (:func:`outcome_names`); else a ``ValueError`` saying why.

    Parameters
    ----------
    name : str
        The outcome name.

    Returns
    -------
    str
        ``name``.

    Raises
    ------
    ValueError
        If ``name`` is a former name (the message gives the new one) or unknown.

    Examples
    --------
    >>> check_name("reemployed_within_12m")
    Traceback (most recent call last):
    ...
    ValueError: outcome 'reemployed_within_12m' was renamed to 'reemployed_12m'
    """
    if name in RUN_OUTCOMES or name in REFERENCE_RATIOS:
        return name
    if name in RENAMED:
        raise ValueError(f"outcome {name!r} was renamed to {RENAMED[name]!r}")
    raise ValueError(f"unknown outcome {name!r}; expected one of {', '.join(outcome_names())}")


def resolve(name: str) -> str:
    """The current name of an outcome, accepting a former name (:data:`RENAMED`).

    Parameters
    ----------
    name : str
        An outcome name, current or former.

    Returns
    -------
    str
        The current name.

    Raises
    ------
    ValueError
        If the name is unknown.
    """
    return check_name(RENAMED.get(name, name))


# ----------------------------------------------------------------------------- views

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")


class View(Mapping[str, T]):
    """A read-only, live view of a registry: ``fn`` of each entry, by name.

    Entries added to the registry later (for example in a test) appear in the view.

    Parameters
    ----------
    source : mapping
        The registry (name -> entry), read at each access.
    fn : callable
        Maps an entry to the view's value.
    keep : callable, optional
        Keeps only the entries for which it returns true (default: every entry).
    """

    def __init__(self, source: Mapping[str, V], fn: Callable[[V], T],
                 keep: Callable[[V], bool] | None = None) -> None:
        self._source, self._fn, self._keep = source, fn, keep

    def _ok(self, key: str) -> bool:
        return key in self._source and (self._keep is None or self._keep(self._source[key]))

    def __getitem__(self, key: str) -> T:
        if not self._ok(key):
            raise KeyError(key)
        return self._fn(self._source[key])

    def __iter__(self) -> Iterator[str]:
        return (k for k in list(self._source) if self._ok(k))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"View({dict(self)!r})"


# ----------------------------------------------------------------------------- docs


def _code(text: str) -> str:
    return f"`{text}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code_holes(text: str, holes: Sequence[str]) -> str:
    """Put each placeholder ``{x}`` of ``text`` in backticks, unless it is in code already."""
    parts = re.split(r"(`[^`]*`)", text)
    for i in range(0, len(parts), 2):
        for hole in holes:
            parts[i] = parts[i].replace(hole, f"`{hole}`")
    return "".join(parts)


def _pooling(ind: Indicator | Family) -> str:
    if ind.kind == "count":
        return "sum"
    if not ind.weights:
        return "—"
    return "weighted by " + " + ".join(_code(w) for w in ind.weights)


def _indicator_rows(section: str) -> list[str]:
    rows, seen = [], set()
    for ind in INDICATORS.values():
        if ind.section != section:
            continue
        entry: Indicator | Family = ind.family or ind
        if id(entry) in seen:
            continue
        seen.add(id(entry))
        definition, label = entry.definition, entry.label
        if isinstance(entry, Family):
            holes = {d.placeholder: f"{{{d.placeholder}}}" for d in entry.over}
            definition = _code_holes(definition.format(**holes), list(holes.values())) + "; " + \
                "; ".join(f"`{{{d.placeholder}}}`: {d.doc}" for d in entry.over)
            label = label.format(**holes)
        rows.append(f"| {_code(entry.name)} | {_cell(label)} | {entry.unit} | "
                    f"{entry.better or '—'} | {_pooling(entry)} | {_cell(definition)} |")
    return ["| column | label | unit | better | over economies | definition |",
            "|---|---|---|---|---|---|", *rows]


def _outcome_rows() -> list[str]:
    rows = ["| outcome | label | unit | better | definition | reads |", "|---|---|---|---|---|---|"]
    for o in RUN_OUTCOMES.values():
        reads = ", ".join(_code(n) for n in o.needs)
        if not o.pools:
            reads += " (per economy only)"
        rows.append(f"| {_code(o.name)} | {_cell(o.label)} | {o.unit} | {o.better} | "
                    f"{_cell(o.definition)} | {reads} |")
    return rows


def _ratio_rows() -> list[str]:
    rows = ["| ratio | label | unit | definition |", "|---|---|---|---|"]
    for r in REFERENCE_RATIOS.values():
        rows.append(f"| {_code(r.name)} | {_cell(r.label)} | {r.unit} | {_cell(r.definition)} |")
    return rows


def _renamed_rows() -> list[str]:
    return ["| former name | name |", "|---|---|",
            *(f"| {_code(old)} | {_code(new)} |" for old, new in RENAMED.items())]


def markdown_tables() -> dict[str, str]:
    """The generated tables of docs/outputs.md, by block name.

    Blocks ``indicators:<section>`` (one per :data:`SECTIONS`), ``run_outcomes``,
    ``reference_ratios`` and ``renamed``.
    """
    blocks = {f"indicators:{s}": "\n".join(_indicator_rows(s)) for s in SECTIONS}
    blocks["run_outcomes"] = "\n".join(_outcome_rows())
    blocks["reference_ratios"] = "\n".join(_ratio_rows())
    blocks["renamed"] = "\n".join(_renamed_rows())
    return blocks


REGENERATE = ".venv/bin/python -m displacement_sim.outcomes docs/outputs.md"
"""The command that rewrites the generated tables of docs/outputs.md."""

_BLOCK = re.compile(r"(<!-- BEGIN GENERATED ([\w:]+)[^>]*-->\n)(.*?)(<!-- END GENERATED \2 -->)",
                    re.DOTALL)


def update_markdown(text: str) -> str:
    """``text`` with every generated block (``<!-- BEGIN GENERATED name ... -->`` to
    ``<!-- END GENERATED name -->``) replaced by :func:`markdown_tables`.

    Parameters
    ----------
    text : str
        A Markdown document (docs/outputs.md).

    Returns
    -------
    str
        The document with the blocks regenerated.

    Raises
    ------
    KeyError
        For a block name that :func:`markdown_tables` does not make.
    """
    tables = markdown_tables()
    return _BLOCK.sub(lambda m: f"{m[1]}{tables[m[2]]}\n{m[4]}", text)


def generated_blocks(text: str) -> list[str]:
    """Names of the generated blocks in ``text``, in order.

    Parameters
    ----------
    text : str
        A Markdown document (docs/outputs.md).

    Returns
    -------
    list of str
        The block names.
    """
    return [m[2] for m in _BLOCK.finditer(text)]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m displacement_sim.outcomes [FILE ...]``: rewrite the tables of each FILE in
    place, or print every table when no file is given.

    Parameters
    ----------
    argv : sequence of str, optional
        The files to rewrite (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status, 0.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        for name, table in markdown_tables().items():
            print(f"<!-- {name} -->\n{table}\n")
        return 0
    from pathlib import Path

    for arg in args:
        path = Path(arg)
        text = path.read_text(encoding="utf-8")
        new = update_markdown(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
