"""Tests of displacement_sim.data: profiles, margins, check figures, fill rules and DataErrors."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from displacement_sim.constants import (
    ECONOMIES,
    LATEST_OBSERVED_YEAR,
    OCCUPATIONS,
    SECTORS,
    SKILL_LEVELS,
)
from displacement_sim.data import (
    DATA_DIR_ENV,
    DEFAULT_DATA_DIR,
    EconomyProfile,
    exposure_check,
    latest_observed_year,
    load_profile,
    load_profiles,
    load_series,
)
from displacement_sim.errors import DataError

SHIPPED = (
    "wdi_worldbank.csv",
    "ilostat_employment_by_isic.csv",
    "ilostat_employment_by_occupation.csv",
    "internet_users_itu_owid.csv",
    "fo_probability_by_isco08_group_derived.csv",
    "automation_exposure_fo_isco_derived.csv",
    "indicators.csv",
    "robot_density_ifr.csv",
    "SOURCES.md",
    "README.md",
)


class DataCopy:
    """A copy of the data directory in which one file at a time can be damaged.

    Unchanged files are symlinks to the shipped ones (so the loader's cache is shared); a file that
    is edited becomes a real file.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        for src in DEFAULT_DATA_DIR.iterdir():
            try:
                os.symlink(src, root / src.name)
            except OSError:
                shutil.copy(src, root / src.name)

    def edit(self, name: str, change: Callable[[list[str]], list[str]]) -> Path:
        """Rewrite ``name`` line by line through ``change``; returns its path."""
        path = self.root / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.unlink()
        path.write_text("".join(change(lines)), encoding="utf-8")
        return path


@pytest.fixture
def data_copy(tmp_path: Path) -> DataCopy:
    return DataCopy(tmp_path / "data")


@pytest.fixture(scope="module")
def profiles_2023() -> dict[str, EconomyProfile]:
    return load_profiles()


@pytest.fixture(scope="module")
def profiles_2000() -> dict[str, EconomyProfile]:
    return load_profiles(year=2000)


def drop_lines(*needles: str) -> Callable[[list[str]], list[str]]:
    """A change that drops every line starting with one of ``needles``."""
    return lambda lines: [line for line in lines if not line.startswith(needles)]


# --- the shipped data ------------------------------------------------------------------------


def test_data_dir_holds_the_shipped_files() -> None:
    for name in SHIPPED:
        assert (DEFAULT_DATA_DIR / name).is_file(), name


def test_robot_file_holds_only_the_literature_figures() -> None:
    frame = pd.read_csv(DEFAULT_DATA_DIR / "robot_density_ifr.csv")
    got = {(r.economy_iso3, r.year): r.value for r in frame.itertuples()}
    assert got == {
        ("SGP", 2016): 488,
        ("SGP", 2022): 730,
        ("SGP", 2023): 770,
        ("USA", 2017): 200,
        ("USA", 2023): 295,
        ("THA", 2016): 45,
        ("MYS", 2016): 34,
        ("IDN", 2016): 5,
        ("PHL", 2016): 3,
        ("WLD", 2016): 74,
        ("WLD", 2022): 151,
    }
    assert frame["source"].str.contains("IFR World Robotics").all()


# --- profiles load ---------------------------------------------------------------------------


def test_default_year_is_latest_observed(profiles_2023: dict[str, EconomyProfile]) -> None:
    assert latest_observed_year() == LATEST_OBSERVED_YEAR == 2023
    assert {p.year for p in profiles_2023.values()} == {2023}


@pytest.mark.parametrize("fixture", ["profiles_2023", "profiles_2000"])
def test_profiles_load_for_all_economies(fixture: str, request: pytest.FixtureRequest) -> None:
    profiles = request.getfixturevalue(fixture)
    assert list(profiles) == list(ECONOMIES)
    for iso3, p in profiles.items():
        assert p.iso3 == iso3 and p.name
        assert p.employment_by_sector.shape == (len(SECTORS),)
        assert p.employment_by_occupation.shape == (len(OCCUPATIONS),)
        assert p.sector_occupation.shape == (len(SECTORS), len(OCCUPATIONS))
        assert p.occupation_exposure.shape == (len(OCCUPATIONS),)
        assert p.occupation_skill_mix.shape == (len(OCCUPATIONS), len(SKILL_LEVELS))
        assert p.sector_exposure.shape == (len(SECTORS),)
        for share in (p.unemployment_rate, p.rural_share, p.internet_share, p.mean_exposure):
            assert 0.0 <= share <= 1.0
        assert p.labour_force > p.employment_by_sector.sum() * 0.8
        assert p.population > p.labour_force > 0
        assert p.gdp_usd > 0 and p.gdp_per_capita_usd > 0 and p.robot_density > 0
        assert np.all(p.sector_exposure >= 0) and np.all(p.sector_exposure <= 1)


def test_every_numeric_field_has_a_source(profiles_2023: dict[str, EconomyProfile]) -> None:
    fields = {
        "labour_force", "unemployment_rate", "population", "gdp_usd", "gdp_per_capita_usd",
        "rural_share", "internet_share", "robot_density", "employment_by_sector",
        "employment_by_occupation", "sector_occupation", "occupation_exposure",
        "occupation_skill_mix",
    }  # fmt: skip
    for p in profiles_2023.values():
        assert fields <= set(p.sources)
        assert all(p.sources[f] for f in fields)


def test_profile_arrays_are_read_only(profiles_2023: dict[str, EconomyProfile]) -> None:
    p = profiles_2023["VNM"]
    with pytest.raises(ValueError):
        p.employment_by_sector[0] = 0.0
    with pytest.raises(ValueError):
        p.sector_occupation[0, 0] = 0.0


def test_load_profiles_accepts_a_subset() -> None:
    profiles = load_profiles(["SGP", "USA"], year=2010)
    assert list(profiles) == ["SGP", "USA"]
    assert profiles["USA"].year == 2010


def test_projection_year_is_recorded() -> None:
    p = load_profile("VNM", 2025)
    assert any("projection" in a for a in p.assumptions)


# --- margins and the joint matrix ------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["profiles_2023", "profiles_2000"])
def test_margins_are_consistent(fixture: str, request: pytest.FixtureRequest) -> None:
    for p in request.getfixturevalue(fixture).values():
        total = p.employment_by_sector.sum()
        assert p.employment_by_occupation.sum() == pytest.approx(total, rel=1e-6)
        np.testing.assert_allclose(p.sector_occupation.sum(axis=1), p.employment_by_sector,
                                   rtol=1e-9)  # fmt: skip
        np.testing.assert_allclose(p.sector_occupation.sum(axis=0), p.employment_by_occupation,
                                   rtol=1e-9)  # fmt: skip
        assert np.all(p.sector_occupation >= 0)


def test_joint_matrix_fills_agriculture_first(profiles_2023: dict[str, EconomyProfile]) -> None:
    a, g = SECTORS.index("A"), OCCUPATIONS.index("96")
    for p in profiles_2023.values():
        expected = min(p.employment_by_sector[a], p.employment_by_occupation[g])
        # The independence part adds to (A, 96) only when both residuals are non-zero, and one
        # of them is zero after the agriculture fill.
        assert p.sector_occupation[a, g] == pytest.approx(expected, rel=1e-9)
        assert any("agriculture (A) filled first" in a for a in p.assumptions)


def test_sector_exposure_is_weighted_mean(profiles_2023: dict[str, EconomyProfile]) -> None:
    p = profiles_2023["THA"]
    joint = p.sector_occupation
    expected = joint @ p.occupation_exposure / joint.sum(axis=1)
    np.testing.assert_allclose(p.sector_exposure, expected)
    weights = p.employment_by_sector / p.employment_by_sector.sum()
    assert float(weights @ p.sector_exposure) == pytest.approx(p.mean_exposure, rel=1e-9)


def test_skill_mix_follows_isco_skill_levels(profiles_2023: dict[str, EconomyProfile]) -> None:
    p = profiles_2023["IDN"]
    mix = dict(zip(OCCUPATIONS, p.occupation_skill_mix.tolist(), strict=True))
    np.testing.assert_allclose(p.occupation_skill_mix.sum(axis=1), 1.0)
    for group in ("1", "2", "3"):
        assert mix[group] == [0.0, 0.0, 1.0]
    for group in ("4", "5", "7", "8"):
        assert mix[group] == [0.0, 1.0, 0.0]
    assert mix["96"] == [0.5, 0.5, 0.0]
    assert any("half medium, half low" in a for a in p.assumptions)


# --- check figures from SOURCES.md -----------------------------------------------------------


def test_vnm_labour_force_2023(profiles_2023: dict[str, EconomyProfile]) -> None:
    assert profiles_2023["VNM"].labour_force == pytest.approx(56.4e6, rel=0.01)


def test_vnm_labour_force_2000(profiles_2000: dict[str, EconomyProfile]) -> None:
    assert profiles_2000["VNM"].labour_force == pytest.approx(38.8e6, rel=0.01)


def test_usa_unemployment_2009_via_load_series() -> None:
    series = load_series("SL.UEM.TOTL.ZS", ["USA"])
    assert list(series.columns) == ["economy_iso3", "year", "value"]
    by_year = series.set_index("year")["value"]
    assert by_year[2008] == pytest.approx(5.78, abs=0.01)
    assert by_year[2009] == pytest.approx(9.25, abs=0.01)
    assert by_year[2010] == pytest.approx(9.63, abs=0.01)
    assert load_profile("USA", 2009).unemployment_rate == pytest.approx(by_year[2009] / 100)


def test_load_series_reads_employment_and_robot_files() -> None:
    employment = load_series("EMP_2EMP_SEX_OCU_NB.OCU_DETAILS_TOTAL", ["VNM"])
    assert employment["year"].min() == 1991 and employment["year"].max() == 2025
    robots = load_series("IFR.ROBOT_DENSITY")
    assert set(robots["economy_iso3"]) == {"SGP", "USA", "THA", "MYS", "IDN", "PHL", "WLD"}


@pytest.mark.parametrize("iso3, expected", [("VNM", 0.70), ("SGP", 0.45)])
def test_mean_exposure_close_to_file(
    iso3: str, expected: float, profiles_2023: dict[str, EconomyProfile]
) -> None:
    assert profiles_2023[iso3].mean_exposure == pytest.approx(expected, abs=0.02)


def test_group_96_exposure_is_mean_of_isco_6_and_9(
    profiles_2023: dict[str, EconomyProfile],
) -> None:
    p = profiles_2023["KHM"]
    assert p.occupation_exposure[OCCUPATIONS.index("96")] == pytest.approx((0.7621 + 0.7548) / 2)
    assert p.occupation_exposure[OCCUPATIONS.index("1")] == pytest.approx(0.1317)


# --- fill rules ------------------------------------------------------------------------------


def test_internet_carried_forward_for_mmr_after_2021(
    profiles_2023: dict[str, EconomyProfile],
) -> None:
    p = profiles_2023["MMR"]
    notes = [a for a in p.assumptions if a.startswith("internet_share")]
    assert len(notes) == 1
    assert "no 2023 value" in notes[0] and "carried forward 2021" in notes[0]
    exact = load_profile("MMR", 2021)
    assert p.internet_share == exact.internet_share
    assert not any(a.startswith("internet_share") for a in exact.assumptions)


def test_internet_exact_year(profiles_2023: dict[str, EconomyProfile]) -> None:
    p = profiles_2023["VNM"]
    assert p.internet_share == pytest.approx(0.781, abs=0.001)
    assert not any(a.startswith("internet_share") for a in p.assumptions)


@pytest.mark.parametrize(
    "iso3, year, value, note",
    [
        ("SGP", 2022, 730, None),
        ("USA", 2020, 200, "latest earlier figure (USA 2017"),
        ("THA", 2010, 45, "earliest later figure (THA 2016"),
        ("VNM", 2023, 151, "world (WLD) nearest-year figure (WLD 2022"),
        ("LAO", 2000, 74, "world (WLD) nearest-year figure (WLD 2016"),
    ],
)
def test_robot_density_fill_rules(iso3: str, year: int, value: float, note: str | None) -> None:
    p = load_profile(iso3, year)
    assert p.robot_density == value
    notes = [a for a in p.assumptions if a.startswith("robot_density")]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0]


