"""The observed series a calibration fits and a validation scores, declared once.

Each target series has a name (the column of the observed and the simulated tables), a group
(how validation counts it), a label and the data it comes from. :func:`observed_targets` reads
them for one economy from the shipped data (``calibration/data``, provenance in ``SOURCES.md``);
:func:`displacement_sim.analysis.calibration.simulated` computes the same series from a run.

The series:

- ``unemployment_rate``: WDI ``SL.UEM.TOTL.ZS`` (ILO modelled estimate, % of the labour force);
- ``share_<S>`` for each of the 14 ISIC section groups ``S`` of :data:`SECTORS`: ILOEST
  employment of the group as a percentage of total employment (``EMP_2EMP_SEX_ECO_NB``);
- ``share_agriculture``, ``share_industry``, ``share_services``: the three WDI sector groups
  (as ``SL.AGR/IND/SRV.EMPL.ZS`` define them), from the same ILOEST counts;
- ``participation_female``, ``participation_male``: WDI ``SL.TLF.CACT.FE.ZS`` and
  ``SL.TLF.CACT.MA.ZS`` (ILO modelled, % of the population 15+). Participation by age is not a
  target: the shipped ILOEST tables hold the labour force by age but not the population by age;
- ``dws_reemployed``, ``dws_unemployed``, ``dws_olf``: for the United States, the BLS Displaced
  Worker Survey of January 2024 (workers with 3+ years of tenure displaced in 2021-2023: 65.7%
  re-employed, 16.1% unemployed, 18.2% out of the labour force), compared with the model's
  ``dws_*_share`` indicators in the survey month. One observation, in the survey's year (the
  January after a fit that ends in 2023); a fit that ends earlier does not see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from displacement_sim.constants import SECTOR_NAMES, SECTORS
from displacement_sim.errors import CalibrationError

SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "agriculture": ("A",),
    "industry": ("B", "C", "DE", "F"),
    "services": ("G", "HJ", "I", "K", "LMN", "O", "P", "Q", "RSTU"),
}
"""Sector groups as in WDI SL.AGR/IND/SRV.EMPL.ZS (ILOEST sections)."""


PARTICIPATION_SEXES: dict[str, str] = {"female": "F", "male": "M"}
"""The sex of each participation target and its code in the model's indicators."""


@dataclass(frozen=True)
class TargetSeries:
    """One observed series: what it is, where it comes from and how validation groups it."""

    name: str
    group: str
    """``unemployment``, ``sector_shares`` (the 14 ISIC groups), ``sector_groups`` (the three
    WDI groups) or ``participation``."""
    label: str
    source: str


def _series() -> dict[str, TargetSeries]:
    out = {"unemployment_rate": TargetSeries(
        "unemployment_rate", "unemployment", "Unemployment rate, % of labour force",
        "WDI SL.UEM.TOTL.ZS (ILO modelled estimate)")}
    for s in SECTORS:
        out[f"share_{s}"] = TargetSeries(
            f"share_{s}", "sector_shares", f"{SECTOR_NAMES[s]} ({s}), % of employment",
            f"ILOEST EMP_2EMP_SEX_ECO_NB.ECO_DETAILS_{s} / total")
    for g, codes in SECTOR_GROUPS.items():
        out[f"share_{g}"] = TargetSeries(
            f"share_{g}", "sector_groups", f"{g.capitalize()}, % of employment",
            "ILOEST EMP_2EMP_SEX_ECO_NB, sections " + "+".join(codes) + " / total")
    for sex, code in (("female", "FE"), ("male", "MA")):
        out[f"participation_{sex}"] = TargetSeries(
            f"participation_{sex}", "participation",
            f"Participation rate, {sex}, % of population 15+",
            f"WDI SL.TLF.CACT.{code}.ZS (ILO modelled estimate)")
    for status, col in DISPLACED_SURVEY.items():
        out[col] = TargetSeries(
            col, "displaced_survey", f"Long-tenured job losers {status.replace('_', ' ')}, %",
            "BLS Displaced Worker Survey, January 2024 (USDL-24-1758)")
    return out


DISPLACED_SURVEY: dict[str, str] = {"reemployed": "dws_reemployed",
                                    "unemployed": "dws_unemployed",
                                    "out_of_labour_force": "dws_olf"}
"""Each status of the survey file and its target series (the model's ``<series>_share``)."""

