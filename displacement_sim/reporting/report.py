"""Tables and short reports written next to the results."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from displacement_sim.analysis.summary import horizon, summarize
from displacement_sim.constants import ECONOMY_NAMES
from displacement_sim.files import atomic_write_bytes, atomic_write_text
from displacement_sim.outcomes import INDICATORS, TRAINEES_COUNTED

HEADLINE_INDICATORS: tuple[str, ...] = (
    "employment_rate", "unemployment_rate_incl_training", "unemployment_rate", "automated_share",
    "displaced_cumulative", "displaced_reemployed_share", "cohort_12m_employed",
    "long_term_unemployed_share", "training_completed_cumulative",
)
"""The monthly indicators of ``summary.md`` and ``summary.csv``, at the horizon."""

UNIT_FORMAT: dict[str, tuple[float, str]] = {
    "share": (100.0, "{:.1f}%"),
    "people": (1e-3, "{:,.0f}k"),
    "jobs": (1e-3, "{:,.0f}k"),
    "USD per month": (1e-6, "{:,.1f} million USD"),
    "months": (1.0, "{:.1f} months"),
    "index": (1.0, "{:.3f}"),
    "ratio": (1.0, "{:.2f}"),
}
"""How ``summary.md`` shows a value of each indicator unit: scale, then format."""

HEADLINE: dict[str, tuple[str, float, str]] = {
    name: (INDICATORS[name].label, *UNIT_FORMAT[INDICATORS[name].unit])
    for name in HEADLINE_INDICATORS}
"""Headline indicator -> label (``outcomes.INDICATORS``), scale and format (by its unit)."""


def headline_table(df: pd.DataFrame) -> pd.DataFrame:
    """Per scenario and economy, at the start and the horizon: the headline indicators.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results (one row per run, economy and month).

    Returns
    -------
    pandas.DataFrame
        One row per scenario and economy: ``unemployment_rate_start`` (month 0) and each
        indicator of ``HEADLINE`` at the horizon, as means over runs.
    """
    start = df[df["step"] == 0].groupby(["scenario", "economy"])["unemployment_rate"].mean()
    end = horizon(df).groupby(["scenario", "economy"]).mean(numeric_only=True)
    table = pd.DataFrame({"unemployment_rate_start": start})
    for metric in HEADLINE:
        table[metric] = end[metric]
    return table.reset_index()


def _frame_to_markdown(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def write_run_summary(df: pd.DataFrame, root: str | Path) -> Path:
    """Write ``summary.csv`` and a plain-language ``summary.md`` of the headline indicators.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results of the run's replicates.
    root : str or Path
        The results folder.

    Returns
    -------
    Path
        ``<root>/summary.md``.
    """
    root = Path(root)
    table = headline_table(df)
    atomic_write_text(root / "summary.csv", table.to_csv(index=False))
    runs = df["run_id"].nunique()
    years = int(df["step"].max() // 12)
    pretty = pd.DataFrame({
        "Scenario": table["scenario"],
        "Economy": table["economy"].map(ECONOMY_NAMES),
        f"{INDICATORS['unemployment_rate'].label} at the start":
            (100 * table["unemployment_rate_start"]).map("{:.1f}%".format),
    })
    for metric, (label, scale, fmt) in HEADLINE.items():
        pretty[label] = (table[metric] * scale).map(
            lambda v, f=fmt: "n/a" if pd.isna(v) else f.format(v))
    text = (f"# Results after {years} years (mean of {runs} runs)\n\n"
            f"{_frame_to_markdown(pretty)}\n\n"
            f"{TRAINEES_COUNTED}\n\n"
            "Figures are in `figures/`; every run's monthly indicators are in `parts/` "
            "(Parquet), described in docs/outputs.md.\n")
    path = root / "summary.md"
    atomic_write_text(path, text)
    return path


def write_summaries(df: pd.DataFrame, root: str | Path,
                    metrics: Sequence[str] | None = None) -> list[Path]:
    """Write the replicate summaries (Parquet and CSV) and fan charts of a results folder.

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy results of the folder.
    root : str or Path
        The results folder; the files go to ``<root>/summary``.
    metrics : sequence of str, optional
        The metrics to summarise (default: every metric column); fan charts are drawn for
        ``unemployment_rate`` and ``long_term_unemployed_share`` where summarised.

    Returns
    -------
    list of Path
        ``summary.parquet``, ``summary.csv``, then the fan charts.
    """

    from displacement_sim.reporting.plots import figure_unemployment, save_png

    root = Path(root)
    table = summarize(df, metrics)
    out = root / "summary"
    paths = [out / "summary.parquet", out / "summary.csv"]
    buf = io.BytesIO()
    table.to_parquet(buf, index=False)
    atomic_write_bytes(paths[0], buf.getvalue())
    atomic_write_text(paths[1], table.to_csv(index=False))
    group = "variant" if "variant" in df.columns else "scenario"
    for i, (scenario, d) in enumerate(df.groupby(group, sort=True)):
        for metric in ("unemployment_rate", "long_term_unemployed_share"):
            if metrics is not None and metric not in metrics:
                continue
            fig = figure_unemployment(d, metric)
            fig.suptitle(f"{scenario}: {INDICATORS[metric].label} (mean, 5-95% range)")
            paths.append(save_png(
                fig, out / f"fan_{i:03d}_{str(scenario).split('|')[0]}_{metric}.png", dpi=100))
    return paths


def history_markdown(scores: pd.DataFrame) -> str:
    """The replay's scores as Markdown: a one-line summary, the table per economy, a note.

    Parameters
    ----------
    scores : pandas.DataFrame
        ``history_scores.csv`` (:func:`displacement_sim.analysis.history.history_fit`).

    Returns
    -------
    str
        The Markdown text.
    """
    ok = int((scores["mae_pp"] <= 1.0).sum())
    beats = int(scores["beats_persistence"].sum())
    table = pd.DataFrame({
        "Economy": scores["economy"].map(ECONOMY_NAMES),
        "Years": scores["first_year"].astype(str) + "-" + scores["last_year"].astype(str),
        "MAE (pp)": scores["mae_pp"].map("{:.2f}".format),
        "Bias (pp)": scores["bias_pp"].map("{:+.2f}".format),
        "Error in last year (pp)": scores["error_last_pp"].map("{:+.2f}".format),
        "MAE of persistence (pp)": scores["mae_persistence_pp"].map("{:.2f}".format),
        "Beats persistence": scores["beats_persistence"].map({True: "yes", False: "no"}),
    })
    return (f"Mean absolute error at most 1 pp in {ok} of {len(scores)} economies; the model "
            f"beats the naive benchmark (the start year's rate kept) in {beats} of "
            f"{len(scores)}.\n\n{_frame_to_markdown(table)}\n\n"
            "Model: annual means of the monthly unemployment rate, averaged over runs. "
            "Observed: WDI SL.UEM.TOTL.ZS (ILO modelled estimates). The start year is not "
            "scored: the model starts there at the observed rate.\n")


def write_history_fit(paths: pd.DataFrame, scores: pd.DataFrame, root: str | Path,
                      command: str = "") -> list[Path]:
    """Write the replay of history against observed unemployment (CSV, Markdown, figure).

    ``paths`` and ``scores`` come from :func:`displacement_sim.analysis.history.history_fit`.

    Parameters
    ----------
    paths : pandas.DataFrame
        Model and observed unemployment rate per economy and year.
    scores : pandas.DataFrame
        The scores per economy.
    root : str or Path
        The results folder.
    command : str
        The command quoted in ``history.md`` (default: none).

    Returns
    -------
    list of Path
        ``history_paths.csv``, ``history_scores.csv``, ``history.md`` and
        ``figures/history_unemployment.png``.
    """
    from displacement_sim.reporting.plots import figure_history, save_png

    root = Path(root)
    written = [root / "history_paths.csv", root / "history_scores.csv", root / "history.md"]
    atomic_write_text(written[0], paths.to_csv(index=False))
    atomic_write_text(written[1], scores.to_csv(index=False))
    text = ("# Replay of history: unemployment rate, model against observed\n\n"
            + (f"Made with `{command}`.\n\n" if command else "") + history_markdown(scores))
    atomic_write_text(written[2], text)
    fig = figure_history(paths)
    written.append(save_png(fig, root / "figures" / "history_unemployment.png", dpi=100))
    return written
