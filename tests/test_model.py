"""Tests of displacement_sim.model: smoke runs, reproducibility, accounting and mechanisms.

Models are tiny (a few hundred worker agents per economy, five firms per sector), so each run
takes well under a second. Stocks and flows are reported in people (agents times the economy's
``workers_per_agent``); accounting identities are checked on them with a relative tolerance.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SHIPPED_SCENARIOS, run_model, tiny_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from displacement_sim.config import Scenario
from displacement_sim.constants import ECONOMIES, STATUSES
from displacement_sim.data import load_history
from displacement_sim.model import METRICS, DisplacementModel, Firm
from displacement_sim.model.reporters import DEMAND_EFFECTS
from displacement_sim.scenarios import load_scenario, validate, with_updates
from displacement_sim.workflows.runs import KEY_COLUMNS, make_specs, run_one

STOCKS = ("employed", "unemployed", "in_training", "out_of_labour_force")

SMALL = {"years": 1, "workers_per_agent": 1e9, "min_agents_per_economy": 300,
         "firms_per_sector": 5}
"""Top-level overrides that make any scenario tiny."""


def by_economy(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The results of each economy, sorted by step."""
    return {iso: g.sort_values("step").reset_index(drop=True) for iso, g in df.groupby("economy")}


def people_per_agent(model: DisplacementModel) -> dict[str, float]:
    return dict(zip(model.economy_codes, model.workers_per_agent, strict=True))


# ------------------------------------------------------------------ smoke


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_runs_a_few_months(path: Path) -> None:
    scenario = load_scenario(path, economies=("VNM", "SGP", "USA"), **SMALL)
    model = run_model(scenario, seed=3, months=4)
    df = model.results()
    assert len(df) == 3 * 5
    assert set(df["economy"]) == {"VNM", "SGP", "USA"}
    assert df["step"].tolist() == sorted(df["step"].tolist())
    assert set(METRICS) <= set(df.columns)
    for col in (*STOCKS, "labour_force", "hires", "separations", "displaced", "vacancies"):
        assert df[col].notna().all() and (df[col] >= 0).all(), col
    assert model.month == 4
    assert np.all(model.workers.status < len(STATUSES))


def test_results_table_layout(tiny_results: pd.DataFrame, tiny: Scenario) -> None:
    df = tiny_results
    assert list(df.columns[:3]) == ["economy", "step", "year"]
    assert list(df.columns[3:]) == list(METRICS)
    assert len(df) == len(tiny.economies) * (12 * tiny.years + 1)
    first = df[df["step"] == 0]
    assert list(first["economy"]) == list(tiny.economies)
    assert_allclose(df["year"] - df["year"].min(), df["step"] / 12.0)


def test_firms_are_mesa_agents(tiny: Scenario) -> None:
    model = DisplacementModel(tiny, seed=1)
    assert len(model.firms) == len(tiny.economies) * 14 * tiny.firms_per_sector
    firm = next(iter(model.firms))
    assert isinstance(firm, Firm)
    assert firm.economy in tiny.economies and firm.threshold > 0 and not firm.adopted


# ------------------------------------------------------------------ reproducibility


def test_same_seed_gives_identical_results(tiny: Scenario) -> None:
    a = run_model(tiny, seed=11, months=12).results()
    b = run_model(tiny, seed=11, months=12).results()
    pd.testing.assert_frame_equal(a, b)


def test_different_seed_gives_different_results(tiny: Scenario) -> None:
    a = run_model(tiny, seed=11, months=12).results()
    b = run_model(tiny, seed=12, months=12).results()
    assert a.shape == b.shape
    assert not a.equals(b)
    assert not np.allclose(a["employed"], b["employed"])


def test_seed_none_uses_the_scenario_seed(tiny: Scenario) -> None:
    s = with_updates(tiny, {"seed": 99})
    a = run_model(s, seed=None, months=3).results()  # type: ignore[arg-type]
    b = run_model(s, seed=99, months=3).results()
    pd.testing.assert_frame_equal(a, b)


def test_seed_sequence_is_accepted(tiny: Scenario) -> None:
    a = run_model(tiny, seed=np.random.SeedSequence(5), months=3).results()  # type: ignore
    b = run_model(tiny, seed=np.random.SeedSequence(5), months=3).results()  # type: ignore
    pd.testing.assert_frame_equal(a, b)


