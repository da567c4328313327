"""Target series: what is read from the data, the scales from its variability, the survey."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from displacement_sim.analysis.calibration import (
    DATA_SCALE_FLOOR,
    SURVEY_SCALE,
    data_scale,
    loss_of,
    simulated,
    target_scales,
    target_years,
)
from displacement_sim.constants import SECTORS
from displacement_sim.errors import CalibrationError
from displacement_sim.studies import Target
from displacement_sim.targets import SECTOR_GROUPS, TARGET_SERIES, observed_targets


def test_the_14_sector_shares_sum_to_100_and_the_groups_are_their_sums():
    df = observed_targets("THA", 2000, 2023)
    shares = df[[f"share_{s}" for s in SECTORS]]
    np.testing.assert_allclose(shares.sum(axis=1), 100.0, atol=1e-3)
    for group, codes in SECTOR_GROUPS.items():
        np.testing.assert_allclose(df[f"share_{group}"],
                                   df[[f"share_{c}" for c in codes]].sum(axis=1))
    assert df.index.min() == 2000 and len(df) == 24 and not df.isna().any().any()
    assert 30 < df.loc[2000, "participation_female"] < 90


def test_the_survey_is_a_target_of_the_united_states_in_its_year_only():
    us = observed_targets("USA", 2005, 2023)
    assert us.loc[2024, "dws_reemployed"] == 65.7 and us.loc[2024, "dws_unemployed"] == 16.1
    assert us.loc[2024, "dws_olf"] == 18.2
    assert us["dws_olf"].notna().sum() == 1 and np.isnan(us.loc[2024, "unemployment_rate"])
    # A fit that ends before 2023 does not see a survey taken after its run.
    early = observed_targets("USA", 2005, 2015, ("unemployment_rate", "dws_olf"))
    assert early["dws_olf"].isna().all() and early.index.max() == 2015
    assert "dws_olf" not in observed_targets("VNM", 2005, 2023)
    with pytest.raises(CalibrationError, match="VNM: no displaced-worker survey target"):
        observed_targets("VNM", 2005, 2023, ("dws_olf",))


def test_target_years_keep_the_survey_month_and_nothing_after_the_fit():
    obs = observed_targets("USA", 2005, 2023, ("unemployment_rate", "dws_olf"))
    assert target_years("unemployment_rate", obs, 2023)[-1] == 2023
    assert target_years("dws_olf", obs, 2023) == [2024]
    assert target_years("unemployment_rate", obs, 2015)[-1] == 2015
    assert target_years("dws_olf", obs, 2015) == []


def test_the_scale_is_the_sd_of_yearly_changes_over_root_two_with_a_floor():
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.8, 4000)
    series = pd.Series(10 + 0.3 * np.arange(4000) + noise)  # a trend plus noise of sd 0.8
    assert data_scale(series) == pytest.approx(0.8, rel=0.05)
    assert data_scale(pd.Series(np.linspace(0, 1, 30))) == DATA_SCALE_FLOOR  # smooth
    assert data_scale(pd.Series([1.0, np.nan])) == DATA_SCALE_FLOOR  # too short


def test_scales_weights_and_a_target_with_no_year_in_the_fit():
    obs = pd.DataFrame({"unemployment_rate": [5.0, 6.0, 5.0, 6.0],
                        "dws_olf": [np.nan] * 4}, index=[2010, 2011, 2012, 2013])
    targets = [Target(series="unemployment_rate"), Target(series="dws_olf"),
               Target(series="unemployment_rate", scale=2.0, weight=3.0)]
    years = {"unemployment_rate": [2010, 2011, 2012, 2013], "dws_olf": []}
    scales = target_scales(targets[:2], obs, years)
    assert scales == {"unemployment_rate": pytest.approx(np.sqrt(4 / 3) / np.sqrt(2)),
                      "dws_olf": SURVEY_SCALE}
    sim = obs.assign(unemployment_rate=obs["unemployment_rate"] + 1.0)
    # The survey has no year in this fit: it is left out, not NaN.
    assert loss_of(sim, obs, targets[:2], years, scales) == pytest.approx(
        1 / scales["unemployment_rate"] ** 2)
    both = loss_of(sim, obs, [targets[0], targets[2]], years,
                   {"unemployment_rate": 1.0})
    assert both == pytest.approx(1.0)  # weights average the targets' losses


def test_simulated_has_every_series_the_results_hold():
    steps = np.arange(25)
    res = {"step": steps, "employed": np.full(25, 100.0), "unemployment_rate": 0.05,
           "participation_rate_F": 0.6, "participation_rate_M": 0.8,
           "dws_olf_share": 0.2, "dws_reemployed_share": 0.7, "dws_unemployed_share": 0.1}
    res.update({f"employment_{s}": 100.0 / len(SECTORS) for s in SECTORS})
    sim = simulated(pd.DataFrame(res), 2022)
    assert list(sim.index) == [2022, 2023, 2024]
    assert set(sim.columns) == set(TARGET_SERIES)
    assert sim.loc[2024, "dws_olf"] == pytest.approx(20.0)
    assert sim.loc[2023, "participation_male"] == pytest.approx(80.0)
    assert sim.loc[2022, "share_services"] == pytest.approx(100.0 * 9 / 14)
