"""The report of a policy comparison, for policymakers: self-contained HTML and Markdown.

The document is built once, as a list of blocks (headings, paragraphs, tables, figures), and
rendered twice: ``<name>.html`` with every figure embedded as a base64 PNG (it opens without a
network or any other file) and ``<name>.md`` with its figures as PNG files in
``<name>_figures/``. Both hold the same sections:

1. the header: what was compared, how trainees are counted (``TRAINEES_COUNTED``), at which
   scale, with which command;
2. how to read the report;
3. the options;
4. an overview table across economies and options, of the headline measures
   (``analysis.compare.HEADLINE``: the employment rate first);
5. one section per economy: a table of every outcome against the reference, fan charts of the
   employment rate (``Comparison.path_metric``), cost-effectiveness bars and the programme
   effect over time;
6. the method, with its limits.

Every measure's name, label, unit, direction and definition come from the registry in
``displacement_sim.outcomes`` (``RUN_OUTCOMES`` through ``analysis.compare.MEASURES``,
``REFERENCE_RATIOS``, ``INDICATORS`` for the path metric); this module names no measure itself.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from displacement_sim import __version__
from displacement_sim.analysis.compare import (
    EFFECT_METHODS,
    HEADLINE,
    HEADLINE_RATIO,
    MEASURES,
    TRAINEES_COUNTED,
    Comparison,
)
from displacement_sim.config import Scenario
from displacement_sim.constants import ECONOMY_NAMES
from displacement_sim.files import atomic_write_bytes, atomic_write_text, remove
from displacement_sim.outcomes import INDICATORS, REFERENCE_RATIOS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from displacement_sim.studies import ComparisonFile

# ----------------------------------------------------------------------------- blocks


@dataclass(frozen=True)
class Heading:
    """A section heading."""

    level: int
    text: str

    @property
    def anchor(self) -> str:
        """GitHub-style anchor of the heading."""
        return slug(self.text)


@dataclass(frozen=True)
class Para:
    """A paragraph; ``**bold**`` and ```code``` are the only inline markup."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A bulleted list."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table of formatted strings, with a caption below it."""

    frame: pd.DataFrame
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A PNG figure with its caption."""

    name: str
    png: bytes
    alt: str
    caption: str


Block = Heading | Para | Bullets | Table | Figure