def test_approximate_robot_figure_is_recorded(profiles_2023: dict[str, EconomyProfile]) -> None:
    p = profiles_2023["SGP"]
    assert p.robot_density == 770
    assert any("approximate" in a for a in p.assumptions)


# --- exposure check --------------------------------------------------------------------------


def test_exposure_check_returns_ilo_comparison_rows() -> None:
    table = exposure_check()
    assert list(table["economy_iso3"]) == list(ECONOMIES)
    assert (table["year"] == 2023).all()
    np.testing.assert_allclose(table["mean_exposure"], table["mean_exposure_file"], atol=6e-5)
    ilo = table.dropna(subset=["ilo2016_high_risk_share"]).set_index("economy_iso3")
    assert ilo["ilo2016_high_risk_share"].to_dict() == {
        "KHM": 0.57, "IDN": 0.56, "PHL": 0.49, "THA": 0.44, "VNM": 0.70,
    }  # fmt: skip
    recalled = ilo["ilo2016_recalled"].astype(bool).to_dict()
    assert recalled == {"KHM": False, "IDN": True, "PHL": True, "THA": True, "VNM": False}
    others = table[table["ilo2016_high_risk_share"].isna()]
    assert others["ilo2016_recalled"].isna().all()
    assert table["share_groups_p_gt_0_7"].between(0, 1).all()