TARGET_SERIES: dict[str, TargetSeries] = _series()
"""Every target series by name."""

DEFAULT_TARGETS: tuple[str, ...] = (
    "unemployment_rate", *[f"share_{s}" for s in SECTORS],
    "participation_female", "participation_male")
"""What validation scores by default: unemployment, the 14 sector shares, participation."""


def observed_targets(iso3: str, start: int, end: int,
                     series: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Observed target series (percent) for one economy, one row per year.

    Parameters
    ----------
    iso3 : str
        ISO3 code of the economy.
    start, end : int
        First and last year kept.
    series : tuple of str, optional
        The series to read (default: every series of :data:`TARGET_SERIES` that the economy
        has: the survey shares only where the survey file has the economy).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``, one column per series.

    Raises
    ------
    CalibrationError
        If a series lacks a year between ``start`` and ``end``.
    """
    from displacement_sim.data import load_series

    if series is None:  # every series the economy has
        from displacement_sim.data import load_displaced_survey

        has_survey = iso3 in set(load_displaced_survey()["economy_iso3"])
        series = tuple(n for n, t in TARGET_SERIES.items()
                       if has_survey or t.group != "displaced_survey")
    names = tuple(series)
    unknown = [s for s in names if s not in TARGET_SERIES]
    if unknown:
        raise CalibrationError(f"unknown target series {unknown}; known: "
                               f"{', '.join(TARGET_SERIES)}")

    def ilo(section: str) -> pd.Series:
        return load_series(f"EMP_2EMP_SEX_ECO_NB.ECO_{section}", [iso3]).set_index(
            "year")["value"]

    survey = [n for n in names if TARGET_SERIES[n].group == "displaced_survey"]
    cols: dict[str, pd.Series] = {}
    total = ilo("DETAILS_TOTAL") if any(s.startswith("share_") for s in names) else None
    for name in names:
        if name in survey:
            continue
        if name == "unemployment_rate":
            cols[name] = load_series("SL.UEM.TOTL.ZS", [iso3]).set_index("year")["value"]
        elif name.startswith("participation_"):
            code = {"female": "FE", "male": "MA"}[name.removeprefix("participation_")]
            cols[name] = load_series(f"SL.TLF.CACT.{code}.ZS", [iso3]).set_index("year")[
                "value"]
        else:
            key = name.removeprefix("share_")
            codes = SECTOR_GROUPS.get(key, (key,))
            cols[name] = 100.0 * sum(ilo(f"DETAILS_{c}") for c in codes) / total
    years = np.arange(start, end + 1)
    # Only survey series asked for: an empty table over the years, to which they are added.
    df = pd.DataFrame(cols).sort_index() if cols else pd.DataFrame(index=years)
    df.index.name = "year"
    df = df[(df.index >= start) & (df.index <= end)]
    missing = [y for y in years if y not in df.index]
    if missing or df.isna().any().any():
        gaps = sorted(set(missing) | set(df.index[df.isna().any(axis=1)]))
        raise CalibrationError(f"{iso3}: observed targets missing for {start}-{end} "
                               f"(years {gaps[0]}-{gaps[-1]})")
    if survey:
        df = _with_survey(df, iso3, end, survey)
    return df[list(names)]


def _with_survey(df: pd.DataFrame, iso3: str, end: int, names: list[str]) -> pd.DataFrame:
    """``df`` with the survey's shares in its year: the January after ``end`` at the latest
    (a fit sees a survey taken by the end of its run, never a later one)."""
    from displacement_sim.data import load_displaced_survey

    survey = load_displaced_survey()
    d = survey[survey["economy_iso3"] == iso3]
    if d.empty:
        has = ", ".join(sorted(set(survey["economy_iso3"])))
        raise CalibrationError(f"{iso3}: no displaced-worker survey target (the survey file "
                               f"has {has})")
    year = int(d["survey_year"].iloc[0])
    df = df.copy()
    if year > end + 1:
        for n in names:
            df[n] = np.nan  # taken after the fit's years: not a target of this fit
        return df
    if year not in df.index:
        df.loc[year] = np.nan
    for status, col in DISPLACED_SURVEY.items():
        if col in names:
            df[col] = np.nan
            df.loc[year, col] = float(d.loc[d["status"] == status, "percent"].iloc[0])
    return df.sort_index()
