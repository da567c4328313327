"""docs/calibration.md: the estimator, its convergence, the fitted parameters with their
identification, the in-sample fit and the US displaced-worker survey, from the tables that
``displacement-sim calibrate`` writes (``<out>/full/tables``).

Figures are built with the object API (``matplotlib.figure.Figure``) and written atomically.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from displacement_sim.constants import ECONOMIES, ECONOMY_NAMES
from displacement_sim.files import atomic_write_bytes, atomic_write_text
from displacement_sim.reporting.plots import png_bytes
from displacement_sim.reporting.report import history_markdown
from displacement_sim.studies import CalibrationFile
from displacement_sim.targets import TARGET_SERIES

__all__ = ["plot_convergence", "plot_fit", "write_calibration_report"]

GROUPS: tuple[str, ...] = ("unemployment", "sector_shares", "participation",
                           "displaced_survey")
"""The target groups the fit table reports, in order."""


def plot_fit(fit: pd.DataFrame, series: str, ax: Axes) -> Axes:
    """Observed against simulated (mean, 5-95% band across replicates) for one series.

    Parameters
    ----------
    fit : pandas.DataFrame
        A ``<ISO3>_fit.csv`` table: ``series``, ``year``, ``observed``, ``simulated``,
        ``sim_p05``, ``sim_p95`` and ``sample`` (held-out years are shaded).
    series : str
        The target series.
    ax : matplotlib.axes.Axes
        The axes to draw on.

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn on.
    """
    d = fit[fit["series"] == series].sort_values("year")
    style = "ko" if len(d) == 1 else "k.-"
    ax.plot(d["year"], d["observed"], style, lw=1, ms=3, label="observed")
    ax.plot(d["year"], d["simulated"], "o" if len(d) == 1 else "-", color="C0", lw=1.5,
            ms=4, label="model, mean")
    ax.fill_between(d["year"], d["sim_p05"], d["sim_p95"], color="C0", alpha=0.2, lw=0)
    test = d[d["sample"] == "test"]
    if not test.empty:
        ax.axvspan(test["year"].min() - 0.5, test["year"].max() + 0.5, color="grey",
                   alpha=0.12, lw=0, label="held out")
    label = TARGET_SERIES[series].label if series in TARGET_SERIES else series
    ax.set_title(label if len(label) <= 48 else label[:45] + "...", fontsize=7)
    ax.tick_params(labelsize=6)
    return ax


def _fit_figure(fit: pd.DataFrame, iso: str) -> bytes:
    series = [s for s in TARGET_SERIES if s in set(fit["series"])]
    cols = 5
    rows = math.ceil(len(series) / cols)
    fig = Figure(figsize=(13, 2.1 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, s in zip(axes, series, strict=False):
        plot_fit(fit, s, ax)
    for ax in axes[len(series):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=6)
    fig.suptitle(f"{ECONOMY_NAMES[iso]}: in-sample fit at the best parameters", fontsize=9)
    fig.tight_layout()
    return png_bytes(fig, dpi=80)


def plot_convergence(histories: dict[str, pd.DataFrame]) -> Figure:
    """Best loss so far against evaluations, one line per economy and search (seed), each
    relative to the economy's final best (1 = the final best).

    Parameters
    ----------
    histories : dict of str to pandas.DataFrame
        Each economy's ``<ISO3>_history.csv`` (``evaluation``, ``best_so_far``,
        ``optimiser_seed``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = Figure(figsize=(7, 3.2))
    ax = fig.subplots()
    for i, (iso, h) in enumerate(histories.items()):
        final = float(h["loss"].min())
        for k, (_, g) in enumerate(h.groupby("optimiser_seed", sort=False)):
            ax.plot(g["evaluation"], g["best_so_far"] / final, color=f"C{i % 10}", lw=1,
                    ls="-" if k == 0 else "--", label=iso if k == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("candidates evaluated", fontsize=8)
    ax.set_ylabel("best loss so far / final best", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=6, ncol=4)
    fig.tight_layout()
    return fig


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *["| " + " | ".join(r) + " |" for r in rows]]


def _g(x: float, digits: int = 3) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not np.isfinite(x)) else \
        f"{x:.{digits}g}"