def slug(text: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    s = re.sub(r"[^\w\- ]", "", text.lower())
    return s.replace(" ", "-")


# ----------------------------------------------------------------------------- numbers


def _decimals(values: Sequence[float], small: int = 2, large: int = 1) -> int:
    finite = [abs(v) for v in values if np.isfinite(v)]
    return small if not finite or max(finite) < 1.0 else large


def fmt_usd(value: float, signed: bool = False) -> str:
    """US dollars, scaled to thousands, millions or billions: ``'+1.2 billion USD'``."""
    if not np.isfinite(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ("-" if value < 0 else "")
    v = abs(value)
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if v >= size:
            return f"{sign}{v / size:,.1f} {word} USD"
    return f"{sign}{v:,.0f} USD"


def fmt_level(value: float, unit: str) -> str:
    """A level in its unit: ``'4.2%'``, ``'12,300 people'``, ``'1.2 billion USD'``."""
    if not np.isfinite(value):
        return "n/a"
    if unit in ("share", "points"):
        d = _decimals([100.0 * value], 2, 1)
        return f"{100.0 * value:.{d}f}" + ("%" if unit == "share" else " pp")
    if unit == "USD":
        return fmt_usd(value)
    return f"{value:,.0f} {unit}"


def fmt_difference(mean: float, low: float, high: float, unit: str) -> str:
    """A difference and its interval: ``'-0.42 pp (-0.61 to -0.23)'``.

    The interval is left out when it is missing, or a single value at the precision shown.
    """
    if not np.isfinite(mean):
        return "n/a"
    if unit in ("share", "points"):
        # A difference of shares lies within +-100 points: wider intervals (few pairs) are cut.
        vals = [100.0 * mean, max(100.0 * low, -100.0), min(100.0 * high, 100.0)]
        d = _decimals(vals)
        text = [f"{round(v, d) + 0.0:+.{d}f}" for v in vals]  # + 0.0: no "-0.00"
        value = f"{text[0]} pp"
    elif unit == "USD":
        text = [fmt_usd(v, True) for v in (mean, low, high)]
        value = text[0]
    else:
        text = [f"{v:+,.0f}" for v in (mean, low, high)]
        value = f"{text[0]} {unit}"
    if not np.isfinite(low) or text[1] == text[2]:
        return value
    return f"{value} ({text[1]} to {text[2]})"


def fmt_ratio(row: pd.Series) -> str:
    """A cost-effectiveness ratio with its interval, or why there is none."""
    unit = str(row["unit"]).removeprefix("USD ")
    if row["status"] == "no gain":
        return "no gain"
    if row["status"] == "no extra cost":
        return "no extra cost"
    value = f"{row['value']:,.0f} USD {unit}"
    if row["status"] == "gain uncertain":
        return f"{value} (gain uncertain: interval unbounded)"
    ci = f" ({row['ci_low']:,.0f} to {row['ci_high']:,.0f})"
    if row["status"] == "saves money":
        return f"saves money: {value}{ci}"
    return f"{value}{ci}"


def fmt_share(p: float) -> str:
    """A probability as a whole percentage."""
    return "n/a" if not np.isfinite(p) else f"{100.0 * p:.0f}%"


# ----------------------------------------------------------------------------- figures


def _png(fig: MplFigure) -> bytes:
    from displacement_sim.reporting.plots import png_bytes

    return png_bytes(fig, dpi=85)


def _legend_below(fig: MplFigure, ax: Axes, ncol: int = 3) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)


def _path_label(metric: str) -> str:
    return INDICATORS[metric].label if metric in INDICATORS else metric


UNIT_TEXT: dict[str, str] = {"share": "%", "points": "percentage points"}
"""How a table names a unit (others as they are: people, person-years, USD, ...)."""


def _unit_text(unit: str) -> str:
    return UNIT_TEXT.get(unit, unit)


def figure_paths(df: pd.DataFrame, comparison: Comparison, economy: str,
                 labels: Mapping[str, str]) -> bytes:
    """Fan charts of the path metric (the employment rate) and the paired difference."""
    import matplotlib.pyplot as plt

    from displacement_sim.reporting.plots import plot_difference_path, plot_option_fans

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    lvl = f"{100.0 * comparison.confidence:g}%"
    opts = list(comparison.options)
    metric = comparison.path_metric
    plot_option_fans(df, economy, opts, dict(labels), comparison.reference, metric=metric,
                     ax=left)
    left.set_title(f"{_path_label(metric)} (mean, 5-95% range of runs)", fontsize=9)
    plot_difference_path(comparison.paths, economy, opts, dict(labels), ax=right)
    right.set_title(f"Difference from {labels[comparison.reference]} ({lvl} CI)", fontsize=9)
    _legend_below(fig, left)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return _png(fig)


def figure_cost(comparison: Comparison, economy: str, labels: Mapping[str, str]) -> bytes:
    """Cost per additional worker re-employed and per long-term-unemployment year avoided."""
    import matplotlib.pyplot as plt

    from displacement_sim.reporting.plots import plot_cost_effectiveness

    opts = [o for o in comparison.options if o != comparison.reference]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.45 * len(opts) + 1.8))
    for ax, (ratio, r) in zip(axes, REFERENCE_RATIOS.items(), strict=True):
        plot_cost_effectiveness(comparison.cost_effectiveness, economy, ratio,
                                list(comparison.options), dict(labels), ax=ax)
        ax.set_title(r.label, fontsize=9)
        ax.set_xlabel(r.unit, fontsize=8)
    axes[1].set_yticklabels([])
    fig.tight_layout()
    return _png(fig)


def figure_effect(comparison: Comparison, economy: str, labels: Mapping[str, str]) -> bytes:
    """Employment effect 6-36 months after training start (trainees) and displacement (all)."""
    import matplotlib.pyplot as plt

    from displacement_sim.reporting.plots import plot_programme_effect

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    opts = list(comparison.options)
    plot_programme_effect(comparison.effect, economy, "trainees", opts, dict(labels), ax=left)
    left.set_title("Trainees, by months since the start of training", fontsize=9)
    plot_programme_effect(comparison.effect, economy, "displaced", opts, dict(labels),
                          ax=right)
    right.set_title("All displaced workers, by months since displacement", fontsize=9)
    right.set_ylabel("")
    ax = right if right.get_legend_handles_labels()[0] else left
    _legend_below(fig, ax)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    return _png(fig)


