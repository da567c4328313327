"""Tests of displacement_sim.config: the scenario schema rejects each kind of defect.

One test per validation error, each with a single defect in an otherwise valid file, written to
``tmp_path`` and loaded as users load it (``load_scenario``). Each checks that a ``ScenarioError``
is raised whose message is one line naming the file and the offending key.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from displacement_sim import ScenarioError
from displacement_sim.config import EconomySettings, Scenario, deep_merge
from displacement_sim.scenarios import load_scenario, validate

VALID = 'name = "t"\neconomies = ["VNM", "SGP"]\nyears = 2\n'
"""A valid scenario; each test appends one defect."""


def scenario_error(path: Path) -> str:
    """Load ``path``, expecting a ``ScenarioError``; return its message."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def assert_names(message: str, path: Path, key: str) -> None:
    """The message is one line naming the file and the key."""
    assert str(path) in message
    assert key in message
    assert "\n" not in message


def test_valid_base_loads(write_toml: Callable[..., Path]) -> None:
    # The base every defect is added to must itself be valid, or the tests below prove nothing.
    s = load_scenario(write_toml(VALID))
    assert s.economies == ("VNM", "SGP") and s.years == 2


def test_unknown_top_level_key(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "replicats = 3\n")
    msg = scenario_error(path)
    assert_names(msg, path, "'replicats'")
    assert "unknown key" in msg


