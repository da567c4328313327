"""One A4 page per economy for a minister: PDF and HTML, with its tables as CSV and Excel.

Read from the output folder of ``displacement-sim compare`` (``manifest.json``, ``parts/``,
``comparison/*.csv``), optionally with a sensitivity analysis and a validation. The page holds:
the bottom line in two sentences (:func:`bottom_line`, which the long comparison report leads
with too); how trainees are counted; the options ranked by cost per additional worker back in
work, with intervals in plain words; one chart of the employment rate with and without each
option; who is affected (by sex, age group and area); the assumptions that move the result most
and how far the model's forecasts held out of sample.

The ASEAN page (:func:`aggregate_inputs`, economy ``"ASEAN"``) is the same page for the ASEAN
members of the comparison pooled run by run (``analysis.brief.pool_economies``): counts summed
over the members in each run and month, then every rate, ratio, paired difference and interval
computed as for one economy; costs as a share of the members' summed GDP.

The PDF is one matplotlib ``Figure`` of A4 size, so it is one page by construction; matplotlib
is already a dependency, and with ``pdf.fonttype = 42`` (TrueType) its text is extractable.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from displacement_sim import __version__
from displacement_sim.analysis.brief import (
    AGGREGATE,
    AGGREGATE_MEMBERS,
    DEFAULT_DISCOUNT_RATE,
    GROUP_INDICATORS,
    RATIO_WORDS,
    Ranked,
    aggregate_members,
    discounted_extra_cost,
    group_outcomes,
    pool_economies,
    pooled_gdp,
    pooled_weights,
    rank_options,
    round_supported,
    round_to,
    same_as_reference,
    supported_step,
    verdict,
)
from displacement_sim.analysis.compare import Comparison, compare
from displacement_sim.constants import ECONOMY_NAMES
from displacement_sim.errors import DisplacementSimError, ScenarioError
from displacement_sim.files import atomic_write_bytes, atomic_write_text
from displacement_sim.outcomes import TRAINEES_COUNTED

TABLES = ("outcomes", "pairs", "differences", "cost_pairs", "cost_effectiveness", "paths",
          "effect")
"""The comparison tables a brief reads from ``comparison/``."""

TRAINEES_LINE = (
    "How trainees are counted: the employment rate counts people in training in the labour "
    "force but not as employed, and employment to population counts everyone of working age, "
    "so training cannot improve either by taking people out of the count.")
"""The one line on trainees (``outcomes.TRAINEES_COUNTED`` in short)."""

_EXPECTED = ("expected the output folder of `displacement-sim compare`, with manifest.json and "
             "comparison/*.csv")


# ----------------------------------------------------------------------------- numbers


def place(economy: str) -> str:
    """The economy's name as a sentence uses it: ``'the Philippines'``, ``'Viet Nam'``."""
    name = ECONOMY_NAMES.get(economy, economy)
    return f"the {name}" if economy in ("PHL", "USA") else name


