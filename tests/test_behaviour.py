"""Behaviour the model must show, over paired seeds (common random numbers)."""

import numpy as np
import pandas as pd
import pytest

from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.workflows.runs import make_specs, run_one


def _horizon_mean(scenario, replicates, metric):
    frames = [run_one(s) for s in make_specs(scenario, replicates, common_random_numbers=True)]
    df = pd.concat(frames)
    last = df[df["step"] == df["step"].max()]
    return last.groupby("replicate")[metric].sum().to_numpy()


@pytest.fixture(scope="module")
def small_base():
    return load_scenario("no_active_policy", economies=["THA", "USA"], years=5,
                         workers_per_agent=10_000, min_agents_per_economy=2000,
                         firms_per_sector=10)


@pytest.mark.slow
def test_capacity_building_trains_displaced_workers_without_costing_re_employment(small_base):
    """Paired over seeds, spending that trains displaced workers re-employs about as many of
    them at the horizon as no programme, never materially fewer. With evidence-sized training
    effects (docs/ODD.md, "Training") the gain is small: at 24 replicates, +0.3% (standard
    error 0.6%) at 0.2% of GDP and +0.5% (0.7%) at 0.5%, for Thailand and the United States
    over 5 years; lock-in while in training costs a little at first. So the test asserts that
    the programme trains people and that no level is worse than none by more than 3%, not a
    gain that replicate noise at this scale cannot show."""
    levels = [0.0, 0.0005, 0.002, 0.005]
    means, completed = [], []
    for share in levels:
        s = with_updates(small_base, {"policy.capacity_building.share_of_gdp": share,
                                      "policy.capacity_building.eligibility": "displaced",
                                      "policy.capacity_building.years_active": 3})
        means.append(_horizon_mean(s, 6, "displaced_reemployed").mean())
        completed.append(_horizon_mean(s, 2, "training_completed_cumulative").mean())
    assert completed[0] == 0 and all(c > 0 for c in completed[1:]), completed
    assert completed[-1] > completed[1], completed
    assert min(means) >= 0.97 * means[0], means


def test_no_automation_no_displacement(small_base):
    s = with_updates(small_base, {"automation.mode": "none"})
    frames = [run_one(spec) for spec in make_specs(s, 2)]
    df = pd.concat(frames)
    assert (df["displaced"] == 0).all()
    assert (df["displaced_cumulative"] == 0).all()
    assert (df["automated_share"] == 0).all()


def test_without_automation_unemployment_stays_near_observed(small_base):
    """The initial state is close to stationary: no automation, no drift beyond 1.5 points."""
    s = with_updates(small_base, {"automation.mode": "none", "years": 5})
    df = pd.concat(run_one(spec) for spec in make_specs(s, 2))
    start = df[df["step"] == 0].groupby("economy")["unemployment_rate"].mean()
    end = df[df["step"] == df["step"].max()].groupby("economy")["unemployment_rate"].mean()
    assert np.all(np.abs(end - start) < 0.015), (start, end)


def test_faster_cost_decline_displaces_more(small_base):
    slow = with_updates(small_base, {"automation.cost_decline_per_year": 0.02})
    fast = with_updates(small_base, {"automation.cost_decline_per_year": 0.15})
    assert (_horizon_mean(fast, 2, "displaced_cumulative").mean()
            > _horizon_mean(slow, 2, "displaced_cumulative").mean())


def test_automation_tax_slows_adoption(small_base):
    taxed = with_updates(small_base, {"policy.automation_tax": 1.0})
    assert (_horizon_mean(taxed, 2, "displaced_cumulative").mean()
            < _horizon_mean(small_base, 2, "displaced_cumulative").mean())