# ----------------------------------------------------------------------------- content


@dataclass(frozen=True)
class _Context:
    comparison: Comparison
    df: pd.DataFrame
    name: str
    description: str
    labels: dict[str, str]
    scenarios: Mapping[str, Scenario]
    sources: Mapping[str, str]
    command: str | None

    @property
    def ref(self) -> str:
        return self.labels[self.comparison.reference]

    @property
    def cf(self) -> str:
        return self.labels[self.comparison.counterfactual]

    @property
    def level(self) -> str:
        return f"{100.0 * self.comparison.confidence:g}%"

    @property
    def pairs(self) -> int:
        return int(self.df["replicate"].nunique())

    @property
    def years(self) -> int:
        return int(self.df["step"].max()) // 12

    @property
    def others(self) -> list[str]:
        return [o for o in self.comparison.options if o != self.comparison.reference]

    @property
    def economies(self) -> list[str]:
        present = set(self.df["economy"])
        return [e for e in ECONOMY_NAMES if e in present]


def _header(c: _Context) -> list[Block]:
    s = next(iter(c.scenarios.values()))
    econ = ", ".join(f"{ECONOMY_NAMES[e]} ({e})" for e in c.economies)
    blocks: list[Block] = [Heading(1, f"Policy comparison: {c.name}")]
    if c.description:
        blocks.append(Para(c.description))
    blocks.append(Para(TRAINEES_COUNTED))
    blocks.append(Para(
        f"**Scale of this run.** {len(c.economies)} economies ({econ}); {c.years} years from "
        f"{int(c.df['year'].min())}; {c.pairs} runs of each of the {len(c.comparison.options)} "
        f"options, so {c.pairs} replicate pairs per comparison; one worker agent stands for at "
        f"most {s.workers_per_agent:,.0f} people (at least {s.min_agents_per_economy:,} agents "
        f"per economy), {s.firms_per_sector} firms per sector; master seed {s.seed}. Fewer "
        "agents and fewer replicates give wider confidence intervals: at a small scale the "
        "report illustrates the method, and differences whose interval includes zero cannot "
        "be told from chance."))
    if c.command:
        blocks.append(Para(f"Produced by `{c.command}` (displacement_sim {__version__})."))
    else:
        blocks.append(Para(f"Produced by displacement_sim {__version__}."))
    toc = ["[How to read this report](#how-to-read-this-report)", "[Options](#options)",
           "[Overview](#overview)"]
    toc += [f"[{ECONOMY_NAMES[e]} ({e})](#{slug(f'{ECONOMY_NAMES[e]} ({e})')})"
            for e in c.economies]
    toc.append("[Method and limits](#method-and-limits)")
    blocks.append(Bullets(tuple(toc)))
    return blocks


def _guide(c: _Context) -> list[Block]:
    lvl = c.level
    return [
        Heading(2, "How to read this report"),
        Bullets((
            f"Every option is compared with **{c.ref}** (the reference). Each option was "
            f"simulated {c.pairs} times with the same random numbers as the reference, so each "
            "run has a twin that differs only by the policy. A number such as "
            "'-0.42 pp (-0.61 to -0.23)' is the mean of the option-minus-reference differences "
            f"over the {c.pairs} twins, followed by its {lvl} confidence interval.",
            "If the interval excludes zero, the difference is unlikely to be chance in the "
            "simulation. The interval covers the model's randomness only, not doubts about "
            "the model's assumptions (docs/ODD.md, section 9; the sensitivity analysis).",
            "'Better in N%' is the share of twins in which the option did strictly better "
            "than the reference: an estimate of the probability that the option beats it.",
            "Units: pp = percentage points; % = share of the group named; USD = US dollars of "
            "the start year, summed over the whole run unless stated; people = model agents "
            "times the number of people each stands for; person-years = people times years.",
            "Cost per additional worker re-employed and per long-term-unemployment year "
            "avoided: the option's extra programme cost divided by its extra gain. 'no gain' "
            "means the option does not improve that outcome on average, so no cost per unit "
            "can be given; 'no extra cost' and 'saves money' mean it does better at the same "
            "or a lower cost.",
            "The tables lead with the employment rate (employed / labour force) and the share "
            "of the labour force unemployed or in training, which a programme cannot improve "
            "by enrolling people. The unemployment rate, which leaves trainees out, is further "
            "down, labelled 'trainees not counted'.",
            "Start with the overview table, then read your economy's section: its table, then "
            "the three figures, each with a caption saying what it shows.",
        )),
    ]


