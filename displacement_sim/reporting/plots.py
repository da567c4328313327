"""Plots. Each ``plot_*`` takes a results table and an optional ``ax`` and returns the axes;
each ``figure_*`` lays several out and returns the figure. None of them runs a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from displacement_sim.analysis.summary import horizon
from displacement_sim.constants import ECONOMY_NAMES, SECTOR_NAMES, SECTORS
from displacement_sim.model.workers import COHORT_MONTHS

STATUS_COLOURS = {"employed": "#1b9e77", "training": "#7570b3", "unemployed": "#d95f02",
                  "olf": "#999999"}
STATUS_LABELS = {"employed": "employed", "training": "in training", "unemployed": "unemployed",
                 "olf": "left the labour force"}


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """Render a figure to PNG bytes and close it (no timestamp, so output is reproducible).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed.
    dpi : int
        Resolution in dots per inch (default 110).

    Returns
    -------
    bytes
        The PNG file.
    """
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write a figure as PNG atomically and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed.
    path : str or Path
        The file to write (its folder is created if missing).
    dpi : int
        Resolution in dots per inch (default 110).

    Returns
    -------
    Path
        ``path``.
    """
    from displacement_sim.files import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, png_bytes(fig, dpi))
    return path


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.figure().add_subplot()


def _economies(df: pd.DataFrame) -> list[str]:
    order = list(ECONOMY_NAMES)
    return sorted(df["economy"].unique(), key=order.index)


