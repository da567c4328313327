"""Tests of the partnership's scenario and comparison files (docs/scenarios.md, "The
partnership's scenarios"): they load, run at a tiny scale, and do what they say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import nonfinite_metrics, run_model

from displacement_sim.constants import ASEAN
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario
from displacement_sim.studies import load_comparison
from displacement_sim.workflows.comparison import option_scenarios, run_comparison

PARTNERSHIP = {
    "vnm_manufacturing": ("VNM",),
    "sgp_ai_finance": ("SGP",),
    "tha_idn_automotive": ("THA", "IDN"),
    "phl_bpo": ("PHL",),
    "asean_national_training": ASEAN,
}
"""Each new scenario and the economies it is about."""

COORDINATION = SCENARIO_DIR / "compare" / "asean_coordination.toml"

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
