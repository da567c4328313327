"""Tables, figure and summary of a scenario discovery (:mod:`displacement_sim.analysis.discovery`).

Figures use matplotlib's object API (no backend is chosen); files are written atomically.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from displacement_sim.analysis.discovery import Discovery, Threshold
from displacement_sim.files import atomic_write_bytes, atomic_write_text
from displacement_sim.workflows.discovery import Cases


def plot_trajectory(discovery: Discovery, ax: Axes | None = None) -> Axes:
    """Coverage against density along the peeling trajectory, the chosen box marked.

    Parameters
    ----------
    discovery : Discovery
        What PRIM found.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure's).

    Returns
    -------
    matplotlib.axes.Axes
        The axes.
    """
    ax = ax if ax is not None else Figure(figsize=(5, 4)).subplots()
    t = discovery.trajectory
    pts = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap="viridis", s=18,
                     zorder=2)
    ax.plot(t["coverage"], t["density"], color="0.7", lw=0.8, zorder=1)
    c = t.loc[discovery.chosen]
    ax.scatter([c["coverage"]], [c["density"]], s=120, facecolors="none", edgecolors="red",
               lw=1.5, zorder=3, label=f"chosen box {int(c['box'])}")
    ax.figure.colorbar(pts, ax=ax, label="parameters restricted")
    ax.set_xlabel("coverage (share of failing cases inside the box)")
    ax.set_ylabel("density (share of the box that fails)")
    ax.set_title("Peeling trajectory")
    ax.legend(loc="lower left", fontsize=8)
    return ax


def plot_box(discovery: Discovery, ax: Axes | None = None) -> Axes:
    """The chosen box's limits: each numeric parameter's kept range within the cases' range
    (0 = lowest, 1 = highest value), categories kept written beside.

    Parameters
    ----------
    discovery : Discovery
        What PRIM found.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: a new figure's).

    Returns
    -------
    matplotlib.axes.Axes
        The axes.
    """
    ax = ax if ax is not None else Figure(figsize=(5, 4)).subplots()
    lim = discovery.limits
    y = np.arange(len(lim))[::-1]
    for yi, (_, row) in zip(y, lim.iterrows(), strict=True):
        colour = "tab:red" if row["restricted"] else "0.75"
        ax.barh(yi, 1.0, left=0.0, height=0.6, color="0.93", edgecolor="0.8")
        if row["kind"] == "numeric":
            span = row["range_high"] - row["range_low"]
            lo = (row["low"] - row["range_low"]) / span if span > 0 else 0.0
            hi = (row["high"] - row["range_low"]) / span if span > 0 else 1.0
            ax.barh(yi, hi - lo, left=lo, height=0.6, color=colour)
            ax.text(1.02, yi, f"{row['low']:.4g} to {row['high']:.4g}", va="center", fontsize=8)
        else:
            ax.barh(yi, 1.0, left=0.0, height=0.6, color=colour, alpha=0.5)
            ax.text(1.02, yi, row["values"], va="center", fontsize=8)
    ax.set_yticks(y, [str(s) for s in lim["label"]], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("range of the cases (0 lowest, 1 highest); red: restricted")
    ax.set_title(f"Box {discovery.chosen}")
    return ax


def discovery_figure(discovery: Discovery) -> Figure:
    """The peeling trajectory and the chosen box, side by side.

    Parameters
    ----------
    discovery : Discovery
        What PRIM found.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    fig = Figure(figsize=(12, max(4.0, 0.45 * len(discovery.limits) + 2)), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.2])
    plot_trajectory(discovery, left)
    plot_box(discovery, right)
    return fig


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def discovery_markdown(cases: Cases, threshold: Threshold, discovery: Discovery,
                       command: str | None = None) -> str:
    """The short Markdown summary of a discovery.

    Parameters
    ----------
    cases : Cases
        The cases analysed.
    threshold : Threshold
        The threshold the option must not be worse than.
    discovery : Discovery
        What PRIM found.
    command : str, optional
        The command that made it, shown first.

    Returns
    -------
    str
        The text of ``summary.md``.
    """
    o = cases.outcome
    worse = "below" if o.better == "higher" else "above"
    if threshold.relative:
        shift = f" {'+' if threshold.offset >= 0 else '-'} {abs(threshold.offset):g}" \
            if threshold.offset else ""
        level = f"the reference ({cases.reference}){shift} in the same case"
    else:
        level = f"{threshold.offset:g}"
    chosen = discovery.trajectory.loc[discovery.chosen]
    econ = {None: "each economy a case", "all": "economies pooled"}.get(
        cases.economy, f"economy {cases.economy}")
    lines = [f"# Scenario discovery: {cases.study}", ""]
    if command:
        lines += ["```sh", command, "```", ""]
    lines += [
        f"- **Option:** {cases.option}; **outcome:** {o.label} (`{o.name}`, {o.unit}, "
        f"{o.better} is better); **fails** when its mean over replicates is {worse} {level}.",
        f"- **Cases:** {discovery.n_cases} ({econ}; {cases.kind} output `{cases.root}`), "
        f"{int(np.median(cases.replicates))} replicates each (median); "
        f"**{discovery.n_failing} fail** ({_pct(discovery.n_failing / discovery.n_cases)})."
        + (f" {cases.dropped} cases left out: outcome missing." if cases.dropped else ""),
        f"- **Chosen box** ({len(discovery.trajectory)} boxes on the trajectory; the largest "
        f"coverage with density at least {discovery.min_density:g}): box "
        f"{int(chosen['box'])}, coverage {_pct(chosen['coverage'])}, density "
        f"{_pct(chosen['density'])}, {int(chosen['cases'])} cases, "
        f"{int(chosen['restricted'])} parameter{'s' if int(chosen['restricted']) != 1 else ''} "
        "restricted.", ""]
    restricted = discovery.limits[discovery.limits["restricted"]]
    if restricted.empty:
        lines += ["No parameter is restricted: the failures are not concentrated in any box "
                  "of these parameters (the box is every case).", ""]
    else:
        lines += ["| parameter | box | range of the cases | quasi-p |", "|---|---|---|---|"]
        for _, r in restricted.iterrows():
            if r["kind"] == "numeric":
                box = f"{r['low']:.4g} to {r['high']:.4g}"
                rng = f"{r['range_low']:.4g} to {r['range_high']:.4g}"
            else:
                box, rng = r["values"], "categories"
            lines.append(f"| {r['label']} | {box} | {rng} | {r['quasi_p']:.2g} |")
        lines.append("")
    free = discovery.limits[~discovery.limits["restricted"]]["label"].tolist()
    if free:
        lines += [f"Not restricted: {', '.join(map(str, free))}.", ""]
    lines += ["Files: `trajectory.csv` (every box: coverage, density, mass), `box.csv` (the "
              "chosen box's limits), `cases.csv` (each case, its outcome and whether it "
              "fails), `discovery.png` (the trajectory and the box). Method: docs/discovery.md.",
              ""]
    return "\n".join(lines)


