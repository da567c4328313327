"""The model starts in its own stationary state (docs/ODD.md, "Initialisation").

With automation and structural change off and every driver flat (``scenarios/no_automation.toml``),
each economy's unemployment rate stays within 0.3 percentage points of its starting (observed)
rate for 20 years, from month 1. The scale (about 40,000 agents per economy) keeps the sampling
noise of a monthly rate well below that band; the test takes about a minute.
"""

from __future__ import annotations

import numpy as np
import pytest

from displacement_sim.constants import ECONOMIES
from displacement_sim.data import load_profiles
from displacement_sim.model import DisplacementModel
from displacement_sim.scenarios import load_scenario


@pytest.fixture(scope="module")
def stationary_run():
    scenario = load_scenario("no_automation", replicates=1, workers_per_agent=1e9,
                             min_agents_per_economy=40_000, firms_per_sector=10)
    model = DisplacementModel(scenario, seed=11)
    model.run_months(12 * scenario.years)
    return model, model.results()


def test_no_automation_holds_every_economy_within_a_third_of_a_point(stationary_run) -> None:
    _, df = stationary_run
    observed = {iso: p.unemployment_rate for iso, p in load_profiles(ECONOMIES).items()}
    assert set(df["economy"]) == set(ECONOMIES)
    assert df["step"].max() == 240
    worst = {}
    for iso, g in df.groupby("economy"):
        path = g.sort_values("step")["unemployment_rate"].to_numpy()
        worst[iso] = float(np.max(np.abs(path[1:] - observed[iso])))
    assert max(worst.values()) <= 0.003, worst


def test_no_automation_keeps_the_labour_force_and_participation_flat(stationary_run) -> None:
    model, df = stationary_run
    for iso, g in df.groupby("economy"):
        lf = g.sort_values("step")["labour_force"].to_numpy()
        assert np.max(np.abs(lf / lf[0] - 1.0)) < 0.002, iso
        part = g["participation_rate"].to_numpy()
        assert np.ptp(part) < 0.002, iso
    assert (df["displaced"] == 0).all()
    assert (df["automated_share"] == 0).all()
