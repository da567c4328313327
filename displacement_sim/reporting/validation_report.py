"""The out-of-sample validation page and its figures, from the tables of
:func:`displacement_sim.analysis.validation.score`.

Pure apart from :func:`plot_validation_paths`, which writes one PNG per economy (atomically,
:func:`displacement_sim.files.atomic_write_bytes`). Figures are built with the object API
(``matplotlib.figure.Figure``), so no backend is chosen here.

The page leads with the counts of economies where the model beats each benchmark, at every
origin, and says plainly where it does not.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from displacement_sim.analysis.validation import (
    BENCHMARKS,
    FORECASTERS,
    group_order,
    series_group,
)
from displacement_sim.constants import ECONOMIES, ECONOMY_NAMES, SECTORS
from displacement_sim.files import atomic_write_bytes
from displacement_sim.targets import TARGET_SERIES

__all__ = ["plot_validation_panel", "plot_validation_paths", "validation_markdown"]

BENCHMARK_LABELS: dict[str, str] = {"persistence": "persistence", "trend": "the linear trend",
                                    "ar1": "an AR(1)"}
"""How the page names each benchmark in a sentence."""

BENCHMARK_SHORT: dict[str, str] = {"model": "model", "persistence": "persistence",
                                   "trend": "trend", "ar1": "AR(1)"}
"""Column headings and legend entries."""

BENCHMARK_COLOURS: dict[str, str] = {"persistence": "#d95f02", "trend": "#1b9e77",
                                     "ar1": "#7570b3"}

GROUP_LABELS: dict[str, str] = {"unemployment": "unemployment",
                                "sector_shares": "sector shares",
                                "participation": "participation",
                                "sector_groups": "sector groups (agriculture, industry, "
                                                 "services)"}
"""How the page names each series group; any other group is named by itself."""

KEY_GROUPS: tuple[str, ...] = ("unemployment", "sector_shares")
"""The groups in which the model should beat persistence and the trend in most economies."""

KEY_BENCHMARKS: tuple[str, ...] = ("persistence", "trend")

PLOTTED_GROUPS: tuple[str, ...] = ("unemployment", "participation", "sector_shares")
"""Series plotted by default: the unemployment rate, participation and the 14 sector shares."""

ORIGIN_COLOURS: tuple[str, ...] = ("#08519c", "#6baed6", "#e7298a", "#66a61e", "#a6761d")
"""The model's line, band and origin marker, one colour per origin (in turn)."""

NOMINAL_COVERAGE = 0.90


def _group_label(group: str) -> str:
    return GROUP_LABELS.get(group, group)


def _series_label(series: str) -> str:
    return TARGET_SERIES[series].label if series in TARGET_SERIES else series


def _series_order(series: Sequence[str]) -> list[str]:
    """Unemployment, participation, the sector shares in ISIC order, then the rest."""
    def key(s: str) -> tuple[int, int, str]:
        group = series_group(s)
        rank = PLOTTED_GROUPS.index(group) if group in PLOTTED_GROUPS else len(PLOTTED_GROUPS)
        code = s.removeprefix("share_")
        return rank, SECTORS.index(code) if code in SECTORS else len(SECTORS), s
    return sorted(dict.fromkeys(series), key=key)


def _economy_order(economies: Sequence[str]) -> list[str]:
    present = list(dict.fromkeys(economies))
    return [e for e in ECONOMIES if e in present] + sorted(e for e in present
                                                           if e not in ECONOMIES)


def _name(iso: str) -> str:
    return ECONOMY_NAMES.get(iso, iso)


# ------------------------------------------------------------------------------- figures


