"""The model starts in its own stationary state (docs/ODD.md, "Initialisation").

With automation and structural change off and every driver flat (``scenarios/no_automation.toml``),
each economy's expected unemployment rate stays within 0.3 percentage points of its starting
(observed) rate for 20 years, from month 1. The expected path is the mean of four replicates at
about 40,000 agents per economy: one run's monthly rate carries sampling noise of its own (about
0.1 to 0.2 points at that scale). The runs go through the batch executors, two processes.
"""

from __future__ import annotations

import numpy as np
import pytest

from displacement_sim.constants import ECONOMIES
from displacement_sim.data import load_profiles
from displacement_sim.scenarios import load_scenario
from displacement_sim.workflows.batch import run_scenario
from displacement_sim.workflows.executors import ProcessExecutor
from displacement_sim.workflows.store import read_results

pytestmark = pytest.mark.slow
"""A minute on two cores: ``pytest -m "not slow"`` leaves this module out."""


@pytest.fixture(scope="module")
def stationary(tmp_path_factory: pytest.TempPathFactory):
    scenario = load_scenario("no_automation", replicates=4, workers_per_agent=1e9,
                             min_agents_per_economy=40_000, firms_per_sector=10)
    out = tmp_path_factory.mktemp("steady") / "no_automation"
    with ProcessExecutor(2) as ex:
        run_scenario(scenario, out=out, executor=ex, progress=False)
    return read_results(out)


def test_no_automation_holds_every_economy_within_a_third_of_a_point(stationary) -> None:
    df = stationary
    observed = {iso: p.unemployment_rate for iso, p in load_profiles(ECONOMIES).items()}
    assert set(df["economy"]) == set(ECONOMIES)
    assert df["step"].max() == 240 and df["run_id"].nunique() == 4
    mean = df.groupby(["economy", "step"])["unemployment_rate"].mean()
    worst = {iso: float(np.max(np.abs(mean.loc[iso].to_numpy()[1:] - observed[iso])))
             for iso in ECONOMIES}
    assert max(worst.values()) <= 0.003, worst


def test_no_automation_keeps_the_labour_force_and_participation_flat(stationary) -> None:
    df = stationary
    for iso, g in df.groupby("economy"):
        lf = g.groupby("step")["labour_force"].mean().to_numpy()
        assert np.max(np.abs(lf / lf[0] - 1.0)) < 0.003, iso
        part = g.groupby("step")["participation_rate"].mean().to_numpy()
        assert np.ptp(part) < 0.003, iso
    assert (df["displaced"] == 0).all()
    assert (df["automated_share"] == 0).all()
    assert (df["demand_drivers"].abs() < 1e-2 * df["labour_demand"]).all()  # wages only


def test_observed_start_matches_the_observed_rate_despite_breaks_before_it() -> None:
    """Started in 2023 on observed drivers, the first month reproduces the 2023 rate.

    The burn-in follows 2013-2023, which holds ILOEST's 2022 revision of the Philippine labour
    force (+4.8 million) and the COVID years; the last four years of the burn-in grow at the
    typical pre-start rate instead, so the state has settled by the start (the Philippines
    started at 1.2% against 2.2% observed when the burn-in followed the break to its end).
    """
    from displacement_sim.model import DisplacementModel

    observed = {iso: p.unemployment_rate for iso, p in load_profiles(ECONOMIES).items()}
    first = []
    for seed in range(4):
        scenario = load_scenario("baseline", workers_per_agent=1e9,
                                 min_agents_per_economy=20_000, firms_per_sector=10)
        model = DisplacementModel(scenario, seed=seed)
        model.step()
        first.append(model._unemployment_rate())
    mean = np.mean(first, axis=0)
    gaps = {iso: round(float(mean[e] - observed[iso]), 4)
            for e, iso in enumerate(model.economy_codes)}
    assert max(abs(g) for g in gaps.values()) <= 0.0035, gaps
