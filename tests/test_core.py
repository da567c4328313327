"""Mechanisms of the economic core v2: drivers, demand, wages, demography, and the model's
architecture (no shared generator, no file reads when handed its data).

Each test could fail: it checks a direction or an identity that a wrong rule would break.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import run_model, tiny_scenario
from numpy.testing import assert_allclose

from displacement_sim import data
from displacement_sim.constants import AGE_GROUPS, SECTORS
from displacement_sim.data import load_history
from displacement_sim.model import DisplacementModel
from displacement_sim.model.inputs import load_inputs
from displacement_sim.scenarios import load_scenario, with_updates

AGES = [a.replace("-", "_").replace("+", "plus") for a in AGE_GROUPS]


def _historical(economies, start, years, **kw):
    return load_scenario("no_active_policy", economies=economies, start_year=start, years=years,
                         replicates=1, workers_per_agent=1e9, firms_per_sector=5, **kw)


def test_model_has_no_shared_generator(tiny) -> None:
    model = DisplacementModel(tiny, seed=1)
    with pytest.raises(RuntimeError, match="mechanism streams"):
        model.rng.random()
    with pytest.raises(RuntimeError, match="mechanism streams"):
        model.random.random()
    model.run_months(2)  # the model itself never touches them


def test_model_reads_no_file_when_handed_its_data(tiny, monkeypatch) -> None:
    inputs = load_inputs(tiny)

    def refuse(*args, **kwargs):
        raise AssertionError("the model read a data file")

    for name in ("load_profile", "load_profiles", "load_history", "load_histories",
                 "world_robot_density", "load_series"):
        monkeypatch.setattr(data, name, refuse)
    model = DisplacementModel(tiny, seed=1, inputs=inputs)
    model.run_months(2)


def test_breakdowns_by_sex_and_age_add_up(tiny) -> None:
    df = run_model(tiny, seed=2, months=6).results()
    assert_allclose(df["labour_force_F"] + df["labour_force_M"], df["labour_force"])
    assert_allclose(sum(df[f"labour_force_{a}"] for a in AGES), df["labour_force"])
    assert df["unemployment_rate_F"].between(0, 1).all()
    assert_allclose(df["employment_to_population"], df["employed"] / df["population"])
    assert_allclose(df["employment_rate"], df["employed"] / df["labour_force"])


def test_labour_force_follows_ilo_by_sex_and_age() -> None:
    s = _historical(["VNM", "PHL"], 2010, 8, min_agents_per_economy=4000)
    model = DisplacementModel(s, seed=3)
    model.run_months(96)
    df = model.results()
    for iso, g in df.groupby("economy"):
        hist = load_history(iso)
        for year in (2012, 2015, 2018):
            row = g[g["step"] == 12 * (year - 2010)].iloc[0]
            k = int(np.searchsorted(hist.years, year))
            w = model.workers_per_agent[model.economy_codes.index(iso)]
            for j, sex in enumerate(("F", "M")):
                want = hist.labour_force[k, j].sum()
                assert row[f"labour_force_{sex}"] == pytest.approx(want, abs=4 * np.sqrt(
                    want / w) * w + 2 * w), (iso, year, sex)
            want = hist.labour_force[k, :, 0].sum()
            assert row["labour_force_15_24"] == pytest.approx(want, rel=0.05), (iso, year)
            part = hist.labour_force[k].sum() / (hist.labour_force[k].sum(axis=1)
                                                 / hist.participation[k]).sum()
            assert row["participation_rate"] == pytest.approx(part, abs=0.01), (iso, year)


def test_people_leave_the_labour_force_at_every_duration(tiny) -> None:
    df = run_model(with_updates(tiny, {"automation.cost_decline_per_year": 0.4,
                                       "automation.adoption_hazard": 0.5}), 4, 24).results()
    assert (df["exits_employed"] > 0).any() and (df["exits_searching"] > 0).any()
    assert (df["entries"] > 0).any()
    # Displaced workers leave the labour force within months, not only after a year.
    six = df.query("cohort_6m_size > 0")
    assert (six["cohort_6m_olf"] > 0).any()


@pytest.mark.slow
def test_recession_raises_us_unemployment() -> None:
    """Replaying 2007-2010 (observed output), US unemployment rises with the output gap.

    Mean of three seeds: one seed's rise varies by +-0.2 points at this scale. The rise is
    far smaller than observed (4.5 points) and has shrunk as mechanisms and fitted values were
    added: 0.75 points on average over seeds 4-6 before the skill loss of tenured job losers,
    0.60 with it, 0.40 with the shipped US calibration (docs/ODD.md 7.11, docs/validation.md).
    The test holds the sign and a clear rise, not the size."""
    s = _historical(["USA"], 2007, 3, min_agents_per_economy=20_000)
    rises = []
    for seed in (4, 5, 6):
        df = DisplacementModel(s, seed=seed)
        df.run_months(36)
        r = df.results().set_index("step")["unemployment_rate"]
        rises.append(r.loc[25:36].mean() - r.loc[0:6].mean())
    assert np.mean(rises) > 0.0025 and min(rises) > 0
    # The shipped US value (calibration/calibrated/USA.toml), near the estimate from 1991-2007
    # alone (0.44) and Ball, Leigh & Loungani's 0.45.
    assert df.okun[0] == pytest.approx(0.45, abs=0.15)


def test_wages_fall_below_trend_when_unemployment_is_high(tiny) -> None:
    model = DisplacementModel(tiny, seed=4)
    model._last_unemployment = 2.0 * model.u_star  # unemployment doubles
    model.month = 1
    model._update_wages()
    eps = model.params.wage_curve_elasticity
    months = model.params.wage_adjustment_months
    # One month's move towards the wage curve's 2^-eps (Blanchflower & Oswald).
    assert_allclose(model.wage_slack, 1.0 + (2.0 ** -eps - 1.0) * (1 - np.exp(-1 / months)))
    assert (model.wage_slack < 1.0).all()
    assert_allclose(model.wage_index, model.wage_trend * model.wage_slack)


def test_structural_change_shifts_employment_out_of_agriculture() -> None:
    base = _historical(["VNM"], 2005, 10, min_agents_per_economy=5000)
    frozen = with_updates(base, {"drivers.structural_change": False})
    share = {}
    for name, s in (("on", base), ("off", frozen)):
        df = run_model(s, seed=5).results()
        last = df[df["step"] == df["step"].max()].iloc[0]
        share[name] = last["employment_A"] / last["employed"]
        first = df[df["step"] == 0].iloc[0]
        share["start"] = first["employment_A"] / first["employed"]
    assert share["on"] < share["start"] - 0.05  # income elasticity of agriculture < 0
    assert share["off"] == pytest.approx(share["start"], abs=0.02)


def test_automation_effects_have_their_signs_and_add_up(tiny) -> None:
    s = with_updates(tiny, {"automation.cost_decline_per_year": 0.4,
                            "automation.adoption_hazard": 0.5})
    df = run_model(s, seed=6, months=24).results()
    assert (df["demand_displacement"] <= 0).all() and df["demand_displacement"].sum() < 0
    assert (df["demand_productivity"] >= 0).all()
    assert (df["demand_reinstatement"] >= 0).all() and df["demand_reinstatement"].sum() > 0
    for _, g in df.groupby("economy"):
        g = g.sort_values("step")
        total = sum(g[f"demand_{k}"] for k in ("drivers", "displacement", "productivity",
                                                 "reinstatement", "absorption"))
        assert_allclose(total.to_numpy()[1:], np.diff(g["labour_demand"].to_numpy()),
                        rtol=1e-6, atol=1e-3 * g["labour_demand"].iloc[0])
        by_sector = sum(g[f"demand_displacement_{c}"] for c in SECTORS)
        assert_allclose(by_sector, g["demand_displacement"], rtol=1e-9, atol=1e-6)


def test_no_absorption_leaves_the_net_loss_in_place(tiny) -> None:
    fast = {"automation.cost_decline_per_year": 0.4, "automation.adoption_hazard": 0.5}
    a = run_model(with_updates(tiny, {**fast, "automation.absorption_per_year": 0.0}), 6, 24)
    b = run_model(with_updates(tiny, fast), 6, 24)
    assert (a.results()["demand_absorption"] == 0).all()
    assert b.results()["demand_absorption"].sum() > 0


def test_observed_benefits_shape_the_start_and_the_lever_shows_from_month_one() -> None:
    """The burn-in runs with the benefits in force in the data; removing them from month 1
    lowers unemployment (people search harder), so the lever's effect is not absorbed."""
    base = load_scenario("baseline", economies=["USA"], years=2, replicates=1,
                         workers_per_agent=1e9, min_agents_per_economy=20_000)
    none = with_updates(base, {"economy.USA.policy.benefits.replacement_rate": 0.0,
                               "economy.USA.policy.benefits.max_months": 0})
    u = {}
    for name, s in (("base", base), ("none", none)):
        df = DisplacementModel(s, seed=7)
        df.run_months(24)
        u[name] = df.results().set_index("step")["unemployment_rate"]
    assert u["base"].loc[0] == u["none"].loc[0]  # the same stationary start
    assert u["none"].loc[12:24].mean() < u["base"].loc[12:24].mean()


def test_start_in_a_past_year_and_reject_a_year_before_2000() -> None:
    model = DisplacementModel(_historical(["THA"], 2000, 1, min_agents_per_economy=500), seed=1)
    assert model.start_year == 2000
    from displacement_sim.errors import ScenarioError
    with pytest.raises(ScenarioError, match="start_year"):
        _historical(["THA"], 1995, 1, min_agents_per_economy=500)


def test_training_effect_by_horizon_is_modest() -> None:
    """Programme effects are an outcome; sized by evidence they stay well below the +15 to
    +27 points of the old core (Card, Kluve & Weber 2018 find small effects that grow over
    two to three years)."""
    s = tiny_scenario(years=4, min_agents_per_economy=3000,
                      policy={"capacity_building": {"share_of_gdp": 0.005}})
    df = run_model(s, seed=8).results()
    size = df["trainee_24m_size"]
    trainees_24 = float((df["trainee_24m_employed"].fillna(0) * size).sum() / size.sum())
    assert 0.0 < trainees_24 < 1.0
