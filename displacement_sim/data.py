"""Load ``calibration/data`` into economy profiles; the only reader of data files.

Each :class:`EconomyProfile` holds, for one economy and one year, the labour-market and
macro figures the model starts from: the labour force and unemployment (World Bank WDI), employment
by ISIC sector group and by ISCO-08 occupation group (ILOSTAT ILOEST), a sector x occupation matrix
derived from those two margins, the Frey-Osborne probability of computerisation of each occupation
group, the ISCO-08 skill mix of each group, internet use (ITU) and robot density (IFR).

Each :class:`EconomyHistory` holds, for one economy, the annual paths of the model's exogenous
drivers over 1991-2027: the labour force by sex and age band and the unemployment rate by sex and
age (ILOSTAT ILOEST), participation by sex, real GDP and real GDP per capita indices and the
unemployment rate (WDI), and the ISIC employment shares (ILOEST). A missing year is NaN, never
filled; years after :data:`~displacement_sim.constants.LATEST_OBSERVED_YEAR` are ILO projections
or nowcasts.

Every value that had to be filled or assumed is written, in words, into the profile's
``assumptions``; every value's source is in ``sources``. Every missing or malformed file or value
raises :class:`~displacement_sim.errors.DataError` with one message naming the file, the economy,
the indicator and the year.

The data directory is ``calibration/data`` in the repository (:data:`DEFAULT_DATA_DIR`); the
environment variable ``DISPLACEMENT_SIM_DATA`` or the ``data_dir`` argument of each function
overrides it.

References
----------
ILO (2025). ILOSTAT, ILO modelled estimates (ILOEST), Nov. 2025 edition: EMP_2EMP_SEX_ECO_NB,
EMP_2EMP_SEX_OCU_NB, EAP_2EAP_SEX_AGE_NB and UNE_2EAP_SEX_AGE_RT. https://ilostat.ilo.org/

World Bank (2026). World Development Indicators. https://databank.worldbank.org/source/world-development-indicators

Frey, C. B. and Osborne, M. A. (2017). The future of employment: How susceptible are jobs to
computerisation? Technological Forecasting and Social Change 114, 254-280.
doi:10.1016/j.techfore.2016.08.019

ILO (2012). International Standard Classification of Occupations, ISCO-08, Volume 1: Structure,
group definitions and correspondence tables. Geneva: ILO.

Chang, J.-H., Rynhart, G. and Huynh, P. (2016). ASEAN in transformation: How technology is changing
jobs and enterprises. Geneva: ILO (Bureau for Employers' Activities).

International Federation of Robotics. World Robotics (robot density figures as quoted in the
project's literature notes).
"""

from __future__ import annotations

import functools
import io
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd

from displacement_sim import resources
from displacement_sim.constants import (
    AGE_GROUPS,
    ECONOMIES,
    ECONOMY_NAMES,
    LATEST_OBSERVED_YEAR,
    OCCUPATIONS,
    SECTORS,
    SEXES,
)
from displacement_sim.errors import DataError
from displacement_sim.inputs_safe import CSV_LIMIT, check_path, read_text

__all__ = [
    "DATA_DIR_ENV",
    "DEFAULT_DATA_DIR",
    "DISPLACED_SURVEY_FILE",
    "HIGH_EXPOSURE_THRESHOLD",
    "HISTORY_YEARS",
    "ILO_2016_HIGH_RISK_SHARE",
    "UNEMPLOYMENT_AGE_GROUPS",
    "EconomyHistory",
    "EconomyProfile",
    "exposure_check",
    "latest_observed_year",
    "load_histories",
    "load_history",
    "load_profile",
    "load_profiles",
    "load_displaced_survey",
    "load_series",
    "world_robot_density",
]

DEFAULT_DATA_DIR: Path = resources.data_dir()
"""The shipped data directory, ``calibration/data`` (:mod:`displacement_sim.resources`)."""

DATA_DIR_ENV = "DISPLACEMENT_SIM_DATA"
"""Environment variable that overrides :data:`DEFAULT_DATA_DIR` when ``data_dir`` is not given."""

_REPO_ROOT = resources.calibration_dir().parent
"""Paths in provenance strings are written relative to this folder: the checkout, or
``displacement_sim/_shipped`` in an installed package (same layout: ``calibration/data/...``)."""

WDI_FILE = "wdi_worldbank.csv"
SECTOR_FILE = "ilostat_employment_by_isic.csv"
OCCUPATION_FILE = "ilostat_employment_by_occupation.csv"
INTERNET_FILE = "internet_users_itu_owid.csv"
FO_GROUP_FILE = "fo_probability_by_isco08_group_derived.csv"
EXPOSURE_FILE = "automation_exposure_fo_isco_derived.csv"
INDICATORS_FILE = "indicators.csv"
ROBOT_FILE = "robot_density_ifr.csv"
LABOUR_FORCE_FILE = "ilostat_labour_force_by_sex_age.csv"
UNEMPLOYMENT_FILE = "ilostat_unemployment_by_sex_age.csv"

_TIDY_COLUMNS = ("economy_iso3", "year", "indicator_code", "value", "source")
_SEX_AGE_COLUMNS = ("economy_iso3", "year", "indicator_code", "sex", "age", "value", "source")
# Files in the sex-and-age tidy layout (_SEX_AGE_COLUMNS); every other tidy file has _TIDY_COLUMNS.
_SEX_AGE_FILES = frozenset({LABOUR_FORCE_FILE, UNEMPLOYMENT_FILE})
_SEX_CODES = (*SEXES, "T")
_SECTOR_CODE = "EMP_2EMP_SEX_ECO_NB.ECO_DETAILS_{}"
_OCCUPATION_CODE = "EMP_2EMP_SEX_OCU_NB.OCU_DETAILS_{}"
_INTERNET_CODE = "IT.NET.USER.ZS"
_ROBOT_CODE = "IFR.ROBOT_DENSITY"
_EXPOSURE_CODE = "DERIVED.FO_PROB_EMPWEIGHTED_MEAN"
_FO_COLUMN = "fo_prob_us_emp2024_weighted_mean"
_LABOUR_FORCE_CODE = "EAP_2EAP_SEX_AGE_NB"
_UNEMPLOYMENT_CODE = "UNE_2EAP_SEX_AGE_RT"
_TOTAL_AGE = "15+"
_SECTOR_TOTAL = "TOTAL"
_GDP_PC_GROWTH_CODE = "NY.GDP.PCAP.KD.ZG"
_POPULATION_CODE = "SP.POP.TOTL"
_UNEMPLOYMENT_RATE_CODE = "SL.UEM.TOTL.ZS"
_PARTICIPATION_CODES = {"F": "SL.TLF.CACT.FE.ZS", "M": "SL.TLF.CACT.MA.ZS"}
_WORLD = "WLD"

# Codes held by files that indicators.csv does not list (the source's indicators.csv, with the
# two sex-and-age ILOEST codes added).
_EXTRA_INDICATOR_FILES = {_ROBOT_CODE: ROBOT_FILE}

# Profile field -> (WDI code, factor to the profile's unit, lower bound, upper bound).
_WDI_FIELDS: dict[str, tuple[str, float, float, float]] = {
    "labour_force": ("SL.TLF.TOTL.IN", 1.0, 0.0, np.inf),
    "unemployment_rate": ("SL.UEM.TOTL.ZS", 0.01, 0.0, 100.0),
    "population": ("SP.POP.TOTL", 1.0, 0.0, np.inf),
    "gdp_usd": ("NY.GDP.MKTP.CD", 1.0, 0.0, np.inf),
    "gdp_per_capita_usd": ("NY.GDP.PCAP.CD", 1.0, 0.0, np.inf),
    "rural_share": ("SP.RUR.TOTL.ZS", 0.01, 0.0, 100.0),
}

HISTORY_YEARS: tuple[int, int] = (1991, 2027)
"""First and last year of an :class:`EconomyHistory` (the ILOEST labour-force years)."""

UNEMPLOYMENT_AGE_GROUPS: tuple[str, ...] = ("15-24", "25+")
"""ILOEST's youth/adult bands of the unemployment rate (UNE_2EAP_SEX_AGE_RT), the only ones it
publishes for that indicator."""