def test_policy_change_keeps_common_random_numbers(tiny: Scenario) -> None:
    # Separate streams per mechanism: a training budget changes neither the starting population
    # nor the first month's automation.
    funded = with_updates(tiny, {"policy.capacity_building.share_of_gdp": 0.01,
                                 "automation.cost_decline_per_year": 0.3,
                                 "automation.adoption_hazard": 0.5})
    unfunded = with_updates(funded, {"policy.capacity_building.share_of_gdp": 0.0})
    a, b = run_model(funded, 4, months=1), run_model(unfunded, 4, months=1)
    np.testing.assert_array_equal(a.workers.digital, b.workers.digital)
    ra, rb = a.results(), b.results()
    pd.testing.assert_frame_equal(ra[ra.step == 0], rb[rb.step == 0])
    assert ra.loc[ra.step == 1, "displaced"].sum() > 0
    assert_allclose(ra.loc[ra.step == 1, "displaced"], rb.loc[rb.step == 1, "displaced"])
    assert ra["training_started"].sum() > rb["training_started"].sum() == 0


def test_run_one_adds_key_columns_and_is_reproducible(tiny: Scenario) -> None:
    s = with_updates(tiny, {"years": 1})
    spec = make_specs(s, replicates=1, master_seed=3)[0]
    a, b = run_one(spec), run_one(spec)
    pd.testing.assert_frame_equal(a, b)
    assert set(KEY_COLUMNS) <= set(a.columns)
    assert not a.duplicated(list(KEY_COLUMNS)).any()
    assert (a["seed"] == spec.seed).all() and (a["run_id"] == spec.run_id).all()
    assert len(a) == 2 * 13


def test_step_is_an_integer_month(tiny_results: pd.DataFrame, tiny: Scenario) -> None:
    steps = tiny_results["step"]
    assert pd.api.types.is_integer_dtype(steps)
    assert sorted(steps.unique()) == list(range(12 * tiny.years + 1))


def test_run_one_columns_as_documented(tiny: Scenario) -> None:
    # runner.run_one: "Columns: KEY_COLUMNS, variant, year, one column per sweep parameter,
    # then the metrics".
    spec = make_specs(with_updates(tiny, {"years": 1}), replicates=1)[0]
    df = run_one(spec)
    assert list(df.columns) == [*KEY_COLUMNS, "variant", "year", *METRICS]
    assert df["replicate"].dtype == np.int32 and df["seed"].dtype == np.int64