def _and(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def members_text(members: Sequence[str]) -> str:
    """The pooled members in words, as the ASEAN page's title and sentences name them.

    Parameters
    ----------
    members : sequence of str
        ISO3 codes of the members pooled, in the package's order.

    Returns
    -------
    str
        ``'the Philippines and Viet Nam'``, or ``'all ten members'`` when every ASEAN member
        is pooled.

    Examples
    --------
    >>> members_text(["PHL", "VNM"])
    'the Philippines and Viet Nam'
    """
    if set(members) == set(AGGREGATE_MEMBERS):
        return "all ten members"
    return _and([place(m) for m in members])


def fmt_number(value: float, step: float, unit: str = "") -> str:
    """A rounded amount in words of thousands: ``'700,000 USD'``, ``'2.1 million USD'``."""
    if not np.isfinite(value):
        return "n/a"
    v = round_to(value, step)
    sign = "-" if v < 0 else ""
    a = abs(v)
    for size, word in ((1e9, " billion"), (1e6, " million")):
        if a >= size:
            d = max(0, -math.floor(math.log10(step / size))) if step < size else 0
            text = f"{a / size:,.{d}f}{word}"
            break
    else:
        d = max(0, -math.floor(math.log10(step))) if step < 1 else 0
        text = f"{a:,.{d}f}"
    return f"{sign}{text}" + (f" {unit}" if unit else "")


def fmt_usd_interval(value: float, low: float, high: float) -> str:
    """``'700,000 USD (310,000 to 2.0 million)'``, rounded to what the interval supports."""
    v, lo, hi = round_supported(value, low, high)
    step = supported_step(value, low, high)
    text = fmt_number(v, step, "USD")
    if np.isfinite(lo) and np.isfinite(hi):
        text += (f" ({fmt_number(lo, supported_step(lo) if lo else 1.0)} to "
                 f"{fmt_number(hi, supported_step(hi) if hi else 1.0)})")
    return text


def _pp(mean: float, low: float, high: float) -> tuple[float, float, float]:
    return round_supported(100.0 * mean, 100.0 * low, 100.0 * high)


def _signed(v: float) -> str:
    return "0" if v == 0 else f"{v:+g}"


def fmt_pp(mean: float, low: float, high: float) -> str:
    """A change in percentage points with its interval, rounded: ``'+0.4 pp (+0.1 to +0.7)'``."""
    if not np.isfinite(mean):
        return "n/a"
    v, lo, hi = _pp(mean, low, high)
    text = f"{_signed(v)} pp"
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" ({_signed(lo)} to {_signed(hi)})"
    return text


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class BriefInputs:
    """What a brief reads from a comparison's output folder (and the optional studies)."""

    folder: Path
    name: str
    comparison: Comparison
    results: pd.DataFrame
    labels: dict[str, str]
    start_year: int
    horizon_year: int
    years: float
    gdp_usd: dict[str, float]
    sensitivity: pd.DataFrame | None = None
    lever_factors: frozenset[str] = field(default_factory=frozenset)
    validation: pd.DataFrame | None = None
    origins: tuple[int, ...] = ()
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """For an aggregate (``"ASEAN"``): the economies its tables pool (:func:`aggregate_inputs`);
    empty for a comparison's own inputs."""

    @property
    def economies(self) -> list[str]:
        """The comparison's economies, in the package's order."""
        present = set(self.comparison.differences["economy"])
        return [e for e in ECONOMY_NAMES if e in present]


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise ScenarioError(f"{path}: cannot read this {what} table ({exc})") from None


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise ScenarioError(f"{folder}: not a folder; {_EXPECTED}")
    if not path.is_file():
        raise ScenarioError(f"{folder}: not a comparison output (no manifest.json); {_EXPECTED}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ScenarioError(f"{path}: not readable JSON ({exc}); {_EXPECTED}") from None
    definition = manifest.get("definition") if isinstance(manifest, dict) else None
    if not isinstance(definition, dict) or not isinstance(definition.get("comparison"), dict):
        raise ScenarioError(f"{folder}: not a comparison output (its manifest holds no "
                            f"comparison); {_EXPECTED}")
    return manifest


def _option_results(df: pd.DataFrame, outcomes: pd.DataFrame, options: Sequence[str]
                    ) -> pd.DataFrame:
    """Stored runs labelled by option; an option that shares its runs with another (the same
    settings, stored once) gets that option's runs, found by identical outcomes."""
    present = set(df["scenario"])
    measures = [c for c in outcomes.columns if c not in ("scenario", "replicate", "seed",
                                                         "economy")]
    parts = [df]
    for o in options:
        if o in present:
            continue
        mine = outcomes[outcomes["scenario"] == o].sort_values(["economy", "replicate"])
        for p in present:
            theirs = outcomes[outcomes["scenario"] == p].sort_values(["economy", "replicate"])
            if len(mine) == len(theirs) and np.allclose(
                    mine[measures].to_numpy(float), theirs[measures].to_numpy(float),
                    rtol=0, atol=0, equal_nan=True):
                parts.append(df[df["scenario"] == p].assign(scenario=o))
                break
    return pd.concat(parts, ignore_index=True)


def gdp_by_economy(economies: Sequence[str], year: int) -> dict[str, float]:
    """GDP (current USD, WDI) of each economy in ``year``; NaN where the data have none."""
    from displacement_sim.data import load_profile

    out = {}
    for e in economies:
        try:
            out[e] = float(load_profile(e, year).gdp_usd)
        except DisplacementSimError:
            out[e] = float("nan")
    return out


def _read_sensitivity(folder: Path) -> tuple[pd.DataFrame, frozenset[str]]:
    path = folder / "indices.csv"
    if not path.is_file():
        raise ScenarioError(f"--sensitivity {folder}: no indices.csv; expected the output "
                            "folder of `displacement-sim sensitivity`")
    table = _read_csv(path, "sensitivity")
    if not {"output", "economy", "factor", "index", "value"} <= set(table.columns):
        raise ScenarioError(f"{path}: expected the columns output, economy, factor, index, "
                            "value (the indices of `displacement-sim sensitivity`)")
    levers: set[str] = set()
    manifest = folder / "runs" / "manifest.json"
    if manifest.is_file():
        try:
            factors = json.loads(manifest.read_text(encoding="utf-8"))["definition"]["factor"]
            levers = {f["name"] for f in factors
                      if str(f["path"]).split(".")[0] in ("policy", "regional_centre")}
        except (OSError, ValueError, KeyError, TypeError):
            levers = set()
    return table, frozenset(levers)


def _read_validation(folder: Path) -> tuple[pd.DataFrame, tuple[int, ...]]:
    path = folder / "tables" / "by_series.csv"
    if not path.is_file():
        raise ScenarioError(f"--validation {folder}: no tables/by_series.csv; expected the "
                            "output folder of `displacement-sim validate`")
    table = _read_csv(path, "validation")
    if not {"economy", "series", "group", "mae_model", "mae_persistence"} <= set(table.columns):
        raise ScenarioError(f"{path}: expected the columns economy, series, group, mae_model, "
                            "mae_persistence (the scores of `displacement-sim validate`)")
    origins = tuple(sorted(int(p.name.removeprefix("origin_")) for p in folder.glob("origin_*")
                           if p.name.removeprefix("origin_").isdigit()))
    return table, origins


def load_inputs(folder: str | Path, sensitivity: str | Path | None = None,
                validation: str | Path | None = None) -> BriefInputs:
    """Read a comparison's output folder (and optional studies) for :func:`write_briefs`.

    Parameters
    ----------
    folder : str or Path
        The output folder of ``displacement-sim compare``.
    sensitivity : str or Path, optional
        The output folder of ``displacement-sim sensitivity``.
    validation : str or Path, optional
        The output folder of ``displacement-sim validate``.

    Returns
    -------
    BriefInputs

    Raises
    ------
    ScenarioError
        If a folder is not what it should be (one line naming what was expected).
    """
    from displacement_sim.workflows.store import ResultsStore

    folder = Path(folder)
    manifest = _manifest(folder)
    cf = manifest["definition"]["comparison"]
    tables = {}
    for name in TABLES:
        path = folder / "comparison" / f"{name}.csv"
        if not path.is_file():
            raise ScenarioError(f"{folder}: no comparison/{name}.csv; {_EXPECTED}")
        tables[name] = _read_csv(path, "comparison")
    options = list(cf.get("options", {}))
    reference = str(cf.get("reference"))
    labels = {o: str(spec.get("label") or o) for o, spec in cf.get("options", {}).items()}
    comparison = Comparison(
        reference=reference, counterfactual=str(cf.get("counterfactual") or reference),
        options=tuple(options), confidence=float(cf.get("confidence", 0.95)),
        bottom_line=str(cf.get("bottom_line", "cost_per_worker")), **tables)
    df = ResultsStore(folder).read()
    df = _option_results(df, tables["outcomes"], options)
    start = int(math.floor(df["year"].min()))
    horizon = int(round(df["year"].max()))
    years = float(df["step"].max()) / 12.0
    sens, levers = _read_sensitivity(Path(sensitivity)) if sensitivity is not None \
        else (None, frozenset())
    val, origins = _read_validation(Path(validation)) if validation is not None else (None, ())
    economies = sorted(set(tables["differences"]["economy"]))
    return BriefInputs(folder=folder, name=str(manifest.get("name", cf.get("name"))),
                       comparison=comparison, results=df, labels=labels, start_year=start,
                       horizon_year=horizon, years=years, gdp_usd=gdp_by_economy(economies, start),
                       sensitivity=sens, lever_factors=levers, validation=val,
                       origins=origins)


def aggregate_inputs(inputs: BriefInputs, code: str = AGGREGATE) -> BriefInputs:
    """The inputs of the ASEAN page: the comparison's ASEAN members pooled run by run.

    The monthly results of the members are pooled per option, replicate and month
    (``analysis.brief.pool_economies``: counts summed, ratios recomputed from the summed
    counts), then the comparison's tables are recomputed from the pooled runs by
    ``analysis.compare.compare``, exactly as for one economy (paired differences, t- and
    Fieller intervals against the reference). GDP is the members' sum.

    Parameters
    ----------
    inputs : BriefInputs
        From :func:`load_inputs`.
    code : str
        The aggregate's code on the page and in file names (default ``"ASEAN"``).

    Returns
    -------
    BriefInputs
        Tables, results and GDP of the one pooled economy ``code``; ``members`` names the
        economies pooled. Sensitivity and validation stay per economy.

    Raises
    ------
    ScenarioError
        If the comparison has no ASEAN member.
    """
    members = tuple(aggregate_members(inputs.economies))
    if not members:
        raise ScenarioError(
            f"--economy {code}: the comparison {inputs.folder} has no ASEAN member (its "
            f"economies: {', '.join(inputs.economies)}); expected a comparison of at least one "
            f"of {', '.join(AGGREGATE_MEMBERS)}")
    c = inputs.comparison
    pooled = pool_economies(inputs.results, members, code)
    comparison = compare(pooled, c.reference, c.counterfactual, c.options, c.confidence,
                         c.path_metric, c.bottom_line)
    return replace(inputs, comparison=comparison, results=pooled,
                   gdp_usd={code: pooled_gdp(inputs.gdp_usd, members)},
                   members={code: members})


def _where(inputs: BriefInputs, economy: str) -> str:
    """Where a sentence says the result holds: the economy, or the members pooled."""
    members = inputs.members.get(economy)
    if members:
        return f"the ASEAN members pooled ({members_text(members)})"
    return place(economy)


# ----------------------------------------------------------------------------- content


def _ranking(comparison: Comparison, df: pd.DataFrame, economy: str, years: float,
             rate: float) -> tuple[list[Ranked], list[str]]:
    ref = comparison.reference
    same = [o for o in same_as_reference(comparison.pairs, economy) if o != ref]
    others = [o for o in comparison.options if o != ref and o not in same]
    disc = discounted_extra_cost(df, ref, economy, rate, comparison.confidence) \
        if df is not None else pd.DataFrame(columns=["option"])
    ranked = rank_options(comparison.differences, comparison.cost_effectiveness,
                          comparison.outcomes, disc, economy, others, years)
    return ranked, same


def _no_programme(comparison: Comparison, economy: str) -> bool:
    out = comparison.outcomes
    cost = out[(out["economy"] == economy) & (out["scenario"] == comparison.reference)]
    return bool(len(cost)) and bool((cost["programme_cost_usd"].fillna(0.0) == 0.0).all())


def _employment_words(r: Ranked) -> str:
    word = verdict(r.employment_low, r.employment_high, "higher", r.employment_n)
    v, _, _ = _pp(r.employment_change, r.employment_low, r.employment_high)
    if word == "likely better":
        return f"likely raises the employment rate, by about {v:g} points"
    if word == "likely worse":
        return f"likely lowers the employment rate, by about {abs(v):g} points"
    return "its effect on the employment rate cannot be told from current policy"


def bottom_line(comparison: Comparison, economy: str, labels: Mapping[str, str],
                horizon_year: int, years: float, gdp_usd: float = float("nan"),
                df: pd.DataFrame | None = None,
                rate: float = DEFAULT_DISCOUNT_RATE, where: str | None = None) -> str:
    """The bottom line for one economy, in two sentences (the brief and the long report).

    Parameters
    ----------
    comparison : Comparison
        The comparison's tables.
    economy : str
        ISO3 code.
    labels : mapping of str to str
        Plain name of each option.
    horizon_year : int
        The last year simulated.
    years : float
        The horizon in years (for costs per year).
    gdp_usd : float, optional
        GDP of the start year (for costs as a share of GDP).
    df : pandas.DataFrame, optional
        The monthly results (for discounted totals, unused in the sentences).
    rate : float
        The discount rate a year.
    where : str, optional
        Where the sentences say the result holds (default: the economy's name; the ASEAN page
        names the members pooled).

    Returns
    -------
    str
        Two sentences.
    """
    name = where or place(economy)
    ref = labels.get(comparison.reference, comparison.reference)
    if comparison.bottom_line == "employment":
        return _employment_bottom_line(comparison, economy, labels, horizon_year, name, ref)
    ranked, _ = _ranking(comparison, None, economy, years, rate) if df is None else \
        _ranking(comparison, df, economy, years, rate)
    likely = [r for r in ranked if r.status in ("ok", "saves money", "no extra cost")]
    if not likely:
        first = (f"In {name}, no option puts more displaced workers back in work by "
                 f"{horizon_year} than {ref.lower()} by a margin these runs can tell from "
                 "chance.")
        uncertain = [labels.get(r.option, r.option) for r in ranked
                     if r.status == "gain uncertain"]
        second = ("The gains of " + ", ".join(uncertain) + " cannot be told from "
                  f"{ref.lower()}: more runs, or more agents, would be needed to rank them."
                  ) if uncertain else (f"None of the options does better than {ref.lower()} "
                                       "on this measure.")
        return f"{first} {second}"
    best = likely[0]
    cost = ("at no extra cost" if best.status == "no extra cost" else
            "while saving money" if best.status == "saves money" else
            "at about " + fmt_number(*_ratio_rounded(best)[:1], _ratio_step(best), "USD")
            + " per additional worker back in work")
    share = best.cost_per_year / gdp_usd if np.isfinite(gdp_usd) and gdp_usd > 0 else np.nan
    gdp = f" (its programmes cost about {_pct_gdp(share)} of GDP a year)" if np.isfinite(
        share) else ""
    first = (f"In {name}, {labels.get(best.option, best.option)} puts displaced workers "
             f"back in work by {horizon_year} at the lowest cost of the options, {cost}"
             f"{gdp}, and {_employment_words(best)}.")
    rest = likely[1:]
    if rest:
        nxt = rest[0]
        second = (f"Next is {labels.get(nxt.option, nxt.option)}, at about "
                  f"{fmt_number(_ratio_rounded(nxt)[0], _ratio_step(nxt), 'USD')} per worker; "
                  f"{len(ranked) - 2} other option(s) cost more or their gain cannot be told "
                  f"from {ref.lower()}.") if len(ranked) > 2 else (
            f"Next is {labels.get(nxt.option, nxt.option)}, at about "
            f"{fmt_number(_ratio_rounded(nxt)[0], _ratio_step(nxt), 'USD')} per worker.")
    else:
        none = sum(r.status == "no gain" for r in ranked)
        unsure = len(ranked) - 1 - none
        parts = ([f"{none} {'has' if none == 1 else 'have'} no gain over {ref.lower()}"]
                 if none else []) + ([f"{unsure} a gain that cannot be told from it"]
                                     if unsure else [])
        second = (f"Of the other options, {' and '.join(parts)}." if parts else
                  "It is the only option compared.")
    return f"{first} {second}"


def _employment_bottom_line(comparison: Comparison, economy: str, labels: Mapping[str, str],
                            horizon_year: int, name: str, ref: str) -> str:
    """The bottom line of a comparison ranked by the mean employment rate over the run."""
    d = comparison.differences
    d = d[(d["economy"] == economy) & (d["measure"] == "employment_rate_mean")
          & (d["option"] != comparison.reference)].sort_values("mean_difference",
                                                                 ascending=False)
    said = []
    for r in d.itertuples(index=False):
        v, _, _ = _pp(r.mean_difference, r.ci_low, r.ci_high)
        word = verdict(r.ci_low, r.ci_high, "higher", int(r.n))
        said.append((labels.get(r.option, r.option), v, word))
    if not said:
        return f"In {name}, no option is compared with {ref.lower()}."
    best = [s for s in said if s[2] == "likely better"]
    if best:
        label, v, _ = best[0]
        first = (f"In {name}, {label} gives the highest employment rate of the options up to "
                 f"{horizon_year}: likely about {v:g} points above {ref.lower()} on average "
                 "over the run.")
    else:
        first = (f"In {name}, no option raises the employment rate over the run above "
                 f"{ref.lower()} by a margin these runs can tell from chance.")
    rest = [s for s in said if not best or s is not best[0]]
    if not rest:
        return f"{first} It is the only option compared."
    words = {"likely better": "likely higher", "likely worse": "likely lower"}
    parts = [f"{label}, {_signed(v)} points ({words.get(word, word)})"
             for label, v, word in rest]
    return f"{first} The other options: {'; '.join(parts)}."


def _ratio_rounded(r: Ranked) -> tuple[float, float, float]:
    return round_supported(r.ratio, r.ratio_low, r.ratio_high)


def _ratio_step(r: Ranked) -> float:
    return supported_step(r.ratio, r.ratio_low, r.ratio_high)


def _pct_gdp(share: float) -> str:
    if not np.isfinite(share):
        return "n/a"
    pct = 100.0 * share
    return f"{round_to(pct, supported_step(pct)):g}%" if pct else "0%"


@dataclass(frozen=True)
class BriefPage:
    """The content of one economy's page, rendered as PDF and HTML."""

    economy: str
    title: str
    subtitle: str
    bottom_line: str
    notes: tuple[str, ...]
    options: pd.DataFrame
    """Formatted ranking (strings)."""
    options_export: pd.DataFrame
    """The same, as rounded numbers with units in the headers."""
    chart: bytes
    chart_caption: str
    groups_title: str
    groups: pd.DataFrame
    groups_export: pd.DataFrame
    assumptions: tuple[str, ...]
    footer: str
    groups_note: str = ""
    """A line under the groups table (the ASEAN page: what cannot be pooled)."""


def _options_tables(inputs: BriefInputs, ranked: Sequence[Ranked], economy: str, rate: float
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    gdp = inputs.gdp_usd.get(economy, float("nan"))
    pct_rate = f"{100 * rate:g}%"
    shown, export = [], []
    for i, r in enumerate(ranked, 1):
        label = inputs.labels.get(r.option, r.option)
        v, lo, hi = _ratio_rounded(r) if np.isfinite(r.ratio) else (np.nan,) * 3
        if r.status in ("no gain",):
            ratio_text = "no gain"
        elif r.status == "no extra cost":
            ratio_text = "no extra cost"
        else:
            ratio_text = fmt_usd_interval(r.ratio, r.ratio_low, r.ratio_high)
        ev, elo, ehi = _pp(r.employment_change, r.employment_low, r.employment_high)
        ewords = verdict(r.employment_low, r.employment_high, "higher", r.employment_n)
        cy = r.cost_per_year
        cy_step = supported_step(cy)
        share = cy / gdp if np.isfinite(gdp) and gdp > 0 else np.nan
        dv, dlo, dhi = round_supported(r.extra_discounted, r.extra_discounted_low,
                                       r.extra_discounted_high)
        shown.append({
            "Rank": str(i), "Option": label,
            "Cost per additional worker back in work": ratio_text,
            "How sure": RATIO_WORDS.get(r.status, r.status),
            "Employment rate at the horizon": f"{fmt_pp(r.employment_change, r.employment_low, r.employment_high)}; {ewords}",  # noqa: E501
            "Cost a year (% of GDP)": f"{fmt_number(cy, cy_step, 'USD')} ({_pct_gdp(share)})",
            f"Extra cost, discounted at {pct_rate}": fmt_usd_interval(
                r.extra_discounted, r.extra_discounted_low, r.extra_discounted_high)})
        export.append({
            "rank": i, "option": label, "status": r.status,
            "cost per additional worker back in work (USD per worker)": v,
            "cost per worker, interval low (USD per worker)": lo,
            "cost per worker, interval high (USD per worker)": hi,
            "how sure (plain words)": RATIO_WORDS.get(r.status, r.status),
            "employment rate change at the horizon (percentage points)": ev,
            "employment rate change, interval low (percentage points)": elo,
            "employment rate change, interval high (percentage points)": ehi,
            "employment rate change (plain words)": ewords,
            "programme cost a year (USD per year)": round_to(cy, cy_step),
            "programme cost a year (% of GDP)": round_to(100 * share, supported_step(
                100 * share)) if np.isfinite(share) else np.nan,
            f"extra cost over the reference, discounted at {pct_rate} a year (USD)": dv,
            "extra cost discounted, interval low (USD)": dlo,
            "extra cost discounted, interval high (USD)": dhi})
    return pd.DataFrame(shown), pd.DataFrame(export)


def _groups_tables(inputs: BriefInputs, economy: str, option: str | None
                   ) -> tuple[str, pd.DataFrame, pd.DataFrame]:
    c = inputs.comparison
    ref_label = inputs.labels.get(c.reference, c.reference)
    opt = option or c.reference
    g = group_outcomes(inputs.results, c.reference, opt, economy, c.confidence)
    opt_label = inputs.labels.get(opt, opt)
    title = (f"Who is affected: {ref_label.lower()}, and the change with {opt_label} "
             f"({inputs.horizon_year})")
    shown, export = [], []
    for row in g.itertuples():
        measure = {"sex": "employment to population", "age": "employment rate",
                   "area": "unemployment rate (trainees not counted)"}[row.dimension]
        _, _, _ = round_supported(100 * row.change, 100 * row.ci_low, 100 * row.ci_high)
        step = min(1.0, supported_step(100 * row.change, 100 * row.ci_low, 100 * row.ci_high)) \
            if np.isfinite(row.change) and row.change != 0 else 1.0
        start, horizon = round_to(100 * row.start, step), round_to(100 * row.horizon_reference,
                                                                    step)
        ev, elo, ehi = _pp(row.change, row.ci_low, row.ci_high)
        words = verdict(row.ci_low, row.ci_high, row.better, row.n) if opt != c.reference \
            else "-"
        shown.append({"Group": row.group, "Measure": measure,
                      f"{inputs.start_year}": f"{start:g}%",
                      f"{inputs.horizon_year}, {ref_label.lower()}": f"{horizon:g}%",
                      f"Change with {opt_label}": (
                          f"{fmt_pp(row.change, row.ci_low, row.ci_high)}; {words}")})
        export.append({"group": row.group, "measure": measure,
                       f"{inputs.start_year} (%)": start,
                       f"{inputs.horizon_year}, {ref_label.lower()} (%)": horizon,
                       f"change with {opt_label} (percentage points)": ev,
                       "change, interval low (percentage points)": elo,
                       "change, interval high (percentage points)": ehi,
                       "change (plain words)": words})
    return title, pd.DataFrame(shown), pd.DataFrame(export)


def _validation_by_member(inputs: BriefInputs, members: Sequence[str]) -> str:
    """The validation line of the ASEAN page: scores are per economy, so by member."""
    v = inputs.validation
    origins = ", ".join(str(o) for o in inputs.origins) or "the validation's origins"
    parts, missing = [], []
    for m in members:
        d = v[v["economy"] == m]
        if d.empty:
            missing.append(place(m))
            continue
        beats = int((d["mae_model"] < d["mae_persistence"]).sum())
        parts.append(f"{beats} of {len(d)} series in {place(m)}")
    text = ("The out-of-sample validation scores each economy's forecasts separately, and its "
            "errors do not add up over economies, so it gives no pooled track record")
    if parts:
        text += (f"; by member, forecasting from {origins}, the model beat keeping the last "
                 f"observed value in {_and(parts)} (each member's page gives its unemployment "
                 "error)")
    if missing:
        text += f"; the validation given does not cover {_and(missing)}"
    return text + "."


def _assumptions(inputs: BriefInputs, economy: str) -> list[str]:
    lines = []
    s = inputs.sensitivity
    members = inputs.members.get(economy, ())
    if s is not None:
        d = s[s["economy"].isin(members)] if members else s[s["economy"] == economy]
        if d.empty:
            d = s[s["economy"] == "all"]
        for index in ("ST", "mu_star", "delta", "S1"):
            if (d["index"] == index).any():
                d = d[d["index"] == index]
                break
        d = d[~d["factor"].isin(inputs.lever_factors)]
        top = d.sort_values("value", ascending=False).drop_duplicates("factor").head(3)
        if top.empty:
            lines.append("The sensitivity analysis given holds no index for an assumption "
                         "of this economy.")
        else:
            parts = []
            for r in top.itertuples():
                label = getattr(r, "label", r.factor) if isinstance(
                    getattr(r, "label", None), str) else r.factor
                conf = getattr(r, "conf", np.nan)
                v = round_supported(r.value, r.value - conf, r.value + conf)[0] if np.isfinite(
                    conf) else round_to(r.value, supported_step(r.value))
                parts.append(f"{label} ({r.index} {v:g} on {r.output})")
            source = ("(sensitivity analysis, policy levers left out)" if not members else
                      "(sensitivity indices are per economy and are not pooled: the largest "
                      "over the members, or over the economies analysed together; policy "
                      "levers left out)")
            lines.append(f"The assumptions that move the results most {source}: "
                         + "; ".join(parts) + ".")
    v = inputs.validation
    if v is not None and members:
        lines.append(_validation_by_member(inputs, members))
    elif v is not None:
        d = v[(v["economy"] == economy)]
        u = d[d["group"] == "unemployment"]
        origins = ", ".join(str(o) for o in inputs.origins) or "the validation's origins"
        if d.empty:
            lines.append("The validation given does not cover this economy.")
        else:
            beats = int((d["mae_model"] < d["mae_persistence"]).sum())
            text = (f"Out of sample (forecasts from {origins}), the model beat keeping the "
                    f"last observed value in {beats} of {len(d)} series")
            if not u.empty:
                mm, mp = float(u["mae_model"].mean()), float(u["mae_persistence"].mean())
                text += (f"; its unemployment rate missed by "
                         f"{round_to(mm, supported_step(mm)):g} points on average, against "
                         f"{round_to(mp, supported_step(mp)):g} for the last value")
                if "coverage" in u.columns and np.isfinite(u["coverage"].mean()):
                    text += (f", and {100 * float(u['coverage'].mean()):.0f}% of observations "
                             "fell inside its 90% band")
            lines.append(text + ".")
    if s is None and v is None:
        lines.append("No sensitivity analysis and no out-of-sample validation were given "
                     "(--sensitivity, --validation): this page does not show which assumptions "
                     "drive the result, nor how well the model has forecast.")
    elif s is None:
        lines.append("No sensitivity analysis was given (--sensitivity): which assumptions "
                     "drive the result is not shown.")
    elif v is None:
        lines.append("No validation was given (--validation): how well the model has "
                     "forecast out of sample is not shown.")
    return lines


def _chart(inputs: BriefInputs, economy: str, options: Sequence[str]) -> bytes:
    from matplotlib.figure import Figure

    from displacement_sim.reporting.plots import plot_option_fans, png_bytes

    fig = Figure(figsize=(7.6, 2.7))
    ax = fig.subplots()
    c = inputs.comparison
    plot_option_fans(inputs.results, economy, list(options), inputs.labels, c.reference,
                     metric="employment_rate", ax=ax)
    ax.set_ylabel("employment rate, %", fontsize=8)
    ax.set_xlabel("")
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6.5, frameon=False, ncol=3, loc="lower left")
    fig.tight_layout()
    return png_bytes(fig, dpi=150)


def build_page(inputs: BriefInputs, economy: str, rate: float = DEFAULT_DISCOUNT_RATE,
               command: str | None = None) -> BriefPage:
    """The content of one economy's page.

    Parameters
    ----------
    inputs : BriefInputs
        From :func:`load_inputs`.
    economy : str
        ISO3 code, or ``"ASEAN"`` for inputs from :func:`aggregate_inputs`.
    rate : float
        Discount rate a year.
    command : str, optional
        The command quoted in the footer.

    Returns
    -------
    BriefPage
    """
    c = inputs.comparison
    members = inputs.members.get(economy, ())
    name = (f"{economy} ({members_text(members)} pooled)" if members
            else ECONOMY_NAMES.get(economy, economy))
    where = _where(inputs, economy)
    ref_label = inputs.labels.get(c.reference, c.reference)
    ranked, same = _ranking(c, inputs.results, economy, inputs.years, rate)
    gdp = inputs.gdp_usd.get(economy, float("nan"))
    line = bottom_line(c, economy, inputs.labels, inputs.horizon_year, inputs.years, gdp,
                       inputs.results, rate, where=where if members else None)
    notes = [TRAINEES_LINE]
    if members:
        notes.append(_pooling_line(members))
    if _no_programme(c, economy):
        names = ", ".join(inputs.labels.get(o, o) for o in same)
        notes.append(f"{ref_label} has no programme in {where} in this model (no "
                     "spending on training, benefits or subsidies)"
                     + (f", so {names} is the same as {ref_label.lower()} here and is left "
                        "out." if same else "."))
    elif same:
        notes.append(", ".join(inputs.labels.get(o, o) for o in same)
                     + f" changes nothing in {where} and is left out.")
    options, options_export = _options_tables(inputs, ranked, economy, rate)
    top = ranked[0].option if ranked else None
    groups_title, groups, groups_export = _groups_tables(inputs, economy, top)
    groups_note = _unpooled_groups(inputs, economy) if len(members) > 1 else ""
    pairs = int(c.outcomes["replicate"].nunique())
    lvl = f"{100 * c.confidence:g}%"
    chart_opts = [c.reference, *[r.option for r in ranked]]
    gdp_of = "the members' summed " if members else ""
    caption = (f"Employment rate (employed / labour force, trainees in the labour force), "
               f"{inputs.start_year}-{inputs.horizon_year}: mean of {pairs} runs per option "
               f"(line) and the middle 90% of runs (band); {ref_label.lower()} is the thick "
               "line.")
    footer = (f"Reading the intervals: 'likely' = the {lvl} interval of the paired difference "
              f"from {ref_label.lower()} ({pairs} runs with shared random numbers) excludes "
              "zero; 'cannot be told from current policy' = it includes zero. Intervals cover "
              "the model's randomness, not its assumptions. Numbers rounded to 2 significant "
              "figures or to the interval's width. USD of "
              f"{inputs.start_year}; cost a year = total over {inputs.years:g} years / "
              f"{inputs.years:g}; % of {gdp_of}GDP of {inputs.start_year}; discounted at "
              f"{100 * rate:g}% a year (US OMB Circular A-4, WHO-CHOICE; an assumption for "
              f"ASEAN economies). Comparison '{inputs.name}'; displacement_sim {__version__}"
              + (f"; {command}" if command else "") + ".")
    return BriefPage(
        economy=economy, title=f"{name}: options to bring displaced workers back to work",
        subtitle=(f"Policy brief from the comparison '{inputs.name}', {inputs.start_year}-"
                  f"{inputs.horizon_year}, against {ref_label.lower()}"),
        bottom_line=line, notes=tuple(notes), options=options, options_export=options_export,
        chart=_chart(inputs, economy, chart_opts), chart_caption=caption,
        groups_title=groups_title, groups=groups, groups_export=groups_export,
        assumptions=tuple(_assumptions(inputs, economy)), footer=footer,
        groups_note=groups_note)


def _pooling_line(members: Sequence[str]) -> str:
    """How the ASEAN page pools its members, in one line."""
    return ("Pooled run by run: in each run and month, employed people, the labour force, "
            "displaced workers back in work, programme costs and GDP are summed over "
            f"{members_text(members)} before any rate, ratio or difference from current policy "
            "is computed, so larger economies weigh more, as in one labour market; the United "
            "States is not in the aggregate.")


def _unpooled_groups(inputs: BriefInputs, economy: str) -> str:
    """The line under the ASEAN page's groups: the groups that cannot be pooled."""
    d = inputs.results
    lost = [(g, col) for g, col, _ in GROUP_INDICATORS
            if col in d.columns and pooled_weights(d.iloc[:0], col) is None]
    if not lost:
        return ""
    groups = _and([g.lower() for g, _ in lost])
    return (f"Not shown, {groups} workers: the results hold their unemployment rates per "
            "economy but not the labour force they are shares of, so the rates cannot be "
            "pooled over the members; each member's own page shows them.")


# ----------------------------------------------------------------------------- rendering


_A4 = (8.27, 11.69)
_MARGIN = 0.06


class _Cursor:
    """Writes text down an A4 figure, top to bottom, in figure coordinates."""

    def __init__(self, fig: object) -> None:
        self.fig = fig
        self.y = 0.965

    def text(self, text: str, size: float = 8.0, weight: str = "normal", width: int = 0,
             style: str = "normal", gap: float = 0.004, x: float = _MARGIN) -> None:
        width = width or int(118 * 8.0 / size)
        lines = textwrap.wrap(text, width) or [""]
        height = size * 1.32 / 72.0 / _A4[1]
        for ln in lines:
            self.fig.text(x, self.y, ln, fontsize=size, weight=weight, style=style,
                          va="top", ha="left")
            self.y -= height
        self.y -= gap

    def table(self, frame: pd.DataFrame, widths: Sequence[float], size: float = 6.6) -> None:
        from matplotlib.lines import Line2D

        total = sum(widths)
        span = 1.0 - 2 * _MARGIN
        xs = [_MARGIN + span * sum(widths[:i]) / total for i in range(len(widths))]
        chars = [max(6, int(span * _A4[0] * 72 * w / total / (size * 0.62))) for w in widths]
        height = size * 1.25 / 72.0 / _A4[1]

        def row(cells: Sequence[str], weight: str) -> None:
            wrapped = [textwrap.wrap(str(v), n) or [""] for v, n in zip(cells, chars,
                                                                          strict=True)]
            for x, lines in zip(xs, wrapped, strict=True):
                for k, ln in enumerate(lines):
                    self.fig.text(x, self.y - k * height, ln, fontsize=size, weight=weight,
                                  va="top", ha="left")
            self.y -= height * max(len(w) for w in wrapped) + 0.002
            self.fig.add_artist(Line2D([_MARGIN, 1 - _MARGIN], [self.y + 0.001] * 2,
                                       lw=0.3, color="#999"))
            self.y -= 0.002

        row(list(frame.columns), "bold")
        for values in frame.itertuples(index=False):
            row([str(v) for v in values], "normal")
        self.y -= 0.006


def render_pdf(page: BriefPage) -> bytes:
    """The page as a one-page A4 PDF (one matplotlib figure; TrueType fonts, so its text can
    be extracted).

    Parameters
    ----------
    page : BriefPage
        From :func:`build_page`.

    Returns
    -------
    bytes
        The PDF file.
    """
    import matplotlib
    import matplotlib.image as mpimg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"pdf.fonttype": 42, "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=_A4)
        cur = _Cursor(fig)
        cur.text(page.title, 13, "bold", gap=0.002)
        cur.text(page.subtitle, 8, style="italic", gap=0.008)
        cur.text("Bottom line", 9.5, "bold", gap=0.001)
        cur.text(page.bottom_line, 9.5, gap=0.006)
        for note in page.notes:
            cur.text(note, 7.2, style="italic", gap=0.002)
        cur.y -= 0.006
        cur.text("Options, best value first: cost per additional displaced worker back in "
                 "work", 9, "bold")
        if page.options.empty:
            cur.text("No option differs from the reference in this economy.", 8)
        else:
            cur.table(page.options, [0.4, 1.4, 2.0, 1.4, 2.1, 1.6, 1.9])
        img = mpimg.imread(io.BytesIO(page.chart), format="png")
        h = 0.215
        ax = fig.add_axes((_MARGIN, cur.y - h, 1 - 2 * _MARGIN, h))
        ax.imshow(img)
        ax.set_axis_off()
        cur.y -= h + 0.004
        cur.text(page.chart_caption, 7, style="italic", gap=0.008)
        cur.text(page.groups_title, 9, "bold")
        if page.groups.empty:
            cur.text("The results hold no breakdown by group for this economy.", 8)
        else:
            cur.table(page.groups, [1.0, 2.2, 0.7, 1.2, 2.8])
        if page.groups_note:
            cur.text(page.groups_note, 7.2, style="italic", gap=0.006)
        cur.text("Assumptions and track record", 9, "bold")
        for line in page.assumptions:
            cur.text(line, 7.5, gap=0.002)
        cur.y -= 0.006
        cur.text(page.footer, 6.2, gap=0.0)
        buf = io.BytesIO()
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "Producer": None})
    return buf.getvalue()