def test_misspelt_key_in_automation(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[automation]\nadoption_hazrd = 0.1\n")
    msg = scenario_error(path)
    assert_names(msg, path, "'automation.adoption_hazrd'")
    assert "unknown key" in msg


def test_unknown_section(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[automaton]\nmode = \"none\"\n")
    assert_names(scenario_error(path), path, "automaton")


def test_negative_share_of_gdp(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[policy.capacity_building]\nshare_of_gdp = -0.01\n")
    msg = scenario_error(path)
    assert_names(msg, path, "'policy.capacity_building.share_of_gdp'")
    assert "-0.01" in msg


def test_share_above_one(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[labour_market]\nseparation_rate = 1.5\n")
    msg = scenario_error(path)
    assert_names(msg, path, "'labour_market.separation_rate'")
    assert "1.5" in msg


def test_share_above_one_in_policy(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[policy.benefits]\nreplacement_rate = 1.2\n")
    assert_names(scenario_error(path), path, "'policy.benefits.replacement_rate'")


def test_wrong_type_string_for_years(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = ["VNM"]\nyears = "ten"\n')
    msg = scenario_error(path)
    assert_names(msg, path, "'years'")
    assert "integer" in msg


def test_years_out_of_range(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = ["VNM"]\nyears = 0\n')
    assert_names(scenario_error(path), path, "'years'")


def test_unknown_economy_code(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = ["VNM", "VTN"]\n')
    msg = scenario_error(path)
    assert_names(msg, path, "economies")
    assert "VTN" in msg


def test_economy_listed_twice(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = ["VNM", "SGP", "VNM"]\n')
    msg = scenario_error(path)
    assert_names(msg, path, "economies")
    assert "twice" in msg


def test_empty_economies(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = []\n')
    assert_names(scenario_error(path), path, "economies")


def test_override_for_economy_not_simulated_is_kept_but_unused(
        write_toml: Callable[..., Path]) -> None:
    # Overrides of economies outside ``economies`` are allowed (so a scenario can run on a subset)
    # but still validated: see the next test.
    path = write_toml('name = "t"\neconomies = ["VNM"]\n'
                      "[economy.USA.policy.capacity_building]\namount_usd = 1.0e9\n")
    s = load_scenario(path)
    assert s.economies == ("VNM",)
    assert s.settings_for("USA").policy.capacity_building.amount_usd == 1.0e9
    assert s.settings_for("VNM").policy.capacity_building.amount_usd == 0.0


def test_bad_override_for_economy_not_simulated(write_toml: Callable[..., Path]) -> None:
    path = write_toml('name = "t"\neconomies = ["VNM"]\n'
                      "[economy.USA.policy.capacity_building]\namount_usd = -1.0\n")
    assert_names(scenario_error(path), path, "economy.USA.policy.capacity_building.amount_usd")


def test_override_for_unknown_economy(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[economy.XYZ.policy.benefits]\nmax_months = 3\n")
    msg = scenario_error(path)
    assert_names(msg, path, "economy")
    assert "XYZ" in msg


def test_bad_key_inside_economy_override(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[economy.VNM.policy.capacity_building]\nsharee = 1\n")
    assert_names(scenario_error(path), path, "economy.VNM.policy.capacity_building.sharee")


def test_bad_value_inside_economy_override(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[economy.SGP.training]\nbase_completion = 2.0\n")
    assert_names(scenario_error(path), path, "economy.SGP.training.base_completion")


def test_economy_override_error_reads_like_other_key_errors(
        write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[economy.VNM.policy.capacity_building]\nsharee = 1\n")
    msg = scenario_error(path)
    assert "key 'economy.VNM.policy.capacity_building.sharee'" in msg
    assert "unknown key" in msg
    assert "'name': 't'" not in msg  # the rest of the scenario is not echoed


def test_bad_literal_priority(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + '[policy.capacity_building]\npriority = "random"\n')
    msg = scenario_error(path)
    assert_names(msg, path, "'policy.capacity_building.priority'")
    assert "lottery" in msg  # lists the allowed choices


def test_bad_literal_automation_mode(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + '[automation]\nmode = "exogenous"\n')
    assert_names(scenario_error(path), path, "'automation.mode'")


def test_s_curve_target_share_above_one(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[automation.s_curve]\ntarget_share = 1.5\n")
    msg = scenario_error(path)
    assert_names(msg, path, "'automation.s_curve.target_share'")
    assert "1.5" in msg


def test_bad_sector_code_in_exposure(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[exposure.sector]\nZZ = 0.5\n")
    assert_names(scenario_error(path), path, "exposure.sector")


def test_bad_regional_centre_member(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + '[regional_centre]\nenabled = true\nmembers = ["VNM", "FRA"]\n')
    assert_names(scenario_error(path), path, "regional_centre.members")


def test_boolean_for_number_is_rejected(write_toml: Callable[..., Path]) -> None:
    path = write_toml(VALID + "[policy.capacity_building]\nshare_of_gdp = true\n")
    assert_names(scenario_error(path), path, "'policy.capacity_building.share_of_gdp'")


# ------------------------------------------------------------------ schema behaviour


def test_scenario_is_frozen() -> None:
    s = validate({"name": "t", "economies": ["VNM"]})
    with pytest.raises(ValidationError, match="frozen"):
        s.years = 3  # type: ignore[misc]
    assert s.years == 10


def test_settings_for_merges_override_over_defaults() -> None:
    s = validate({"name": "t", "economies": ["VNM", "SGP"],
                  "policy": {"benefits": {"replacement_rate": 0.2, "max_months": 3}},
                  "economy": {"VNM": {"policy": {"benefits": {"replacement_rate": 0.5}}}}})
    vnm, sgp = s.settings_for("VNM"), s.settings_for("SGP")
    assert isinstance(vnm, EconomySettings)
    assert vnm.policy.benefits.replacement_rate == 0.5
    assert vnm.policy.benefits.max_months == 3  # the rest of the table comes from defaults
    assert sgp.policy.benefits.replacement_rate == 0.2


def test_config_hash_is_stable_and_sensitive() -> None:
    a = validate({"name": "t", "economies": ["VNM"]})
    b = validate({"name": "t", "economies": ["VNM"]})
    c = validate({"name": "t", "economies": ["VNM"], "training": {"base_completion": 0.6}})
    assert isinstance(a, Scenario)
    assert a.config_hash() == b.config_hash()
    assert a.config_hash() != c.config_hash()
    assert len(a.config_hash()) == 64


def test_deep_merge_is_recursive_and_pure() -> None:
    base = {"a": {"b": 1, "c": 2}, "d": 3}
    out = deep_merge(base, {"a": {"b": 10}, "e": 5})
    assert out == {"a": {"b": 10, "c": 2}, "d": 3, "e": 5}
    assert base == {"a": {"b": 1, "c": 2}, "d": 3}