# --- DataError cases: one defect each --------------------------------------------------------


def test_error_missing_file(data_copy: DataCopy) -> None:
    (data_copy.root / "wdi_worldbank.csv").unlink()
    with pytest.raises(DataError, match=r"wdi_worldbank\.csv: file not found"):
        load_profile("VNM", 2023, data_dir=data_copy.root)


def test_error_missing_value_for_a_year(data_copy: DataCopy) -> None:
    data_copy.edit("wdi_worldbank.csv", drop_lines("VNM,2023,SL.TLF.TOTL.IN,"))
    with pytest.raises(DataError) as info:
        load_profile("VNM", 2023, data_dir=data_copy.root)
    message = str(info.value)
    assert message.endswith(
        "wdi_worldbank.csv: no value for SL.TLF.TOTL.IN, VNM, 2023 (expected a number)"
    )
    load_profile("VNM", 2022, data_dir=data_copy.root)  # other years still load


def test_error_missing_employment_value(data_copy: DataCopy) -> None:
    data_copy.edit(
        "ilostat_employment_by_isic.csv", drop_lines("THA,2015,EMP_2EMP_SEX_ECO_NB.ECO_DETAILS_C,")
    )
    with pytest.raises(DataError, match=r"by_isic\.csv: no value for .*ECO_DETAILS_C, THA, 2015"):
        load_profile("THA", 2015, data_dir=data_copy.root)


