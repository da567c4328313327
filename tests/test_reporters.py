"""Indicators of trainees by months since the start of training (``trainee_{k}m_*``)."""

from __future__ import annotations

import numpy as np
from conftest import run_model, tiny_scenario

from displacement_sim.model import METRICS
from displacement_sim.model.workers import COHORT_MONTHS


def _training_results():
    s = tiny_scenario(years=4, policy={"capacity_building": {"share_of_gdp": 0.01}})
    return run_model(s, seed=3).results()


def test_trainee_metrics_are_declared():
    for k in COHORT_MONTHS:
        assert f"trainee_{k}m_size" in METRICS and f"trainee_{k}m_employed" in METRICS


def test_trainee_cohort_is_the_enrolment_k_months_earlier():
    """Everyone who enrolled in month t is counted k months later, and only then."""
    df = _training_results()
    assert df["training_started"].sum() > 0
    for _, d in df.groupby("economy"):
        d = d.sort_values("step")
        started = d["training_started"].to_numpy()
        for k in COHORT_MONTHS:
            size = d[f"trainee_{k}m_size"].to_numpy()
            np.testing.assert_array_equal(size[k:], started[:-k])
            assert (size[:k] == 0).all()


def test_trainee_employment_is_a_share_missing_without_trainees():
    df = _training_results()
    for k in COHORT_MONTHS:
        share = df[f"trainee_{k}m_employed"]
        size = df[f"trainee_{k}m_size"]
        assert share[size > 0].between(0.0, 1.0).all()
        assert share[size == 0].isna().all()
    # Lock-in: trainees search less while in training (12 months by default), so fewer of them
    # are employed 6 months after the start than in the same run without lock-in.
    s = tiny_scenario(years=4, policy={"capacity_building": {"share_of_gdp": 0.01}},
                      training={"lockin_search_factor": 1.0})
    free = run_model(s, seed=3).results()

    def pooled(frame, k):
        size = frame[f"trainee_{k}m_size"]
        return float((frame[f"trainee_{k}m_employed"].fillna(0) * size).sum() / size.sum())

    assert pooled(df, 6) < pooled(free, 6)


def test_no_programme_no_trainees(tiny_results):
    for k in COHORT_MONTHS:
        assert (tiny_results[f"trainee_{k}m_size"] == 0).all()
        assert tiny_results[f"trainee_{k}m_employed"].isna().all()