def plot_fan(df: pd.DataFrame, metric: str, economy: str, ax: Axes | None = None,
             scale: float = 1.0, label: str | None = None, color: str | None = None) -> Axes:
    """Fan chart of one metric for one economy: mean across replicates, 5-95% band.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    metric : str
        The metric column.
    economy : str
        ISO3 code of the economy shown.
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).
    scale : float
        Factor applied to the values, e.g. 100 for percent (default 1).
    label : str, optional
        Legend label of the line.
    color : str, optional
        Colour of the line and band (default: the next of the axes' cycle).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    d = df[df["economy"] == economy]
    g = d.groupby("year")[metric]
    mean, lo, hi = g.mean() * scale, g.quantile(0.05) * scale, g.quantile(0.95) * scale
    line = ax.plot(mean.index, mean.to_numpy(), label=label, color=color, lw=1.6)[0]
    ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=line.get_color(),
                    alpha=0.2, lw=0)
    return ax


def figure_unemployment(df: pd.DataFrame, metric: str = "unemployment_rate") -> Figure:
    """Small multiples: the unemployment rate (%) of each economy, with its 5-95% band.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    metric : str
        A share-valued metric, shown in percent (default ``"unemployment_rate"``).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per economy, four per row.
    """
    econs = _economies(df)
    cols = 4
    rows = math.ceil(len(econs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True,
                             squeeze=False)
    for ax, iso in zip(axes.flat, econs, strict=False):
        plot_fan(df, metric, iso, ax=ax, scale=100.0)
        ax.set_title(ECONOMY_NAMES[iso], fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(econs):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of labour force")
    n = df["run_id"].nunique() if "run_id" in df else 1
    fig.suptitle(f"Unemployment rate: mean of {n} runs, shaded 5-95% range", fontsize=11)
    fig.tight_layout()
    return fig


def _small_multiples(n: int, cols: int = 4) -> tuple[Figure, np.ndarray]:
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.4 * rows), sharex=True,
                             squeeze=False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig, axes


def figure_history(paths: pd.DataFrame) -> Figure:
    """Small multiples: the model's annual unemployment rate (band over runs) and the observed.

    Parameters
    ----------
    paths : pandas.DataFrame
        Per economy and year: ``model``, ``model_lo``, ``model_hi`` and ``observed``, in percent
        (the ``paths`` of :func:`displacement_sim.analysis.history.history_fit`).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per economy.
    """
    econs = list(dict.fromkeys(paths["economy"]))
    fig, axes = _small_multiples(len(econs))
    for ax, iso in zip(axes.flat, econs, strict=False):
        d = paths[paths["economy"] == iso].sort_values("year")
        ax.fill_between(d["year"], d["model_lo"], d["model_hi"], color="C0", alpha=0.2, lw=0)
        ax.plot(d["year"], d["model"], color="C0", lw=1.6, label="model")
        ax.plot(d["year"], d["observed"], color="k", lw=1.2, ls="--", marker=".",
                label="observed (WDI)")
        ax.set_title(ECONOMY_NAMES[iso], fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of labour force")
    fig.suptitle("Unemployment rate: model (mean, 5-95% over runs) and observed", fontsize=11)
    fig.tight_layout()
    return fig


DEMAND_EFFECT_LABELS: dict[str, str] = {
    "drivers": "drivers (labour force, cycle, wages, structure)",
    "displacement": "automation: displacement",
    "productivity": "automation: productivity",
    "reinstatement": "automation: new tasks",
    "absorption": "absorption (output back to potential)",
}


def figure_demand_decomposition(df: pd.DataFrame) -> Figure:
    """Small multiples: cumulative change in labour demand by effect, % of its start level.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month), with ``labour_demand`` and the
        ``demand_<effect>`` columns.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per economy.
    """
    econs = _economies(df)
    fig, axes = _small_multiples(len(econs))
    for ax, iso in zip(axes.flat, econs, strict=False):
        d = df[df["economy"] == iso]
        start = d[d["step"] == 0]["labour_demand"].mean()
        for k, (name, label) in enumerate(DEMAND_EFFECT_LABELS.items()):
            path = d.groupby("year")[f"demand_{name}"].mean().cumsum() / start * 100.0
            ax.plot(path.index, path.to_numpy(), color=f"C{k}", lw=1.4, label=label)
        total = d.groupby("year")["labour_demand"].mean() / start * 100.0 - 100.0
        ax.plot(total.index, total.to_numpy(), color="k", lw=1.0, ls="--", label="total")
        ax.axhline(0.0, color="grey", lw=0.6)
        ax.set_title(ECONOMY_NAMES[iso], fontsize=9)
        ax.grid(alpha=0.3)
    axes.flat[0].legend(fontsize=6)
    for ax in axes[:, 0]:
        ax.set_ylabel("% of start demand")
    fig.suptitle("Why labour demand moved: cumulative change by effect (mean of runs)",
                 fontsize=11)
    fig.tight_layout()
    return fig


def plot_sector_change(df: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heat map: % change in employment by sector from the start to the horizon (mean of runs).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    econs = _economies(df)
    cols = [f"employment_{s}" for s in SECTORS]
    start = df[df["step"] == 0].groupby("economy")[cols].mean()
    end = horizon(df).groupby("economy")[cols].mean()
    change = (100.0 * (end / start.replace(0, np.nan) - 1.0)).loc[econs]
    lim = max(1.0, float(np.nanmax(np.abs(change.to_numpy()))))
    im = ax.imshow(change.to_numpy(), cmap="RdBu", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(SECTORS)), [SECTOR_NAMES[s] for s in SECTORS], rotation=60,
                  ha="right", fontsize=7)
    ax.set_yticks(range(len(econs)), [ECONOMY_NAMES[e] for e in econs], fontsize=8)
    for i in range(change.shape[0]):
        for j in range(change.shape[1]):
            v = change.iat[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:+.0f}", ha="center", va="center", fontsize=6)
    ax.figure.colorbar(im, ax=ax, label="% change in employment", shrink=0.8)
    ax.set_title("Employment by sector: % change from start to horizon")
    return ax


def plot_displaced_vs_reskilled(df: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Bars per economy at the horizon: displaced, re-employed and trained (% of labour force).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    econs = _economies(df)
    end = horizon(df).groupby("economy").mean(numeric_only=True).loc[econs]
    lf = end["labour_force"] + end["out_of_labour_force"]
    series = {
        "displaced by automation (cumulative)": end["displaced_cumulative"] / lf,
        "displaced and employed again": end["displaced_reemployed"] / lf,
        "completed training (cumulative)": end["training_completed_cumulative"] / lf,
    }
    x = np.arange(len(econs))
    width = 0.27
    for k, (label, values) in enumerate(series.items()):
        ax.bar(x + (k - 1) * width, 100.0 * values.to_numpy(), width, label=label)
    ax.set_xticks(x, econs)
    ax.set_ylabel("% of the starting labour force")
    ax.set_title("Displaced, re-employed and reskilled by the horizon (mean of runs)")
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_cohort_outcomes(df: pd.DataFrame, ax: Axes | None = None,
                         months: Sequence[int] = COHORT_MONTHS) -> Axes:
    """Stacked bars: where displaced workers are 6, 12, 24 and 36 months after displacement.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).
    months : sequence of int
        Months after displacement shown, one bar each (default ``COHORT_MONTHS``: 6, 12, 24,
        36).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    econs = _economies(df)
    end = horizon(df).groupby("economy").mean(numeric_only=True).reindex(econs)
    positions, labels = [], []
    width = 0.8 / len(months)
    for i, iso in enumerate(econs):
        for k, m in enumerate(months):
            positions.append(i + (k - (len(months) - 1) / 2) * width)
            labels.append((iso, m))
    pos = np.array(positions)
    bottom = np.zeros(len(pos))
    for state, colour in STATUS_COLOURS.items():
        vals = np.array([end.loc[iso, f"cohort_{m}m_{state}"] for iso, m in labels], float)
        vals = np.nan_to_num(vals)
        ax.bar(pos, 100.0 * vals, width * 0.95, bottom=bottom, color=colour,
               label=STATUS_LABELS[state])
        bottom += 100.0 * vals
    ax.set_xticks(range(len(econs)), econs)
    ax.set_ylabel("% of displaced workers")
    ax.set_ylim(0, 100)
    ax.set_title("Displaced workers 6, 12, 24 and 36 months later (bars left to right)")
    ax.legend(fontsize=8, loc="lower right")
    return ax


