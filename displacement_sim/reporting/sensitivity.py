"""Writing a sensitivity analysis: tables (CSV and Parquet), plots and a Markdown summary."""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from displacement_sim.analysis.sensitivity import MAIN_INDEX, SensitivityResult
from displacement_sim.files import atomic_write_bytes, atomic_write_text
from displacement_sim.reporting.plots import plot_morris, plot_sobol_bars, save_png


def write_sensitivity(result: SensitivityResult, out: str | Path) -> list[Path]:
    """Write indices, convergence, noise, the sample, plots and a Markdown summary.

    Parameters
    ----------
    result : SensitivityResult
        The analysed sensitivity analysis.
    out : str or Path
        The folder written to; plots go to ``<out>/figures``.

    Returns
    -------
    list of Path
        The tables (CSV and Parquet), the plots and ``summary.md`` (``analysis.json`` is
        written too, but not listed).
    """



    out = Path(out)
    spec = result.spec
    paths: list[Path] = []

    def table(df: pd.DataFrame, name: str) -> None:
        atomic_write_text(out / f"{name}.csv", df.to_csv(index=False))
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        atomic_write_bytes(out / f"{name}.parquet", buf.getvalue())
        paths.extend([out / f"{name}.csv", out / f"{name}.parquet"])

    sample = pd.DataFrame(result.sample, columns=[f.name for f in spec.factor])
    for name, vals in result.outcomes.items():
        sample[name] = np.nanmean(vals, axis=1)
    table(sample, "sample")
    table(result.indices, "indices")
    table(result.convergence, "convergence")
    table(result.noise, "noise")
    figures = out / "figures"
    for name in result.indices["output"].unique() if not result.indices.empty else []:
        d = result.indices[result.indices["output"] == name]
        fig = plt.figure(figsize=(7, 0.45 * len(spec.factor) + 1.6))
        ax = fig.add_subplot()
        if spec.method == "morris":
            plot_morris(d, ax=ax)
        else:
            plot_sobol_bars(d, ax=ax)
        ax.set_title(f"{name} ({d['economy'].iloc[0]}): {spec.method}, N = {spec.n}, "
                     f"{spec.replicates} replicates", fontsize=9)
        fig.tight_layout()
        paths.append(save_png(fig, figures / f"{name}.png"))
    md = sensitivity_summary(result)
    atomic_write_text(out / "summary.md", md)
    atomic_write_text(out / "analysis.json", json.dumps(spec.model_dump(mode="json"), indent=2))
    paths.append(out / "summary.md")
    return paths


def _top(d: pd.DataFrame, index: str, k: int = 3) -> list[tuple[str, float, float]]:
    sel = d[d["index"] == index].sort_values("value", ascending=False).head(k)
    return list(zip(sel["label"], sel["value"], sel["conf"], strict=True))


def sensitivity_summary(result: SensitivityResult) -> str:
    """A short Markdown summary: what drives each outcome, with caveats.

    Parameters
    ----------
    result : SensitivityResult
        The analysed sensitivity analysis.

    Returns
    -------
    str
        The Markdown text of ``summary.md``.
    """
    spec = result.spec
    main = MAIN_INDEX[spec.method]
    lines = [f"# Sensitivity analysis: {spec.name}", "",
             spec.description or "", "",
             f"Method **{spec.method}**, base sample N = {spec.n}, {len(result.sample)} sample "
             f"points x {spec.replicates} replicates (common random numbers), base scenario "
             f"`{spec.base}`.", "",
             "| factor | path | distribution | bounds | economies |", "|---|---|---|---|---|"]
    for f in spec.factor:
        lines.append(f"| {f.display} | `{f.path}` | {f.distribution} | {f.bounds[0]:g} to "
                     f"{f.bounds[1]:g} | {', '.join(f.economies) if f.economies else 'all'} |")
    lines += ["", "## What drives each outcome", ""]
    noise = result.noise.set_index("output") if not result.noise.empty else pd.DataFrame()
    for o in spec.output:
        if o.name in result.skipped:
            lines.append(f"- **{o.name}** ({o.economy}): {result.skipped[o.name]}.")
            continue
        d = result.indices[result.indices["output"] == o.name]
        top = _top(d, main)
        drivers = "; ".join(f"{lab} {main} = {v:.2f}" + (f" ± {c:.2f}" if np.isfinite(c) else "")
                            for lab, v, c in top)
        ns = noise.loc[o.name, "noise_share"] if o.name in noise.index else float("nan")
        conv = result.convergence
        unconv = sorted(set(conv[(conv["output"] == o.name) & conv["unconverged"]]["factor"])
                        ) if not conv.empty else []
        note = f" Replicate noise is {100 * ns:.0f}% of the variance" if np.isfinite(ns) else ""
        if np.isfinite(ns):
            note += ": indices below that are not distinguishable from noise."
        if unconv:
            note += f" Not converged at this N: {', '.join(unconv)}."
        lines.append(f"- **{o.name}** ({o.outcome}, {o.economy}): {drivers}.{note}")
    lines += ["", "Tables: `indices.csv`, `convergence.csv`, `noise.csv`, `sample.csv`; "
              "plots in `figures/`.", ""]
    return "\n".join(lines)