def _options(c: _Context) -> list[Block]:
    rows = []
    for o in c.comparison.options:
        role = []
        if o == c.comparison.reference:
            role.append("reference")
        if o == c.comparison.counterfactual:
            role.append("without programme")
        rows.append({"Option": c.labels[o], "Key": f"`{o}`",
                     "Scenario file": f"`{c.sources.get(o, '')}`",
                     "What it does": c.scenarios[o].description,
                     "Role": ", ".join(role)})
    return [Heading(2, "Options"), Table(pd.DataFrame(rows),
            "Each option is a scenario file (docs/scenarios.md). The comparison sets the "
            "economies, horizon, scale and seeds, identical for all options.")]


def _diff_cell(row: pd.Series, with_p: bool = True) -> str:
    cell = fmt_difference(row["mean_difference"], row["ci_low"], row["ci_high"], row["unit"])
    if with_p and np.isfinite(row["p_better"]):
        cell += f"; better in {fmt_share(row['p_better'])}"
    return cell


def _overview(c: _Context) -> list[Block]:
    lvl = c.level
    diffs = c.comparison.differences.set_index(["economy", "option", "measure"])
    ce = c.comparison.cost_effectiveness.set_index(["economy", "option", "ratio"])
    rows = []
    for e in c.economies:
        for o in c.others:
            row = {"Economy": e, "Option": c.labels[o]}
            for m in HEADLINE:
                key = (e, o, m)
                row[f"{MEASURES[m].label}: change"] = _diff_cell(diffs.loc[key]) \
                    if key in diffs.index else "n/a"
            key = (e, o, HEADLINE_RATIO)
            row[REFERENCE_RATIOS[HEADLINE_RATIO].label] = fmt_ratio(ce.loc[key]) \
                if key in ce.index else "n/a"
            rows.append(row)
    return [Heading(2, "Overview"), Table(pd.DataFrame(rows),
            f"Each option against {c.ref}, per economy. Changes are means of {c.pairs} "
            f"paired differences (option minus reference) with {lvl} confidence intervals in "
            "brackets, then the share of the pairs in which the option did strictly better "
            "('better in'); pp = percentage points; shares of the labour force count trainees "
            "in it; costs in US dollars of the start year, summed over the run. The cost per "
            "additional re-employed worker is the extra cost over the extra displaced workers "
            f"in work at the horizon, with a {lvl} Fieller interval.")]


def _economy_table(c: _Context, e: str) -> Table:
    lvl = c.level
    d = c.comparison.differences
    d = d[d["economy"] == e].set_index(["measure", "option"])
    ce = c.comparison.cost_effectiveness
    ce = ce[ce["economy"] == e].set_index(["ratio", "option"])
    ref_col = f"{c.ref} (reference): level"
    rows = []
    for m in MEASURES.values():
        row = {"Outcome": f"{m.label} ({_unit_text(m.unit)}; {m.better} is better)"}
        first = d.loc[(m.name, c.others[0])] if (m.name, c.others[0]) in d.index else None
        row[ref_col] = fmt_level(first["mean_reference"], m.unit) if first is not None \
            else "n/a"
        for o in c.others:
            row[c.labels[o]] = _diff_cell(d.loc[(m.name, o)]) if (m.name, o) in d.index \
                else "n/a"
        rows.append(row)
    for ratio, r in REFERENCE_RATIOS.items():
        row = {"Outcome": f"{r.label} ({r.unit})", ref_col: "-"}
        for o in c.others:
            row[c.labels[o]] = fmt_ratio(ce.loc[(ratio, o)])
        rows.append(row)
    return Table(pd.DataFrame(rows),
                 f"The reference column gives {c.ref}'s own level (mean of its {c.pairs} runs). "
                 "Every other cell: the option minus the reference, mean of the paired "
                 f"differences, with its {lvl} confidence interval in brackets, then the share of "
                 "pairs in which the option did better. Shares are at the horizon (last "
                 "month) unless the outcome says peak or mean (over the run); person-years and "
                 "USD are totals over the run. Rows marked 'trainees not counted' leave people "
                 "in training out of the unemployment rate, so enrolling people lowers them. The "
                 f"last two rows divide the extra programme cost by the extra gain ({lvl} Fieller "
                 "intervals). 'n/a': not defined in this economy (for example, no rural "
                 "workers, or no displacement long enough ago).")