_CSS = """
@page { size: A4; margin: 12mm; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; max-width: 186mm;
       margin: 1em auto; color: #222; font-size: 10pt; line-height: 1.35; }
h1 { font-size: 15pt; margin: 0; } h2 { font-size: 11pt; margin: 1em 0 .3em; }
.sub, .note, .caption { font-style: italic; font-size: 8.5pt; color: #444; }
.bottom { font-size: 11pt; border-left: 4px solid #1f77b4; padding-left: .6em; }
table { border-collapse: collapse; font-size: 8pt; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: .2em .3em; text-align: left;
         vertical-align: top; }
img { width: 100%; } .foot { font-size: 7pt; color: #555; margin-top: 1em; }
"""


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(page: BriefPage) -> str:
    """The same page as self-contained HTML (the chart embedded; prints on one A4 sheet).

    Parameters
    ----------
    page : BriefPage
        From :func:`build_page`.

    Returns
    -------
    str
        The HTML document.
    """
    e = html.escape
    chart = base64.b64encode(page.chart).decode("ascii")
    out = ["<!DOCTYPE html>", '<html lang="en">', '<head><meta charset="utf-8">',
           f"<title>{e(page.title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(page.title)}</h1>", f'<p class="sub">{e(page.subtitle)}</p>',
           "<h2>Bottom line</h2>", f'<p class="bottom">{e(page.bottom_line)}</p>',
           *[f'<p class="note">{e(n)}</p>' for n in page.notes],
           "<h2>Options, best value first: cost per additional displaced worker back in "
           "work</h2>",
           _html_table(page.options) if not page.options.empty else
           "<p>No option differs from the reference in this economy.</p>",
           f'<img src="data:image/png;base64,{chart}" alt="Employment rate with and without '
           f'each option">', f'<p class="caption">{e(page.chart_caption)}</p>',
           f"<h2>{e(page.groups_title)}</h2>", _html_table(page.groups),
           *([f'<p class="note">{e(page.groups_note)}</p>'] if page.groups_note else []),
           "<h2>Assumptions and track record</h2>",
           *[f"<p>{e(a)}</p>" for a in page.assumptions],
           f'<p class="foot">{e(page.footer)}</p>', "</body></html>", ""]
    return "\n".join(out)