def save_run_figures(df: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write the standard figures of a run as PNG files into ``folder``; return their paths.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).
    folder : str or Path
        The folder of the PNG files (created if missing).

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(folder)
    figures: dict[str, Figure] = {"unemployment_by_economy": figure_unemployment(df),
                                  "labour_demand_decomposition": figure_demand_decomposition(df)}
    for name, fn, size in (
        ("employment_by_sector", plot_sector_change, (10, 6)),
        ("displaced_vs_reskilled", plot_displaced_vs_reskilled, (11, 4.5)),
        ("cohort_outcomes", plot_cohort_outcomes, (12, 4.5)),
    ):
        fig = plt.figure(figsize=size)
        fn(df, ax=fig.add_subplot())
        fig.tight_layout()
        figures[name] = fig
    return [save_png(fig, folder / f"{name}.png") for name, fig in figures.items()]


def plot_sobol_bars(indices: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bars of first-order and total indices with confidence whiskers.

    ``indices`` holds one output's rows (``label``, ``index``, ``value``, ``conf``); any of
    S1/ST/delta/pawn_median present are drawn side by side.

    Parameters
    ----------
    indices : pandas.DataFrame
        One output's rows of the sensitivity indices (``label``, ``index``, ``value``, ``conf``).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    kinds = [k for k in ("S1", "ST", "delta", "pawn_median") if k in set(indices["index"])]
    labels = list(dict.fromkeys(indices["label"]))
    y = np.arange(len(labels))
    h = 0.8 / max(len(kinds), 1)
    for k, kind in enumerate(kinds):
        d = indices[indices["index"] == kind].set_index("label").reindex(labels)
        err = d["conf"].to_numpy(float)
        ax.barh(y + (k - (len(kinds) - 1) / 2) * h, d["value"].to_numpy(float), h,
                xerr=np.where(np.isfinite(err), err, 0.0), capsize=2, label=kind)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("sensitivity index (whiskers: 95% confidence)")
    ax.legend(fontsize=8)
    return ax


def plot_morris(indices: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Morris screening: mu* against sigma, one labelled point per factor.

    Parameters
    ----------
    indices : pandas.DataFrame
        One output's rows of the sensitivity indices (``label``, ``index``, ``value``, ``conf``).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    mu = indices[indices["index"] == "mu_star"].set_index("label")
    sigma = indices[indices["index"] == "sigma"].set_index("label").reindex(mu.index)
    ax.errorbar(mu["value"], sigma["value"], xerr=mu["conf"].fillna(0.0), fmt="o", ms=4,
                capsize=2)
    for label, x, yv in zip(mu.index, mu["value"], sigma["value"], strict=True):
        ax.annotate(label, (x, yv), fontsize=7, xytext=(3, 3), textcoords="offset points")
    top = float(max(mu["value"].max(), sigma["value"].max(), 1e-12))
    ax.plot([0, top], [0, top], color="grey", lw=0.5, ls="--")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interactions, non-linearity)")
    return ax


# ------------------------------------------------------------------- policy comparisons


def option_colours(options: Sequence[str]) -> dict[str, str]:
    """A fixed colour per option, by its position (matplotlib's default cycle).

    Parameters
    ----------
    options : sequence of str
        The options, in order.

    Returns
    -------
    dict of str to str
        Matplotlib colour (``"C0"`` to ``"C9"``) of each option.
    """
    return {o: f"C{i % 10}" for i, o in enumerate(options)}


def _options(table: pd.DataFrame, column: str, options: Sequence[str] | None) -> list[str]:
    present = set(table[column].unique())
    if options is None:
        return sorted(present)
    return [o for o in options if o in present]


def plot_option_fans(df: pd.DataFrame, economy: str, options: Sequence[str] | None = None,
                     labels: dict[str, str] | None = None, reference: str | None = None,
                     metric: str = "unemployment_rate", ax: Axes | None = None) -> Axes:
    """Fan chart of one metric (%) for one economy, per option: mean, shaded 5-95% range.

    ``df`` is a tidy results table whose ``scenario`` column names the option. The reference
    option, if given, is drawn thicker.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results; ``scenario`` names the option.
    economy : str
        ISO3 code of the economy shown.
    options : sequence of str, optional
        The options drawn, in order; each option's colour follows its position (default: every
        option in the table, alphabetically).
    labels : dict of str to str, optional
        Plain-language name of each option in the legend (default: the option's key).
    reference : str, optional
        The reference option, drawn thicker.
    metric : str
        A share-valued metric, shown in percent (default ``"unemployment_rate"``).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    order = list(options) if options is not None else sorted(df["scenario"].unique())
    colours = option_colours(order)
    d = df[df["economy"] == economy]
    for o in _options(d, "scenario", order):
        g = d[d["scenario"] == o].groupby("year")[metric]
        mean, lo, hi = g.mean() * 100.0, g.quantile(0.05) * 100.0, g.quantile(0.95) * 100.0
        label = (labels or {}).get(o, o) + (" (reference)" if o == reference else "")
        ax.plot(mean.index, mean.to_numpy(), color=colours[o], label=label,
                lw=2.4 if o == reference else 1.4)
        ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=colours[o], alpha=0.1,
                        lw=0)
    ax.set_ylabel("% of the labour force")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    return ax


def plot_difference_path(paths: pd.DataFrame, economy: str,
                         options: Sequence[str] | None = None,
                         labels: dict[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Paired difference of a monthly share against the reference, in percentage points.

    ``paths`` is ``analysis.compare.path_differences``: a line per option (mean of the paired
    differences) with its confidence band.

    Parameters
    ----------
    paths : pandas.DataFrame
        The table of :func:`displacement_sim.analysis.compare.path_differences`.
    economy : str
        ISO3 code of the economy shown.
    options : sequence of str, optional
        The options drawn, in order; each option's colour follows its position (default: every
        option in the table, alphabetically).
    labels : dict of str to str, optional
        Plain-language name of each option in the legend (default: the option's key).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    d = paths[paths["economy"] == economy]
    colours = option_colours(list(options) if options is not None
                             else sorted(d["option"].unique()))
    for o in _options(d, "option", options):
        p = d[d["option"] == o].sort_values("step")
        ax.plot(p["year"], 100.0 * p["mean_difference"], color=colours[o],
                label=(labels or {}).get(o, o), lw=1.4)
        ax.fill_between(p["year"], 100.0 * p["ci_low"], 100.0 * p["ci_high"],
                        color=colours[o], alpha=0.15, lw=0)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("difference, percentage points")
    ax.set_xlabel("year")
    ax.grid(alpha=0.3)
    return ax


def _compact_number(x: float, _pos: object = None) -> str:
    """Tick label with k, m and bn suffixes: 12,000 -> '12k'."""
    if abs(x) >= 1e12:
        return f"{x:.1e}"
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:,.3g}{suffix}"
    return f"{x:,.0f}"


def plot_cost_effectiveness(ce: pd.DataFrame, economy: str, ratio: str,
                            options: Sequence[str] | None = None,
                            labels: dict[str, str] | None = None, ax: Axes | None = None
                            ) -> Axes:
    """Horizontal bars: extra cost per unit of gain of each option, with confidence whiskers.

    ``ce`` is ``analysis.compare.cost_effectiveness``. Options with no gain get no bar but the
    words "no gain". When the gain cannot be told from zero, the interval is unbounded: the bar
    is hatched, without whiskers, and the axis is scaled to the other bars (a longer bar is cut
    at the edge, its value written next to it).

    Parameters
    ----------
    ce : pandas.DataFrame
        The table of :func:`displacement_sim.analysis.compare.cost_effectiveness`.
    economy : str
        ISO3 code of the economy shown.
    ratio : str
        The ratio shown (a name of ``outcomes.REFERENCE_RATIOS``).
    options : sequence of str, optional
        The options drawn, in order; each option's colour follows its position (default: every
        option in the table, alphabetically).
    labels : dict of str to str, optional
        Plain-language name of each option in the legend (default: the option's key).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    import matplotlib.ticker as mticker

    ax = _ax(ax)
    d = ce[(ce["economy"] == economy) & (ce["ratio"] == ratio)]
    order = list(options) if options is not None else sorted(d["option"].unique())
    colours = option_colours(order)
    shown = _options(d, "option", order)
    d = d.set_index("option").reindex(shown)
    sure = d[d["status"].isin(["ok", "saves money", "no extra cost"])]
    unsure = d[d["status"] == "gain uncertain"]
    # Scale to the bars and their intervals, but cut intervals longer than three times the
    # longest bar (their ends are marked with an arrow head).
    bars = np.abs(sure["value"].to_numpy(float))
    limit = 3.0 * float(bars.max()) if bars.size else np.inf
    span_values = np.clip(sure[["value", "ci_low", "ci_high"]].to_numpy(float).ravel(),
                          -limit, limit)
    if not np.isfinite(span_values).any():
        span_values = np.abs(unsure["value"].to_numpy(float))
        span_values = np.array([np.median(span_values) * 2.0]) if span_values.size else \
            np.array([1.0])
    span_values = span_values[np.isfinite(span_values)]
    top = max(float(span_values.max()), 0.0) * 1.15 if span_values.size else 1.0
    bottom = min(float(span_values.min()), 0.0) * 1.15 if span_values.size else 0.0
    top = top if top > 0 else 0.05 * max(abs(bottom), 1.0)
    for y, o in enumerate(shown):
        row = d.loc[o]
        if row["status"] in ("no gain", "no extra cost"):
            ax.text(0.0, y, f"  {row['status']}", va="center", ha="left", fontsize=8,
                    color="grey")
            continue
        value = float(row["value"])
        shown_value = min(max(value, bottom), top)
        uncertain = row["status"] == "gain uncertain"
        ax.barh(y, shown_value, color=colours[o], alpha=0.45 if uncertain else 0.9,
                hatch="//" if uncertain else None, edgecolor=colours[o])
        if uncertain:
            ax.text(max(shown_value, 0.0), y, f"  gain uncertain ({_compact_number(value)})",
                    va="center", ha="right" if shown_value >= 0.6 * top else "left",
                    fontsize=7, color="dimgrey")
        elif np.isfinite(row["ci_low"]):
            lo, hi = max(float(row["ci_low"]), bottom), min(float(row["ci_high"]), top)
            ax.errorbar(value, y, xerr=[[value - lo], [hi - value]], color="black", capsize=3,
                        lw=1)
            for end, cut, marker in ((row["ci_high"], top, ">"), (row["ci_low"], bottom, "<")):
                if end != cut and abs(float(end)) > abs(cut) and np.sign(end) == np.sign(cut):
                    ax.plot([cut], [y], marker=marker, color="black", ms=5, clip_on=False)
    ax.set_yticks(range(len(shown)), [(labels or {}).get(o, o) for o in shown], fontsize=8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.axvline(0.0, color="black", lw=0.6)
    ax.set_xlim(bottom, top)
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(_compact_number))
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_programme_effect(effect: pd.DataFrame, economy: str, method: str,
                          options: Sequence[str] | None = None,
                          labels: dict[str, str] | None = None, ax: Axes | None = None) -> Axes:
    """Employment effect k months after the start of training (or displacement), per option.

    ``effect`` is ``analysis.compare.programme_effect``. Points are mean paired differences in
    the share employed (percentage points), whiskers their confidence intervals, at 6, 12, 24
    and 36 months. Options with no value (for example, no trainees) are left out.

    Parameters
    ----------
    effect : pandas.DataFrame
        The table of :func:`displacement_sim.analysis.compare.programme_effect`.
    economy : str
        ISO3 code of the economy shown.
    method : str
        ``"trainees"`` or ``"displaced"`` (``analysis.compare.EFFECT_METHODS``).
    options : sequence of str, optional
        The options drawn, in order; each option's colour follows its position (default: every
        option in the table, alphabetically).
    labels : dict of str to str, optional
        Plain-language name of each option in the legend (default: the option's key).
    ax : matplotlib.axes.Axes, optional
        The axes to draw on (default: those of a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    ax = _ax(ax)
    d = effect[(effect["economy"] == economy) & (effect["method"] == method)
               & (effect["n"] > 0)]
    order = list(options) if options is not None else sorted(d["option"].unique())
    colours = option_colours(order)
    shown = _options(d, "option", order)
    months = sorted(effect["months"].unique())
    width = 0.6 / max(len(shown), 1)
    for i, o in enumerate(shown):
        p = d[d["option"] == o].set_index("months").reindex(months)
        x = np.arange(len(months)) + (i - (len(shown) - 1) / 2) * width
        mean = 100.0 * p["mean_difference"].to_numpy(float)
        lo = 100.0 * p["ci_low"].to_numpy(float)
        hi = 100.0 * p["ci_high"].to_numpy(float)
        err = np.vstack([np.where(np.isfinite(lo), mean - lo, 0.0),
                         np.where(np.isfinite(hi), hi - mean, 0.0)])
        ax.errorbar(x, mean, yerr=err, fmt="o-", color=colours[o], capsize=2, ms=4, lw=1,
                    label=(labels or {}).get(o, o))
    if not shown:
        ax.text(0.5, 0.5, "no value for any option\n(no trainees)", transform=ax.transAxes,
                ha="center", va="center", color="grey")
    # A difference of shares lies within +-100 points; wider intervals (few pairs) are cut.
    low, high = ax.get_ylim()
    ax.set_ylim(max(low, -100.0), min(high, 100.0))
    ax.set_xticks(range(len(months)), [f"{m} months" for m in months])
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("difference in share employed,\npercentage points")
    ax.grid(axis="y", alpha=0.3)
    return ax