def _effect_sizes(c: _Context, e: str) -> str:
    eff = c.comparison.effect
    d = eff[(eff["economy"] == e) & (eff["method"] == "trainees") & (eff["months"] == 6)
            & (eff["n"] > 0)]
    if d.empty:
        return "No option trained anyone in this economy long enough before the horizon."
    parts = [f"{c.labels[r.option]} {r.group_size:,.0f}" for r in d.itertuples()]
    return ("Trainees observed 6 months after their start, mean per run (people): "
            + "; ".join(parts) + ". Fewer are observed at 36 months, since only those who "
            "started three years before the horizon count.")


def _economy(c: _Context, e: str) -> list[Block]:
    lvl = c.level
    name = f"{ECONOMY_NAMES[e]} ({e})"
    n = c.pairs
    metric = c.comparison.path_metric
    path_label = _path_label(metric)
    indicator = INDICATORS.get(metric)
    better = indicator.better if indicator is not None else None
    if better is None:
        direction = ""
    else:
        direction = f"{'Above' if better == 'higher' else 'Below'} zero is better than the " \
                    "reference. "
    unit = indicator.unit if indicator is not None else ""
    level_unit = f", in {_unit_text(unit)}" if unit else ""
    diff_unit = "percentage points" if unit == "share" else (unit or "its unit")
    meaning = f" ({indicator.definition.replace('**', '')})" if indicator is not None else ""
    return [
        Heading(2, name),
        Heading(3, f"Outcomes against {c.ref}"),
        _economy_table(c, e),
        Heading(3, f"{path_label} over time"),
        Figure(f"{e}_{metric}", figure_paths(c.df, c.comparison, e, c.labels),
               f"{name}: {path_label.lower()} by option, and difference from {c.ref}",
               f"Left: the {path_label.lower()}{meaning} under each option{level_unit}: the "
               f"mean of {n} runs (line) and the range of the middle 90% of runs (shaded); "
               f"{c.ref}, the reference, is the thick line. Right: each option minus the "
               f"reference, month by month, in {diff_unit}. The shaded band is the {lvl} "
               f"confidence interval of the paired difference across {n} replicate pairs. "
               f"{direction}Trainees are in the labour force and neither employed nor "
               "unemployed."),
        Heading(3, "Cost-effectiveness"),
        Figure(f"{e}_cost", figure_cost(c.comparison, e, c.labels),
               f"{name}: cost per additional worker re-employed and per long-term-"
               "unemployment year avoided",
               f"Bars show each option's extra programme cost over {c.ref}, divided by its "
               "gain: on the left, per additional displaced worker in work at the horizon "
               "(USD per worker); on the right, per person-year of long-term unemployment "
               f"avoided over the run (USD per person-year). The whiskers are {lvl} confidence "
               f"intervals (Fieller's method) from {n} replicate pairs. 'no gain': the option "
               "does not improve that outcome on average, so there is no cost per unit. A "
               "hatched bar: the gain is not distinguishable from zero, so the interval is "
               "unbounded and the bar is only indicative. An arrow head: the interval runs past "
               "the edge of the chart. A bar below zero: the option costs less and does "
               "better. Shorter bars are better value."),
        Heading(3, "Programme effect over time"),
        Figure(f"{e}_effect", figure_effect(c.comparison, e, c.labels),
               f"{name}: employment effect 6 to 36 months after the start of training",
               "Left: the share of trainees employed 6, 12, 24 and 36 months after the start "
               "of their training, minus the share of displaced workers employed as many "
               f"months after displacement in the run without the programme ({c.cf}), in "
               "percentage points. Right: all displaced workers, k months after displacement, "
               f"under the option minus under {c.cf}, same seeds. Points are means over {n} "
               f"replicate pairs; whiskers are {lvl} confidence intervals. Below zero at 6 or 12 "
               "months is the lock-in effect (trainees search less while in training); where "
               "the points rise above zero shows when the gain arrives. "
               + _effect_sizes(c, e)),
    ]