def plot_validation_panel(table: pd.DataFrame, observed: pd.DataFrame, economy: str,
                          series: str, ax: Axes | None = None) -> Axes:
    """One series of one economy: observed path, and each origin's forecasts.

    The observed path (every year) is black; for each origin, the model's held-out mean is a
    solid line with its 5-95% band shaded and the origin a vertical dotted line, in the
    origin's colour; the three benchmarks are thin dashed lines, one colour each. The vertical
    range covers the observed path and the model's band (a benchmark beyond is cut).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`displacement_sim.analysis.validation.forecast_table`.
    observed : pandas.DataFrame
        Columns ``economy, series, year, value`` (all observed years).
    economy : str
        ISO3 code.
    series : str
        The series.
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = ax if ax is not None else Figure().subplots()
    obs = observed[(observed["economy"] == economy) & (observed["series"] == series)]
    obs = obs.sort_values("year")
    ax.plot(obs["year"], obs["value"], color="k", lw=1.1, marker=".", ms=3)
    d = table[(table["economy"] == economy) & (table["series"] == series)]
    colours = _origin_colours(table["origin"].unique())
    for origin, f in d.groupby("origin", sort=True):
        f = f.sort_values("year")
        colour = colours[int(origin)]
        ax.axvline(origin, color=colour, ls=":", lw=0.9)
        ax.fill_between(f["year"], f["model_p05"], f["model_p95"], color=colour, alpha=0.18,
                        lw=0)
        ax.plot(f["year"], f["model"], color=colour, lw=1.4)
        for b in BENCHMARKS:
            ax.plot(f["year"], f[b], color=BENCHMARK_COLOURS[b], lw=0.8, ls="--")
    # The view spans the observed path and the model's band; a benchmark beyond is cut.
    shown = np.concatenate([obs["value"].to_numpy(float),
                            d[["model_p05", "model_p95", "model"]].to_numpy(float).ravel()])
    shown = shown[np.isfinite(shown)]
    if shown.size:
        lo, hi = float(shown.min()), float(shown.max())
        pad = 0.15 * (hi - lo) if hi > lo else max(1.0, abs(hi)) * 0.05
        ax.set_ylim(lo - pad, hi + pad)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_title(textwrap.fill(_series_label(series), 38), fontsize=7)
    ax.tick_params(labelsize=6)
    ax.grid(alpha=0.3)
    return ax


def _origin_colours(origins: Sequence[int]) -> dict[int, str]:
    ordered = sorted({int(o) for o in origins})
    return {o: ORIGIN_COLOURS[i % len(ORIGIN_COLOURS)] for i, o in enumerate(ordered)}


def _legend_handles(origins: Sequence[int]) -> list[Any]:
    handles: list[Any] = [Line2D([], [], color="k", lw=1.1, marker=".", ms=3,
                                 label="observed")]
    for origin, colour in _origin_colours(origins).items():
        handles += [Line2D([], [], color=colour, lw=1.4, label=f"model from {origin}"),
                    Patch(color=colour, alpha=0.18, label="5-95%")]
    return handles + [Line2D([], [], color=BENCHMARK_COLOURS[b], lw=0.8, ls="--",
                             label=BENCHMARK_SHORT[b]) for b in BENCHMARKS]


def plot_validation_paths(table: pd.DataFrame, observed: pd.DataFrame,
                          out_dir: str | Path, economies: Sequence[str] | None = None,
                          series: Sequence[str] | None = None) -> list[Path]:
    """Write ``validation_<ISO3>.png`` per economy: every held-out path with its benchmarks.

    A grid of panels (:func:`plot_validation_panel`), four columns, one per series of the
    economy in ``table``: by default the unemployment rate, the participation series and the
    sector shares (at most 1 + 2 + 14 panels), in that order. Each origin has its colour; each
    benchmark its colour, the same for every origin. The vertical range covers the observed
    path and the model's band, so a benchmark running far outside is cut at the edge. Each
    file is written atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`displacement_sim.analysis.validation.forecast_table`.
    observed : pandas.DataFrame
        Columns ``economy, series, year, value`` (all observed years).
    out_dir : str or Path
        The folder written to (created if missing).
    economies : sequence of str, optional
        ISO3 codes (default: every economy of ``table``).
    series : sequence of str, optional
        The series to plot, any group (default: those of the groups above).

    Returns
    -------
    list of Path
        The files written, one per economy with a series to plot.
    """
    out_dir = Path(out_dir)
    written = []
    for iso in _economy_order(economies if economies is not None else table["economy"]):
        present = table.loc[table["economy"] == iso, "series"]
        if series is not None:
            names = _series_order([s for s in series if s in set(present)])
        else:
            names = _series_order([s for s in present if series_group(s) in PLOTTED_GROUPS])
        if not names:
            continue
        cols = min(4, len(names))
        rows = math.ceil(len(names) / cols)
        height = 2.1 * rows + 1.0
        fig = Figure(figsize=(3.0 * cols, height))
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for ax, name in zip(axes, names, strict=False):
            plot_validation_panel(table, observed, iso, name, ax=ax)
        for ax in axes[len(names):]:
            ax.set_visible(False)
        origins = ", ".join(str(int(o)) for o in sorted(table["origin"].unique()))
        fig.suptitle(f"{_name(iso)}: held-out forecasts from origin(s) {origins}", fontsize=9,
                     y=1 - 0.15 / height)
        handles = _legend_handles(table["origin"].unique())
        fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 9),
                   fontsize=7, frameon=False)
        fig.subplots_adjust(left=0.06, right=0.98, top=1 - 0.8 / height,
                            bottom=0.55 / height, hspace=0.55, wspace=0.25)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
        path = out_dir / f"validation_{iso}.png"
        atomic_write_bytes(path, buf.getvalue())
        written.append(path)
    return written


# --------------------------------------------------------------------------------- page


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)) or x is pd.NA:
        return "n/a"
    return f"{float(x):.2f}"


def _p(x: Any) -> str:
    if x is None or x is pd.NA or not math.isfinite(float(x)):
        return "n/a"
    return "< 0.01" if float(x) < 0.005 else f"{float(x):.2f}"


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100.0 * x:.2f}%"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def _origins(scores: dict[str, pd.DataFrame], meta: dict[str, Any]) -> list[str]:
    found = {o for o in scores["headline"]["origin"].astype(str) if o != "all"}
    found |= {str(int(o)) for o in meta.get("origins", [])}
    return sorted(found, key=int)


def _counts(headline: pd.DataFrame, origin: str, benchmark: str) -> list[str]:
    d = headline[(headline["origin"] == origin) & (headline["benchmark"] == benchmark)
                 & (headline["group"] != "all")]
    parts = []
    for i, r in enumerate(d.itertuples(index=False)):
        unit = " economies" if i == 0 else ""
        parts.append(f"{r.economies_beaten} of {r.economies}{unit} for {_group_label(r.group)}")
    return parts


def _lead(headline: pd.DataFrame, origins: list[str]) -> tuple[list[str], bool]:
    """The first paragraph and whether the model falls short of the key test."""
    sentences = []
    for origin in [*origins, "all"]:
        where = f"At origin {origin}" if origin != "all" else "Pooling all origins,"
        clauses = []
        for i, b in enumerate(BENCHMARKS):
            counts = _counts(headline, origin, b)
            if counts:
                verb = "the model beats" if i == 0 else "it beats"
                clauses.append(f"{verb} {BENCHMARK_LABELS[b]} in {_join(counts)}")
        if clauses:
            sentences.append(f"{where} {'; '.join(clauses)}.")
        else:
            sentences.append(f"{where} no held-out observation was scored.")
    pairs = headline[(headline["origin"] == "all") & (headline["group"] == "all")]
    if not pairs.empty and int(pairs["pairs"].iloc[0]) > 0:
        n = int(pairs["pairs"].iloc[0])
        got = [f"{BENCHMARK_LABELS[r.benchmark]} in {r.pairs_beaten}"
               for r in pairs.itertuples(index=False)]
        sentences.append(f"Of the {n} economy-series pairs (all origins pooled), the model "
                         f"has the lower mean absolute error than {_join(got)}.")
    failures: list[str] = []
    short = False
    groups = [g for g in dict.fromkeys(headline["group"]) if g != "all"]
    for g in [*KEY_GROUPS, *[g for g in groups if g not in KEY_GROUPS]]:
        if g not in groups:
            short = short or g in KEY_GROUPS
            failures.append(f"No held-out observation of {_group_label(g)} was scored, so the "
                            "model is not shown to beat any benchmark for it.")
            continue
        for b in BENCHMARKS:
            missing = []
            for origin in origins:
                r = headline[(headline["origin"] == origin) & (headline["group"] == g)
                             & (headline["benchmark"] == b)]
                if r.empty or not int(r["economies_beaten"].iloc[0]) * 2 > int(
                        r["economies"].iloc[0]):
                    missing.append(origin)
            if not missing:
                continue
            if g in KEY_GROUPS and b in KEY_BENCHMARKS:
                short = True
            at = "origin" if len(missing) == 1 else "origins"
            failures.append(f"The model does not beat {BENCHMARK_LABELS[b]} in most economies "
                            f"for {_group_label(g)} at {at} {_join(missing)}.")
    if short:
        sentences += failures
        sentences.append("So the model does not beat both persistence and the linear trend in "
                         "most economies for unemployment and sector shares at every origin.")
    else:
        sentences.append("The model beats both persistence and the linear trend in most "
                         "economies for unemployment and for sector shares at every origin.")
        sentences += failures
    return sentences, short


def _coverage_section(coverage: pd.DataFrame, origins: list[str]) -> list[str]:
    lines = ["## Coverage of the 90% band", ""]
    overall = coverage[(coverage["origin"] == "all") & (coverage["group"] == "all")]
    if overall.empty or int(overall["n"].iloc[0]) == 0:
        return [*lines, "No held-out observation had a model band to check.", ""]
    c, n = float(overall["coverage"].iloc[0]), int(overall["n"].iloc[0])
    if c < NOMINAL_COVERAGE:
        verdict = "the band is too narrow"
    elif c > NOMINAL_COVERAGE:
        verdict = "the band is too wide"
    else:
        verdict = "the band has its nominal coverage"
    lines += [f"Overall, {_pct(c)} of the {n} held-out observations lie inside the model's "
              f"5-95% band, against a nominal 90%: {verdict}. The band spans replicates and "
              "near-optimal parameter sets only, not the uncertainty of the data or of the "
              "drivers.", ""]
    rows = []
    for origin in [*origins, "all"]:
        d = coverage[coverage["origin"] == origin]
        for r in d.itertuples(index=False):
            label = "all series" if r.group == "all" else _group_label(r.group)
            rows.append([origin if origin != "all" else "all origins", label, str(r.n),
                         str(r.inside), _pct(float(r.coverage))])
    return [*lines, *_table(["Origin", "Series", "n", "Inside", "Coverage"], rows), ""]


def _group_tables(by_series: pd.DataFrame) -> list[str]:
    lines = ["## Errors by series group", "",
             "Mean absolute error (MAE) in percentage points over every origin and horizon; "
             "Diebold-Mariano p-values of equal accuracy of the model and each benchmark "
             "(two-sided, pooled over origins; n/a where the test cannot be computed, as with "
             "a single origin).", ""]
    mae_heads = [f"MAE {BENCHMARK_SHORT[f]}" for f in FORECASTERS]
    dm_heads = [f"DM p {BENCHMARK_SHORT[b]}" for b in BENCHMARKS]
    for group in group_order(by_series["group"]):
        d = by_series[by_series["group"] == group]
        lines += [f"### {_group_label(group).capitalize()}", ""]
        if d["series"].nunique() > 1:
            means = d.groupby("economy", sort=False)[[f"mae_{f}" for f in FORECASTERS]].mean()
            rows = [[_name(iso), *[_num(means.loc[iso, f"mae_{f}"]) for f in FORECASTERS]]
                    for iso in _economy_order(means.index)]
            lines += [f"Mean over the group's {d['series'].nunique()} series (the basis of "
                      "the counts above):", "",
                      *_table(["Economy", *mae_heads], rows), ""]
        rows = []
        for iso in _economy_order(d["economy"]):
            e = d[d["economy"] == iso]
            for s in _series_order(e["series"]):
                r = e[e["series"] == s].iloc[0]
                rows.append([_name(iso), s, str(int(r["n"])),
                             *[_num(r[f"mae_{f}"]) for f in FORECASTERS],
                             *[_p(r[f"dm_p_{b}"]) for b in BENCHMARKS]])
        lines += [*_table(["Economy", "Series", "n", *mae_heads, *dm_heads], rows), ""]
    return lines


def _horizon_tables(by_horizon: pd.DataFrame) -> list[str]:
    lines = ["## Error by horizon", "",
             "MAE in percentage points, pooled over economies and the group's series, by years "
             "after the origin (every origin).", ""]
    for group in dict.fromkeys(by_horizon["group"]):
        d = by_horizon[by_horizon["group"] == group]
        rows = [[str(int(r["horizon"])), str(int(r["n"])),
                 *[_num(r[f"mae_{f}"]) for f in FORECASTERS], _pct(float(r["coverage"]))]
                for _, r in d.iterrows()]
        lines += [f"### {_group_label(group).capitalize()}", "",
                  *_table(["Horizon", "n", *[f"MAE {BENCHMARK_SHORT[f]}" for f in FORECASTERS],
                           "Coverage"], rows), ""]
    return lines


def _meta_section(meta: dict[str, Any]) -> list[str]:
    items = []
    if "origins" in meta:
        items.append("Forecast origins (last fitted year): "
                     + ", ".join(str(int(o)) for o in meta["origins"]))
    if "fit_start" in meta:
        items.append(f"Fit years: from {meta['fit_start']} up to each origin (model and "
                     "benchmarks)")
    if "end_year" in meta:
        items.append(f"Last held-out year: {meta['end_year']}")
    if "economies" in meta:
        e = meta["economies"]
        items.append("Economies: " + (", ".join(str(x) for x in e)
                                      if isinstance(e, list | tuple) else str(e)))
    if "replicates" in meta:
        items.append(f"Replicates per parameter set: {meta['replicates']}")
    if "parameter_sets" in meta:
        items.append(f"Near-optimal parameter sets: {meta['parameter_sets']}")
    if "drivers" in meta:
        items.append(f"Drivers: {meta['drivers']}")
    if "command" in meta:
        items.append(f"Command: `{meta['command']}`")
    if "seconds" in meta:
        items.append(f"Run time: {_num(meta['seconds'])} s")
    if not items:
        return []
    return ["## Setup", "", *[f"- {i}" for i in items],
            "- Benchmarks, fitted on the same years as the model: persistence (the last "
            "observed value), the OLS linear trend, and an AR(1) by OLS iterated to each "
            "horizon (persistence where there are fewer than four training years or the fit is "
            "degenerate or explosive, |phi| > 1).", ""]


def validation_markdown(scores: dict[str, pd.DataFrame], meta: dict[str, Any],
                        figures: dict[str, str]) -> str:
    """The out-of-sample validation page, in Markdown.

    It opens with the counts of economies where the model beats each benchmark, for every
    origin and series group, and states plainly where it does not: if the model does not beat
    both persistence and the linear trend in most (more than half) of the economies for
    unemployment and for sector shares at every origin, the first paragraph says so, and a
    section ``## Why`` follows with ``meta["reasons"]`` (or the statement that no reason has
    been established). Then: the coverage of the 90% band, a table per series group (MAE per
    economy and series, Diebold-Mariano p-values), MAE by horizon, the setup and the figures.
    Numbers have two decimals (percentage points).

    Parameters
    ----------
    scores : dict of str to pandas.DataFrame
        From :func:`displacement_sim.analysis.validation.score`.
    meta : dict
        What was run; any of ``origins``, ``fit_start``, ``end_year``, ``economies``,
        ``replicates``, ``parameter_sets``, ``drivers``, ``command``, ``seconds`` (rendered if
        present) and ``reasons`` (a list of str: why the model falls short, as established by
        the caller).
    figures : dict of str to str
        ISO3 code to the figure's path, relative to the page.

    Returns
    -------
    str
        The page.
    """
    headline = scores["headline"].copy()
    headline["origin"] = headline["origin"].astype(str)
    coverage = scores["coverage"].copy()
    coverage["origin"] = coverage["origin"].astype(str)
    origins = _origins(scores, meta)
    lead, short = _lead(headline, origins)
    lines = ["# Out-of-sample validation", "", " ".join(lead), ""]
    reasons = [str(r) for r in meta.get("reasons", []) if str(r).strip()]
    if short or reasons:
        lines += ["## Why", ""]
        lines += [f"- {r}" for r in reasons] if reasons else [
            "No reason has been established for this result."]
        lines.append("")
    rows = []
    for r in headline.itertuples(index=False):
        econ = ("" if r.group == "all" else f"{r.economies_beaten} of {r.economies}")
        rows.append([r.origin if r.origin != "all" else "all origins",
                     "all series" if r.group == "all" else _group_label(r.group),
                     BENCHMARK_SHORT[r.benchmark], econ, f"{r.pairs_beaten} of {r.pairs}"])
    lines += ["## Counts by origin", "",
              "Economies where the model's MAE (mean over the group's series) is lower than the "
              "benchmark's, and economy-series pairs where it is lower, at every origin.", "",
              *_table(["Origin", "Series", "Benchmark", "Economies", "Pairs"], rows), ""]
    lines += _coverage_section(coverage, origins)
    lines += _group_tables(scores["by_series"])
    lines += _horizon_tables(scores["by_horizon"])
    lines += _meta_section(meta)
    if figures:
        lines += ["## Held-out paths", "",
                  "Observed (black), the model's held-out mean and 5-95% band from each origin "
                  "(dotted line), and the three benchmarks (dashed).", ""]
        for iso in _economy_order(list(figures)):
            lines += [f"### {_name(iso)}", "", f"![{iso} held-out paths]({figures[iso]})", ""]
    return "\n".join(lines).rstrip() + "\n"