HIGH_EXPOSURE_THRESHOLD = 0.7
"""Frey-Osborne probability above which an occupation counts as high risk (F&O 2017; ILO 2016)."""

ILO_2016_HIGH_RISK_SHARE: dict[str, tuple[float, bool]] = {
    "KHM": (0.57, False),
    "VNM": (0.70, False),
    "IDN": (0.56, True),
    "PHL": (0.49, True),
    "THA": (0.44, True),
}
"""ILO (2016) share of wage employment at high risk (F&O p > 0.7), and whether it is recalled.

``True`` marks a figure that no stored copy of the report confirmed (LITERATURE.md): cite it only
as an assumption.
"""

# ISCO-08 skill level of each major group (ILO 2012, vol. 1, table 2), as shares of the model's
# skill levels (low = level 1, medium = level 2, high = levels 3-4). Group 96 is ISCO 6 (level 2)
# and ISCO 9 (level 1) together; the half/half split between them is an assumption.
_SKILL_MIX: dict[str, tuple[float, float, float]] = {
    "1": (0.0, 0.0, 1.0),
    "2": (0.0, 0.0, 1.0),
    "3": (0.0, 0.0, 1.0),
    "4": (0.0, 1.0, 0.0),
    "5": (0.0, 1.0, 0.0),
    "7": (0.0, 1.0, 0.0),
    "8": (0.0, 1.0, 0.0),
    "96": (0.5, 0.5, 0.0),
}

_SKILL_SOURCE = (
    "ILO (2012) ISCO-08 vol. 1, skill level of each major group: 1-3 -> levels 3-4 (high); "
    "4, 5, 7, 8 -> level 2 (medium); 96 = ISCO 6 (level 2) + ISCO 9 (level 1), split half/half "
    "(assumption)"
)

# Largest relative gap allowed between the ILOEST sector and occupation totals (they agree to
# about 2e-5 in the data; a larger gap means the two files do not belong together).
_MAX_TOTAL_GAP = 1e-3


# --------------------------------------------------------------------------------------------
# Profile


@dataclass(frozen=True, eq=False)
class EconomyProfile:
    """Observed starting state of one economy in one year.

    Arrays are read-only. Sector order is :data:`~displacement_sim.constants.SECTORS`, occupation
    order :data:`~displacement_sim.constants.OCCUPATIONS`, skill order
    :data:`~displacement_sim.constants.SKILL_LEVELS`. Profiles compare by identity (``eq=False``),
    because their fields include arrays.

    Attributes
    ----------
    iso3 : str
        ISO3 code of the economy.
    name : str
        Name of the economy.
    year : int
        Year of the data.
    labour_force : float
        Labour force, persons (WDI ``SL.TLF.TOTL.IN``).
    unemployment_rate : float
        Unemployment, fraction of the labour force (WDI ``SL.UEM.TOTL.ZS`` / 100).
    population : float
        Population, persons (WDI ``SP.POP.TOTL``).
    gdp_usd : float
        GDP, current US$ (WDI ``NY.GDP.MKTP.CD``).
    gdp_per_capita_usd : float
        GDP per capita, current US$ (WDI ``NY.GDP.PCAP.CD``).
    rural_share : float
        Rural population, fraction (WDI ``SP.RUR.TOTL.ZS`` / 100).
    internet_share : float
        Individuals using the Internet, fraction (ITU ``IT.NET.USER.ZS`` / 100).
    robot_density : float
        Industrial robots per 10,000 manufacturing employees (IFR).
    employment_by_sector : numpy.ndarray
        Shape (14,): employment by ISIC Rev.4 section group, persons (ILOEST thousands x 1000).
    employment_by_occupation : numpy.ndarray
        Shape (8,): employment by ISCO-08 major group, persons, rescaled to the sector total.
    sector_occupation : numpy.ndarray
        Shape (14, 8): persons; rows sum to ``employment_by_sector``, columns to
        ``employment_by_occupation``. Derived; see :func:`load_profile`.
    occupation_exposure : numpy.ndarray
        Shape (8,): Frey-Osborne probability of computerisation of each group.
    occupation_skill_mix : numpy.ndarray
        Shape (8, 3): share of each group at skill low, medium and high.
    assumptions : tuple of str
        Every value that was filled or assumed, in words.
    sources : dict of str to str
        Field name -> source of its value.
    """

    iso3: str
    name: str
    year: int
    labour_force: float
    unemployment_rate: float
    population: float
    gdp_usd: float
    gdp_per_capita_usd: float
    rural_share: float
    internet_share: float
    robot_density: float
    employment_by_sector: np.ndarray
    employment_by_occupation: np.ndarray
    sector_occupation: np.ndarray
    occupation_exposure: np.ndarray
    occupation_skill_mix: np.ndarray
    assumptions: tuple[str, ...]
    sources: dict[str, str]

    @property
    def sector_exposure(self) -> np.ndarray:
        """Employment-weighted mean Frey-Osborne probability within each sector, shape (14,).

        Weights are the rows of ``sector_occupation``. A sector without employment gets the
        economy-wide :attr:`mean_exposure`.
        """
        rows = self.sector_occupation.sum(axis=1)
        weighted = self.sector_occupation @ self.occupation_exposure
        out = np.full(len(SECTORS), self.mean_exposure)
        np.divide(weighted, rows, out=out, where=rows > 0)
        return out

    @property
    def mean_exposure(self) -> float:
        """Employment-weighted mean Frey-Osborne probability over all occupation groups."""
        emp = self.employment_by_occupation
        return float(emp @ self.occupation_exposure / emp.sum())


@dataclass(frozen=True, eq=False)
class EconomyHistory:
    """Annual history of one economy's exogenous drivers, 1991-2027 (:data:`HISTORY_YEARS`).

    Arrays are read-only, with years on axis 0 (``years``). A value the data do not have is NaN:
    nothing is filled. Sex order is :data:`~displacement_sim.constants.SEXES` (F, M); labour-force
    age order :data:`~displacement_sim.constants.AGE_GROUPS` ("15-24", "25-54", "55-64", "65+");
    unemployment age order :data:`UNEMPLOYMENT_AGE_GROUPS` ("15-24", "25+"); sector order
    :data:`~displacement_sim.constants.SECTORS`. Histories compare by identity (``eq=False``).

    Years after ``last_observed_year`` are kept, but they are ILO projections or nowcasts (ILOEST
    labour force 2024-2027, ILOEST employment 2024-2025, ILO-modelled WDI series 2024-2025); the
    data carry no flag, so the cut is the project's :data:`LATEST_OBSERVED_YEAR`.

    Attributes
    ----------
    iso3 : str
        ISO3 code of the economy.
    years : numpy.ndarray
        Shape (37,), int: every year from 1991 to 2027.
    labour_force : numpy.ndarray
        Shape (n_years, 2, 4): labour force by sex and age band, persons (ILOEST
        ``EAP_2EAP_SEX_AGE_NB``, thousands x 1000). Shipped data: 1991-2027, no gap.
    participation : numpy.ndarray
        Shape (n_years, 2): labour-force participation rate 15+ by sex, fraction (WDI
        ``SL.TLF.CACT.FE.ZS``, ``SL.TLF.CACT.MA.ZS`` / 100). Shipped data: 1991-2025.
    real_gdp : numpy.ndarray
        Shape (n_years,): index of real GDP, 1.0 in the first year with data, chained from real
        GDP per capita growth (WDI ``NY.GDP.PCAP.KD.ZG``) times population growth (WDI
        ``SP.POP.TOTL``): ``I_t = I_{t-1} (1 + g_t / 100) P_t / P_{t-1}``. NaN from the first
        year the chain cannot be continued (shipped data: 1991-2024).
    real_gdp_per_capita : numpy.ndarray
        Shape (n_years,): index of real GDP per capita, chained from ``NY.GDP.PCAP.KD.ZG`` alone,
        ``I_t = I_{t-1} (1 + g_t / 100)``; 1.0 in the first year with data, NaN after the chain
        breaks (shipped data: 1991-2024).
    employment_shares : numpy.ndarray
        Shape (n_years, 14): employment of each ISIC group over the sum of the 14 groups (ILOEST
        ``EMP_2EMP_SEX_ECO_NB``); rows sum to 1. NaN in a year where any group is missing
        (shipped data: 1991-2025).
    unemployment_rate : numpy.ndarray
        Shape (n_years,): unemployment, fraction of the labour force (WDI ``SL.UEM.TOTL.ZS`` /
        100, ILO-modelled). Shipped data: 1991-2025.
    unemployment_by_sex_age : numpy.ndarray
        Shape (n_years, 2, 2): unemployment rate by sex and age ("15-24", "25+"), fraction of the
        labour force of that sex and age (ILOEST ``UNE_2EAP_SEX_AGE_RT`` / 100). Shipped data:
        2000-2024 only; NaN before and after.
    last_observed_year : int
        :data:`~displacement_sim.constants.LATEST_OBSERVED_YEAR` (2023): later years are ILO
        projections or nowcasts.
    sources : dict of str to str
        Field name -> source of its values.
    """

    iso3: str
    years: np.ndarray
    labour_force: np.ndarray
    participation: np.ndarray
    real_gdp: np.ndarray
    real_gdp_per_capita: np.ndarray
    employment_shares: np.ndarray
    unemployment_rate: np.ndarray
    unemployment_by_sex_age: np.ndarray
    last_observed_year: int
    sources: dict[str, str]