def _sentence(text: str) -> str:
    """A definition as a sentence: capitalised, ending with a full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "."


def _method(c: _Context) -> list[Block]:
    lvl = c.level
    q = 1.0 - (1.0 - c.comparison.confidence) / 2.0
    n = c.pairs
    return [
        Heading(2, "Method and limits"),
        Para(
            "**Paired runs.** Every option was run with the same master seed and the same "
            "replicate seeds (common random numbers): replicate r of every option starts from "
            "the same workers and firms, and each mechanism (adoption, displacement, churn, "
            "training, search, exits) draws from its own random stream, so a policy changes "
            "only the draws it touches. The difference between an option and the reference in "
            "replicate r is therefore mostly the policy's effect, and the differences vary "
            "much less than the outcomes themselves. Each economy has its own streams, so a "
            "policy in one economy leaves the other economies' runs unchanged (except through "
            f"the regional centre, which links its members). Each reported change is the mean of the {n} paired "
            f"differences; its {lvl} confidence interval is the t-interval of that mean "
            f"(mean ± t({q:g}, {n - 1}) × standard deviation / √{n}; Law 2015, 10.2). "
            "'Better in' is the share of pairs in which the option did strictly better, in "
            "the direction stated for each outcome (ties count as not better)."),
        Para(
            "**Outcomes.** "
            + " ".join(f"{m.label}: {_sentence(m.definition)}" for m in MEASURES.values())
            + " docs/outputs.md defines every indicator and outcome."),
        Para(
            "**Cost-effectiveness.** Extra cost = the option's programme cost minus the "
            "reference's, over the run. Cost per additional worker re-employed = extra cost / "
            "(displaced workers employed at the horizon under the option - under the "
            "reference). Cost per long-term-unemployment year avoided = extra cost / "
            "(the reference's long-term-unemployed person-years - the option's). Each is "
            "computed in every pair, and summarised as mean extra cost / mean gain with "
            f"Fieller's {lvl} interval for a ratio of means (Fieller 1954; Willan & O'Brien "
            "1996). A ratio is only defined when the gain is positive: otherwise the report "
            "says 'no gain'. When the gain's own interval includes zero, the ratio's interval "
            "is unbounded and the report says 'gain uncertain'."),
        Para(
            "**Programme effect over time.** Training takes months, during which trainees "
            "search less (lock-in), and its gain arrives later; evaluations of active "
            "labour-market programmes find small or negative effects in the first year and "
            "larger ones two to three years on (Card, Kluve & Weber 2018). The report gives "
            f"two estimates against the run without the programme ({c.cf}), paired by seed. "
            "(1) Trainees: the share of trainees employed 6, 12, 24 and 36 months after the "
            "start of training (model indicators trainee_{k}m_employed, pooled over every "
            "start month), minus the share of displaced workers employed as many months after "
            f"displacement under {c.cf}. Limits: trainees enrol a few months after "
            "displacement and only if still unemployed, so they are harder to place than the "
            "average displaced worker and this comparison understates the gain, most at 6 and "
            "12 months; where eligibility includes unemployed workers never displaced, they "
            "are compared with displaced workers. (2) All displaced workers: the share "
            "employed k months after displacement under the option minus under "
            f"{c.cf}. This is the effect of offering the programme, over participants and "
            "non-participants, including trainees taking jobs other job seekers would have "
            "had; it is diluted by those who never train, but its comparison is exact."),
        Para(
            "**What the model leaves out.** No macroeconomic feedback: programme spending is "
            "not financed by taxes in the model and does not raise demand; jobs created by "
            "automation are a fixed ratio of jobs automated. The baseline is calibrated to "
            "sector employment shares and unemployment in 2005-2023 (docs/calibration.md), "
            "but the policy mechanisms are not fitted to programme evaluations (docs/ODD.md, "
            "9.2). Use the differences between options, "
            "rather than the levels, and their direction and rough size rather than exact "
            "values."),
        Para(
            "**References.** Card, D., Kluve, J. & Weber, A. (2018), J. Eur. Econ. Assoc. "
            "16(3), 894-931, doi:10.1093/jeea/jvx028. Fieller, E. C. (1954), J. R. Stat. "
            "Soc. B 16(2), 175-185, doi:10.1111/j.2517-6161.1954.tb00159.x. Law, A. M. "
            "(2015), Simulation Modeling and Analysis, 5th ed., McGraw-Hill. Willan, A. R. & "
            "O'Brien, B. J. (1996), Health Econ. 5(4), 297-305."),
        Para(
            "**Tables.** Every number above is in the CSV tables next to the results "
            "(`comparison/`): `outcomes` (each run), `pairs` and `differences` (paired "
            "differences and their summaries), `cost_pairs` and `cost_effectiveness`, "
            f"`paths` ({_path_label(c.comparison.path_metric).lower()} month by month) and "
            "`effect` (programme effect over time)."),
    ]


def _bottom_lines(c: _Context) -> list[Block]:
    """The bottom line of every economy: the same sentences as its brief
    (``reporting.brief.bottom_line``)."""
    from displacement_sim.reporting.brief import bottom_line, gdp_by_economy

    start = int(c.df["year"].min())
    gdp = gdp_by_economy(c.economies, start)
    horizon = int(round(float(c.df["year"].max())))
    years = float(c.df["step"].max()) / 12.0
    return [Heading(2, "Bottom line"), Bullets(tuple(
        f"**{ECONOMY_NAMES[e]}.** " + bottom_line(c.comparison, e, c.labels, horizon, years,
                                                 gdp.get(e, float("nan")), c.df)
        for e in c.economies))]


def build_report(comparison: Comparison, df: pd.DataFrame, name: str, description: str,
                 labels: Mapping[str, str], scenarios: Mapping[str, Scenario],
                 sources: Mapping[str, str] | None = None, command: str | None = None
                 ) -> list[Block]:
    """The report's blocks (the content), ready to render as HTML or Markdown.

    Parameters
    ----------
    comparison : Comparison
        The tables of ``analysis.compare.compare``.
    df : pandas.DataFrame
        The tidy results of every option (for the fan charts).
    name : str
        The comparison's name.
    description : str
        The comparison's description.
    labels : mapping of str to str
        Plain-language name of each option.
    scenarios : mapping of str to Scenario
        Each option's scenario (descriptions and scale).
    sources : mapping of str to str, optional
        Each option's scenario file, as written in the comparison file.
    command : str, optional
        The command that produced the report.
    """
    full = {o: labels.get(o, o) for o in comparison.options}
    c = _Context(comparison, df, name, description, full, scenarios, sources or {}, command)
    header = _header(c)
    blocks = [header[0], *_bottom_lines(c), *header[1:], *_guide(c), *_options(c),
              *_overview(c)]
    for e in c.economies:
        blocks += _economy(c, e)
    blocks += _method(c)
    return blocks


# ----------------------------------------------------------------------------- rendering


def _inline_html(text: str) -> str:
    s = html.escape(text, quote=False)
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"`(.+?)`", r"<code>\1</code>", s)
    return re.sub(r"\[(.+?)\]\((#[\w\-]+)\)", r'<a href="\2">\1</a>', s)


_CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; max-width: 1180px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.7em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em;
     margin-top: 2em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; font-size: .82em; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; } tr:nth-child(even) td { background: #fafafa; }
.caption, figcaption { font-size: .88em; color: #444; margin: .3em 0 1.2em; }
figure { margin: 0; } img { max-width: 100%; }
code { background: #f3f3f3; padding: 0 .2em; }
"""