# ------------------------------------------------------------------ accounting (property-based)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """Random tiny scenarios over economies, policy levers and automation settings."""
    economies = draw(st.lists(st.sampled_from(ECONOMIES), min_size=1, max_size=3, unique=True))
    mode = draw(st.sampled_from(["endogenous", "s_curve", "none"]))
    return {
        **SMALL,
        "name": "prop",
        "economies": economies,
        "automation": {
            "mode": mode,
            "cost_decline_per_year": draw(st.floats(0.0, 0.4)),
            "adoption_hazard": draw(st.floats(0.0, 0.5)),
            "s_curve": {"target_year": draw(st.integers(2024, 2060)),
                        "duration_years": draw(st.floats(2.0, 30.0))},
        },
        "training": {"duration_months": draw(st.integers(1, 8))},
        "labour_market": {"long_term_months": draw(st.integers(1, 6)),
                          "exit_rate_unemployed": draw(st.floats(0.0, 0.3))},
        "drivers": {"flat": draw(st.booleans())},
        "policy": {
            "capacity_building": {
                "share_of_gdp": draw(st.floats(0.0, 0.01)),
                "priority": draw(st.sampled_from(["displaced_first", "long_term_first",
                                                  "lottery"])),
                "eligibility": draw(st.sampled_from(["unemployed", "displaced"])),
            },
            "benefits": {"replacement_rate": draw(st.floats(0.0, 0.9)),
                         "max_months": draw(st.integers(0, 12))},
            "hiring_subsidy": {"share_of_wage": draw(st.floats(0.0, 0.6)),
                               "months": draw(st.integers(0, 12))},
        },
        "regional_centre": {"enabled": draw(st.booleans()),
                            "contribution_share_of_gdp": draw(st.floats(0.0, 0.005))},
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs(), seed=st.integers(0, 2**32 - 1), months=st.integers(4, 15))
def test_accounting_identities_hold(config: dict[str, Any], seed: int, months: int) -> None:
    scenario = validate(config, "hypothesis")
    model = DisplacementModel(scenario, seed=seed)
    n = model.workers.n
    for _ in range(months):
        model.step()
        status = model.workers.status
        assert model.workers.n == n  # total agents constant
        assert status.min() >= 0 and status.max() < len(STATUSES)  # one valid status each
    df = model.results()
    per_agent = people_per_agent(model)
    for iso, g in by_economy(df).items():
        scale = per_agent[iso] * model.n_agents[list(model.economy_codes).index(iso)]
        tol = {"rtol": 0, "atol": 1e-6 * scale}
        stocks = g[list(STOCKS)]
        assert (stocks >= 0).all().all()
        # Everyone of working age is in exactly one state; spare rows are outside.
        assert_allclose(stocks.sum(axis=1), g["population"], **tol)
        assert (g["population"] <= scale + tol["atol"]).all()
        assert_allclose(g["labour_force"], g["employed"] + g["unemployed"] + g["in_training"],
                        **tol)
        num = g.drop(columns=["economy"])
        d = num.diff().iloc[1:]
        f = num.iloc[1:]
        assert_allclose(d["employed"], f["hires"] - f["separations"] - f["displaced"]
                        - f["exits_employed"], **tol)
        assert_allclose(d["in_training"], f["training_started"] - f["training_completed"]
                        - f["training_dropped"] - f["training_left_for_job"]
                        - f["exits_training"], **tol)
        assert_allclose(f["exits"], f["exits_employed"] + f["exits_searching"]
                        + f["exits_training"], **tol)
        assert_allclose(d["out_of_labour_force"], f["exits"] - f["entries"]
                        + f["population_joined"] - f["population_left"], **tol)
        assert_allclose(f["displaced"].cumsum(), f["displaced_cumulative"], **tol)
        assert_allclose(f["training_started"].cumsum(), f["training_started_cumulative"], **tol)
        assert (g[["hires", "separations", "displaced", "training_started", "exits",
                   "entries", "hires_displaced"]] >= 0).all().all()
        # The exact decomposition of labour demand (docs/ODD.md, "Labour demand").
        effects = sum(f[f"demand_{k}"] for k in DEMAND_EFFECTS)
        assert_allclose(effects, d["labour_demand"], rtol=1e-6, atol=1e-6 * scale)
        assert (g["hires_displaced"] <= g["hires"] + 1e-6 * scale).all()


# ------------------------------------------------------------------ mechanisms


def _aggressive(**updates: Any) -> Scenario:
    """Tiny scenario with fast, certain automation (so that displacement surely happens)."""
    return with_updates(tiny_scenario(), {"automation.cost_decline_per_year": 0.4,
                                          "automation.adoption_hazard": 0.5, **updates})


def test_automation_mode_none_displaces_nobody() -> None:
    on = run_model(_aggressive(), seed=2, months=18).results()
    assert on["displaced"].sum() > 0  # the same settings with automation do displace
    off = run_model(_aggressive(**{"automation.mode": "none"}), seed=2, months=18).results()
    assert (off["displaced"] == 0).all()
    assert (off["displaced_cumulative"] == 0).all()
    assert (off["automated_share"] == 0).all() and (off["firms_adopted_share"] == 0).all()


def test_s_curve_mode_displaces_along_the_curve() -> None:
    s = _aggressive(**{"automation.mode": "s_curve", "automation.s_curve.target_year": 2026,
                       "automation.s_curve.duration_years": 4.0})
    df = run_model(s, seed=2, months=24).results()
    assert df["displaced"].sum() > 0
    adopted = df.pivot(index="step", columns="economy", values="firms_adopted_share")
    assert (adopted.diff().dropna() >= 0).all().all()  # adoption is never undone
    assert (adopted.iloc[-1] > 0).all()


@pytest.mark.parametrize(("share", "amount"), [(0.0005, 0.0), (0.002, 0.0), (0.01, 0.0),
                                               (0.0, 1e9)])