def _pinned_by(sens: pd.DataFrame, parameter: str) -> str:
    d = sens[sens["parameter"] == parameter].dropna(subset=["change_in_scales"])
    if d.empty:
        return "n/a"
    d = d.reindex(d["change_in_scales"].abs().sort_values(ascending=False).index).head(2)
    return ", ".join(f"{r.series} ({r.change_in_scales:+.2g})" for r in d.itertuples())


REPLAY_SCORES = "history_scores.csv"
"""The scores file of a run over observed years (``reporting.report.write_history_fit``)."""


def write_calibration_report(tables: str | Path, page: str | Path,
                             cfg: CalibrationFile | None = None,
                             command: str | None = None,
                             seconds: float | None = None,
                             replay: str | Path | None = None) -> Path:
    """Write the calibration page and its figures (in ``<page stem>/`` beside it).

    Parameters
    ----------
    tables : path
        The ``tables`` folder of ``displacement-sim calibrate`` (``<ISO3>_fit.csv``,
        ``_uncertainty.csv``, ``_history.csv``, ``_moment_sensitivity.csv``,
        ``_scales.csv``, ``_summary.csv``).
    page : path
        The page to write, e.g. ``docs/calibration.md``.
    cfg : CalibrationFile, optional
        The calibration file, for the method's settings.
    command : str, optional
        The command that made the tables, quoted.
    seconds : float, optional
        How long it took, quoted.
    replay : path, optional
        The results folder of a run over observed years (``history_scores.csv``, and the
        command in its ``history.md``): its scores per economy are shown on the page.

    Returns
    -------
    pathlib.Path
        The page.

    Raises
    ------
    FileNotFoundError
        If ``tables`` holds no fit.
    """
    tables, page = Path(tables), Path(page)
    fig_dir = page.parent / page.stem
    isos = [iso for iso in ECONOMIES if (tables / f"{iso}_fit.csv").is_file()]
    if not isos:
        raise FileNotFoundError(f"{tables}: no calibration tables")
    fits = {iso: pd.read_csv(tables / f"{iso}_fit.csv") for iso in isos}
    unc = {iso: pd.read_csv(tables / f"{iso}_uncertainty.csv") for iso in isos}
    hist = {iso: pd.read_csv(tables / f"{iso}_history.csv") for iso in isos}
    sens = {iso: pd.read_csv(tables / f"{iso}_moment_sensitivity.csv") for iso in isos
            if (tables / f"{iso}_moment_sensitivity.csv").is_file()}
    summ = {iso: pd.read_csv(tables / f"{iso}_summary.csv").iloc[0] for iso in isos
            if (tables / f"{iso}_summary.csv").is_file()}
    lines = ["# Calibration", "",
             "Generated by `displacement-sim calibrate ... --docs` "
             "(`displacement_sim.reporting.calibration_report`) from the fit tables; do not "
             "edit by hand. The replay of history is discussed in "
             "[replay.md](replay.md); the out-of-sample scores in "
             "[validation.md](validation.md).", ""]
    if command:
        lines += ["```sh", command, "```", ""]
    if replay is not None:
        lines += _replay(Path(replay), fig_dir, page.stem)
    lines += _method(cfg, hist, summ, seconds)
    atomic_write_bytes(fig_dir / "convergence.png", png_bytes(plot_convergence(hist), dpi=90))
    lines += ["![Convergence](" + f"{page.stem}/convergence.png)", ""]
    lines += _parameters(unc, sens)
    lines += _fit_quality(fits, summ)
    lines += _survey(fits)
    lines += ["## Fit by economy", ""]
    for iso in isos:
        atomic_write_bytes(fig_dir / f"{iso}_fit.png", _fit_figure(fits[iso], iso))
        lines += [f"### {ECONOMY_NAMES[iso]}", "",
                  f"![{iso} in-sample fit]({page.stem}/{iso}_fit.png)", ""]
    atomic_write_text(page, "\n".join(lines))
    return page


