"""Plots. Each ``plot_*`` takes a results table and an optional ``ax`` and returns the axes;
each ``figure_*`` lays several out and returns the figure. None of them runs a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from .analysis.summary import horizon  # noqa: E402
from .constants import ECONOMY_NAMES, SECTOR_NAMES, SECTORS  # noqa: E402
from .model.workers import COHORT_MONTHS  # noqa: E402

STATUS_COLOURS = {"employed": "#1b9e77", "training": "#7570b3", "unemployed": "#d95f02",
                  "olf": "#999999"}
STATUS_LABELS = {"employed": "employed", "training": "in training", "unemployed": "unemployed",
                 "olf": "left the labour force"}


def _ax(ax: Axes | None) -> Axes:
    return ax if ax is not None else plt.figure().add_subplot()


def _economies(df: pd.DataFrame) -> list[str]:
    order = list(ECONOMY_NAMES)
    return sorted(df["economy"].unique(), key=order.index)


def plot_fan(df: pd.DataFrame, metric: str, economy: str, ax: Axes | None = None,
             scale: float = 1.0, label: str | None = None, color: str | None = None) -> Axes:
    """Fan chart of one metric for one economy: mean across replicates, 5-95% band."""
    ax = _ax(ax)
    d = df[df["economy"] == economy]
    g = d.groupby("year")[metric]
    mean, lo, hi = g.mean() * scale, g.quantile(0.05) * scale, g.quantile(0.95) * scale
    line = ax.plot(mean.index, mean.to_numpy(), label=label, color=color, lw=1.6)[0]
    ax.fill_between(mean.index, lo.to_numpy(), hi.to_numpy(), color=line.get_color(),
                    alpha=0.2, lw=0)
    return ax


def figure_unemployment(df: pd.DataFrame, metric: str = "unemployment_rate") -> Figure:
    """Small multiples: the unemployment rate (%) of each economy, with its 5-95% band."""
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


def plot_sector_change(df: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Heat map: % change in employment by sector from the start to the horizon (mean of runs)."""
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
    """Bars per economy at the horizon: displaced, re-employed and trained (% of labour force)."""
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
    """Stacked bars: where displaced workers are 6, 12, 24 and 36 months after displacement."""
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
    """Write the standard figures of a run as PNG files into ``folder``; return their paths."""
    from .store import atomic_write_bytes

    folder = Path(folder)
    figures: dict[str, Figure] = {"unemployment_by_economy": figure_unemployment(df)}
    for name, fn, size in (
        ("employment_by_sector", plot_sector_change, (10, 6)),
        ("displaced_vs_reskilled", plot_displaced_vs_reskilled, (11, 4.5)),
        ("cohort_outcomes", plot_cohort_outcomes, (12, 4.5)),
    ):
        fig = plt.figure(figsize=size)
        fn(df, ax=fig.add_subplot())
        fig.tight_layout()
        figures[name] = fig
    paths = []
    import io

    for name, fig in figures.items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        path = folder / f"{name}.png"
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    return paths


def plot_sobol_bars(indices: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Horizontal bars of first-order and total indices with confidence whiskers.

    ``indices`` holds one output's rows (``label``, ``index``, ``value``, ``conf``); any of
    S1/ST/delta/pawn_median present are drawn side by side.
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
    """Morris screening: mu* against sigma, one labelled point per factor."""
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
