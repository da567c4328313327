"""Tests of the driver histories (displacement_sim.data.load_history) and displacement_sim.drivers.

Real-data checks pin figures from calibration/data/SOURCES.md and WDI; synthetic histories, built
by hand, pin each rule of displacement_sim.drivers where the answer is known exactly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas.testing as pd_testing
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from displacement_sim.constants import AGE_GROUPS, ECONOMIES, LATEST_OBSERVED_YEAR, SECTORS, SEXES
from displacement_sim.data import (
    DEFAULT_DATA_DIR,
    HISTORY_YEARS,
    UNEMPLOYMENT_AGE_GROUPS,
    EconomyHistory,
    load_histories,
    load_history,
    load_series,
)
from displacement_sim.drivers import (
    MIN_ELASTICITY_POINTS,
    AnnualPaths,
    annual_paths,
    income_elasticities,
    monthly,
    observed_history,
)
from displacement_sim.errors import DataError

LF_FILE = "ilostat_labour_force_by_sex_age.csv"
UNE_FILE = "ilostat_unemployment_by_sex_age.csv"
ALL_YEARS = np.arange(1991, 2028)


@pytest.fixture(scope="module")
def histories() -> dict[str, EconomyHistory]:
    return load_histories()


def at(history: EconomyHistory, year: int) -> int:
    """Row of ``year`` in a history."""
    return int(np.flatnonzero(history.years == year)[0])


def wdi(code: str, iso3: str) -> dict[int, float]:
    """One WDI series as year -> value, read through the public loader."""
    frame = load_series(code, [iso3])
    return dict(zip(frame["year"], frame["value"], strict=True))


# --- a damaged copy of the data directory -----------------------------------------------------


class DataCopy:
    """A copy of the data directory (symlinks) in which one file at a time can be damaged."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        for src in DEFAULT_DATA_DIR.iterdir():
            try:
                os.symlink(src, root / src.name)
            except OSError:
                shutil.copy(src, root / src.name)

    def edit(self, name: str, change: Callable[[list[str]], list[str]]) -> None:
        path = self.root / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.unlink()
        path.write_text("".join(change(lines)), encoding="utf-8")


@pytest.fixture
def data_copy(tmp_path: Path) -> DataCopy:
    return DataCopy(tmp_path / "data")


def replace_in(prefix: str, old: str, new: str) -> Callable[[list[str]], list[str]]:
    """A change that replaces ``old`` by ``new`` once, in the one line starting with ``prefix``."""

    def change(lines: list[str]) -> list[str]:
        hits = [i for i, line in enumerate(lines) if line.startswith(prefix)]
        assert len(hits) == 1, prefix
        lines[hits[0]] = lines[hits[0]].replace(old, new, 1)
        return lines

    return change


# --- a synthetic history ------------------------------------------------------------------------


def synthetic(
    years: np.ndarray | None = None,
    labour_force: np.ndarray | None = None,
    participation: np.ndarray | None = None,
    real_gdp: np.ndarray | None = None,
    real_gdp_per_capita: np.ndarray | None = None,
    employment_shares: np.ndarray | None = None,
    last_observed_year: int = 2006,
) -> EconomyHistory:
    """A hand-built history, 2000-2010 by default, with simple values for what is not given."""
    years = np.arange(2000, 2011) if years is None else years
    n = years.size
    if labour_force is None:
        labour_force = np.full((n, 2, 4), 1000.0)
    if participation is None:
        participation = np.full((n, 2), 0.6)
    if real_gdp is None:
        real_gdp = np.ones(n)
    if real_gdp_per_capita is None:
        real_gdp_per_capita = np.ones(n)
    if employment_shares is None:
        employment_shares = np.full((n, len(SECTORS)), 1.0 / len(SECTORS))
    return EconomyHistory(
        iso3="XXX",
        years=years,
        labour_force=np.asarray(labour_force, dtype=float),
        participation=np.asarray(participation, dtype=float),
        real_gdp=np.asarray(real_gdp, dtype=float),
        real_gdp_per_capita=np.asarray(real_gdp_per_capita, dtype=float),
        employment_shares=np.asarray(employment_shares, dtype=float),
        unemployment_rate=np.full(n, 0.05),
        unemployment_by_sex_age=np.full((n, 2, 2), 0.05),
        last_observed_year=last_observed_year,
        sources={},
    )


# --- load_history: shapes, orders, units ---------------------------------------------------------


def test_history_shapes_and_years(histories: dict[str, EconomyHistory]) -> None:
    assert list(histories) == list(ECONOMIES)
    assert HISTORY_YEARS == (1991, 2027)
    assert SEXES == ("F", "M")
    assert AGE_GROUPS == ("15-24", "25-54", "55-64", "65+")
    assert UNEMPLOYMENT_AGE_GROUPS == ("15-24", "25+")
    n = ALL_YEARS.size
    for iso3, h in histories.items():
        assert h.iso3 == iso3
        assert h.years.dtype.kind == "i"
        assert_array_equal(h.years, ALL_YEARS)
        assert h.labour_force.shape == (n, 2, 4)
        assert h.participation.shape == (n, 2)
        assert h.real_gdp.shape == h.real_gdp_per_capita.shape == (n,)
        assert h.employment_shares.shape == (n, len(SECTORS))
        assert h.unemployment_rate.shape == (n,)
        assert h.unemployment_by_sex_age.shape == (n, 2, 2)
        assert h.last_observed_year == LATEST_OBSERVED_YEAR == 2023
        assert set(h.sources) == {
            "labour_force", "participation", "real_gdp", "real_gdp_per_capita",
            "employment_shares", "unemployment_rate", "unemployment_by_sex_age",
        }  # fmt: skip


def test_history_arrays_are_read_only(histories: dict[str, EconomyHistory]) -> None:
    h = histories["VNM"]
    for name in ("years", "labour_force", "participation", "real_gdp", "employment_shares"):
        array = getattr(h, name)
        with pytest.raises(ValueError, match="read-only"):
            array[0] = 0


