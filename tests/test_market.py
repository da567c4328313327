"""Tests of displacement_sim.model.market: the market rules as pure functions on arrays."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.optimize import brentq

from displacement_sim.model import market


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


# ------------------------------------------------------------------ logistic_share


@pytest.mark.parametrize(("share", "year", "duration"), [(0.5, 2055, 20.0), (0.2, 2040, 8.0),
                                                          (0.9, 2030, 28.0)])
def test_logistic_share_hits_target_at_target_year(share: float, year: int,
                                                   duration: float) -> None:
    assert_allclose(market.logistic_share(year, share, year, duration), share, rtol=1e-12)


@pytest.mark.parametrize(("share", "year", "duration"), [(0.5, 2055, 20.0), (0.2, 2040, 8.0),
                                                          (0.9, 2030, 28.0)])
def test_logistic_share_takes_duration_from_10_to_90_percent(share: float, year: int,
                                                             duration: float) -> None:
    def crossing(level: float) -> float:
        return brentq(lambda t: float(market.logistic_share(t, share, year, duration)) - level,
                      year - 500.0, year + 500.0, xtol=1e-10)

    assert_allclose(crossing(0.9) - crossing(0.1), duration, rtol=1e-8)


def test_logistic_share_rises_over_time() -> None:
    years = np.arange(2000, 2101)
    path = market.logistic_share(years, 0.5, 2055, 20.0)
    assert path.shape == years.shape
    assert np.all(np.diff(path) > 0)
    assert path[0] < 0.05 < 0.95 < path[-1]


# ------------------------------------------------------------------ adoption_hazard


def test_adoption_hazard_zero_when_not_profitable() -> None:
    n = 5
    h = market.adoption_hazard(np.zeros(n, bool), np.full(n, 0.5), np.ones(n),
                               np.full(n, 2.0), np.linspace(0, 1, n))
    assert_array_equal(h, 0.0)


def test_adoption_hazard_matches_formula_when_profitable() -> None:
    base, ready, imit, share = 0.02, 0.7, 2.0, 0.4
    h = market.adoption_hazard(np.array([True]), np.array([base]), np.array([ready]),
                               np.array([imit]), np.array([share]))
    assert_allclose(h, 1.0 - np.exp(-base * ready * (1.0 + imit * share)), rtol=1e-12)


def test_adoption_hazard_rises_with_imitation() -> None:
    shares = np.linspace(0.0, 1.0, 11)
    n = shares.size
    h = market.adoption_hazard(np.ones(n, bool), np.full(n, 0.02), np.full(n, 0.8),
                               np.full(n, 2.0), shares)
    assert np.all(np.diff(h) > 0)
    no_imitation = market.adoption_hazard(np.ones(n, bool), np.full(n, 0.02), np.full(n, 0.8),
                                          np.zeros(n), shares)
    assert_allclose(no_imitation, no_imitation[0])
    assert np.all((h >= 0) & (h <= 1))


# ------------------------------------------------------------------ weighted_pick_per_group


def test_weighted_pick_per_group_picks_exact_counts(rng: np.random.Generator) -> None:
    groups = rng.integers(0, 6, size=500)
    sizes = np.bincount(groups, minlength=6)
    counts = np.minimum(np.array([0, 1, 5, 17, 40, 1000]), sizes)
    weights = rng.random(500) + 0.01
    picked = market.weighted_pick_per_group(groups, weights, counts, rng)
    assert picked.dtype == bool and picked.shape == groups.shape
    assert_array_equal(np.bincount(groups[picked], minlength=6), counts)


def test_weighted_pick_per_group_caps_at_group_size(rng: np.random.Generator) -> None:
    groups = np.array([0, 0, 1, 1, 1])
    picked = market.weighted_pick_per_group(groups, np.ones(5), np.array([10, 2]), rng)
    assert_array_equal(np.bincount(groups[picked], minlength=2), [2, 2])


def test_weighted_pick_per_group_handles_unsorted_groups(rng: np.random.Generator) -> None:
    groups = np.array([2, 0, 1, 2, 0, 1, 2, 0, 1])
    picked = market.weighted_pick_per_group(groups, np.ones(9), np.array([1, 2, 3]), rng)
    assert_array_equal(np.bincount(groups[picked], minlength=3), [1, 2, 3])


def test_weighted_pick_per_group_empty(rng: np.random.Generator) -> None:
    picked = market.weighted_pick_per_group(np.empty(0, np.int64), np.empty(0), np.zeros(1, int),
                                            rng)
    assert picked.size == 0


def test_weighted_pick_per_group_favours_heavy_weights(rng: np.random.Generator) -> None:
    # One group of 10: member 0 weighs 9, the rest 1. Picking one, member 0 wins with
    # probability 9 / 18 = 0.5 (Efraimidis-Spirakis picks in proportion to weight).
    groups = np.zeros(10, np.int64)
    weights = np.array([9.0] + [1.0] * 9)
    trials = 4000
    wins = sum(market.weighted_pick_per_group(groups, weights, np.array([1]), rng)[0]
               for _ in range(trials))
    assert abs(wins / trials - 0.5) < 0.04  # about 5 standard errors


# ------------------------------------------------------------------ stochastic_round


def test_stochastic_round_is_unbiased(rng: np.random.Generator) -> None:
    x = np.full(200_000, 2.3)
    r = market.stochastic_round(x, rng)
    assert set(np.unique(r)) == {2, 3}
    assert abs(r.mean() - 2.3) < 0.005  # 5 standard errors of 0.46 / sqrt(2e5)


def test_stochastic_round_keeps_integers_and_bounds(rng: np.random.Generator) -> None:
    x = rng.random(1000) * 50
    r = market.stochastic_round(x, rng)
    assert r.dtype == np.int64
    assert np.all((r == np.floor(x)) | (r == np.ceil(x)))
    assert_array_equal(market.stochastic_round(np.array([0.0, 4.0, 7.0]), rng), [0, 4, 7])


# ------------------------------------------------------------------ churn


def _churn(employment: float, vacancies: float, target: float, sep: float = 0.0,
           opening: float = 0.0, gamma_u: float = 0.2, gamma_v: float = 0.3):
    one = np.ones(1)
    return market.churn(employment * one, vacancies * one, target * one, sep * one,
                        opening * one, gamma_u * one, gamma_v * one)


def test_churn_above_target_withdraws_vacancies_before_layoffs() -> None:
    # 10 employed + 5 vacancies against a target of 12: withdraw 3 vacancies, lay off nobody.
    sep, vac, openings = _churn(10, 5, 12)
    assert_allclose(vac, 2.0)
    assert_allclose(sep, 0.0)
    assert_allclose(openings, 0.0)


def test_churn_lays_off_gamma_u_of_excess_after_withdrawing_all() -> None:
    # 15 employed + 5 vacancies against 12: all 5 vacancies go, then 0.2 of the 3 excess jobs.
    sep, vac, _ = _churn(15, 5, 12, gamma_u=0.2)
    assert_allclose(vac, 0.0)
    assert_allclose(sep * 15, 0.2 * 3)


def test_churn_below_target_opens_gamma_v_of_shortfall() -> None:
    # 10 employed + 2 vacancies against 20: shortfall 8, open 0.3 of it.
    sep, vac, openings = _churn(10, 2, 20, gamma_v=0.3)
    assert_allclose(openings, 0.3 * 8)
    assert_allclose(vac, 2 + 0.3 * 8)
    assert_allclose(sep, 0.0)


def test_churn_random_separations_and_openings_on_top() -> None:
    sep, vac, openings = _churn(100, 0, 100, sep=0.01, opening=0.02)
    assert_allclose(sep, 0.01)
    assert_allclose(openings, 0.02 * 100)
    assert_allclose(vac, 2.0)


def test_churn_separation_probability_is_a_probability() -> None:
    rng = np.random.default_rng(3)
    n = 1000
    emp = rng.integers(0, 50, n).astype(float)
    sep, vac, openings = market.churn(emp, rng.random(n) * 10, rng.random(n) * 60,
                                      rng.random(n), rng.random(n), rng.random(n), rng.random(n))
    assert np.all((sep >= 0) & (sep <= 1))
    assert np.all(vac >= 0) and np.all(openings >= 0)


# ------------------------------------------------------------------ urn_ball_hire_prob


def test_urn_ball_hire_prob_in_unit_interval() -> None:
    a, v = np.meshgrid(np.array([0, 1, 3, 10, 1e3, 1e6]), np.array([0, 0.5, 1, 10, 1e4, 1e7]))
    q = market.urn_ball_hire_prob(a.ravel(), v.ravel(), 1.0)
    assert np.all(np.isfinite(q)) and np.all((q >= 0) & (q <= 1))


def test_urn_ball_hire_prob_zero_without_vacancies_or_applicants() -> None:
    assert_array_equal(market.urn_ball_hire_prob(np.array([0.0, 5.0]), np.array([5.0, 0.0]),
                                                 1.0), [0.0, 0.0])


def test_urn_ball_hire_prob_decreases_in_applicants() -> None:
    a = np.arange(1, 200, dtype=float)
    q = market.urn_ball_hire_prob(a, np.full(a.size, 20.0), 0.9)
    assert np.all(np.diff(q) < 0)


def test_urn_ball_hire_prob_tends_to_efficiency_with_many_vacancies() -> None:
    v = np.array([1.0, 10.0, 1e3, 1e6])
    q = market.urn_ball_hire_prob(np.full(v.size, 10.0), v, 0.8)
    assert np.all(np.diff(q) > 0)
    assert_allclose(q[-1], 0.8, rtol=1e-4)


def test_urn_ball_hire_prob_matches_formula() -> None:
    a, v = 30.0, 12.0
    expected = 0.7 * (v / a) * (1.0 - np.exp(-a / v))
    assert_allclose(market.urn_ball_hire_prob(np.array([a]), np.array([v]), 0.7), expected)


# ------------------------------------------------------------------ steady_state_vacancies


@pytest.mark.parametrize(("hires", "applicants", "eff"), [(5.0, 100.0, 1.0), (40.0, 60.0, 0.9),
                                                           (0.3, 1000.0, 0.5)])
def test_steady_state_vacancies_solves_its_equation(hires: float, applicants: float,
                                                    eff: float) -> None:
    v = market.steady_state_vacancies(hires, applicants, eff)
    assert v > 0
    assert_allclose(eff * v * (1.0 - np.exp(-applicants / v)), hires, rtol=1e-6)


def test_steady_state_vacancies_edge_cases() -> None:
    assert market.steady_state_vacancies(0.0, 100.0, 1.0) == 0.0
    assert market.steady_state_vacancies(5.0, 0.0, 1.0) == 0.0
    # Beyond reach (more hires than efficiency * applicants): saturates at 50 applicants.
    assert market.steady_state_vacancies(99.0, 100.0, 1.0) == 50.0 * 100.0


# ------------------------------------------------------------------ completion_hazard


@pytest.mark.parametrize(("p", "months"), [(0.7, 12), (0.3, 6), (0.95, 24), (1.0, 12)])
def test_completion_hazard_gives_base_completion_over_duration(p: float, months: int) -> None:
    h = market.completion_hazard(np.array([p]), np.array([float(months)]))
    assert np.all((h >= 0) & (h < 1))
    assert_allclose((1.0 - h) ** months, p, rtol=1e-10)


def test_completion_hazard_higher_for_lower_completion() -> None:
    h = market.completion_hazard(np.array([0.9, 0.7, 0.2]), np.full(3, 12.0))
    assert np.all(np.diff(h) > 0)


# ------------------------------------------------------------------ urban_rural_rates


@pytest.mark.parametrize(("national", "rural_share", "ratio"),
                         [(0.6, 0.4, 0.6), (0.3, 0.7, 0.5), (0.9, 0.0, 0.6), (0.95, 0.5, 0.5),
                          (0.5, 1.0, 0.6), (0.8, 0.3, 1.0)])
def test_urban_rural_rates_reproduce_national_mix(national: float, rural_share: float,
                                                  ratio: float) -> None:
    urban, rural = market.urban_rural_rates(national, rural_share, ratio)
    assert 0.0 <= rural <= urban <= 1.0
    assert_allclose((1.0 - rural_share) * urban + rural_share * rural, national, rtol=1e-10)


def test_urban_rural_rates_keep_ratio_when_not_capped() -> None:
    urban, rural = market.urban_rural_rates(0.5, 0.4, 0.6)
    assert_allclose(rural / urban, 0.6)


# ------------------------------------------------------------------ helpers used by the model


def test_rank_within_groups_ranks_by_key() -> None:
    groups = np.array([1, 0, 1, 0, 1])
    keys = np.array([0.5, 0.2, 0.1, 0.9, 0.3])
    assert_array_equal(market.rank_within_groups(groups, keys), [2, 0, 0, 1, 1])


def test_choose_rows_follows_row_probabilities(rng: np.random.Generator) -> None:
    probs = np.array([[0.2, 0.8, 0.0], [0.0, 0.0, 1.0]])
    rows = np.repeat([0, 1], 20_000)
    choice = market.choose_rows(np.cumsum(probs, axis=1), rows, rng)
    assert_array_equal(choice[rows == 1], 2)
    assert abs(np.mean(choice[rows == 0] == 0) - 0.2) < 0.015
    assert not np.any(choice[rows == 0] == 2)


# ------------------------------------------------------------------ drivers, demand, wages


def test_holt_potential_follows_a_steady_trend_exactly() -> None:
    log_y = np.log(1.03) * np.arange(20)
    assert_allclose(market.holt_potential(log_y, np.log(1.03), 0.3, 0.1), log_y, atol=1e-12)


def test_holt_potential_is_one_sided() -> None:
    log_y = np.log(1.02) * np.arange(15)
    shocked = log_y.copy()
    shocked[10:] -= 0.05
    a = market.holt_potential(log_y, np.log(1.02), 0.3, 0.1)
    b = market.holt_potential(shocked, np.log(1.02), 0.3, 0.1)
    assert_allclose(a[:10], b[:10])           # no look-ahead
    gap = shocked - b
    assert gap[10] == pytest.approx(-0.05 * 0.7)  # 30% of the surprise enters the level at once
    assert abs(gap[-1]) < abs(gap[10])         # and the gap closes


def test_sector_mix_shifts_towards_income_elastic_sectors() -> None:
    share0 = np.array([0.5, 0.3, 0.2])
    beta = np.array([-0.5, 0.0, 0.5])
    assert_allclose(market.sector_mix(share0, 1.0, beta), share0)
    mix = market.sector_mix(share0, 2.0, beta)
    assert mix.sum() == pytest.approx(1.0)
    assert mix[0] < share0[0] and mix[2] > share0[2]
    assert mix[2] / mix[0] == pytest.approx((0.2 / 0.5) * 2.0 ** 1.0)


def test_wage_curve_elasticity_is_the_log_slope() -> None:
    u = np.array([0.04, 0.08])
    w = market.wage_curve_target(u, np.array([0.04, 0.04]), np.array([0.1, 0.1]))
    assert w[0] == pytest.approx(1.0)
    assert np.log(w[1]) / np.log(2.0) == pytest.approx(-0.1)


def test_partial_adjustment_closes_the_expected_share() -> None:
    out = market.partial_adjustment(np.array([1.0]), np.array([2.0]), np.array([12.0]))
    assert out[0] == pytest.approx(1.0 + (1.0 - np.exp(-1.0 / 12.0)))


def test_productivity_effect_is_elasticity_times_cost_fall() -> None:
    gain = market.productivity_effect(0.1, 0.4, 0.5, 1.2)
    assert gain == pytest.approx(1.2 * 0.5 * 0.1 * 0.4)
    assert market.productivity_effect(0.1, 0.0, 0.5, 1.2) == 0.0


def test_ageing_probability_gives_band_width_in_expectation() -> None:
    p = market.ageing_probability(np.array([10.0, 30.0, np.inf]))
    assert_allclose(1.0 / p[:2] / 12.0, [10.0, 30.0])
    assert p[2] == 0.0