def write_discovery(cases: Cases, threshold: Threshold, discovery: Discovery, out: Path,
                    failing: np.ndarray, command: str | None = None) -> list[Path]:
    """Write the tables, the figure and the summary of a discovery into ``out``.

    Parameters
    ----------
    cases : Cases
        The cases analysed.
    threshold : Threshold
        The threshold.
    discovery : Discovery
        What PRIM found.
    out : Path
        The folder (created if needed).
    failing : numpy.ndarray of bool
        Whether each case fails.
    command : str, optional
        The command that made it, shown in the summary.

    Returns
    -------
    list of Path
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    table = cases.params.copy()
    table[cases.outcome.name] = cases.value
    if cases.reference_value is not None:
        table[f"{cases.outcome.name}_reference"] = cases.reference_value
    table["threshold"] = threshold.levels(cases.reference_value, len(cases.value))
    table["replicates"] = cases.replicates
    table["fails"] = failing
    paths = {"trajectory.csv": discovery.trajectory.to_csv(index=False),
             "box.csv": discovery.limits.to_csv(index=False),
             "cases.csv": pd.DataFrame(table).to_csv(index=False),
             "summary.md": discovery_markdown(cases, threshold, discovery, command)}
    written = []
    for name, text in paths.items():
        atomic_write_text(out / name, text)
        written.append(out / name)
    buf = io.BytesIO()
    discovery_figure(discovery).savefig(buf, format="png", dpi=120)
    atomic_write_bytes(out / "discovery.png", buf.getvalue())
    written.append(out / "discovery.png")
    return written
