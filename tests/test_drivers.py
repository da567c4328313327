"""Tests of the driver histories (displacement_sim.data.load_history) and displacement_sim.drivers.

Real-data checks pin figures from calibration/data/SOURCES.md and WDI; synthetic histories, built
by hand, pin each rule of displacement_sim.drivers where the answer is known exactly.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
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
