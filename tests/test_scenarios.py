"""Tests of displacement_sim.scenarios: reading TOML, ``extends``, overrides and updates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SHIPPED_SCENARIOS

from displacement_sim import Scenario, ScenarioError
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario, validate, with_updates

VALID = 'name = "t"\neconomies = ["VNM", "SGP"]\nyears = 2\n'


def scenario_error(ref: Path | str, **overrides: object) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(ref, **overrides)
    return str(info.value)


# ------------------------------------------------------------------ file-level errors


def test_invalid_toml_syntax(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[automation\nmode = 'none'\n")
    msg = scenario_error(path)
    assert str(path) in msg
    assert "not valid TOML" in msg
    assert "line 4" in msg  # points at the broken line


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    msg = scenario_error(path)
    assert str(path) in msg
    assert "not found" in msg


def test_missing_scenario_name() -> None:
    msg = scenario_error("no_such_scenario_xyz")
    assert "no_such_scenario_xyz" in msg
    assert "not found" in msg


def test_directory_instead_of_file(tmp_path: Path) -> None:
    msg = scenario_error(tmp_path)
    assert str(tmp_path) in msg


def test_extends_missing_file(write_toml: Callable[..., Path]) -> None:
    path = write_toml('extends = "parent_missing.toml"\n' + VALID)
    msg = scenario_error(path)
    assert str(path) in msg
    assert "'extends'" in msg
    assert "parent_missing.toml" in msg


def test_extends_not_a_string(write_toml: Callable[..., Path]) -> None:
    path = write_toml("extends = 3\n" + VALID)
    msg = scenario_error(path)
    assert str(path) in msg and "'extends'" in msg


def test_circular_extends(write_toml: Callable[..., Path]) -> None:
    a = write_toml('extends = "b.toml"\nname = "a"\n', "a.toml")
    b = write_toml('extends = "a.toml"\nname = "b"\n', "b.toml")
    msg = scenario_error(a)
    assert "circular" in msg
    assert "'extends'" in msg
    assert str(a) in msg and str(b) in msg


def test_self_extends(write_toml: Callable[..., Path]) -> None:
    path = write_toml('extends = "self.toml"\n' + VALID, "self.toml")
    msg = scenario_error(path)
    assert "circular" in msg and str(path) in msg


def test_missing_name(write_toml: Callable[..., Path]) -> None:
    path = write_toml('economies = ["VNM"]\n')
    msg = scenario_error(path)
    assert str(path) in msg and "'name'" in msg and "missing" in msg


def test_override_error_names_source() -> None:
    msg = scenario_error("baseline", years=0)
    assert "baseline" in msg and "'years'" in msg


# ------------------------------------------------------------------ shipped scenarios


def test_scenarios_are_shipped() -> None:
    names = {p.stem for p in SHIPPED_SCENARIOS}
    assert {"baseline", "no_active_policy", "s_curve_mckinsey", "regional_centre"} <= names


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_loads(path: Path) -> None:
    s = load_scenario(path)
    assert isinstance(s, Scenario)
    assert s.name == path.stem
    assert s.description
    for iso in s.economies:  # every economy's merged settings validate
        s.settings_for(iso)


def test_load_by_name_equals_load_by_path() -> None:
    assert load_scenario("baseline") == load_scenario(SCENARIO_DIR / "baseline.toml")


def test_top_level_overrides_replace_settings() -> None:
    s = load_scenario("baseline", years=3, seed=7, replicates=None)
    assert s.years == 3 and s.seed == 7
    assert s.replicates == load_scenario("baseline").replicates  # None is ignored


def test_shipped_scenario_runs_on_a_subset_of_economies() -> None:
    # baseline has [economy.USA] overrides; a subset without USA must still load.
    s = load_scenario("baseline", economies=("VNM", "SGP"))
    assert s.economies == ("VNM", "SGP")
    assert s.settings_for("VNM").policy.benefits.max_months == 0


# ------------------------------------------------------------------ extends


def test_extends_merges_key_by_key(write_toml: Callable[..., Path]) -> None:
    write_toml(
        'name = "parent"\ndescription = "the parent"\neconomies = ["VNM", "SGP"]\nyears = 3\n'
        "[automation]\ncost_decline_per_year = 0.03\nadoption_hazard = 0.01\n"
        "[economy.VNM.policy.benefits]\nreplacement_rate = 0.3\nmax_months = 4\n",
        "parent.toml")
    child = write_toml(
        'extends = "parent.toml"\nname = "child"\n'
        "[automation]\nadoption_hazard = 0.05\n"
        "[economy.VNM.policy.benefits]\nmax_months = 9\n", "child.toml")
    s = load_scenario(child)
    assert s.name == "child"
    assert s.description == ""  # descriptions are not inherited
    assert s.years == 3 and s.economies == ("VNM", "SGP")
    assert s.defaults.automation.adoption_hazard == 0.05  # child wins
    assert s.defaults.automation.cost_decline_per_year == 0.03  # parent's sibling key kept
    vnm = s.settings_for("VNM").policy.benefits
    assert vnm.replacement_rate == 0.3  # parent's economy override kept
    assert vnm.max_months == 9  # child's economy override merged over it


def test_extends_is_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "p.toml").write_text(VALID + "[training]\nbase_completion = 0.5\n")
    (tmp_path / "variants").mkdir()
    child = tmp_path / "variants" / "c.toml"
    child.write_text('extends = "../base/p.toml"\nname = "c"\n')
    assert load_scenario(child).defaults.training.base_completion == 0.5


def test_extends_chain_of_three(write_toml: Callable[..., Path]) -> None:
    write_toml(VALID + "[training]\nbase_completion = 0.5\nduration_months = 6\n", "g.toml")
    write_toml('extends = "g.toml"\nname = "p"\n[training]\nbase_completion = 0.6\n', "p.toml")
    c = write_toml('extends = "p.toml"\nname = "c"\n[training]\nlockin_search_factor = 0.1\n',
                   "c.toml")
    t = load_scenario(c).defaults.training
    assert (t.base_completion, t.duration_months, t.lockin_search_factor) == (0.6, 6, 0.1)


def test_shipped_child_keeps_parent_economy_overrides() -> None:
    boost = load_scenario("capacity_building_boost")
    base = load_scenario("baseline")
    assert boost.defaults.policy.capacity_building.share_of_gdp == 0.005
    assert base.defaults.policy.capacity_building.share_of_gdp == 0.0
    usa = boost.settings_for("USA").policy
    assert usa.capacity_building.amount_usd == 1.8e9
    assert usa.capacity_building.share_of_gdp == 0.005
    assert usa.benefits.max_months == 6
    assert boost.years == base.years and boost.replicates == base.replicates


def test_defect_in_parent_names_a_file(write_toml: Callable[..., Path]) -> None:
    parent = write_toml(VALID + "[training]\nbase_completion = 7\n", "bad_parent.toml")
    child = write_toml('extends = "bad_parent.toml"\nname = "c"\n', "c.toml")
    msg = scenario_error(child)
    # The file that holds the bad value first, then the file that extends it.
    assert msg.startswith(f"{parent}: key 'training.base_completion': ")
    assert msg.endswith(f"(through 'extends' of {child})")


# ------------------------------------------------------------------ validate / with_updates


def test_validate_names_the_source() -> None:
    with pytest.raises(ScenarioError, match=r"^my-source: key 'training.duration_months'"):
        validate({"name": "t", "training": {"duration_months": 0}}, "my-source")


def test_validate_rejects_sections_and_defaults_together() -> None:
    with pytest.raises(ScenarioError, match="src"):
        validate({"name": "t", "training": {}, "defaults": {}}, "src")


def test_with_updates_sets_defaults_and_revalidates(tiny: Scenario) -> None:
    s = with_updates(tiny, {"policy.capacity_building.share_of_gdp": 0.005, "years": 4})
    assert s.defaults.policy.capacity_building.share_of_gdp == 0.005
    assert s.years == 4
    assert tiny.defaults.policy.capacity_building.share_of_gdp == 0.0  # original untouched
    assert s.economies == tiny.economies and s.seed == tiny.seed


def test_with_updates_per_economy(tiny: Scenario) -> None:
    s = with_updates(tiny, {"economy.VNM.policy.benefits.replacement_rate": 0.4})
    assert s.settings_for("VNM").policy.benefits.replacement_rate == 0.4
    assert s.settings_for("SGP").policy.benefits.replacement_rate == 0.0


def test_with_updates_keeps_existing_economy_overrides() -> None:
    base = load_scenario("baseline")
    s = with_updates(base, {"economy.USA.policy.benefits.max_months": 9})
    usa = s.settings_for("USA").policy
    assert usa.benefits.max_months == 9
    assert usa.benefits.replacement_rate == 0.4
    assert usa.capacity_building.amount_usd == 1.8e9


def test_with_updates_is_identity_without_updates(tiny: Scenario) -> None:
    assert with_updates(tiny, {}) == tiny


def test_with_updates_unknown_path(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"sweep-x: key 'policy.capacity_building.sharee'"):
        with_updates(tiny, {"policy.capacity_building.sharee": 0.1}, "sweep-x")


def test_with_updates_bad_value(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError, match="policy.capacity_building.share_of_gdp"):
        with_updates(tiny, {"policy.capacity_building.share_of_gdp": -1.0})


def test_with_updates_path_through_a_value(tiny: Scenario) -> None:
    with pytest.raises(ScenarioError, match="years.extra"):
        with_updates(tiny, {"years.extra": 1})


def test_with_updates_bad_value_for_unsimulated_economy(tiny: Scenario) -> None:
    assert with_updates(tiny, {"economy.THA.policy.automation_tax": 0.1}).economies == (
        "VNM", "SGP")
    with pytest.raises(ScenarioError, match="economy.THA.policy.automation_tax"):
        with_updates(tiny, {"economy.THA.policy.automation_tax": -0.1})