def test_training_never_exceeds_slots_bought(share: float, amount: float) -> None:
    s = _aggressive(**{"policy.capacity_building.share_of_gdp": share,
                       "policy.capacity_building.amount_usd": amount,
                       "training.duration_months": 3})
    model = run_model(s, seed=5)
    per_agent = people_per_agent(model)
    started_any = 0.0
    for iso, g in by_economy(model.results()).items():
        started = g["training_started"].cumsum()
        slots = g["training_slots"].cumsum()
        assert (started <= slots + per_agent[iso] * (1 + 1e-9)).all(), iso
        months = g["step"]
        cost = model.training_cost[list(model.economy_codes).index(iso)]
        budget = (share * model.gdp[list(model.economy_codes).index(iso)] + amount) / 12.0
        spent = g["spending_training_usd"].cumsum()
        assert (spent <= budget * months + cost * per_agent[iso] * (1 + 1e-9)).all(), iso
        started_any += started.iloc[-1]
    assert started_any > 0  # the budget does buy training


def test_no_budget_no_training() -> None:
    df = run_model(_aggressive(), seed=5).results()
    assert (df["training_slots"] == 0).all()
    assert (df["training_started"] == 0).all() and (df["in_training"] == 0).all()
    assert (df["spending_training_usd"] == 0).all()


def test_displaced_only_eligibility_enrols_only_displaced() -> None:
    s = _aggressive(**{"policy.capacity_building.share_of_gdp": 0.01,
                       "policy.capacity_building.eligibility": "displaced"})
    model = run_model(s, seed=6)
    w = model.workers
    trained = w.trainings > 0
    assert trained.any()
    assert np.all(w.displaced_month[trained] >= 0)


def _completion_ratio(no_digital_factor: float, seeds: range) -> float:
    s = validate({**SMALL, "name": "digital", "economies": ["LAO", "KHM"], "years": 2,
                  "min_agents_per_economy": 1000,
                  "policy": {"capacity_building": {"share_of_gdp": 0.01}},
                  # Trainees neither search nor leave the labour force here, so that only
                  # completion decides how a programme ends.
                  "labour_market": {"exit_rate_unemployed": 0.0},
                  "training": {"duration_months": 4, "lockin_search_factor": 0.0,
                               "no_digital_completion_factor": no_digital_factor}}, "digital")
    ratios = []
    for seed in seeds:
        last = run_model(s, seed=seed).results().query("step == 24")
        started = last["training_started_cumulative"].sum()
        assert started > 0
        ratios.append(last["training_completed_cumulative"].sum() / started)
    return float(np.mean(ratios))


def test_weaker_digital_access_lowers_completion() -> None:
    seeds = range(4)
    full = _completion_ratio(1.0, seeds)
    weak = _completion_ratio(0.3, seeds)
    assert weak < full - 0.03


def test_completion_needs_the_full_duration(tiny: Scenario) -> None:
    s = with_updates(tiny, {"policy.capacity_building.share_of_gdp": 0.01,
                            "training.duration_months": 6,
                            # trainees neither search nor leave: only completion ends training
                            "training.lockin_search_factor": 0.0,
                            "labour_market.exit_rate_unemployed": 0.0})
    df = run_model(s, seed=8, months=12).results()
    started = df.groupby("step")["training_started"].sum()
    completed = df.groupby("step")["training_completed"].sum()
    assert started.sum() > 0 and completed.sum() > 0
    first_start = started[started > 0].index.min()
    first_completion = completed[completed > 0].index.min()
    assert first_completion - first_start >= 6


# ------------------------------------------------------------------ benefits and income


def _benefit_run(max_months: int, training_share: float) -> DisplacementModel:
    s = _aggressive(**{"policy.benefits.replacement_rate": 0.5,
                       "policy.benefits.max_months": max_months,
                       "policy.capacity_building.share_of_gdp": training_share})
    return run_model(s, seed=3, months=14)


def _paid_now(model: DisplacementModel, max_months: int) -> np.ndarray:
    """Workers paid a benefit in the last month, by ``_pay``'s rule, seen after the step.

    Benefits go to the unemployed who lost a job (not to entrants to the labour force) in their
    first ``max_months`` months of a spell; the month counter has been incremented once since
    they were paid.
    """
    w = model.workers
    return (w.status == 1) & w.job_loser & (w.months_in_status <= max_months)


