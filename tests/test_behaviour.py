"""Behaviour the model must show, over paired seeds (common random numbers)."""

import numpy as np
import pandas as pd
import pytest

from displacement_sim.runner import make_specs, run_one
from displacement_sim.scenarios import load_scenario, with_updates


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


def test_capacity_building_re_employs_more_displaced_workers(small_base):
    """Paired over seeds, spending that trains displaced workers re-employs more of them at the
    horizon than no programme. With evidence-sized training effects (docs/ODD.md, "Training")
    the gain is small and, at low spending, within replicate noise, and lock-in while in
    training can cost a little at first: no level may be worse than none by more than 3%."""
    levels = [0.0, 0.0005, 0.001, 0.002]
    means = []
    for share in levels:
        s = with_updates(small_base, {"policy.capacity_building.share_of_gdp": share,
                                      "policy.capacity_building.eligibility": "displaced",
                                      "policy.capacity_building.years_active": 3})
        means.append(_horizon_mean(s, 6, "displaced_reemployed").mean())
    assert means[-1] > means[0], means
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
