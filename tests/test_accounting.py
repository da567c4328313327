"""Accounting checks the other tests miss (issue 11, item 8).

Random tiny scenarios, with per-economy overrides and horizons beyond 15 months (so that the
12-, 24- and 36-month cohorts fill), some settings at the edges of what validation allows:

- employment summed over sectors (firms' books) equals ``employed`` (workers' statuses);
- each cohort's shares (employed, unemployed, in training, out of the labour force) sum to one,
  and a later cohort is never larger than an earlier one;
- ``spending_total_usd`` is the sum of its parts;
- every metric is finite, NaN only where a share has no one to take it of
  (:func:`conftest.nonfinite_metrics`);
- the stock identities and the flows of the employed (typhoon separations and recalls
  included) hold month by month.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from conftest import nonfinite_metrics
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from displacement_sim.config import MAX_MONTHS
from displacement_sim.constants import ECONOMIES, SECTORS
from displacement_sim.model import DisplacementModel
from displacement_sim.outcomes import COHORT_MONTHS
from displacement_sim.scenarios import validate

SPENDING = ("spending_training_usd", "spending_benefits_usd", "spending_subsidy_usd",
            "centre_contribution_usd", "spending_digital_usd")
COHORT_STATES = ("employed", "unemployed", "training", "olf")


def _edge(draw: st.DrawFn, lo: float, hi: float, edges: tuple[float, ...] = ()) -> float:
    """A value in ``[lo, hi]``, often one of its ends (or another edge)."""
    return draw(st.one_of(st.sampled_from((lo, hi, *edges)), st.floats(lo, hi)))


@st.composite
def sections(draw: st.DrawFn) -> dict[str, Any]:
    """Parameter sections with values over their whole valid range, edges included."""
    return {
        "automation": {"cost_decline_per_year": _edge(draw, 0.0, 0.5),
                       "adoption_hazard": _edge(draw, 0.0, 1.0, (0.3,)),
                       "depth": _edge(draw, 0.0, 1.0),
                       "reinstatement_ratio": _edge(draw, 0.0, 2.0),
                       "absorption_per_year": _edge(draw, 0.0, 2.0)},
        "labour_market": {"gamma_v": _edge(draw, 0.001, 1.0),
                          "opening_rate": _edge(draw, 0.0, 0.5),
                          "matching_efficiency": _edge(draw, 0.0, 1.0),
                          "skill_gap_penalty": _edge(draw, 0.0, 100.0),
                          "long_term_months": draw(st.sampled_from([1, 12, MAX_MONTHS]))},
        "training": {"duration_months": draw(st.integers(1, 12)),
                     "base_completion": _edge(draw, 0.0, 1.0)},
        "policy": {
            "capacity_building": {"share_of_gdp": _edge(draw, 0.0, 0.02, (1.0,)),
                                  "priority": draw(st.sampled_from(
                                      ["displaced_first", "long_term_first", "lottery"]))},
            "benefits": {"replacement_rate": _edge(draw, 0.0, 1.0),
                         "max_months": draw(st.sampled_from([0, 6, MAX_MONTHS]))},
            "hiring_subsidy": {"share_of_wage": _edge(draw, 0.0, 1.0),
                               "months": draw(st.sampled_from([0, 12, MAX_MONTHS]))},
            "automation_tax": _edge(draw, 0.0, 10.0),
            "tech_transfer_training": _edge(draw, 0.0, 0.9),
            "digital_access": {"share_of_gdp": _edge(draw, 0.0, 0.01, (1.0,))},
        },
        "disaster": {
            "recall_rate": _edge(draw, 0.05, 1.0),
            "typhoons": [{"year": 2023, "month": draw(st.integers(1, 12)),
                          "separated_share": {s: _edge(draw, 0.0, 1.0) for s in draw(
                              st.lists(st.sampled_from(SECTORS), min_size=1, max_size=3,
                                       unique=True))},
                          "area": draw(st.sampled_from(["all", "rural", "urban"]))}
                         for _ in range(draw(st.integers(0, 2)))],
        },
    }


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    economies = draw(st.lists(st.sampled_from(ECONOMIES), min_size=1, max_size=3, unique=True))
    overridden = draw(st.lists(st.sampled_from(economies), max_size=2, unique=True))
    return {
        "name": "accounting", "economies": economies,
        "years": draw(st.integers(2, 4)),  # 24-48 months: beyond 15, the cohorts fill
        "workers_per_agent": 1e9, "min_agents_per_economy": 300, "firms_per_sector": 3,
        "burn_in_months": draw(st.sampled_from([12, 60])),
        **draw(sections()),
        "economy": {iso: draw(sections()) for iso in overridden},
        "regional_centre": {"enabled": draw(st.booleans()),
                            "contribution_share_of_gdp": _edge(draw, 0.0, 0.005)},
    }


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_the_books_balance_over_long_horizons_and_per_economy_overrides(
        config: dict[str, Any], seed: int) -> None:
    scenario = validate(config, "hypothesis")
    model = DisplacementModel(scenario, seed=seed)
    model.run_months(12 * scenario.years)
    df = model.results()
    assert nonfinite_metrics(df) == []
    per_agent = dict(zip(model.economy_codes, model.workers_per_agent, strict=True))
    for iso, g in df.groupby("economy"):
        g = g.sort_values("step").reset_index(drop=True)
        agents = model.n_agents[list(model.economy_codes).index(iso)]
        tol = {"rtol": 1e-9, "atol": 1e-6 * per_agent[iso] * agents}
        # Firms' books and workers' statuses agree.
        assert_allclose(g[[f"employment_{c}" for c in SECTORS]].sum(axis=1), g["employed"],
                        **tol)
        assert_allclose(g["labour_force"], g["employed"] + g["unemployed"] + g["in_training"],
                        **tol)
        assert_allclose(g["population"], g["labour_force"] + g["out_of_labour_force"], **tol)
        d = g.drop(columns=["economy"]).diff().iloc[1:]
        f = g.iloc[1:]
        assert_allclose(d["employed"], f["hires"] - f["separations"] - f["displaced"]
                        - f["exits_employed"] - f["typhoon_separated"] + f["recalled"], **tol)
        # Those waiting to be recalled are unemployed.
        assert (g["awaiting_recall"] <= g["unemployed"] + tol["atol"]).all()
        # Spending adds up.
        assert_allclose(g["spending_total_usd"], g[list(SPENDING)].sum(axis=1), rtol=1e-12,
                        atol=1e-6)
        assert (g[list(SPENDING)] >= 0).all().all()
        # Cohorts: shares of one, and nested (a worker 24 months on was 12 months on too).
        sizes = []
        for m in COHORT_MONTHS:
            size = g[f"cohort_{m}m_size"].to_numpy()
            sizes.append(size)
            shares = g[[f"cohort_{m}m_{s}" for s in COHORT_STATES]]
            full = size > 0
            assert_allclose(shares[full].sum(axis=1), 1.0, rtol=1e-12)
            assert ((shares[full] >= 0) & (shares[full] <= 1)).all().all()
            assert shares[~full].isna().all().all()
            assert (g.loc[g["step"] < m, f"cohort_{m}m_size"] == 0).all()
        assert (np.diff(np.array(sizes), axis=0) <= tol["atol"]).all()
        for name in ("unemployment_rate", "employment_rate", "participation_rate",
                     "long_term_unemployed_share", "displaced_reemployed_share"):
            v = g[name].dropna()
            assert ((v >= 0) & (v <= 1)).all(), name


def test_a_horizon_beyond_the_cohorts_fills_every_cohort() -> None:
    scenario = validate({
        "name": "long", "economies": ["USA", "SGP"], "years": 4, "workers_per_agent": 1e9,
        "min_agents_per_economy": 400, "firms_per_sector": 3, "burn_in_months": 24,
        "automation": {"cost_ratio_usa": 0.3, "adoption_hazard": 0.5},
        "economy": {"SGP": {"policy": {"benefits": {"replacement_rate": 0.5,
                                                    "max_months": 12}}}}}, "long")
    model = DisplacementModel(scenario, seed=4)
    model.run_months(48)
    df = model.results()
    assert nonfinite_metrics(df) == []
    last = df[df["step"] == 48]
    for m in COHORT_MONTHS:
        assert (last[f"cohort_{m}m_size"] > 0).all(), m
        assert_allclose(last[[f"cohort_{m}m_{s}" for s in COHORT_STATES]].sum(axis=1), 1.0)
