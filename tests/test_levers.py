"""The lever table: every lever's config path exists in the scenario schema, its bounds are
valid values there, and keyword values reach the model's resolved parameters."""

import pytest
from conftest import tiny_scenario

from displacement_sim.app.levers import (
    LEVERS,
    LeverModel,
    lever_updates,
    resolved_value,
    schema_default,
    with_levers,
)
from displacement_sim.errors import ScenarioError


@pytest.fixture(scope="module")
def one_economy():
    return tiny_scenario(economies=["VNM"], years=1)


@pytest.mark.parametrize("lever", LEVERS.values(), ids=list(LEVERS))
def test_every_lever_path_validates_at_its_bounds(lever, one_economy):
    """The path is a key of the schema, and the slider's ends (or every choice) are values
    the schema accepts; ``with_updates`` raises ``ScenarioError`` for an unknown key."""
    if lever.kind == "choice":
        values = list(lever.choices)
    elif lever.kind == "bool":
        values = [True, False]
    else:
        values = [lever.low, lever.high, lever.start]
    for value in values:
        s = with_levers(one_economy, {lever.name: value})
        assert resolved_value(s, "VNM", lever.path) == lever.to_config(value)


@pytest.mark.parametrize("lever", LEVERS.values(), ids=list(LEVERS))
def test_start_is_within_the_bounds(lever):
    assert lever.to_config(lever.start) == schema_default(lever.path)
    if lever.kind in ("float", "int"):
        assert lever.low <= lever.start <= lever.high
        assert 0 < lever.step <= lever.high - lever.low
    if lever.kind == "choice":
        assert lever.start in lever.choices


def test_keywords_reach_the_models_resolved_parameters():
    model = LeverModel("VNM", capacity_spending=0.5, eligibility="displaced",
                       hiring_subsidy=30.0, benefit_months=6, regional_centre=True,
                       regional_contribution=0.1, automation_cost_decline=12.0)
    settings = model.config.settings_for("VNM")
    assert model.config.economies == ("VNM",)
    assert settings.policy.capacity_building.share_of_gdp == pytest.approx(0.005)
    assert settings.policy.capacity_building.eligibility == "displaced"
    assert settings.policy.hiring_subsidy.share_of_wage == pytest.approx(0.3)
    assert settings.policy.benefits.max_months == 6
    assert model.config.regional_centre.enabled is True
    assert model.config.regional_centre.contribution_share_of_gdp == pytest.approx(0.001)
    assert settings.automation.cost_decline_per_year == pytest.approx(0.12)
    # A lever not given keeps the scenario's value: the US keeps its unemployment insurance.
    us = LeverModel("USA", automation_tax=10.0).config.settings_for("USA")
    assert us.policy.benefits.replacement_rate == pytest.approx(0.4)
    assert us.policy.automation_tax == pytest.approx(0.1)


def test_unknown_lever_is_refused():
    with pytest.raises(ScenarioError, match="'capacity_spend': not a lever"):
        lever_updates({"capacity_spend": 0.5})


def test_choice_outside_its_values_is_refused():
    with pytest.raises(ScenarioError, match="expected one of unemployed, displaced"):
        lever_updates({"eligibility": "everyone"})


def test_value_out_of_the_schemas_bounds_names_the_path(one_economy):
    with pytest.raises(ScenarioError, match="policy.hiring_subsidy.share_of_wage"):
        with_levers(one_economy, {"hiring_subsidy": 150.0})


def test_docs_list_every_lever_with_its_path_and_unit():
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "dashboard.md").read_text(encoding="utf-8")
    for lever in LEVERS.values():
        assert f"| `{lever.name}` | {lever.label} | `{lever.path}` | {lever.unit or '-'} |" \
            in text, lever.name