def _replay(folder: Path, fig_dir: Path, stem: str) -> list[str]:
    """The replay of history with the shipped parameters: its command, scores and figure."""
    scores = pd.read_csv(folder / REPLAY_SCORES)
    made = folder / "history.md"
    found = re.search(r"^Made with `(.+)`\.$", made.read_text(), re.M) if made.is_file() else None
    out = ["## Replay of history with these parameters", ""]
    if found:
        out += ["```sh", found.group(1), "```", ""]
    out += ["The run starts from the profile of its first year and follows the observed drivers; "
            "the parameters are the shipped ones above, fitted on years that include the "
            "replayed ones, so this is an **in-sample** check (out of sample: "
            "[validation.md](validation.md)). The error in the last year is that in "
            f"{int(scores['last_year'].max())}.", "", history_markdown(scores)]
    figure = folder / "figures" / "history_unemployment.png"
    if figure.is_file():
        atomic_write_bytes(fig_dir / "replay_unemployment.png", figure.read_bytes())
        out += [f"![Replay: unemployment, model and observed]({stem}/replay_unemployment.png)",
                ""]
    return out


def _method(cfg: CalibrationFile | None, hist: dict[str, pd.DataFrame],
            summ: dict[str, pd.Series], seconds: float | None) -> list[str]:
    out = ["## Method", ""]
    if cfg is not None:
        n_par = len(cfg.parameter)
        out += [
            f"Simulated method of moments, one economy at a time, fitted on "
            f"{cfg.start_year}-{cfg.fit_until}. Each candidate runs {cfg.replicates} "
            "replicates whose seeds every candidate shares (common random numbers), and the "
            "loss is that of their mean: the mean over target series of the mean squared "
            "error over the fitting years, each error divided by the series' scale. The scale "
            "comes from the data, not from a hand-set tolerance: the standard deviation of the "
            "series' year-to-year changes over the fitting years divided by sqrt(2), at least "
            "0.1 point (`analysis.calibration.data_scale`; a survey share, with one "
            "observation, has 1.5 points, a named assumption), widened by the simulated "
            "moment's own noise: the squared scale is that plus the variance across "
            "replicates at the centre of the bounds divided by the replicates averaged. So a "
            "series that moves little and smoothly is fitted closely, and one that the runs "
            "cannot resolve at this scale of agents is not chased (`<ISO3>_scales.csv`).", "",
            *([f"The natural rate over {cfg.start_year}-{cfg.fit_until} is the OLS line of "
               "each economy's observed unemployment rate over those years "
               "(`natural_rate = \"fitted_line\"`; docs/ODD.md 6.6), fitted directly before "
               "the search, not searched: two numbers per economy fitted to the same "
               "unemployment path that the loss scores, so the unemployment part of the fit is "
               "in-sample by construction. Forecasts from the last fit year do not use it.",
               ""] if cfg.natural_rate == "fitted_line" else []),
            f"Search: scipy's `differential_evolution` over {n_par} parameters, "
            f"{cfg.popsize * n_par} candidates a generation (Latin hypercube start) and at most "
            f"{cfg.maxiter} generations after the first; each generation's runs execute in "
            "parallel and are stored, so a repeated command reads them back.", ""]
    if summ:
        se = [float(s["loss_se"]) / float(s["loss"]) for s in summ.values()
              if np.isfinite(s["loss_se"]) and s["loss"] > 0]
        if se:
            out += [f"The noise of the loss (jackknife over replicates at the optimum) is "
                    f"{100 * np.median(se):.1f}% of the loss in the median economy "
                    f"(largest {100 * max(se):.1f}%): differences between candidates smaller "
                    "than that cannot be told apart.", ""]
    gains = []
    for iso, h in hist.items():
        first = h[h["optimiser_seed"] == h["optimiser_seed"].iloc[0]]
        last_gen = first["generation"].max()
        before = first.loc[first["generation"] < last_gen, "best_so_far"].min()
        after = first["best_so_far"].min()
        gains.append((iso, (before - after) / after if after > 0 else 0.0))
    if gains:
        improving = [iso for iso, g in gains if g > 0.01]
        out += [f"Convergence: the figure shows the best loss against the candidates "
                f"evaluated. In the last generation the best loss still fell by more than 1% "
                f"in {len(improving)} of {len(gains)} economies"
                + (f" ({', '.join(improving)}): their search had not converged and a larger "
                   "budget may move their parameters" if improving else
                   ": the search had levelled off") + ".", ""]
        seeds = {iso: h["optimiser_seed"].nunique() for iso, h in hist.items()}
        if any(n > 1 for n in seeds.values()):
            out += ["Dashed lines are independent re-fits from other optimiser seeds; the "
                    "spread of their optima is in the parameter table (`refit_sd`).", ""]
        else:
            out += ["No re-fit from another seed was run for these tables (`refits = 0`), so "
                    "the agreement of independent restarts is not shown here.", ""]
    if seconds is not None:
        out += [f"Time: {seconds / 60:.0f} min for {len(hist)} economies.", ""]
    return out