def render_html(blocks: Sequence[Block], title: str) -> str:
    """One self-contained HTML page: inline style, figures as base64 PNG, no external links.

    Parameters
    ----------
    blocks : sequence of Block
        The report's blocks (:func:`build_report`).
    title : str
        The page title.

    Returns
    -------
    str
        The HTML page.
    """
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_CSS}</style>", "</head>",
           "<body>"]
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f'<h{b.level} id="{b.anchor}">{html.escape(b.text)}</h{b.level}>')
        elif isinstance(b, Para):
            out.append(f"<p>{_inline_html(b.text)}</p>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in b.items)
                       + "</ul>")
        elif isinstance(b, Table):
            head = "".join(f"<th>{_inline_html(str(c))}</th>" for c in b.frame.columns)
            body = "".join("<tr>" + "".join(f"<td>{_inline_html(str(v))}</td>" for v in row)
                           + "</tr>" for row in b.frame.itertuples(index=False))
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
            if b.caption:
                out.append(f'<p class="caption">{_inline_html(b.caption)}</p>')
        elif isinstance(b, Figure):
            data = base64.b64encode(b.png).decode("ascii")
            out.append(f'<figure><img src="data:image/png;base64,{data}" '
                       f'alt="{html.escape(b.alt)}"><figcaption>{_inline_html(b.caption)}'
                       "</figcaption></figure>")
    out += ["</body>", "</html>", ""]
    return "\n".join(out)


