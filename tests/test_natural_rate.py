"""The natural rate of unemployment: the start rate, or a line fitted to observed years."""

import numpy as np
import pandas as pd
import pytest

from displacement_sim.data import load_histories
from displacement_sim.errors import ScenarioError
from displacement_sim.model.market import natural_rate_path
from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.workflows.runs import make_specs, run_one

YEARS = np.arange(1991, 2026)


def test_the_path_is_the_ols_line_of_the_window_in_yearly_means():
    rng = np.random.default_rng(3)
    u = 0.07 - 0.002 * (YEARS - 2000) + rng.normal(0, 0.003, YEARS.size)
    window = (2000, 2023)
    path = natural_rate_path(YEARS, u, window, 2005, 12 * 18, 0.08)
    inside = (YEARS >= 2000) & (YEARS <= 2023)
    slope, intercept = np.polyfit(YEARS[inside] - 2000, u[inside], 1)
    yearly = path[:-1].reshape(18, 12).mean(axis=1)
    expected = intercept + slope * (np.arange(2005, 2023) - 2000)
    np.testing.assert_allclose(yearly, expected, atol=1e-12)
    # Not the start rate: the run's start year was off the line.
    assert abs(path[0] - 0.08) > 0.01


def test_the_path_is_held_after_the_window():
    u = 0.05 + 0.001 * (YEARS - 1991)
    path = natural_rate_path(YEARS, u, (1995, 2005), 2000, 12 * 20, 0.05)
    at_end = 0.05 + 0.001 * (2005 - 1991)
    assert path[12 * 6:].max() == pytest.approx(at_end)
    assert path[12 * 6:].min() == pytest.approx(at_end)


def test_a_run_from_the_end_of_the_window_or_later_keeps_its_start_rate():
    u = 0.05 + 0.001 * (YEARS - 1991)
    for start in (2010, 2015):
        path = natural_rate_path(YEARS, u, (2000, 2010), start, 60, 0.031)
        assert (path == 0.031).all()
    assert (natural_rate_path(YEARS, u, None, 2000, 60, 0.031) == 0.031).all()


def test_a_window_with_fewer_than_five_observed_years_is_an_error():
    u = np.full(YEARS.size, np.nan)
    u[-3:] = 0.04
    with pytest.raises(ValueError, match="at least 5"):
        natural_rate_path(YEARS, u, (2018, 2025), 2019, 12, 0.04)


def test_a_window_shorter_than_five_years_is_rejected_with_its_key(write_toml):
    path = write_toml('name = "x"\n[labour_market]\nnatural_rate_years = [2000, 2003]\n')
    with pytest.raises(ScenarioError, match="natural_rate_years") as info:
        load_scenario(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("section", ["labour_market", "economy.IDN.labour_market"])
def test_a_line_past_the_observed_years_is_rejected_with_its_key(write_toml, section):
    path = write_toml(f'name = "x"\n[drivers]\nobserved_until = 2010\n'
                      f'[{section}]\nnatural_rate_years = [2000, 2020]\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert f"key '{section}.natural_rate_years'" in message and "at most 2010" in message
    assert "\n" not in message and "{" not in message


def _unemployment(scenario, replicates=2):
    df = pd.concat(run_one(s) for s in make_specs(scenario, replicates,
                                                  common_random_numbers=True))
    df["year"] = 2005 + (df["step"] - 1) // 12
    return df[df["step"] > 0].groupby("year")["unemployment_rate"].mean()


@pytest.fixture(scope="module")
def indonesia():
    return load_scenario("no_active_policy", economies=["IDN"], start_year=2005, years=12,
                         workers_per_agent=1e12, min_agents_per_economy=4000,
                         firms_per_sector=5)


def test_the_model_follows_a_falling_natural_rate(indonesia):
    """Indonesia's observed rate fell from 7.9% (2005) to 3.3% (2023). With the line over
    2000-2023 as its natural rate, the model's unemployment falls with it; without, it stays
    near the 2005 rate. Automation is off, so the difference is the natural rate alone."""
    # The shipped calibration already sets Indonesia's line: without it means None here.
    base = with_updates(indonesia, {"automation.mode": "none",
                                    "labour_market.natural_rate_years": None})
    line = with_updates(base, {"labour_market.natural_rate_years": [2000, 2023]})
    hist = load_histories(["IDN"])["IDN"]
    target = natural_rate_path(hist.years, hist.unemployment_rate, (2000, 2023), 2005,
                               12 * 12, hist.unemployment_rate[hist.years == 2005][0])
    expected = target[:-1].reshape(12, 12).mean(axis=1)
    held, moved = _unemployment(base), _unemployment(line)
    late = slice(2012, 2016)
    # The line's fall by 2012-2016, against a model that stays near its start without it.
    fall = expected[0] - expected[7:].mean()
    assert fall > 0.01
    assert abs(held.loc[late].mean() - held.iloc[0]) < 0.3 * fall
    # With the line, the model's unemployment is within a third of the fall of the line.
    assert abs(moved.loc[late].mean() - expected[7:].mean()) < fall / 3, (
        moved.loc[late].mean(), expected[7:].mean())