# --------------------------------------------------------------------------------------------
# Reading files (cached)


@dataclass(frozen=True, eq=False)
class _Table:
    """A parsed tidy file: ``economy_iso3, year, indicator_code, value, source``."""

    label: str
    frame: pd.DataFrame
    cells: dict[tuple[str, str, int], tuple[float, str]]
    years: dict[tuple[str, str], tuple[int, ...]]
    all_years: frozenset[int]


def _label(path: Path) -> str:
    """Name of a file as messages show it: relative to the repository when inside it."""
    try:
        return path.relative_to(_REPO_ROOT).as_posix()
    except ValueError:
        return str(path)


def _data_dir(data_dir: str | os.PathLike[str] | None) -> Path:
    """Resolve the data directory: argument, then environment variable, then the default."""
    if data_dir is None:
        data_dir = os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    path = Path(data_dir).expanduser().resolve()
    if not check_path(path, DataError) or not path.is_dir():  # a name too long: one line
        raise DataError(
            f"{_label(path)}: data directory not found (expected a directory holding the "
            f"calibration data; pass data_dir or set {DATA_DIR_ENV})"
        )
    return path


def _stat_key(data_dir: Path, name: str) -> tuple[str, int, int]:
    """Cache key of a file: resolved path, modification time and size. Missing -> DataError.

    The modification time and size are part of the key so that an edited file is read again.
    """
    path = data_dir / name
    try:
        stat = path.stat()
        path = path.resolve()
    except (OSError, RuntimeError):
        raise DataError(
            f"{_label(path)}: file not found (expected the data file {name} in {_label(data_dir)})"
        ) from None
    if not path.is_file():
        raise DataError(f"{_label(path)}: not a regular file (expected the data file {name})")
    return str(path), stat.st_mtime_ns, stat.st_size


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Read a CSV as text, check its columns; any read failure -> DataError.

    The file is read through :func:`displacement_sim.inputs_safe.read_text`: a regular file of
    at most :data:`~displacement_sim.inputs_safe.CSV_LIMIT` bytes of UTF-8 text.
    """
    label = _label(path)
    text = read_text(path, CSV_LIMIT, "a CSV data file", DataError, name=label)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            na_filter=False)
    except (OSError, ValueError, pd.errors.EmptyDataError) as exc:  # ParserError, decode errors
        raise DataError(f"{label}: cannot be read as CSV ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{label}: missing column(s) {', '.join(missing)} (expected columns "
            f"{', '.join(columns)})"
        )
    return frame


def _parse_numbers(
    frame: pd.DataFrame, column: str, label: str, integer: bool = False
) -> pd.Series:
    """Parse one column strictly: every cell must be a finite number (an integer if asked)."""
    raw = frame[column].astype(str).str.strip()
    values = pd.to_numeric(raw, errors="coerce").astype(float)
    bad = ~np.isfinite(values.to_numpy())
    if integer:
        finite = values.to_numpy()[~bad]
        bad[~bad] = (finite % 1 != 0) | (np.abs(finite) > 1e9)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        what = "an integer" if integer else "a finite number"
        raise DataError(
            f"{label}: line {pos + 2}, column {column}: {raw.iloc[pos]!r} is not a number "
            f"(expected {what})"
        )
    return values.astype(int) if integer else values


def _parse_text(frame: pd.DataFrame, column: str, label: str) -> pd.Series:
    """Check that every cell of a key column is non-empty text."""
    text = frame[column].astype(str).str.strip()
    empty = (text == "").to_numpy()
    if empty.any():
        pos = int(np.flatnonzero(empty)[0])
        raise DataError(f"{label}: line {pos + 2}, column {column}: empty (expected a code)")
    return text


@functools.lru_cache(maxsize=32)
def _load_tidy(path: str, mtime_ns: int, size: int) -> _Table:
    """Parse a tidy file; cached on (resolved path, modification time, size)."""
    del mtime_ns, size  # part of the cache key only
    file = Path(path)
    label = _label(file)
    raw = _read_csv(file, _TIDY_COLUMNS)
    frame = pd.DataFrame(
        {
            "economy_iso3": _parse_text(raw, "economy_iso3", label),
            "year": _parse_numbers(raw, "year", label, integer=True),
            "indicator_code": _parse_text(raw, "indicator_code", label),
            "value": _parse_numbers(raw, "value", label),
            "source": raw["source"].astype(str),
        }
    )
    keys = ["economy_iso3", "indicator_code", "year"]
    dup = frame.duplicated(subset=keys, keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        row = frame.iloc[pos]
        raise DataError(
            f"{label}: line {pos + 2}: second value for {row['indicator_code']}, "
            f"{row['economy_iso3']}, {row['year']} (expected one value per economy, indicator "
            f"and year)"
        )
    cells = dict(
        zip(
            zip(
                frame["economy_iso3"], frame["indicator_code"], frame["year"].map(int), strict=True
            ),
            zip(frame["value"].map(float), frame["source"], strict=True),
            strict=True,
        )
    )
    years: dict[tuple[str, str], list[int]] = defaultdict(list)
    for economy, code, year in cells:
        years[(economy, code)].append(year)
    return _Table(
        label=label,
        frame=frame,
        cells=cells,
        years={key: tuple(sorted(ys)) for key, ys in years.items()},
        all_years=frozenset(int(y) for y in frame["year"].unique()),
    )


def _tidy(data_dir: Path, name: str) -> _Table:
    """The parsed tidy file ``name`` of ``data_dir`` (cached)."""
    return _load_tidy(*_stat_key(data_dir, name))


@dataclass(frozen=True, eq=False)
class _SexAgeTable:
    """A parsed sex-and-age tidy file: ``economy_iso3, year, indicator_code, sex, age, value,
    source``. ``cells`` is keyed by (economy, code, sex, age, year)."""

    label: str
    frame: pd.DataFrame
    cells: dict[tuple[str, str, str, str, int], tuple[float, str]]
    economies: frozenset[str]


@functools.lru_cache(maxsize=8)
def _load_sex_age(path: str, mtime_ns: int, size: int) -> _SexAgeTable:
    """Parse a sex-and-age tidy file; cached on (resolved path, modification time, size)."""
    del mtime_ns, size  # part of the cache key only
    file = Path(path)
    label = _label(file)
    raw = _read_csv(file, _SEX_AGE_COLUMNS)
    frame = pd.DataFrame(
        {
            "economy_iso3": _parse_text(raw, "economy_iso3", label),
            "year": _parse_numbers(raw, "year", label, integer=True),
            "indicator_code": _parse_text(raw, "indicator_code", label),
            "sex": _parse_text(raw, "sex", label),
            "age": _parse_text(raw, "age", label),
            "value": _parse_numbers(raw, "value", label),
            "source": raw["source"].astype(str),
        }
    )
    bad = (~frame["sex"].isin(_SEX_CODES)).to_numpy()
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: line {pos + 2}, column sex: {frame['sex'].iloc[pos]!r} is not a sex code "
            f"(expected one of {', '.join(_SEX_CODES)})"
        )
    keys = ["economy_iso3", "indicator_code", "sex", "age", "year"]
    dup = frame.duplicated(subset=keys, keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        row = frame.iloc[pos]
        raise DataError(
            f"{label}: line {pos + 2}: second value for {row['indicator_code']}, "
            f"{row['economy_iso3']}, sex {row['sex']}, age {row['age']}, {row['year']} (expected "
            f"one value per economy, indicator, sex, age and year)"
        )
    cells = dict(
        zip(
            zip(
                frame["economy_iso3"],
                frame["indicator_code"],
                frame["sex"],
                frame["age"],
                frame["year"].map(int),
                strict=True,
            ),
            zip(frame["value"].map(float), frame["source"], strict=True),
            strict=True,
        )
    )
    return _SexAgeTable(
        label=label,
        frame=frame,
        cells=cells,
        economies=frozenset(frame["economy_iso3"].unique()),
    )


def _sex_age(data_dir: Path, name: str) -> _SexAgeTable:
    """The parsed sex-and-age file ``name`` of ``data_dir`` (cached)."""
    return _load_sex_age(*_stat_key(data_dir, name))


@functools.lru_cache(maxsize=8)
def _load_indicators(path: str, mtime_ns: int, size: int) -> dict[str, tuple[str, str, str]]:
    """Parse ``indicators.csv`` into code -> (label, unit, file); cached."""
    del mtime_ns, size
    file = Path(path)
    label = _label(file)
    raw = _read_csv(file, ("indicator_code", "label", "unit", "file"))
    codes = _parse_text(raw, "indicator_code", label)
    files = _parse_text(raw, "file", label)
    out: dict[str, tuple[str, str, str]] = {}
    for code, name, unit, file_name in zip(codes, raw["label"], raw["unit"], files, strict=True):
        out[code] = (str(name), str(unit), file_name)
    return out


@functools.lru_cache(maxsize=8)
def _load_group_exposure(path: str, mtime_ns: int, size: int) -> tuple[dict[str, float], str]:
    """Parse the F&O-by-ISCO file into major group -> probability; cached."""
    del mtime_ns, size
    file = Path(path)
    label = _label(file)
    columns = (
        "isco08_group",
        "level",
        "n_soc_isco_links",
        "fo_prob_unweighted_mean",
        _FO_COLUMN,
        "us_emp2024_weight",
    )
    raw = _read_csv(file, columns)
    groups = _parse_text(raw, "isco08_group", label)
    levels = raw["level"].astype(str).str.strip()
    values = {column: _parse_numbers(raw, column, label) for column in columns[2:]}
    out: dict[str, float] = {}
    for pos, (group, level, prob) in enumerate(
        zip(groups, levels, values[_FO_COLUMN], strict=True)
    ):
        if level != "major":
            continue
        if not 0.0 <= prob <= 1.0:
            raise DataError(
                f"{label}: line {pos + 2}, column {_FO_COLUMN}: {prob} for ISCO-08 group {group} "
                f"(expected a probability between 0 and 1)"
            )
        out[group] = float(prob)
    return out, label


# --------------------------------------------------------------------------------------------
# Checks and look-ups


def _check_economy(iso3: object, allow_world: bool = False) -> str:
    allowed = ECONOMIES + ((_WORLD,) if allow_world else ())
    if not isinstance(iso3, str) or iso3 not in allowed:
        raise DataError(f"unknown economy {iso3!r} (expected one of {', '.join(allowed)})")
    return iso3


def _check_year(year: object, data_dir: Path) -> int:
    """Default the year and check that ILOEST sector and occupation data exist for it."""
    if year is None:
        year = latest_observed_year()
    if isinstance(year, bool) or not isinstance(year, Integral):
        raise DataError(f"year {year!r} is not an integer (expected a calendar year, e.g. 2023)")
    year = int(year)
    if not _year_ok(year, data_dir):
        _fail_year(year, data_dir)
    return year


def _year_ok(year: int, data_dir: Path) -> bool:
    return all(year in _tidy(data_dir, name).all_years for name in (SECTOR_FILE, OCCUPATION_FILE))


def _fail_year(year: int, data_dir: Path) -> None:
    for name, what in ((SECTOR_FILE, "sector"), (OCCUPATION_FILE, "occupation")):
        table = _tidy(data_dir, name)
        if year not in table.all_years:
            span = (
                f"a year between {min(table.all_years)} and {max(table.all_years)}"
                if table.all_years
                else "rows of ILOEST data; the file has none"
            )
            raise DataError(
                f"{table.label}: no ILOEST {what} employment for year {year} (expected {span})"
            )


def _value(
    table: _Table, economy: str, code: str, year: int, low: float = -np.inf, high: float = np.inf
) -> tuple[float, str]:
    """One value of a tidy table, checked against [low, high]."""
    try:
        value, source = table.cells[(economy, code, year)]
    except KeyError:
        raise DataError(
            f"{table.label}: no value for {code}, {economy}, {year} (expected a number)"
        ) from None
    if not low <= value <= high:
        raise DataError(
            f"{table.label}: value {value:g} for {code}, {economy}, {year} is out of range "
            f"(expected a number between {low:g} and {high:g})"
        )
    return value, source


def _carry_forward(
    table: _Table, economy: str, code: str, year: int, low: float, high: float
) -> tuple[float, str, int]:
    """The value for ``year``, else the latest earlier one. Returns (value, source, its year)."""
    earlier = [y for y in table.years.get((economy, code), ()) if y <= year]
    if not earlier:
        raise DataError(
            f"{table.label}: no value for {code}, {economy}, {year} or any earlier year "
            f"(expected a number to carry forward)"
        )
    used = earlier[-1]
    value, source = _value(table, economy, code, used, low, high)
    return value, source, used


def _robot_density(table: _Table, economy: str, year: int) -> tuple[float, str, list[str]]:
    """Robot density with the fill rules of :func:`load_profile`; returns notes of any fill."""
    own = table.years.get((economy, _ROBOT_CODE), ())
    before = [y for y in own if y <= year]
    after = [y for y in own if y > year]
    if before:
        where, used = economy, before[-1]
        rule = (
            "" if used == year else f"no IFR figure for {economy} {year}; used the latest earlier"
        )
    elif after:
        where, used = economy, after[0]
        rule = f"no IFR figure for {economy} in or before {year}; used the earliest later"
    else:
        world = table.years.get((_WORLD, _ROBOT_CODE), ())
        if not world:
            raise DataError(
                f"{table.label}: no value for {_ROBOT_CODE}, {economy}, {year} and no world "
                f"({_WORLD}) figure to fall back on (expected at least one {_WORLD} row)"
            )
        where, used = _WORLD, min(world, key=lambda y: (abs(y - year), y))
        rule = f"no IFR figure for {economy}; used the world ({_WORLD}) nearest-year"
    value, source = _value(table, where, _ROBOT_CODE, used, 0.0)
    notes: list[str] = []
    if rule:
        notes.append(
            f"robot_density: {rule} figure ({where} {used}: {value:g} robots per 10,000 "
            f"manufacturing employees)"
        )
        if where == _WORLD:
            notes[-1] += f"; a placeholder, not an estimate for {economy}"
    if "approximate" in source.lower():
        notes.append(
            f"robot_density: the IFR figure used ({where} {used}: {value:g}) is approximate"
        )
    return value, source, notes


def _group_exposure(data_dir: Path) -> tuple[np.ndarray, str, str]:
    """F&O probability of each model occupation group; group 96 = mean of ISCO 6 and 9."""
    groups, label = _load_group_exposure(*_stat_key(data_dir, FO_GROUP_FILE))
    needed = [g for g in OCCUPATIONS if g != "96"] + ["6", "9"]
    for group in needed:
        if group not in groups:
            raise DataError(
                f"{label}: no {_FO_COLUMN} for ISCO-08 major group {group} (expected a "
                f"probability between 0 and 1 on a row with level 'major')"
            )
    p6, p9 = groups["6"], groups["9"]
    values = [groups[g] if g != "96" else (p6 + p9) / 2 for g in OCCUPATIONS]
    note = (
        f"occupation_exposure: group 96 = unweighted mean of ISCO 6 ({p6:.4f}) and ISCO 9 "
        f"({p9:.4f}) = {(p6 + p9) / 2:.4f}, as SOURCES.md does; the F&O probabilities are for US "
        f"occupations (US-employment-weighted), applied unchanged to every economy"
    )
    return np.array(values, dtype=float), label, note


def _joint_matrix(sector: np.ndarray, occupation: np.ndarray) -> tuple[np.ndarray, float]:
    """Sector x occupation matrix from its margins: agriculture-first, then independence.

    Returns the matrix and the agriculture cell (A, 96). The two margins must have equal sums.
    """
    a, g = SECTORS.index("A"), OCCUPATIONS.index("96")
    cell = float(min(sector[a], occupation[g]))
    rest_sector = sector.astype(float).copy()
    rest_sector[a] -= cell
    rest_occupation = occupation.astype(float).copy()
    rest_occupation[g] -= cell
    total = rest_sector.sum()
    if total > 0:
        joint = np.outer(rest_sector, rest_occupation) / total
    else:
        joint = np.zeros((len(SECTORS), len(OCCUPATIONS)))
    joint[a, g] += cell
    return joint, cell


def _optional_value(
    table: _Table, economy: str, code: str, year: int, low: float = -np.inf, high: float = np.inf
) -> tuple[float, str | None]:
    """One value of a tidy table checked against [low, high], or (NaN, None) if it has none."""
    cell = table.cells.get((economy, code, year))
    if cell is None:
        return np.nan, None
    return _value(table, economy, code, year, low, high)


def _history_series(
    table: _Table,
    economy: str,
    code: str,
    years: np.ndarray,
    sources: set[str],
    low: float = -np.inf,
    high: float = np.inf,
    required: bool = True,
) -> np.ndarray:
    """Values of one code for ``years`` (NaN where missing); adds the sources used to ``sources``.

    With ``required``, a code without any value in ``years`` is a DataError (a broken file, not a
    gap).
    """
    out = np.full(years.size, np.nan)
    for pos, year in enumerate(years):
        out[pos], source = _optional_value(table, economy, code, int(year), low, high)
        if source is not None:
            sources.add(source)
    if required and not np.isfinite(out).any():
        raise DataError(
            f"{table.label}: no value for {code}, {economy} in any year {years[0]}-{years[-1]} "
            f"(expected a series of numbers)"
        )
    return out


def _sex_age_series(
    table: _SexAgeTable,
    economy: str,
    code: str,
    sex: str,
    age: str,
    years: np.ndarray,
    sources: set[str],
    low: float = -np.inf,
    high: float = np.inf,
    required: bool = True,
) -> np.ndarray:
    """As :func:`_history_series`, for one sex and age of a sex-and-age file."""
    out = np.full(years.size, np.nan)
    for pos, year in enumerate(years):
        cell = table.cells.get((economy, code, sex, age, int(year)))
        if cell is None:
            continue
        value, source = cell
        if not low <= value <= high:
            raise DataError(
                f"{table.label}: value {value:g} for {code}, {economy}, sex {sex}, age {age}, "
                f"{year} is out of range (expected a number between {low:g} and {high:g})"
            )
        out[pos] = value
        sources.add(source)
    if required and not np.isfinite(out).any():
        raise DataError(
            f"{table.label}: no value for {code}, {economy}, sex {sex}, age {age} in any year "
            f"{years[0]}-{years[-1]} (expected a series of numbers)"
        )
    return out


def _chain(growth_pct: np.ndarray, population: np.ndarray | None = None) -> np.ndarray:
    """Index chained from annual growth in percent, times population growth if given.

    1.0 in the first year with a growth value (and a population); ``I_t = I_{t-1} (1 + g_t/100)
    [P_t / P_{t-1}]``. From the first later year without data the index is NaN: continuing the
    chain across a gap would need a filled value.
    """
    ok = np.isfinite(growth_pct)
    if population is not None:
        ok &= np.isfinite(population)
    out = np.full(growth_pct.size, np.nan)
    if not ok.any():
        return out
    base = int(np.argmax(ok))
    out[base] = 1.0
    for t in range(base + 1, growth_pct.size):
        if not ok[t]:
            break
        factor = 1.0 + growth_pct[t] / 100.0
        if population is not None:
            factor *= population[t] / population[t - 1]
        out[t] = out[t - 1] * factor
    return out


def _check_total(
    label: str, economy: str, what: str, parts: np.ndarray, total: np.ndarray, years: np.ndarray
) -> None:
    """DataError if the sum of ``parts`` (last axes) differs from the published ``total``."""
    summed = parts.reshape(parts.shape[0], -1).sum(axis=1)
    both = np.isfinite(summed) & np.isfinite(total) & (total > 0)
    gap = np.zeros(years.size)
    gap[both] = np.abs(summed[both] - total[both]) / total[both]
    if (gap > _MAX_TOTAL_GAP).any():
        pos = int(np.argmax(gap))
        raise DataError(
            f"{label}: {what} for {economy}, {years[pos]} sum to {summed[pos]:,.3f}, the published "
            f"total is {total[pos]:,.3f} (expected agreement within {_MAX_TOTAL_GAP:.1%})"
        )


def _joined(sources: set[str], codes: str) -> str:
    return "; ".join(sorted(sources)) + f" [{codes}]"


def _frozen(array: np.ndarray, dtype: type = float) -> np.ndarray:
    """A read-only copy of ``array`` as ``dtype``."""
    array = np.array(array, dtype=dtype)
    array.setflags(write=False)
    return array


# --------------------------------------------------------------------------------------------
# Public API


def latest_observed_year() -> int:
    """Latest year of observed data, the default start year.

    Returns
    -------
    int
        :data:`~displacement_sim.constants.LATEST_OBSERVED_YEAR` (2023). ILOEST and the
        ILO-modelled WDI series for 2024-2025 are ILO projections or nowcasts.

    References
    ----------
    ILO (2025). ILOSTAT, ILO modelled estimates (ILOEST), Nov. 2025 edition.
    """
    return LATEST_OBSERVED_YEAR


def load_profile(
    iso3: str,
    year: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> EconomyProfile:
    """Load the profile of one economy in one year.

    Values are taken as published, except for the following rules; each use of a rule is written
    into the profile's ``assumptions``.

    - **Occupation margin.** ILOEST's occupation groups and sector groups sum to totals that differ
      by rounding (at most about 2e-5 relative). The occupation groups are rescaled proportionally
      to the sector total, so that both margins sum to the same employment. A gap above 0.1% is a
      DataError.
    - **Sector x occupation matrix** (the data hold no cross-tabulation). Parameter-free rule:
      agriculture (sector A) is filled first from group 96 (skilled agricultural and elementary
      occupations): cell (A, 96) = min(emp_A, emp_96). The residual sector margin and the residual
      occupation margin are then combined under independence: the outer product of the two
      residual margins divided by their (common) total. Rows sum to ``employment_by_sector`` and
      columns to ``employment_by_occupation``.
    - **Exposure.** Frey-Osborne probabilities averaged to ISCO-08 major groups (US OEWS-2024
      employment weights); group 96 is the unweighted mean of ISCO 6 and ISCO 9.
    - **Skill mix** (ISCO-08 skill levels): groups 1, 2, 3 -> high (levels 3-4); 4, 5, 7, 8 ->
      medium (level 2); 96 -> half medium (ISCO 6, level 2), half low (ISCO 9, level 1). The
      half/half split is an assumption.
    - **Internet use.** If the year is missing, the latest earlier value is carried forward; with
      none earlier, DataError.
    - **Robot density.** The economy's latest IFR figure at or before the year; else its earliest
      figure after the year; else the world (WLD) figure nearest the year (ties go to the earlier
      year).
    - WDI values (labour force, unemployment, population, GDP, rural share) are never filled: a
      missing value is a DataError.

    Parameters
    ----------
    iso3 : str
        ISO3 code, one of :data:`~displacement_sim.constants.ECONOMIES`.
    year : int, optional
        Year of the data; ``None`` means :func:`latest_observed_year`. Allowed: years with ILOEST
        sector and occupation data (1991-2025; 2024-2025 are ILO projections).
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    EconomyProfile
        The profile, with read-only arrays.

    Raises
    ------
    DataError
        If the economy is unknown, the year is outside the ILOEST years, or a file or value is
        missing or malformed. The message names the file, economy, indicator and year.

    References
    ----------
    ILO (2025). ILOSTAT ILOEST, EMP_2EMP_SEX_ECO_NB and EMP_2EMP_SEX_OCU_NB, Nov. 2025 edition.

    World Bank (2026). World Development Indicators.

    Frey, C. B. and Osborne, M. A. (2017). The future of employment. Technological Forecasting
    and Social Change 114, 254-280. doi:10.1016/j.techfore.2016.08.019

    ILO (2012). International Standard Classification of Occupations, ISCO-08, Volume 1.

    International Federation of Robotics. World Robotics (robot density).
    """
    iso3 = _check_economy(iso3)
    directory = _data_dir(data_dir)
    year = _check_year(year, directory)
    assumptions: list[str] = []
    sources: dict[str, str] = {}
    values: dict[str, float] = {}

    if year > LATEST_OBSERVED_YEAR:
        assumptions.append(
            f"year {year} is after the latest observed year {LATEST_OBSERVED_YEAR}: ILOEST and "
            f"ILO-modelled WDI values for it are ILO projections or nowcasts"
        )

    wdi = _tidy(directory, WDI_FILE)
    for name, (code, factor, low, high) in _WDI_FIELDS.items():
        value, source = _value(wdi, iso3, code, year, low, high)
        values[name] = value * factor
        sources[name] = f"{source} [{code}]"

    internet = _tidy(directory, INTERNET_FILE)
    share, source, used = _carry_forward(internet, iso3, _INTERNET_CODE, year, 0.0, 100.0)
    if used != year:
        assumptions.append(
            f"internet_share: no {year} value for {iso3}; carried forward {used} ({share:.1f}%)"
        )
    values["internet_share"] = share / 100.0
    sources["internet_share"] = f"{source} [{_INTERNET_CODE} {used}]"

    robots = _tidy(directory, ROBOT_FILE)
    density, source, notes = _robot_density(robots, iso3, year)
    assumptions.extend(notes)
    values["robot_density"] = density
    sources["robot_density"] = source

    sector_table = _tidy(directory, SECTOR_FILE)
    sector = np.array(
        [_value(sector_table, iso3, _SECTOR_CODE.format(s), year, 0.0)[0] * 1000.0 for s in SECTORS]
    )
    sources["employment_by_sector"] = _value(
        sector_table, iso3, _SECTOR_CODE.format(SECTORS[0]), year
    )[1]
    occupation_table = _tidy(directory, OCCUPATION_FILE)
    occupation = np.array(
        [
            _value(occupation_table, iso3, _OCCUPATION_CODE.format(o), year, 0.0)[0] * 1000.0
            for o in OCCUPATIONS
        ]
    )
    sources["employment_by_occupation"] = _value(
        occupation_table, iso3, _OCCUPATION_CODE.format(OCCUPATIONS[0]), year
    )[1]

    sector_total, occupation_total = sector.sum(), occupation.sum()
    if sector_total <= 0 or occupation_total <= 0:
        raise DataError(
            f"{sector_table.label} / {occupation_table.label}: total employment is zero for "
            f"{iso3}, {year} (expected positive employment)"
        )
    gap = abs(sector_total - occupation_total) / sector_total
    if gap > _MAX_TOTAL_GAP:
        raise DataError(
            f"{sector_table.label} / {occupation_table.label}: employment totals differ for "
            f"{iso3}, {year} ({sector_total / 1e3:,.3f} vs {occupation_total / 1e3:,.3f} "
            f"thousand; expected agreement within {_MAX_TOTAL_GAP:.1%})"
        )
    if sector_total != occupation_total:
        occupation = occupation * (sector_total / occupation_total)
        assumptions.append(
            f"employment_by_occupation: rescaled by {sector_total / occupation_total:.8f} to the "
            f"sector total ({sector_total:,.0f} persons; ILOEST rounding gap "
            f"{sector_total - occupation_total:+,.0f} persons)"
        )

    joint, cell = _joint_matrix(sector, occupation)
    assumptions.append(
        f"sector_occupation: no cross-tabulation in the data; agriculture (A) filled first from "
        f"group 96, cell (A, 96) = min(A, 96) = {cell:,.0f} persons; the remaining sector and "
        f"occupation margins combined under independence"
    )
    sources["sector_occupation"] = (
        "derived from employment_by_sector and employment_by_occupation (agriculture-first, "
        "then independence; displacement_sim.data.load_profile)"
    )

    exposure, fo_label, note = _group_exposure(directory)
    assumptions.append(note)
    sources["occupation_exposure"] = (
        f"{fo_label}, column {_FO_COLUMN}: Frey & Osborne (2017) probabilities averaged to "
        f"ISCO-08 major groups via the IBS SOC-2010 to ISCO-08 crosswalk, weighted by US OEWS "
        f"May-2024 employment (derived, indicative; SOURCES.md section 9)"
    )

    skill_mix = np.array([_SKILL_MIX[o] for o in OCCUPATIONS])
    assumptions.append(
        "occupation_skill_mix: group 96 (ISCO 6 skilled agricultural, level 2, with ISCO 9 "
        "elementary, level 1) split half medium, half low (assumption; ILOEST does not separate "
        "the two)"
    )
    sources["occupation_skill_mix"] = _SKILL_SOURCE

    return EconomyProfile(
        iso3=iso3,
        name=ECONOMY_NAMES[iso3],
        year=year,
        labour_force=values["labour_force"],
        unemployment_rate=values["unemployment_rate"],
        population=values["population"],
        gdp_usd=values["gdp_usd"],
        gdp_per_capita_usd=values["gdp_per_capita_usd"],
        rural_share=values["rural_share"],
        internet_share=values["internet_share"],
        robot_density=values["robot_density"],
        employment_by_sector=_frozen(sector),
        employment_by_occupation=_frozen(occupation),
        sector_occupation=_frozen(joint),
        occupation_exposure=_frozen(exposure),
        occupation_skill_mix=_frozen(skill_mix),
        assumptions=tuple(assumptions),
        sources=sources,
    )


def load_profiles(
    economies: Iterable[str] | None = None,
    year: int | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, EconomyProfile]:
    """Load the profiles of several economies in one year.

    Parameters
    ----------
    economies : iterable of str, optional
        ISO3 codes; default all of :data:`~displacement_sim.constants.ECONOMIES`. A single string
        is taken as one code.
    year : int, optional
        Year of the data; ``None`` means :func:`latest_observed_year`.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    dict of str to EconomyProfile
        Profiles keyed by ISO3 code, in the order given.

    Raises
    ------
    DataError
        As :func:`load_profile`.

    References
    ----------
    See :func:`load_profile`.
    """
    if economies is None:
        economies = ECONOMIES
    elif isinstance(economies, str):
        economies = (economies,)
    return {iso3: load_profile(iso3, year=year, data_dir=data_dir) for iso3 in economies}


def load_history(iso3: str, data_dir: str | os.PathLike[str] | None = None) -> EconomyHistory:
    """Load the annual history of one economy's exogenous drivers, 1991-2027.

    Values are taken as published and converted to the units of :class:`EconomyHistory`
    (thousands x 1000, percent / 100). Nothing is filled: a year the data lack is NaN. The
    rules:

    - **Real GDP and real GDP per capita** are indices chained from WDI growth rates (the WDI
      snapshot has no constant-price level): GDP per capita from ``NY.GDP.PCAP.KD.ZG``; GDP from
      the same growth times the growth of ``SP.POP.TOTL``. Both are 1.0 in the first year with
      data; the chain stops (NaN) at the first later year without data.
    - **Employment shares** are each ISIC group over the sum of the 14 groups, so that rows sum
      to 1; that sum must agree with ILOEST's published total within 0.1%.
    - **Labour force** cells must sum to ILOEST's published total (both sexes, 15+) within 0.1%.
    - Years after :data:`~displacement_sim.constants.LATEST_OBSERVED_YEAR` are kept; they are ILO
      projections or nowcasts (``last_observed_year`` marks the cut).

    The files are parsed once and cached, as for :func:`load_profile`.

    Parameters
    ----------
    iso3 : str
        ISO3 code, one of :data:`~displacement_sim.constants.ECONOMIES`.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    EconomyHistory
        The history, with read-only arrays.

    Raises
    ------
    DataError
        If the economy is unknown; a file is missing or malformed (unreadable, missing column,
        non-numeric value or year, unknown sex code, duplicate row); a value is out of range; a
        code has no value at all for the economy in 1991-2027; or parts disagree with a published
        total. The message names the file, economy, indicator and year.

    References
    ----------
    ILO (2025). ILOSTAT, ILO modelled estimates (ILOEST), Nov. 2025 edition: EAP_2EAP_SEX_AGE_NB,
    UNE_2EAP_SEX_AGE_RT and EMP_2EMP_SEX_ECO_NB. https://ilostat.ilo.org/

    World Bank (2026). World Development Indicators: NY.GDP.PCAP.KD.ZG, SP.POP.TOTL,
    SL.TLF.CACT.FE.ZS, SL.TLF.CACT.MA.ZS, SL.UEM.TOTL.ZS.
    """
    iso3 = _check_economy(iso3)
    directory = _data_dir(data_dir)
    years = np.arange(HISTORY_YEARS[0], HISTORY_YEARS[1] + 1)
    n = years.size
    sources: dict[str, str] = {}
    positive = float(np.nextafter(0.0, 1.0))

    # Labour force by sex and age band (ILOEST, thousands).
    table = _sex_age(directory, LABOUR_FORCE_FILE)
    used: set[str] = set()
    labour_force = np.full((n, len(SEXES), len(AGE_GROUPS)), np.nan)
    for i, sex in enumerate(SEXES):
        for j, age in enumerate(AGE_GROUPS):
            labour_force[:, i, j] = _sex_age_series(
                table, iso3, _LABOUR_FORCE_CODE, sex, age, years, used, 0.0
            )
    total = _sex_age_series(
        table, iso3, _LABOUR_FORCE_CODE, "T", _TOTAL_AGE, years, set(), 0.0, required=False
    )
    _check_total(
        table.label, iso3, f"{_LABOUR_FORCE_CODE} sex F, M x age {', '.join(AGE_GROUPS)}",
        labour_force, total, years,
    )  # fmt: skip
    labour_force *= 1000.0
    sources["labour_force"] = _joined(used, f"{_LABOUR_FORCE_CODE}, thousands x 1000")

    # Unemployment rate by sex and youth/adult band (ILOEST, %).
    table = _sex_age(directory, UNEMPLOYMENT_FILE)
    used = set()
    unemployment_by_sex_age = np.full((n, len(SEXES), len(UNEMPLOYMENT_AGE_GROUPS)), np.nan)
    for i, sex in enumerate(SEXES):
        for j, age in enumerate(UNEMPLOYMENT_AGE_GROUPS):
            unemployment_by_sex_age[:, i, j] = _sex_age_series(
                table, iso3, _UNEMPLOYMENT_CODE, sex, age, years, used, 0.0, 100.0
            ) / 100.0
    sources["unemployment_by_sex_age"] = _joined(used, f"{_UNEMPLOYMENT_CODE} / 100")

    # WDI: participation, unemployment, real GDP (per capita) indices.
    wdi = _tidy(directory, WDI_FILE)
    used = set()
    participation = np.column_stack(
        [
            _history_series(wdi, iso3, _PARTICIPATION_CODES[sex], years, used, 0.0, 100.0)
            for sex in SEXES
        ]
    ) / 100.0
    sources["participation"] = _joined(
        used, ", ".join(_PARTICIPATION_CODES[sex] for sex in SEXES) + " / 100"
    )
    used = set()
    unemployment_rate = (
        _history_series(wdi, iso3, _UNEMPLOYMENT_RATE_CODE, years, used, 0.0, 100.0) / 100.0
    )
    sources["unemployment_rate"] = _joined(used, f"{_UNEMPLOYMENT_RATE_CODE} / 100")
    used = set()
    growth = _history_series(
        wdi, iso3, _GDP_PC_GROWTH_CODE, years, used, float(np.nextafter(-100.0, 0.0))
    )
    sources["real_gdp_per_capita"] = _joined(
        set(used), f"index chained from {_GDP_PC_GROWTH_CODE}; 1.0 in the first year with data"
    )
    population = _history_series(wdi, iso3, _POPULATION_CODE, years, used, positive)
    sources["real_gdp"] = _joined(
        used,
        f"index chained from {_GDP_PC_GROWTH_CODE} x growth of {_POPULATION_CODE}; 1.0 in the "
        f"first year with data",
    )
    real_gdp_per_capita = _chain(growth)
    real_gdp = _chain(growth, population)

    # Employment shares by ISIC group (ILOEST).
    table_isic = _tidy(directory, SECTOR_FILE)
    used = set()
    employment = np.column_stack(
        [
            _history_series(table_isic, iso3, _SECTOR_CODE.format(s), years, used, 0.0)
            for s in SECTORS
        ]
    )
    summed = employment.sum(axis=1)  # NaN where any group is missing
    if (summed <= 0).any():
        pos = int(np.flatnonzero(summed <= 0)[0])
        raise DataError(
            f"{table_isic.label}: total employment is zero for {iso3}, {years[pos]} (expected "
            f"positive employment)"
        )
    published = _history_series(
        table_isic, iso3, _SECTOR_CODE.format(_SECTOR_TOTAL), years, set(), 0.0, required=False
    )
    _check_total(
        table_isic.label, iso3, f"{_SECTOR_CODE.format('*')} (14 groups)", employment, published,
        years,
    )  # fmt: skip
    employment_shares = employment / summed[:, None]
    sources["employment_shares"] = _joined(
        used, f"{_SECTOR_CODE.format('*')} over the sum of the 14 groups"
    )

    return EconomyHistory(
        iso3=iso3,
        years=_frozen(years, dtype=int),
        labour_force=_frozen(labour_force),
        participation=_frozen(participation),
        real_gdp=_frozen(real_gdp),
        real_gdp_per_capita=_frozen(real_gdp_per_capita),
        employment_shares=_frozen(employment_shares),
        unemployment_rate=_frozen(unemployment_rate),
        unemployment_by_sex_age=_frozen(unemployment_by_sex_age),
        last_observed_year=LATEST_OBSERVED_YEAR,
        sources=sources,
    )


def load_histories(
    economies: Iterable[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> dict[str, EconomyHistory]:
    """Load the histories of several economies.

    Parameters
    ----------
    economies : iterable of str, optional
        ISO3 codes; default all of :data:`~displacement_sim.constants.ECONOMIES`. A single string
        is taken as one code.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    dict of str to EconomyHistory
        Histories keyed by ISO3 code, in the order given.

    Raises
    ------
    DataError
        As :func:`load_history`.

    References
    ----------
    See :func:`load_history`.
    """
    if economies is None:
        economies = ECONOMIES
    elif isinstance(economies, str):
        economies = (economies,)
    return {iso3: load_history(iso3, data_dir=data_dir) for iso3 in economies}


DISPLACED_SURVEY_FILE = "bls_displaced_workers_2024.csv"
"""The BLS Displaced Worker Survey target (``SOURCES.md`` section 12)."""


def load_displaced_survey(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The displaced-worker survey targets: status shares of long-tenured job losers.

    Parameters
    ----------
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    pandas.DataFrame
        Columns ``economy_iso3, survey_year, status, percent`` (``survey_year`` the calendar
        year of the survey month, January), one row per economy and status.

    Raises
    ------
    DataError
        If the file is missing or malformed, or an economy's shares do not sum to 100.
    """
    path = _data_dir(data_dir) / DISPLACED_SURVEY_FILE
    _stat_key(path.parent, path.name)
    raw = _read_csv(path, ("economy_iso3", "survey_month", "status", "percent"))
    label = _label(path)
    out = pd.DataFrame({
        "economy_iso3": raw["economy_iso3"].str.strip(),
        "survey_year": _parse_numbers(
            raw.assign(y=raw["survey_month"].str.slice(0, 4)), "y", label, integer=True)
        .astype(int),
        "status": raw["status"].str.strip(),
        "percent": _parse_numbers(raw, "percent", label)})
    for iso, d in out.groupby("economy_iso3"):
        if abs(d["percent"].sum() - 100.0) > 0.5:
            raise DataError(f"{label}: shares of {iso} sum to {d['percent'].sum():g}, not 100 "
                            "(expected one row per status)")
    return out