def test_error_non_numeric_value(data_copy: DataCopy) -> None:
    def damage(lines: list[str]) -> list[str]:
        lines[5] = lines[5].replace(",0,", ",n/a,", 1)
        return lines

    data_copy.edit("internet_users_itu_owid.csv", damage)
    with pytest.raises(
        DataError,
        match=r"internet_users_itu_owid\.csv: line 6, column value: 'n/a' is not a number",
    ):
        load_profile("SGP", 2023, data_dir=data_copy.root)


def test_error_non_integer_year_in_file(data_copy: DataCopy) -> None:
    data_copy.edit("robot_density_ifr.csv", lambda ls: [ls[0], ls[1].replace(",2016,", ",2016.5,")])
    with pytest.raises(DataError, match=r"robot_density_ifr\.csv: line 2, column year"):
        load_profile("SGP", 2023, data_dir=data_copy.root)


def test_error_empty_file(data_copy: DataCopy) -> None:
    data_copy.edit("ilostat_employment_by_occupation.csv", lambda lines: [])
    with pytest.raises(DataError, match=r"by_occupation\.csv: cannot be read as CSV"):
        load_profile("SGP", 2023, data_dir=data_copy.root)


def test_error_missing_column(data_copy: DataCopy) -> None:
    data_copy.edit(
        "fo_probability_by_isco08_group_derived.csv",
        lambda ls: [ls[0].replace("fo_prob_us_emp2024_weighted_mean", "fo_prob")] + ls[1:],
    )
    with pytest.raises(DataError, match=r"missing column\(s\) fo_prob_us_emp2024_weighted_mean"):
        load_profile("SGP", 2023, data_dir=data_copy.root)


