"""Tests of the partnership's scenario and comparison files (docs/scenarios.md, "The
partnership's scenarios"): they load, run at a tiny scale, and do what they say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import nonfinite_metrics, run_model

from displacement_sim.constants import ASEAN, SECTORS
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario
from displacement_sim.studies import load_comparison
from displacement_sim.workflows.comparison import option_scenarios, run_comparison

PARTNERSHIP = {
    "vnm_manufacturing": ("VNM",),
    "sgp_ai_finance": ("SGP",),
    "tha_idn_automotive": ("THA", "IDN"),
    "phl_bpo": ("PHL",),
    "phl_typhoon": ("PHL",),
    "phl_typhoon_fast_response": ("PHL",),
    "asean_national_training": ASEAN,
    "asean_digital_access": ASEAN,
    "asean_transfer_to_trainers": ASEAN,
    "asean_transfer_to_firms": ASEAN,
}
"""Each new scenario and the economies it is about."""

SECTORS_SERVICES = SECTORS[SECTORS.index("G"):]

COORDINATION = SCENARIO_DIR / "compare" / "asean_coordination.toml"
COMPARISONS = {
    "asean_coordination": {"no_programme", "national", "pooled"},
    "phl_disaster_response": {"no_typhoon", "typhoon", "fast_response"},
    "digital_divide": {"no_programme", "training", "training_and_access"},
    "technology_transfer": {"no_programme", "training", "to_trainers", "to_firms"},
}
"""The partnership's comparison files and their options."""

TINY = {"years": 1, "workers_per_agent": 1e9, "min_agents_per_economy": 300,
        "firms_per_sector": 5, "replicates": 1}
"""A few hundred agents per economy, one year."""

SMALL = {"years": 5, "workers_per_agent": 1e9, "min_agents_per_economy": 500,
         "firms_per_sector": 25, "replicates": 1}
"""Enough firms and years for adoption to happen at a small scale."""

SEEDS = (1, 2, 3, 4)


@pytest.mark.parametrize("name", PARTNERSHIP)
def test_scenario_loads_with_its_economies(name: str) -> None:
    s = load_scenario(SCENARIO_DIR / f"{name}.toml")
    assert s.name == name and s.description
    assert s.economies == PARTNERSHIP[name]
    for iso in s.economies:
        s.settings_for(iso)


@pytest.mark.parametrize("name", PARTNERSHIP)
def test_scenario_runs_at_a_tiny_scale(name: str) -> None:
    s = load_scenario(name, **TINY)
    df = run_model(s).results()
    assert set(df["economy"]) == set(PARTNERSHIP[name])
    assert nonfinite_metrics(df) == []


def test_sector_settings_reach_only_their_economies() -> None:
    vnm = load_scenario("vnm_manufacturing", economies=("VNM", "THA"))
    assert vnm.settings_for("VNM").exposure.sector == {"C": 0.81}
    assert vnm.settings_for("THA").exposure.sector == {}
    assert vnm.settings_for("THA").automation.sector_hazard == {}
    auto = load_scenario("tha_idn_automotive")
    # ILO (2016)'s "more than 60%" for Indonesia reads below the derived exposure: not lowered.
    assert auto.settings_for("IDN").exposure.sector == {}
    assert auto.settings_for("THA").exposure.sector == {"C": 0.71}
    assert load_scenario("phl_bpo").settings_for("PHL").exposure.sector == {"LMN": 0.83}
    assert set(load_scenario("sgp_ai_finance").settings_for("SGP").automation.sector_hazard) == {
        "K", "LMN"}


def test_coordination_compares_the_same_budget_in_all_ten_members() -> None:
    cf, path = load_comparison(COORDINATION)
    assert tuple(cf.economies) == ASEAN
    scenarios = option_scenarios(cf, path.parent)
    pooled, national = scenarios["pooled"], scenarios["national"]
    assert pooled.regional_centre.enabled
    assert set(pooled.regional_centre.members) == set(ASEAN)
    share = pooled.regional_centre.contribution_share_of_gdp
    assert share > 0
    for iso in ASEAN:
        cb = national.settings_for(iso).policy.capacity_building
        assert cb.share_of_gdp == share and cb.amount_usd == 0.0
        assert cb.eligibility == "displaced"  # the centre's rule: displaced workers only
        assert pooled.settings_for(iso).policy.capacity_building.share_of_gdp == 0.0
        assert scenarios["no_programme"].settings_for(iso).policy.capacity_building.share_of_gdp \
            == 0.0
    assert not national.regional_centre.enabled