def _md_cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: Sequence[Block], figures_dir: str) -> str:
    """The same document in Markdown, with figures linked as ``figures_dir/<name>.png``.

    Parameters
    ----------
    blocks : sequence of Block
        The report's blocks (:func:`build_report`).
    figures_dir : str
        The folder of the figures, relative to the Markdown file.

    Returns
    -------
    str
        The Markdown text.
    """
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Para):
            out += [b.text, ""]
        elif isinstance(b, Bullets):
            out += [f"- {i}" for i in b.items] + [""]
        elif isinstance(b, Table):
            cols = [_md_cell(c) for c in b.frame.columns]
            out.append("| " + " | ".join(cols) + " |")
            out.append("|" + "---|" * len(cols))
            out += ["| " + " | ".join(_md_cell(v) for v in row) + " |"
                    for row in b.frame.itertuples(index=False)]
            out.append("")
            if b.caption:
                out += [f"*{b.caption}*", ""]
        elif isinstance(b, Figure):
            out += [f"![{b.alt}]({figures_dir}/{b.name}.png)", "", f"*{b.caption}*", ""]
    return "\n".join(out)


def write_report(comparison: Comparison, df: pd.DataFrame, file: ComparisonFile,
                 scenarios: Mapping[str, Scenario], folder: str | Path,
                 command: str | None = None) -> list[Path]:
    """Write ``<name>.html``, ``<name>.md`` and ``<name>_figures/*.png`` into ``folder``.

    Parameters
    ----------
    comparison : Comparison
        The comparison's tables.
    df : pandas.DataFrame
        The tidy results of every option.
    file : ComparisonFile
        Name, description, option labels and scenario files.
    scenarios : mapping of str to Scenario
        Each option's scenario.
    folder : str or Path
        Where to write; every file is written atomically.
    command : str, optional
        The command quoted in the header.

    Returns
    -------
    The paths written: the HTML, the Markdown, then the figures.
    """
    folder = Path(folder)
    name = file.name
    labels = {o: file.label(o) for o in comparison.options}
    sources = {o: spec.scenario for o, spec in file.options.items()}
    blocks = build_report(comparison, df, name, file.description, labels, scenarios, sources,
                          command)
    fig_dir = f"{name}_figures"
    paths: list[Path] = []
    keep = set()
    for b in blocks:
        if isinstance(b, Figure):
            path = folder / fig_dir / f"{b.name}.png"
            atomic_write_bytes(path, b.png)
            paths.append(path)
            keep.add(path.name)
    for stale in (folder / fig_dir).glob("*.png"):
        if stale.name not in keep:
            remove(stale)  # inside a results folder, only a figure this tool wrote
    md = folder / f"{name}.md"
    page = folder / f"{name}.html"
    atomic_write_text(md, render_markdown(blocks, fig_dir))
    atomic_write_text(page, render_html(blocks, f"Policy comparison: {name}"))
    return [page, md, *paths]


__all__ = ["EFFECT_METHODS", "build_report", "render_html", "render_markdown", "write_report"]