def test_error_duplicate_row(data_copy: DataCopy) -> None:
    data_copy.edit("robot_density_ifr.csv", lambda ls: ls + [ls[1]])
    with pytest.raises(DataError, match=r"second value for IFR.ROBOT_DENSITY, SGP, 2016"):
        load_profile("SGP", 2023, data_dir=data_copy.root)


@pytest.mark.parametrize("year", [1985, 2030])
def test_error_year_out_of_range(year: int) -> None:
    with pytest.raises(
        DataError, match=rf"ilostat_employment_by_isic\.csv: no ILOEST sector employment for "
        rf"year {year} \(expected a year between 1991 and 2025\)"
    ):  # fmt: skip
        load_profile("VNM", year)


def test_error_year_not_an_integer() -> None:
    with pytest.raises(DataError, match="not an integer"):
        load_profile("VNM", "2023")  # type: ignore[arg-type]


def test_error_unknown_economy() -> None:
    with pytest.raises(DataError, match="unknown economy 'XXX'"):
        load_profile("XXX")


def test_error_internet_no_earlier_value(data_copy: DataCopy) -> None:
    data_copy.edit("internet_users_itu_owid.csv", drop_lines("MMR,"))
    with pytest.raises(DataError, match=r"IT.NET.USER.ZS, MMR, 2023 or any earlier year"):
        load_profile("MMR", 2023, data_dir=data_copy.root)


def test_error_robot_density_no_world_figure(data_copy: DataCopy) -> None:
    data_copy.edit("robot_density_ifr.csv", drop_lines("WLD,"))
    with pytest.raises(DataError, match=r"IFR.ROBOT_DENSITY, VNM, 2023 and no world \(WLD\)"):
        load_profile("VNM", 2023, data_dir=data_copy.root)


def test_error_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data directory not found"):
        load_profile("VNM", data_dir=tmp_path / "nowhere")


def test_error_unknown_indicator() -> None:
    with pytest.raises(DataError, match=r"indicators\.csv: unknown indicator_code 'NOPE'"):
        load_series("NOPE")


def test_error_indicator_file_not_shipped() -> None:
    # indicators.csv lists the derived employment shares, whose file is not shipped.
    with pytest.raises(DataError, match=r"employment_shares_ilo_derived\.csv: file not found"):
        load_series("SL.AGR.EMPL.ZS")


def test_env_var_overrides_default_dir(
    data_copy: DataCopy, monkeypatch: pytest.MonkeyPatch
) -> None:
    (data_copy.root / "robot_density_ifr.csv").unlink()
    monkeypatch.setenv(DATA_DIR_ENV, str(data_copy.root))
    with pytest.raises(DataError, match=r"robot_density_ifr\.csv: file not found"):
        load_profile("SGP")
    assert load_profile("SGP", data_dir=DEFAULT_DATA_DIR).robot_density == 770