def load_series(
    indicator_code: str,
    economies: Iterable[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """Load one indicator for all years, as a tidy table (e.g. for calibration targets).

    The file holding the code is looked up in ``indicators.csv``; ``IFR.ROBOT_DENSITY`` (robot
    density, not listed there) is in ``robot_density_ifr.csv``. Values are as published (WDI
    percentages stay percentages, ILOEST counts stay in thousands).

    Parameters
    ----------
    indicator_code : str
        Code as in ``indicators.csv``, e.g. ``"SL.UEM.TOTL.ZS"``.
    economies : iterable of str, optional
        ISO3 codes to keep (``"WLD"`` is allowed); default every economy in the file.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    pandas.DataFrame
        Columns ``economy_iso3, year, value``, sorted by economy and year; for the ILOEST codes by
        sex and age (``EAP_2EAP_SEX_AGE_NB``, ``UNE_2EAP_SEX_AGE_RT``) columns ``economy_iso3,
        year, sex, age, value``, sorted by economy, sex, age and year. ``attrs`` holds
        ``indicator_code``, ``label``, ``unit``, ``file`` and ``source``.

    Raises
    ------
    DataError
        If the code is unknown, its file is missing or malformed, an economy is unknown, or no
        value matches.

    References
    ----------
    World Bank (2026). World Development Indicators.

    ILO (2025). ILOSTAT, ILO modelled estimates (ILOEST), Nov. 2025 edition.
    """
    directory = _data_dir(data_dir)
    indicators = _load_indicators(*_stat_key(directory, INDICATORS_FILE))
    if indicator_code in indicators:
        label, unit, file_name = indicators[indicator_code]
    elif indicator_code in _EXTRA_INDICATOR_FILES:
        label = "Industrial robots per 10,000 manufacturing employees (IFR World Robotics)"
        unit, file_name = "robots per 10,000 manufacturing employees", ROBOT_FILE
    else:
        raise DataError(
            f"{_label(directory / INDICATORS_FILE)}: unknown indicator_code {indicator_code!r} "
            f"(expected a code listed there, or {', '.join(_EXTRA_INDICATOR_FILES)})"
        )
    if Path(file_name).name != file_name:
        raise DataError(
            f"{_label(directory / INDICATORS_FILE)}: file {file_name!r} for {indicator_code} "
            f"(expected a file name inside the data directory)"
        )
    by_sex_age = file_name in _SEX_AGE_FILES
    table = _sex_age(directory, file_name) if by_sex_age else _tidy(directory, file_name)
    frame = table.frame
    rows = frame[frame["indicator_code"] == indicator_code]
    if economies is not None:
        if isinstance(economies, str):
            economies = (economies,)
        wanted = [_check_economy(e, allow_world=True) for e in economies]
        rows = rows[rows["economy_iso3"].isin(wanted)]
    if rows.empty:
        raise DataError(
            f"{table.label}: no value for {indicator_code}"
            + ("" if economies is None else f", {', '.join(wanted)}")
            + " (expected at least one row)"
        )
    keys = ["economy_iso3", "sex", "age", "year"] if by_sex_age else ["economy_iso3", "year"]
    columns = ["economy_iso3", "year", "sex", "age"] if by_sex_age else ["economy_iso3", "year"]
    out = rows[[*columns, "value"]].sort_values(keys).reset_index(drop=True)
    out.attrs = {
        "indicator_code": indicator_code,
        "label": label,
        "unit": unit,
        "file": table.label,
        "source": "; ".join(sorted(set(rows["source"]))),
    }
    return out


def exposure_check(
    year: int = 2023, data_dir: str | os.PathLike[str] | None = None
) -> pd.DataFrame:
    """Compare the derived exposure of each economy with the file and with ILO (2016).

    Parameters
    ----------
    year : int, default 2023
        Year of the employment structure.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    pandas.DataFrame
        One row per economy (order :data:`~displacement_sim.constants.ECONOMIES`) with columns:

        - ``economy_iso3``, ``year``;
        - ``mean_exposure``: employment-weighted mean F&O probability of the profile;
        - ``mean_exposure_file``: the same quantity as published in
          ``automation_exposure_fo_isco_derived.csv`` (a cross-check of the loader);
        - ``share_groups_p_gt_0_7``: share of employment in occupation groups whose probability is
          above 0.7 (groups 4, 5, 8 and 96 with the shipped data);
        - ``ilo2016_high_risk_share``: ILO (2016) share of wage employment at high risk
          (p > 0.7), NaN where LITERATURE.md gives none;
        - ``ilo2016_recalled``: ``True`` where that figure is recalled, not confirmed (IDN, PHL,
          THA); NA where there is no figure.

    Raises
    ------
    DataError
        As :func:`load_profile`, or if the exposure file lacks the year.

    References
    ----------
    Chang, J.-H., Rynhart, G. and Huynh, P. (2016). ASEAN in transformation: How technology is
    changing jobs and enterprises. Geneva: ILO.

    Frey, C. B. and Osborne, M. A. (2017). The future of employment. Technological Forecasting
    and Social Change 114, 254-280. doi:10.1016/j.techfore.2016.08.019
    """
    directory = _data_dir(data_dir)
    profiles = load_profiles(year=year, data_dir=directory)
    published = _tidy(directory, EXPOSURE_FILE)
    rows = []
    for iso3, profile in profiles.items():
        emp = profile.employment_by_occupation
        high = profile.occupation_exposure > HIGH_EXPOSURE_THRESHOLD
        ilo = ILO_2016_HIGH_RISK_SHARE.get(iso3)
        rows.append(
            {
                "economy_iso3": iso3,
                "year": profile.year,
                "mean_exposure": profile.mean_exposure,
                "mean_exposure_file": _value(
                    published, iso3, _EXPOSURE_CODE, profile.year, 0.0, 1.0
                )[0],
                "share_groups_p_gt_0_7": float(emp[high].sum() / emp.sum()),
                "ilo2016_high_risk_share": np.nan if ilo is None else ilo[0],
                "ilo2016_recalled": pd.NA if ilo is None else ilo[1],
            }
        )
    out = pd.DataFrame(rows)
    out["ilo2016_recalled"] = out["ilo2016_recalled"].astype("boolean")
    return out


def world_robot_density(year: int | None = None, data_dir: str | os.PathLike[str] | None = None
                        ) -> float:
    """World robot density (IFR) nearest to ``year``: the reference that scales readiness.

    Parameters
    ----------
    year : int, optional
        The year (default :data:`~displacement_sim.constants.LATEST_OBSERVED_YEAR`); the world
        row of the year nearest to it is used, the earlier one on a tie.
    data_dir : path-like, optional
        Data directory; default ``$DISPLACEMENT_SIM_DATA`` or :data:`DEFAULT_DATA_DIR`.

    Returns
    -------
    float
        Industrial robots per 10,000 manufacturing employees, world.

    Raises
    ------
    DataError
        If the data directory or file is missing, or the file has no world row.

    References
    ----------
    International Federation of Robotics. World Robotics (robot density).
    """
    directory = _data_dir(data_dir)
    year = LATEST_OBSERVED_YEAR if year is None else int(year)
    table = _tidy(directory, ROBOT_FILE)
    world = table.years.get((_WORLD, _ROBOT_CODE), ())
    if not world:
        raise DataError(f"{table.label}: no world ({_WORLD}) row for {_ROBOT_CODE} "
                        "(expected at least one)")
    used = min(world, key=lambda y: (abs(y - year), y))
    return _value(table, _WORLD, _ROBOT_CODE, used, 0.0)[0]