def _xlsx(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buf.getvalue()


def write_page(page: BriefPage, folder: Path) -> list[Path]:
    """Write ``<ISO3>.pdf``, ``<ISO3>.html``, ``<ISO3>_options.csv``, ``<ISO3>_groups.csv``
    and ``<ISO3>.xlsx`` (sheets ``options`` and ``groups``) atomically into ``folder``.

    Parameters
    ----------
    page : BriefPage
        The economy's page, as :func:`build_page` makes it.
    folder : pathlib.Path
        An existing folder to write into.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    e = page.economy
    paths = {f"{e}.pdf": render_pdf(page), f"{e}.html": render_html(page).encode("utf-8"),
             f"{e}_options.csv": page.options_export.to_csv(index=False).encode("utf-8"),
             f"{e}_groups.csv": page.groups_export.to_csv(index=False).encode("utf-8"),
             f"{e}.xlsx": _xlsx({"options": page.options_export,
                                 "groups": page.groups_export})}
    out = []
    for name, data in paths.items():
        path = folder / name
        if name.endswith((".html", ".csv")):
            atomic_write_text(path, data.decode("utf-8"))
        else:
            atomic_write_bytes(path, data)
        out.append(path)
    return out


__all__ = ["BriefInputs", "BriefPage", "GROUP_INDICATORS", "TRAINEES_COUNTED", "TRAINEES_LINE",
           "aggregate_inputs", "bottom_line", "build_page", "load_inputs", "members_text",
           "render_html", "render_pdf", "write_page"]