def test_benefits_paid_to_unemployed_within_entitlement() -> None:
    model = _benefit_run(max_months=3, training_share=0.0)
    w = model.workers
    entrants = (w.status == 1) & ~w.job_loser
    assert entrants.any() and not (_paid_now(model, 3) & entrants).any()
    w, last = model.workers, model.results().query("step == 14").set_index("economy")
    paid = _paid_now(model, 3)
    total = 0.0
    for e, iso in enumerate(model.economy_codes):
        mine = paid & (w.economy == e)
        usd = model.wage_level[e] * model.wage_index[e]  # wages are stored relative to the index
        expected = 0.5 * w.wage[mine].astype(float).sum() * usd * model.workers_per_agent[e]
        total += expected
        assert_allclose(last.loc[iso, "spending_benefits_usd"], expected, rtol=1e-5)
    assert total > 0
    none = run_model(_aggressive(**{"policy.benefits.replacement_rate": 0.5}), 3, 14).results()
    assert (none["spending_benefits_usd"] == 0).all()  # max_months = 0: no benefits


def _expected_income_loss(model: DisplacementModel, max_months: int) -> np.ndarray:
    w = model.workers
    d = w.displaced_month >= 0
    paid = _paid_now(model, max_months)
    income = np.where(w.status == 0, w.wage, np.where(paid, 0.5 * w.wage, 0.0))
    loss = np.where(d, w.wage_before_displacement.astype(float) - income, 0.0)
    usd = model.wage_level * model.wage_index  # wages are stored relative to the index
    return np.bincount(w.economy, weights=loss, minlength=model.n_economies) * (
        model.workers_per_agent) * usd


def test_displaced_income_loss_counts_the_benefits_paid() -> None:
    model = _benefit_run(max_months=3, training_share=0.0)
    last = model.results().query("step == 14").set_index("economy")
    reported = last.loc[list(model.economy_codes), "displaced_income_loss_usd"].to_numpy()
    assert_allclose(reported, _expected_income_loss(model, 3), rtol=1e-5)


def test_displaced_income_loss_gives_trainees_no_benefit() -> None:
    # A long entitlement, so that only trainees can make the two rules differ.
    model = _benefit_run(max_months=120, training_share=0.01)
    assert (model.workers.status == 2).any()
    last = model.results().query("step == 14").set_index("economy")
    reported = last.loc[list(model.economy_codes), "displaced_income_loss_usd"].to_numpy()
    assert_allclose(reported, _expected_income_loss(model, 120), rtol=1e-5)


def test_hiring_subsidy_spending_only_with_a_subsidy() -> None:
    with_sub = run_model(_aggressive(**{"policy.hiring_subsidy.share_of_wage": 0.3}), 4, 18)
    without = run_model(_aggressive(), 4, 18)
    assert with_sub.results()["spending_subsidy_usd"].sum() > 0
    assert (without.results()["spending_subsidy_usd"] == 0).all()


# ------------------------------------------------------------------ scale and figures in people


def test_workers_use_at_most_41_bytes_per_agent(tiny: Scenario) -> None:
    model = DisplacementModel(tiny, seed=1)
    # Rows: the labour force (300 agents each) plus the inactive and spare rows.
    lf = model.results().query("step == 0")["labour_force"].to_numpy() / model.workers_per_agent
    assert_allclose(lf, 300, atol=3 * np.sqrt(300))  # on its path, up to sampling noise
    assert model.workers.n > 600
    assert model.workers.nbytes() / model.workers.n <= 41


@pytest.mark.parametrize("updates", [{}, {"workers_per_agent": 20000.0,
                                          "min_agents_per_economy": 100}],
                         ids=["min-agents", "workers-per-agent"])
def test_step_zero_labour_force_matches_data(tiny: Scenario, updates: dict[str, Any]) -> None:
    s = with_updates(tiny, updates)
    model = DisplacementModel(s, seed=1)
    first = model.results().set_index("economy")
    first = first[first["step"] == 0]
    for iso, w in people_per_agent(model).items():
        hist = load_history(iso)
        k = int(np.searchsorted(hist.years, model.start_year))
        lf = hist.labour_force[k].sum()  # ILOEST, by sex and age band
        # After the burn-in the labour force is on its path up to the month's sampling noise.
        assert abs(first.loc[iso, "labour_force"] - lf) <= 3.0 * np.sqrt(lf / w) * w + w
        pop = (hist.labour_force[k].sum(axis=1) / hist.participation[k]).sum()
        assert abs(first.loc[iso, "population"] - pop) <= w * (1 + 0.01 * pop / w)
    if updates:
        assert people_per_agent(model)["VNM"] == 20000.0