def test_load_histories_subset_and_single_code() -> None:
    assert list(load_histories(["USA", "VNM"])) == ["USA", "VNM"]
    assert list(load_histories("SGP")) == ["SGP"]


def test_vnm_labour_force_totals(histories: dict[str, EconomyHistory]) -> None:
    # SOURCES.md 10: VNM, T, 15+ = 38,790.745 (2000) and 56,382.062 (2023) thousand; the eight
    # sex x age cells sum to it within ILOEST rounding (a few persons).
    h = histories["VNM"]
    assert h.labour_force[at(h, 2000)].sum() == pytest.approx(38_790_745, abs=5)
    assert h.labour_force[at(h, 2023)].sum() == pytest.approx(56_382_062, abs=5)


def test_vnm_labour_force_cell_in_persons(histories: dict[str, EconomyHistory]) -> None:
    # VNM 1991, F, 15+ is 16,161.074 thousand in the file: F cells sum to it in persons.
    h = histories["VNM"]
    assert h.labour_force[at(h, 1991), SEXES.index("F")].sum() == pytest.approx(16_161_074, abs=5)


def test_labour_force_agrees_with_wdi(histories: dict[str, EconomyHistory]) -> None:
    # SOURCES.md 10: the ASEAN economies other than SGP agree with WDI SL.TLF.TOTL.IN within 0.1%.
    for iso3 in ("BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "THA", "VNM"):
        h = histories[iso3]
        series = wdi("SL.TLF.TOTL.IN", iso3)
        for year in range(1991, 2026):
            total = h.labour_force[at(h, year)].sum()
            assert total == pytest.approx(series[year], rel=1e-3), (iso3, year)


def test_labour_force_runs_to_2027(histories: dict[str, EconomyHistory]) -> None:
    for h in histories.values():
        assert np.isfinite(h.labour_force).all()
        assert (h.labour_force > 0).all()


def test_participation_is_wdi_over_100(histories: dict[str, EconomyHistory]) -> None:
    h = histories["IDN"]
    female, male = wdi("SL.TLF.CACT.FE.ZS", "IDN"), wdi("SL.TLF.CACT.MA.ZS", "IDN")
    for year in range(1991, 2026):
        assert_allclose(h.participation[at(h, year)], [female[year] / 100, male[year] / 100])
    assert np.isnan(h.participation[at(h, 2026):]).all()  # WDI ends in 2025: not filled


def test_unemployment_rate_is_wdi_over_100(histories: dict[str, EconomyHistory]) -> None:
    h = histories["USA"]
    series = wdi("SL.UEM.TOTL.ZS", "USA")
    assert h.unemployment_rate[at(h, 2009)] == pytest.approx(series[2009] / 100)
    assert 0.08 < h.unemployment_rate[at(h, 2009)] < 0.11
    assert np.isnan(h.unemployment_rate[at(h, 2026):]).all()


def test_unemployment_by_sex_age_only_2000_to_2024(histories: dict[str, EconomyHistory]) -> None:
    for h in histories.values():
        inside = (h.years >= 2000) & (h.years <= 2024)
        assert np.isfinite(h.unemployment_by_sex_age[inside]).all()
        assert np.isnan(h.unemployment_by_sex_age[~inside]).all()


def test_youth_unemployment_matches_wdi(histories: dict[str, EconomyHistory]) -> None:
    # SOURCES.md 10c: ILOEST F and M 15-24 rates are identical to WDI SL.UEM.1524.{FE,MA}.ZS.
    h = histories["PHL"]
    youth = UNEMPLOYMENT_AGE_GROUPS.index("15-24")
    for sex, code in (("F", "SL.UEM.1524.FE.ZS"), ("M", "SL.UEM.1524.MA.ZS")):
        series = wdi(code, "PHL")
        years = range(2000, 2025)
        got = [h.unemployment_by_sex_age[at(h, y), SEXES.index(sex), youth] for y in years]
        assert_allclose(got, [series[y] / 100 for y in years], atol=1e-9)


def test_real_gdp_per_capita_chains_wdi_growth(histories: dict[str, EconomyHistory]) -> None:
    h = histories["USA"]
    growth = wdi("NY.GDP.PCAP.KD.ZG", "USA")
    assert h.real_gdp_per_capita[0] == 1.0
    ratios = h.real_gdp_per_capita[1:at(h, 2024) + 1] / h.real_gdp_per_capita[:at(h, 2024)]
    assert_allclose(ratios, [1 + growth[y] / 100 for y in range(1992, 2025)], rtol=1e-12)
    assert np.isnan(h.real_gdp_per_capita[at(h, 2025):]).all()  # growth ends in 2024


def test_us_real_gdp_falls_in_2009(histories: dict[str, EconomyHistory]) -> None:
    h = histories["USA"]
    assert wdi("NY.GDP.PCAP.KD.ZG", "USA")[2009] < 0
    assert h.real_gdp[at(h, 2009)] < h.real_gdp[at(h, 2008)]
    assert h.real_gdp[at(h, 2010)] > h.real_gdp[at(h, 2009)]


def test_real_gdp_over_per_capita_is_population(histories: dict[str, EconomyHistory]) -> None:
    for iso3 in ("VNM", "SGP"):
        h = histories[iso3]
        population = wdi("SP.POP.TOTL", iso3)
        years = range(1991, 2025)
        got = [h.real_gdp[at(h, y)] / h.real_gdp_per_capita[at(h, y)] for y in years]
        assert_allclose(got, [population[y] / population[1991] for y in years], rtol=1e-12)


def test_employment_shares_sum_to_one(histories: dict[str, EconomyHistory]) -> None:
    for h in histories.values():
        data = h.years <= 2025
        assert_allclose(h.employment_shares[data].sum(axis=1), 1.0, rtol=1e-12)
        assert np.isnan(h.employment_shares[~data]).all()  # ILOEST sector file ends in 2025


def test_vnm_agriculture_share_falls(histories: dict[str, EconomyHistory]) -> None:
    h = histories["VNM"]
    a = SECTORS.index("A")
    assert h.employment_shares[at(h, 1991), a] > 0.6
    assert h.employment_shares[at(h, 2023), a] < 0.35


def test_load_series_reads_sex_age_files() -> None:
    frame = load_series("EAP_2EAP_SEX_AGE_NB", ["VNM"])
    assert list(frame.columns) == ["economy_iso3", "year", "sex", "age", "value"]
    row = frame[(frame["sex"] == "T") & (frame["age"] == "15+") & (frame["year"] == 2023)]
    assert row["value"].item() == pytest.approx(56_382.062)
    assert frame.attrs["unit"] == "thousands of persons"
    rates = load_series("UNE_2EAP_SEX_AGE_RT", ["VNM"])
    assert set(rates["age"]) == {"15+", "15-24", "25+"}
    assert rates["year"].min() == 2000 and rates["year"].max() == 2024


# --- load_history: DataErrors, one defect each ---------------------------------------------------


def test_error_labour_force_file_missing(data_copy: DataCopy) -> None:
    (data_copy.root / LF_FILE).unlink()
    with pytest.raises(DataError, match=r"ilostat_labour_force_by_sex_age\.csv: file not found"):
        load_history("VNM", data_dir=data_copy.root)


def test_error_labour_force_non_numeric(data_copy: DataCopy) -> None:
    prefix = "VNM,2000,EAP_2EAP_SEX_AGE_NB,F,15-24,"
    data_copy.edit(LF_FILE, replace_in(prefix, prefix, prefix + "n/a"))
    with pytest.raises(
        DataError, match=r"by_sex_age\.csv: line \d+, column value: 'n/a.*' is not a number"
    ):
        load_history("VNM", data_dir=data_copy.root)


def test_error_labour_force_missing_column(data_copy: DataCopy) -> None:
    data_copy.edit(LF_FILE, lambda ls: [ls[0].replace(",age,", ",band,")] + ls[1:])
    with pytest.raises(DataError, match=r"by_sex_age\.csv: missing column\(s\) age"):
        load_history("VNM", data_dir=data_copy.root)


def test_error_unknown_sex_code(data_copy: DataCopy) -> None:
    data_copy.edit(UNE_FILE, replace_in("THA,2010,UNE_2EAP_SEX_AGE_RT,F,25+,", ",F,", ",W,"))
    with pytest.raises(DataError, match=r"unemployment_by_sex_age\.csv: line \d+, column sex: 'W'"):
        load_history("THA", data_dir=data_copy.root)


def test_error_duplicate_sex_age_row(data_copy: DataCopy) -> None:
    data_copy.edit(LF_FILE, lambda ls: ls + [ls[1]])
    with pytest.raises(
        DataError, match=r"second value for EAP_2EAP_SEX_AGE_NB, BRN, sex F, age 15\+, 1991"
    ):
        load_history("VNM", data_dir=data_copy.root)


def test_error_economy_missing_from_file(data_copy: DataCopy) -> None:
    data_copy.edit(LF_FILE, lambda ls: [line for line in ls if not line.startswith("LAO,")])
    with pytest.raises(
        DataError,
        match=r"no value for EAP_2EAP_SEX_AGE_NB, LAO, sex F, age 15-24 in any year 1991-2027",
    ):
        load_history("LAO", data_dir=data_copy.root)
    load_history("VNM", data_dir=data_copy.root)  # other economies still load


def test_error_labour_force_cells_disagree_with_total(data_copy: DataCopy) -> None:
    # VNM 2010, M, 25-54: add 1,000 thousand to one cell, so the cells no longer sum to T 15+.
    prefix = "VNM,2010,EAP_2EAP_SEX_AGE_NB,M,25-54,"
    data_copy.edit(LF_FILE, replace_in(prefix, prefix, prefix + "1"))
    with pytest.raises(
        DataError, match=r"by_sex_age\.csv: .* for VNM, 2010 sum to .* published total"
    ):
        load_history("VNM", data_dir=data_copy.root)


def test_error_rate_out_of_range(data_copy: DataCopy) -> None:
    prefix = "MYS,2015,UNE_2EAP_SEX_AGE_RT,M,15-24,"
    data_copy.edit(UNE_FILE, replace_in(prefix, prefix, prefix + "9"))  # 10.x -> 910.x percent
    with pytest.raises(
        DataError, match=r"UNE_2EAP_SEX_AGE_RT, MYS, sex M, age 15-24, 2015 is out of range"
    ):
        load_history("MYS", data_dir=data_copy.root)


def test_gap_in_gdp_growth_stops_the_chain(data_copy: DataCopy) -> None:
    data_copy.edit(
        "wdi_worldbank.csv",
        lambda ls: [line for line in ls if not line.startswith("KHM,2010,NY.GDP.PCAP.KD.ZG,")],
    )
    h = load_history("KHM", data_dir=data_copy.root)
    assert np.isfinite(h.real_gdp[: at(h, 2010)]).all()
    assert np.isnan(h.real_gdp[at(h, 2010):]).all()  # never chained across the gap
    assert np.isnan(h.real_gdp_per_capita[at(h, 2010):]).all()
    with pytest.raises(ValueError, match="no real GDP data for KHM in start_year 2012"):
        annual_paths(h, 2012, 3)


def test_error_unknown_economy_history() -> None:
    with pytest.raises(DataError, match="unknown economy 'XXX'"):
        load_history("XXX")


# --- income_elasticities --------------------------------------------------------------------------


def test_vnm_agriculture_elasticity_is_negative(histories: dict[str, EconomyHistory]) -> None:
    slope, se = income_elasticities(histories["VNM"], until_year=2015, since_year=1991)
    assert slope.shape == se.shape == (len(SECTORS),)
    a = SECTORS.index("A")
    assert slope[a] < 0
    assert 0 < se[a] < abs(slope[a]) / 5  # well determined
    assert np.isfinite(se).all()  # every sector has 25 points and positive shares


def test_elasticity_exact_on_synthetic_history() -> None:
    # x = log y = 0..4; sector A: log s = -1 + 0.5 x + r with r orthogonal to (1, x), so the OLS
    # slope is exactly 0.5 and se = sqrt(RSS / (n - 2) / Sxx) = sqrt(10 / 3 / 10).
    years = np.arange(2000, 2005)
    x = np.arange(5.0)
    r = np.array([1.0, -2.0, 0.0, 2.0, -1.0])
    shares = np.full((5, len(SECTORS)), 0.05)
    shares[:, 0] = np.exp(-1.0 + 0.5 * x + r)
    shares[:, 1] = 0.2 * np.exp(x) ** -0.8  # exact power law: slope -0.8, se 0
    shares[2, 3] = 0.0  # a zero share: slope 0, se NaN
    shares[4, 4] = np.nan  # four points only: slope 0, se NaN
    h = synthetic(years=years, real_gdp_per_capita=np.exp(x), employment_shares=shares)
    slope, se = income_elasticities(h, until_year=2004, since_year=2000)
    assert slope[0] == pytest.approx(0.5, abs=1e-12)
    assert se[0] == pytest.approx(np.sqrt(1 / 3), rel=1e-12)
    assert slope[1] == pytest.approx(-0.8, abs=1e-12)
    assert se[1] == pytest.approx(0.0, abs=1e-12)
    assert slope[2] == pytest.approx(0.0, abs=1e-12)  # constant share
    assert (slope[3], slope[4]) == (0.0, 0.0)
    assert np.isnan(se[3]) and np.isnan(se[4])
    assert MIN_ELASTICITY_POINTS == 5


def test_elasticity_uses_only_the_window() -> None:
    # Slope 1 before 2005, slope -1 from 2005: each window recovers its own slope.
    years = np.arange(2000, 2011)
    x = np.concatenate([np.arange(5.0), np.arange(5.0, 11.0)])
    log_share = np.where(years < 2005, x, 10.0 - x)
    shares = np.full((years.size, len(SECTORS)), 0.05)
    shares[:, 0] = np.exp(log_share - 20)
    h = synthetic(years=years, real_gdp_per_capita=np.exp(x), employment_shares=shares)
    assert income_elasticities(h, until_year=2004, since_year=2000)[0][0] == pytest.approx(1.0)
    assert income_elasticities(h, until_year=2010, since_year=2005)[0][0] == pytest.approx(-1.0)
    slope, se = income_elasticities(h, until_year=2003, since_year=2000)  # four points
    assert slope[0] == 0.0 and np.isnan(se[0])


def test_elasticity_window_error() -> None:
    with pytest.raises(ValueError, match="since_year"):
        income_elasticities(synthetic(), until_year=2000, since_year=2005)


# --- annual_paths ---------------------------------------------------------------------------------


def test_paths_follow_the_data_then_the_rules(histories: dict[str, EconomyHistory]) -> None:
    h = histories["VNM"]
    paths = annual_paths(h, 2023, 10)
    assert isinstance(paths, AnnualPaths)
    assert_array_equal(paths.years, np.arange(2023, 2034))
    assert paths.labour_force.shape == (11, 2, 4)
    assert paths.participation.shape == (11, 2)
    assert paths.real_gdp.shape == paths.real_gdp_per_capita.shape == paths.projected.shape == (11,)
    assert_array_equal(paths.projected, paths.years > 2023)
    # Labour force: ILOEST to 2027 (projections, used as data), then each cell's mean log growth
    # over 2022-2027.
    assert_array_equal(paths.labour_force[:5], h.labour_force[at(h, 2023):])
    g = np.log(h.labour_force[at(h, 2027)] / h.labour_force[at(h, 2022)]) / 5
    assert_allclose(paths.labour_force[5], h.labour_force[at(h, 2027)] * np.exp(g), rtol=1e-12)
    assert_allclose(
        paths.labour_force[10], h.labour_force[at(h, 2027)] * np.exp(6 * g), rtol=1e-12
    )
    # Real GDP: data to 2024, then the mean log growth of 2013-2023.
    y = h.real_gdp
    assert paths.real_gdp[0] == 1.0
    assert paths.real_gdp[1] == pytest.approx(y[at(h, 2024)] / y[at(h, 2023)])
    trend = np.log(y[at(h, 2023)] / y[at(h, 2013)]) / 10
    assert paths.real_gdp[2] / paths.real_gdp[1] == pytest.approx(np.exp(trend))
    assert paths.real_gdp[10] / paths.real_gdp[9] == pytest.approx(np.exp(trend))
    # GDP per capita: data to 2024, then GDP over a population growing as the 15+ labour force.
    assert paths.real_gdp_per_capita[1] == pytest.approx(
        h.real_gdp_per_capita[at(h, 2024)] / h.real_gdp_per_capita[at(h, 2023)]
    )
    lf = paths.labour_force.sum(axis=(1, 2))
    expected = paths.real_gdp_per_capita[1] * (paths.real_gdp / paths.real_gdp[1]) / (lf / lf[1])
    assert_allclose(paths.real_gdp_per_capita[2:], expected[2:], rtol=1e-12)
    # Participation: WDI to 2025, then held.
    assert_array_equal(paths.participation[:3], h.participation[at(h, 2023):at(h, 2025) + 1])
    held = np.broadcast_to(h.participation[at(h, 2025)], (8, 2))
    assert_array_equal(paths.participation[3:], held)


def test_paths_given_growth_rates(histories: dict[str, EconomyHistory]) -> None:
    h = histories["THA"]
    paths = annual_paths(h, 2020, 12, gdp_growth=0.03, labour_force_growth=-0.01)
    k27 = 2027 - 2020
    assert_allclose(paths.labour_force[k27 + 1], h.labour_force[at(h, 2027)] * 0.99, rtol=1e-12)
    assert_allclose(paths.labour_force[-1], h.labour_force[at(h, 2027)] * 0.99**5, rtol=1e-12)
    k24 = 2024 - 2020
    assert_allclose(paths.real_gdp[k24 + 1:] / paths.real_gdp[k24:-1], 1.03, rtol=1e-12)
    data = h.real_gdp[at(h, 2020):at(h, 2024) + 1] / h.real_gdp[at(h, 2020)]
    assert_allclose(paths.real_gdp[: k24 + 1], data)


def test_paths_start_in_the_past_use_only_data(histories: dict[str, EconomyHistory]) -> None:
    h = histories["USA"]
    paths = annual_paths(h, 2005, 10)
    assert not paths.projected.any()
    data = h.real_gdp[at(h, 2005):at(h, 2015) + 1] / h.real_gdp[at(h, 2005)]
    assert_allclose(paths.real_gdp, data)
    assert paths.real_gdp[4] < paths.real_gdp[3]  # 2009


def test_projection_rule_on_synthetic_history() -> None:
    # Data 2000-2010: cell (F, 15-24) grows 2% a year (log) to 2007 and 5% in 2008-2010, the
    # others are constant; real GDP grows 5% (log) to 2006 and is unknown after 2008. Observed
    # to 2006. With projection_years=3 the cell extends at 5% (2007-2010), not at a longer mean.
    years = np.arange(2000, 2011)
    lf = np.full((11, 2, 4), 500.0)
    lf[:, 0, 0] = 500.0 * np.exp(np.cumsum([0.0] + [0.02] * 7 + [0.05] * 3))
    gdp = np.exp(0.05 * np.arange(11.0))
    gdp[7] = gdp[6] * np.exp(0.30)  # 2007: after the observed years, used as data only
    gdp[9:] = np.nan
    pc = gdp / lf.sum(axis=(1, 2)) * lf.sum(axis=(1, 2))[0]
    h = synthetic(years=years, labour_force=lf, real_gdp=gdp, real_gdp_per_capita=pc)
    paths = annual_paths(h, 2004, 10, projection_years=3)
    assert_array_equal(paths.projected, paths.years > 2006)
    assert_allclose(paths.labour_force[:7], lf[4:], rtol=0)  # data to 2010
    assert_allclose(paths.labour_force[-1, 0, 0], lf[-1, 0, 0] * np.exp(0.05 * 4), rtol=1e-12)
    five = annual_paths(h, 2004, 10, projection_years=5)  # 2005-2010: (2 x 2% + 3 x 5%) / 5
    assert_allclose(five.labour_force[-1, 0, 0], lf[-1, 0, 0] * np.exp(0.038 * 4), rtol=1e-12)
    assert_allclose(paths.labour_force[-1, 1], lf[-1, 1], rtol=1e-12)
    # GDP from 2009: trend of 2000-2006 (10 years asked, 6 available) = 0.05 a year.
    assert_allclose(paths.real_gdp[:5], gdp[4:9] / gdp[4], rtol=1e-12)
    assert_allclose(paths.real_gdp[5:] / paths.real_gdp[4:-1], np.exp(0.05), rtol=1e-12)


def test_flat_paths_stay_at_start(histories: dict[str, EconomyHistory]) -> None:
    h = histories["MMR"]
    paths = annual_paths(h, 2015, 15, flat=True)
    start_lf, start_part = h.labour_force[at(h, 2015)], h.participation[at(h, 2015)]
    assert_array_equal(paths.labour_force, np.broadcast_to(start_lf, (16, 2, 4)))
    assert_array_equal(paths.participation, np.broadcast_to(start_part, (16, 2)))
    assert_array_equal(paths.real_gdp, np.ones(16))
    assert_array_equal(paths.real_gdp_per_capita, np.ones(16))
    assert_array_equal(paths.projected, paths.years > 2023)


def test_paths_are_read_only(histories: dict[str, EconomyHistory]) -> None:
    paths = annual_paths(histories["SGP"], 2023, 3)
    with pytest.raises(ValueError, match="read-only"):
        paths.real_gdp[0] = 2.0


def test_zero_years_gives_the_start_only(histories: dict[str, EconomyHistory]) -> None:
    h = histories["KHM"]
    paths = annual_paths(h, 2023, 0)
    assert_array_equal(paths.years, [2023])
    assert_array_equal(paths.labour_force[0], h.labour_force[at(h, 2023)])


def test_error_start_year_without_gdp(histories: dict[str, EconomyHistory]) -> None:
    # 2025 has labour force (ILOEST) and participation (WDI) but no GDP growth yet.
    with pytest.raises(
        ValueError,
        match=r"no real GDP data for USA in start_year 2025 \(years with data: 1991-2024\)",
    ):
        annual_paths(histories["USA"], 2025, 5)


def test_error_start_year_outside_history(histories: dict[str, EconomyHistory]) -> None:
    with pytest.raises(
        ValueError, match=r"start_year 1985 is outside the history of VNM \(1991-2027\)"
    ):
        annual_paths(histories["VNM"], 1985, 5)


def test_error_start_year_without_labour_force() -> None:
    lf = np.full((11, 2, 4), 100.0)
    lf[3, 1, 2] = np.nan
    with pytest.raises(ValueError, match="no labour force data for XXX in start_year 2003"):
        annual_paths(synthetic(labour_force=lf), 2003, 2)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"years": -1}, "years must be at least 0"),
        ({"projection_years": 0}, "projection_years must be at least 1"),
        ({"gdp_growth": float("nan")}, "gdp_growth must be a finite number"),
        ({"labour_force_growth": -1.0}, "labour_force_growth must be above -1"),
    ],
)
def test_error_bad_path_arguments(kwargs: dict[str, float], match: str) -> None:
    arguments = {"years": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        annual_paths(synthetic(), 2003, **arguments)


# --- monthly --------------------------------------------------------------------------------------


def test_monthly_exact_at_years_and_geometric_between() -> None:
    values = np.array([1.0, 2.0, 8.0, 8.0])
    out = monthly(values, 36)
    assert out.shape == (37,)
    assert_array_equal(out[::12], values)  # exact, not just close
    assert out[6] == pytest.approx(np.sqrt(2.0))
    assert out[18] == pytest.approx(4.0)
    assert_allclose(out[1:13] / out[:12], 2.0 ** (1 / 12), rtol=1e-12)  # constant monthly factor
    assert_allclose(out[13:25] / out[12:24], 4.0 ** (1 / 12), rtol=1e-12)
    assert_allclose(out[24:], 8.0)


def test_monthly_keeps_trailing_axes_and_zero_cells() -> None:
    values = np.array([[[1.0, 0.0]], [[3.0, 0.0]]])  # (2 years, 1, 2)
    out = monthly(values, 12)
    assert out.shape == (13, 1, 2)
    assert out[3, 0, 0] == pytest.approx(3.0**0.25)
    assert_array_equal(out[:, 0, 1], 0.0)
    assert_array_equal(monthly(values, 5), out[:6])


def test_monthly_of_driver_paths(histories: dict[str, EconomyHistory]) -> None:
    paths = annual_paths(histories["PHL"], 2023, 5)
    out = monthly(paths.labour_force, 60)
    assert out.shape == (61, 2, 4)
    assert_array_equal(out[::12], paths.labour_force)


@pytest.mark.parametrize(
    ("values", "months", "match"),
    [
        (np.array([1.0, 2.0]), 13, "beyond the last year"),
        (np.array([1.0, -2.0]), 12, "non-negative"),
        (np.array([1.0, np.nan]), 12, "finite"),
        (np.array([0.0, 2.0]), 12, "zero at one end"),
        (np.array(1.0), 0, "year axis"),
    ],
)
def test_monthly_errors(values: np.ndarray, months: int, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        monthly(values, months)


# --- drivers.observed_until: ex-ante driver paths -----------------------------------------------

PATH_FIELDS = ("labour_force", "participation", "real_gdp", "real_gdp_per_capita", "projected")
"""The fields of :class:`AnnualPaths` besides ``years``."""


def yearly_fields(history: EconomyHistory) -> list[str]:
    """The fields of a history that hold one value (or array) per year, ``years`` aside."""
    return [f.name for f in dataclasses.fields(history)
            if f.name != "years" and isinstance(getattr(history, f.name), np.ndarray)
            and getattr(history, f.name).shape[:1] == history.years.shape]


def altered_after(history: EconomyHistory, year: int, seed: int = 0) -> EconomyHistory:
    """``history`` with every yearly value of every year after ``year`` scaled by a random
    factor (0.8-0.95): what a forecast from ``year`` must not see."""
    rng = np.random.default_rng(seed)
    later = history.years > year
    changed = {}
    for name in yearly_fields(history):
        values = np.array(getattr(history, name), dtype=float)
        values[later] *= rng.uniform(0.8, 0.95, size=values[later].shape)
        changed[name] = values
    return dataclasses.replace(history, **changed)


def assert_same_paths(a: AnnualPaths, b: AnnualPaths) -> None:
    assert_array_equal(a.years, b.years)
    for name in PATH_FIELDS:
        assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@pytest.mark.parametrize(("iso", "start", "until"),
                         [("VNM", 2010, 2012), ("THA", 2015, 2015), ("USA", 2005, 2019),
                          ("PHL", 2020, 2024)])
def test_paths_do_not_see_the_years_after_observed_until(
        histories: dict[str, EconomyHistory], iso: str, start: int, until: int) -> None:
    h = histories[iso]
    other = altered_after(h, until)
    cut = annual_paths(h, start, 25, observed_until=until)
    assert_same_paths(cut, annual_paths(other, start, 25, observed_until=until))
    # The data up to the origin are used as they are.
    k, n = at(h, start), until - start + 1
    assert_array_equal(cut.labour_force[:n], h.labour_force[k:k + n])
    assert_array_equal(cut.participation[:n], h.participation[k:k + n])
    assert_allclose(cut.real_gdp[:n], h.real_gdp[k:k + n] / h.real_gdp[k], rtol=1e-15)
    assert_array_equal(cut.projected, cut.years > min(until, LATEST_OBSERVED_YEAR))
    # Without the cut, the change shows (in every series with data after the origin): the
    # check above can fail.
    full, full_other = annual_paths(h, start, 25), annual_paths(other, start, 25)
    for name in ("labour_force", "participation", "real_gdp", "real_gdp_per_capita"):
        if np.isfinite(getattr(h, name)[h.years > until]).any():
            assert not np.array_equal(getattr(full, name), getattr(full_other, name)), name


def test_observed_until_unset_or_at_the_end_of_the_data_changes_nothing(
        histories: dict[str, EconomyHistory]) -> None:
    for iso, h in histories.items():
        last = int(h.years[-1])
        assert observed_history(h, None) is h
        assert observed_history(h, last) is h
        for start in (2005, 2023):
            today = annual_paths(h, start, 30)
            for until in (None, last, 2200):
                assert_same_paths(today, annual_paths(h, start, 30, observed_until=until))
        # One year earlier cuts the ILO projection of the labour force for that year.
        earlier = annual_paths(h, 2023, 30, observed_until=last - 1)
        assert not np.array_equal(earlier.labour_force, today.labour_force), iso


def test_rules_past_observed_until_use_windows_ending_there() -> None:
    # 1991-2010, observed to 2009 (so the data run past the origin 2006). Cell (F, 15-24)
    # grows 1% a year (log) to 2004, then 4%; the others are constant. Real GDP grows 2% to
    # 1998, 5% in 1999-2006 and 30% after. Participation rises by 0.01 a year.
    years = np.arange(1991, 2011)
    lf = np.full((years.size, 2, 4), 400.0)
    lf[:, 0, 0] = 400.0 * np.exp(np.cumsum(np.where(years <= 2004, 0.01, 0.04) * (years > 1991)))
    gdp = np.exp(np.cumsum(np.select([years <= 1998, years <= 2006], [0.02, 0.05], 0.30)
                           * (years > 1991)))
    part = np.repeat((0.5 + 0.01 * (years - 1991))[:, None], 2, axis=1)
    pc = gdp / lf.sum(axis=(1, 2))
    h = synthetic(years=years, labour_force=lf, participation=part, real_gdp=gdp,
                  real_gdp_per_capita=pc, last_observed_year=2009)
    paths = annual_paths(h, 2003, 12, observed_until=2006)
    ahead = paths.years - 2006
    after = ahead > 0
    assert_array_equal(paths.projected, after)
    # Data to the origin (2003-2006), then the rules.
    assert_array_equal(paths.labour_force[~after], lf[12:16])
    # Labour force: each cell's mean log growth over 2001-2006, (3 x 1% + 2 x 4%) / 5.
    assert_allclose(paths.labour_force[after, 0, 0],
                    lf[15, 0, 0] * np.exp(0.022 * ahead[after]), rtol=1e-12)
    assert_allclose(paths.labour_force[after, 1], np.broadcast_to(lf[15, 1], (9, 4)), rtol=0)
    three = annual_paths(h, 2003, 12, observed_until=2006, projection_years=3)  # 2003-2006
    assert_allclose(three.labour_force[-1, 0, 0], lf[15, 0, 0] * np.exp(0.03 * 9), rtol=1e-12)
    # Real GDP: the mean log growth of the ten years 1996-2006, (2 x 2% + 8 x 5%) / 10.
    assert_allclose(paths.real_gdp[~after], gdp[12:16] / gdp[12], rtol=1e-12)
    assert_allclose(paths.real_gdp[after],
                    gdp[15] / gdp[12] * np.exp(0.044 * ahead[after]), rtol=1e-12)
    # Participation held at its 2006 value; GDP per capita as GDP over the labour force.
    assert_allclose(paths.participation[after], np.full((9, 2), 0.65), rtol=1e-12)
    lf_total = paths.labour_force.sum(axis=(1, 2))
    anchor = 3  # 2006
    assert_allclose(paths.real_gdp_per_capita[after],
                    paths.real_gdp_per_capita[anchor] * (paths.real_gdp[after] / paths.real_gdp[anchor])
                    / (lf_total[after] / lf_total[anchor]), rtol=1e-12)
    # The same history seen to 2009: the rules start later, from other windows.
    assert annual_paths(h, 2003, 12, observed_until=2009).real_gdp[-1] > paths.real_gdp[-1] * 2


def test_observed_history_cuts_every_yearly_field(histories: dict[str, EconomyHistory]) -> None:
    h = histories["KHM"]
    cut = observed_history(h, 2012)
    assert cut.last_observed_year == 2012 and cut.iso3 == "KHM"
    assert_array_equal(cut.years, h.years)
    later = h.years > 2012
    names = yearly_fields(h)
    assert {"labour_force", "participation", "real_gdp", "real_gdp_per_capita",
            "employment_shares", "unemployment_rate", "unemployment_by_sex_age"} <= set(names)
    for name in names:
        before, after = getattr(h, name), getattr(cut, name)
        assert np.isnan(after[later]).all(), name
        assert_array_equal(after[~later], before[~later], err_msg=name)
        assert not after.flags.writeable, name
    assert not np.isnan(h.real_gdp[at(h, 2013)])  # the history itself is unchanged
    assert observed_history(h, 2025).last_observed_year == LATEST_OBSERVED_YEAR


def test_observed_until_equal_to_the_start_year_is_allowed(
        histories: dict[str, EconomyHistory]) -> None:
    h = histories["IDN"]
    paths = annual_paths(h, 2015, 5, observed_until=2015)
    assert_array_equal(paths.labour_force[0], h.labour_force[at(h, 2015)])
    assert paths.projected[1:].all() and not paths.projected[0]


@pytest.mark.parametrize(("until", "match"), [
    (2014, r"observed_until \(2014\) is before start_year \(2015\)"),
    (2015.0, "observed_until must be an integer"),
    (True, "observed_until must be an integer"),
])
def test_error_bad_observed_until(histories: dict[str, EconomyHistory], until: object,
                                  match: str) -> None:
    with pytest.raises(ValueError, match=match):
        annual_paths(histories["IDN"], 2015, 5, observed_until=until)  # type: ignore[arg-type]


# --- observed_until in a run ------------------------------------------------------------------------

ORIGIN_RUN = {"name": "origin", "economies": ["VNM", "THA"], "start_year": 2015, "years": 3,
              "workers_per_agent": 1e9, "min_agents_per_economy": 150, "firms_per_sector": 2,
              "burn_in_months": 24, "drivers": {"observed_until": 2016},
              "economy": {"THA": {"drivers": {"observed_until": 2015}}}}
"""A tiny run from 2015 that sees VNM's data to 2016 and THA's to 2015."""

MODEL_PATHS = ("lf_path", "pop_path", "cycle_path", "potential_path", "income_path",
               "elasticity", "okun", "lf_burn_path", "pop_burn_path")
"""What the model builds from the histories."""


def _built(monkeypatch: pytest.MonkeyPatch, data: dict, change: int | None) -> object:
    """A model of ``data`` whose histories are altered after ``change`` (none if ``None``)."""
    from displacement_sim.model import DisplacementModel
    from displacement_sim.model import inputs as model_inputs
    from displacement_sim.scenarios import validate

    def histories(economies: object) -> dict[str, EconomyHistory]:
        real = load_histories(economies)  # type: ignore[arg-type]
        return real if change is None else {iso: altered_after(h, change, seed=i)
                                            for i, (iso, h) in enumerate(real.items())}

    monkeypatch.setattr(model_inputs, "load_histories", histories)
    model = DisplacementModel(validate(data, "origin"), seed=3)
    model.run_months(12)
    return model


def _economy(model: object, name: str, e: int) -> np.ndarray:
    """Economy ``e``'s part of a model array (economies on axis 1 of monthly paths, else 0)."""
    values = getattr(model, name)
    return values[:, e] if name.endswith("_path") else values[e]


def test_a_run_does_not_see_the_data_after_observed_until(
        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _built(monkeypatch, ORIGIN_RUN, None)
    other = _built(monkeypatch, ORIGIN_RUN, 2016)  # every economy's data after 2016 changed
    for name in MODEL_PATHS:
        assert_array_equal(getattr(plain, name), getattr(other, name), err_msg=name)
    pd_testing.assert_frame_equal(plain.results(), other.results())
    # THA sees its data to 2015 only: a change of 2016 does not reach it (VNM's does).
    tha = _built(monkeypatch, ORIGIN_RUN, 2015)
    for name in MODEL_PATHS:
        assert_array_equal(_economy(plain, name, 1), _economy(tha, name, 1), err_msg=name)
    assert not np.array_equal(_economy(plain, "lf_path", 0), _economy(tha, "lf_path", 0))
    # Without observed_until the same change of the data changes the run: the check can fail.
    data = {k: v for k, v in ORIGIN_RUN.items() if k not in ("drivers", "economy")}
    seen, seen_other = _built(monkeypatch, data, None), _built(monkeypatch, data, 2016)
    for name in ("lf_path", "pop_path", "cycle_path", "potential_path", "income_path"):
        assert not np.array_equal(getattr(seen, name), getattr(seen_other, name)), name
    # Up to its origin a run follows the data, as without the cut; the burn-in and the
    # estimates from the years to the start year are the same.
    assert_array_equal(_economy(plain, "lf_path", 0)[:13], _economy(seen, "lf_path", 0)[:13])
    assert not np.array_equal(_economy(plain, "lf_path", 1), _economy(seen, "lf_path", 1))
    for name in ("okun", "elasticity", "lf_burn_path", "pop_burn_path"):
        assert_array_equal(getattr(plain, name), getattr(seen, name), err_msg=name)


def _checked(data: dict) -> str:
    from displacement_sim.errors import ScenarioError
    from displacement_sim.model.inputs import check_drivers
    from displacement_sim.scenarios import validate

    with pytest.raises(ScenarioError) as err:
        check_drivers(validate(data, "origin.toml"), "origin.toml")
    return str(err.value)


def test_observed_until_before_the_start_year_is_refused_naming_the_key() -> None:
    data = {**ORIGIN_RUN, "drivers": {"observed_until": 2014}, "economy": {}}
    assert _checked(data) == (
        "origin.toml: key 'drivers.observed_until': observed_until (2014) is before the start "
        "year (2015): a run starts from the data of its start year, so it must see them; set "
        "it to 2015 or later, or choose a start_year of 2014 or earlier")


def test_a_per_economy_observed_until_before_the_start_year_names_the_economy() -> None:
    data = {**ORIGIN_RUN, "economy": {"THA": {"drivers": {"observed_until": 2010}}}}
    assert _checked(data).startswith(
        "origin.toml: key 'economy.THA.drivers.observed_until': observed_until (2010) is before "
        "the start year (2015)")


def test_the_default_start_year_is_checked_too() -> None:
    data = {k: v for k, v in ORIGIN_RUN.items() if k not in ("start_year", "economy")}
    assert f"before the start year ({LATEST_OBSERVED_YEAR})" in _checked(data)


def test_a_model_built_directly_refuses_an_origin_before_its_start() -> None:
    from displacement_sim.errors import ScenarioError
    from displacement_sim.model import DisplacementModel
    from displacement_sim.scenarios import validate

    scenario = validate({**ORIGIN_RUN, "drivers": {"observed_until": 2012}}, "origin")
    with pytest.raises(ScenarioError, match=r"^origin: key 'drivers.observed_until'"):
        DisplacementModel(scenario, seed=1)


@pytest.mark.parametrize("bad", [2015.0, "2015", True, 1949, 2201])
def test_observed_until_is_a_strict_calendar_year(bad: object) -> None:
    from displacement_sim.errors import ScenarioError
    from displacement_sim.scenarios import validate

    with pytest.raises(ScenarioError, match=r"^origin.toml: key 'drivers.observed_until'"):
        validate({**ORIGIN_RUN, "drivers": {"observed_until": bad}}, "origin.toml")


def test_unset_observed_until_keeps_the_settings_json_and_run_ids() -> None:
    from displacement_sim.config import Drivers, EconomySettings, canonical_json
    from displacement_sim.scenarios import validate
    from displacement_sim.workflows.runs import scenario_key

    def dumped(model: object) -> str:
        return json.dumps(model.model_dump(mode="json"), sort_keys=True,  # type: ignore[attr-defined]
                          separators=(",", ":"))

    unset, cut = Drivers(), Drivers(observed_until=2015)
    assert "observed_until" not in canonical_json(unset) and "observed_until" not in dumped(unset)
    assert canonical_json(unset) == dumped(unset)
    assert canonical_json(cut) == dumped(cut) and '"observed_until":2015' in canonical_json(cut)
    settings = EconomySettings(drivers=cut)
    assert canonical_json(settings) == dumped(settings)
    base = {k: v for k, v in ORIGIN_RUN.items() if k not in ("drivers", "economy")}
    keys = {scenario_key(validate(d, "x")) for d in
            (base, {**base, "drivers": {"observed_until": 2016}},
             {**base, "drivers": {"observed_until": 2017}})}
    assert len(keys) == 3  # an origin is part of what a run is
    # Set by an update (``--set``, a sweep), the same key as set in the file.
    from displacement_sim.scenarios import with_updates
    updated = with_updates(validate(base, "x"), {"drivers.observed_until": 2016}, "--set")
    assert scenario_key(updated) == scenario_key(validate({**base, "drivers": {
        "observed_until": 2016}}, "x"))