def _parameters(unc: dict[str, pd.DataFrame], sens: dict[str, pd.DataFrame]) -> list[str]:
    rows = []
    for iso, u in unc.items():
        for r in u.itertuples():
            rows.append([iso, r.parameter, _g(r.best), f"{_g(r.near_optimal_low)}-"
                         f"{_g(r.near_optimal_high)}", f"{100 * r.near_optimal_span:.0f}%",
                         "yes" if r.identified else "**no**",
                         _pinned_by(sens[iso], r.parameter) if iso in sens else "n/a"])
    n_id = sum(r[5] == "yes" for r in rows)
    return ["## Fitted parameters and their identification", "",
            f"{n_id} of {len(rows)} economy-parameter pairs are identified. The near-optimal "
            "range is the range of the best 10% of the candidates evaluated; a parameter is "
            "*identified* when it spans at most half its bounds. Unidentified parameters are "
            "written as comments in the shipped files, so the baseline keeps their documented "
            "defaults. *Pinned down by*: the two target series that move most, in units of "
            "their scale, when the parameter moves by a tenth of its bounds at the optimum "
            "(common random numbers). With a thousand worker agents and two replicates, changes "
            "of less than about half a scale are within the simulation's noise: a sector share "
            "named there with such a value is noise, not evidence.", "",
            *_md_table(["Economy", "Parameter", "Best", "Near-optimal", "Span", "Identified",
                        "Pinned down by"], rows), ""]


def _fit_quality(fits: dict[str, pd.DataFrame], summ: dict[str, pd.Series]) -> list[str]:
    rows = []
    for iso, f in fits.items():
        train = f[f["sample"] == "train"].copy()
        train["group"] = train["series"].map(lambda s: TARGET_SERIES[s].group)
        train["ae"] = (train["simulated"] - train["observed"]).abs()
        mae = train.groupby("group")["ae"].mean()
        s = summ.get(iso)
        rows.append([iso, *[_g(mae.get(g, np.nan), 2) for g in GROUPS[:3]],
                     _g(float(s["loss"])) if s is not None else "n/a",
                     _g(float(s["loss_se"])) if s is not None else "n/a"])
    return ["## In-sample fit", "",
            "Mean absolute error over the fitting years, percentage points (sector shares: mean "
            "over the 14 ISIC groups), and the loss with its standard error.", "",
            *_md_table(["Economy", "Unemployment", "Sector shares", "Participation", "Loss",
                        "Loss SE"], rows), ""]


def _survey(fits: dict[str, pd.DataFrame]) -> list[str]:
    out = []
    for iso, f in fits.items():
        d = f[f["series"].map(lambda s: TARGET_SERIES[s].group) == "displaced_survey"]
        if d.empty:
            continue
        rows = [[TARGET_SERIES[r.series].label, f"{r.observed:.1f}", f"{r.simulated:.1f}",
                 f"{r.simulated - r.observed:+.1f}"] for r in d.itertuples()]
        within = bool(((d["simulated"] - d["observed"]).abs() <= 3.0).all())
        out += [f"## {ECONOMY_NAMES[iso]}: displaced workers (BLS survey, January 2024)", "",
                "Workers who lost a job held 3 years or more in 2021-2023, by status in "
                "January 2024: the survey (BLS 2024, USDL-24-1758) against the fitted model's "
                "`dws_*_share` in that month, in the fit's own run (from the first fitting "
                "year, at the calibration's scale). "
                + ("All three are within 3 points." if within
                   else "Not all three are within 3 points.")
                + " The shipped baseline started in 2021 is tested against the same figures "
                "(`tests/test_displaced_survey.py`).", "",
                *_md_table(["Status", "Survey, %", "Model, %", "Model - survey"], rows), ""]
    return out