def test_coordination_runs_at_a_tiny_scale(tmp_path: Path) -> None:
    result = run_comparison(COORDINATION, out=tmp_path, executor="sequential", progress=False,
                            overrides={**TINY, "replicates": 2, "min_agents_per_economy": 200})
    df = result.results
    assert set(df["economy"]) == set(ASEAN)
    assert set(df["scenario"]) == {"no_programme", "national", "pooled"}
    assert nonfinite_metrics(df) == []


def displacement(name: str, economies: tuple[str, ...], sectors: tuple[str, ...]) -> float:
    """Jobs lost to automation in ``sectors`` of ``economies``, summed over SEEDS (> 0)."""
    s = load_scenario(name, economies=economies, **SMALL)
    total = 0.0
    for seed in SEEDS:
        df = run_model(s, seed=seed).results()
        total -= sum(df[f"demand_displacement_{k}"].sum() for k in sectors)
    assert np.isfinite(total)
    return total


def test_vnm_manufacturing_displaces_more_in_manufacturing_than_baseline() -> None:
    base = displacement("baseline", ("VNM",), ("C",))
    assert displacement("vnm_manufacturing", ("VNM",), ("C",)) > 1.2 * base > 0


def test_sgp_ai_finance_displaces_more_in_finance_and_business_services() -> None:
    base = displacement("baseline", ("SGP",), ("K", "LMN"))
    assert displacement("sgp_ai_finance", ("SGP",), ("K", "LMN")) > base > 0


@pytest.mark.parametrize("name", [n for n in COMPARISONS if n != "asean_coordination"])
def test_comparison_runs_at_a_tiny_scale(tmp_path: Path, name: str) -> None:
    cf, _ = load_comparison(SCENARIO_DIR / "compare" / f"{name}.toml")
    result = run_comparison(SCENARIO_DIR / "compare" / f"{name}.toml", out=tmp_path,
                            executor="sequential", progress=False,
                            overrides={**TINY, "replicates": 2, "min_agents_per_economy": 200,
                                       "economies": list(cf.economies)[:2]})
    df = result.results
    assert set(df["scenario"]) == COMPARISONS[name]
    assert nonfinite_metrics(df) == []


def test_the_typhoon_scenario_is_haiyan_scaled() -> None:
    """ILO (2013): 1.8 million in agriculture, about 15% of 5.6 million in industry and 2.8
    million in services lost their livelihoods; over ILOEST's 2013 employment by group."""
    from displacement_sim.resources import calibration_dir

    d = pd.read_csv(calibration_dir() / "data" / "ilostat_employment_by_isic.csv")
    d = d[(d["economy_iso3"] == "PHL") & (d["year"] == 2013)]
    emp = dict(zip(d["indicator_code"].str.split("_").str[-1], d["value"], strict=True))
    industry = sum(emp[k] for k in ("B", "C", "DE", "F"))
    services = sum(emp[k] for k in SECTORS_SERVICES)
    (typhoon,) = load_scenario("phl_typhoon").settings_for("PHL").disaster.typhoons
    share = typhoon.separated_share
    assert share["A"] == pytest.approx(1800 / emp["A"], abs=5e-4)
    for k in ("B", "C", "DE", "F"):
        assert share[k] == pytest.approx(0.15 * 5600 / industry, abs=5e-4)
    for k in SECTORS_SERVICES:
        assert share[k] == pytest.approx(2800 / services, abs=5e-4)
    assert (typhoon.year, typhoon.month, typhoon.area) == (2024, 11, "all")
    fast = load_scenario("phl_typhoon_fast_response").settings_for("PHL").disaster
    assert fast.response_speedup == 2.0 and fast.typhoons == (typhoon,)


def test_a_faster_response_lowers_unemployment_after_the_typhoon() -> None:
    """The typhoon raises unemployment in the months after November 2024; recall twice as
    fast brings it down sooner (the same strike in both: shared seeds)."""
    rates = {}
    for name in ("baseline", "phl_typhoon", "phl_typhoon_fast_response"):
        s = load_scenario(name, economies=["PHL"], years=3, workers_per_agent=1e9,
                          min_agents_per_economy=2000, firms_per_sector=5)
        df = pd.concat(run_model(s, seed=k).results() for k in (1, 2))
        after = df[(df["step"] >= 23) & (df["step"] <= 29)]
        rates[name] = after["unemployment_rate"].mean()
    assert rates["phl_typhoon"] > rates["phl_typhoon_fast_response"] > rates["baseline"]
