"""Scenario settings resolved once into typed per-economy arrays.

The monthly step reads plain numpy arrays (one value per economy, or per economy and sector
or skill level); it does no string lookups and no loops over settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from displacement_sim.config import EconomySettings
from displacement_sim.constants import SECTORS

_PRIORITY = {"displaced_first": 0, "long_term_first": 1, "lottery": 2}
_MODE = {"endogenous": 0, "s_curve": 1, "none": 2}
ENDOGENOUS, S_CURVE, NO_AUTOMATION = 0, 1, 2


@dataclass(frozen=True)
class EconomyParams:
    """Every parameter the step uses, one row per economy (shape ``(n,)`` unless noted)."""

    # drivers
    flat: np.ndarray
    structural_change: np.ndarray
    # automation
    mode: np.ndarray                 # int: ENDOGENOUS, S_CURVE, NO_AUTOMATION
    task_exposure: np.ndarray        # bool: exposure_basis == "task"
    task_exposure_ratio: np.ndarray
    cost_ratio_usa: np.ndarray
    wage_gap_elasticity: np.ndarray
    cost_decline: np.ndarray
    cost_reference_year: np.ndarray
    sector_hazard: np.ndarray        # (n, 14)
    threshold_sigma: np.ndarray
    adoption_hazard: np.ndarray
    imitation: np.ndarray
    robot_elasticity: np.ndarray
    depth: np.ndarray
    reinstatement_ratio: np.ndarray
    creation_lag_months: np.ndarray
    price_elasticity: np.ndarray
    absorption_per_year: np.ndarray
    labour_cost_share: np.ndarray
    s_curve: np.ndarray              # (n, 3): target_share, target_year, duration_years
    # labour market
    separation_rate: np.ndarray
    opening_rate: np.ndarray
    gamma_u: np.ndarray
    gamma_v: np.ndarray
    own_sector_preference: np.ndarray
    matching_efficiency: np.ndarray
    skill_gap_penalty: np.ndarray
    displaced_skill_loss: np.ndarray
    displaced_wage_penalty: np.ndarray
    skill_upgrade: np.ndarray
    duration_decay_per_year: np.ndarray
    long_term_months: np.ndarray
    exit_rate_employed: np.ndarray
    exit_rate_unemployed: np.ndarray
    okun_elasticity: np.ndarray      # nan: estimated from the economy's history
    trend_level_weight: np.ndarray
    natural_rate_years: np.ndarray   # (n, 2) int: first and last year of the line; -1: none
    trend_growth_weight: np.ndarray
    wage_curve_elasticity: np.ndarray
    wage_adjustment_months: np.ndarray
    labour_demand_elasticity: np.ndarray
    observed_benefit_replacement: np.ndarray
    observed_benefit_months: np.ndarray
    labour_share: np.ndarray
    skill_wage_ratio: np.ndarray     # (n, 3)
    # training
    duration_months: np.ndarray
    completion: np.ndarray           # (n, 3): base completion x skill factor, by skill level
    no_digital_completion_factor: np.ndarray
    rural_internet_ratio: np.ndarray
    skill_gain: np.ndarray
    lockin_search_factor: np.ndarray
    cost_share_of_gdp_per_capita: np.ndarray
    # policy
    cb_share_of_gdp: np.ndarray
    cb_amount_usd: np.ndarray
    cb_months_active: np.ndarray     # float; inf = the whole run
    cb_cost_per_trainee_usd: np.ndarray  # nan = default cost
    cb_priority: np.ndarray          # int, see _PRIORITY
    cb_displaced_only: np.ndarray
    benefit_replacement: np.ndarray
    benefit_months: np.ndarray
    benefit_search_elasticity: np.ndarray
    subsidy_share: np.ndarray
    subsidy_months: np.ndarray
    subsidy_hiring_effect: np.ndarray
    automation_tax: np.ndarray
    tech_transfer: np.ndarray
    tech_transfer_training: np.ndarray
    digital_share_of_gdp: np.ndarray
    digital_amount_usd: np.ndarray
    digital_cost_per_person_usd: np.ndarray
    digital_months_active: np.ndarray  # float; inf = the whole run
    # disasters
    recall_rate: np.ndarray          # monthly recall chance, times the response speedup, <= 1
    exposure_override: np.ndarray    # (n, 14), nan where not overridden

    @property
    def n(self) -> int:
        """Number of economies."""
        return self.separation_rate.size


def resolve(settings: Sequence[EconomySettings]) -> EconomyParams:
    """Resolve each economy's settings into an :class:`EconomyParams`."""

    def col(get, dtype=float) -> np.ndarray:
        return np.array([get(s) for s in settings], dtype=dtype)

    def by_sector(get, default: float) -> np.ndarray:
        out = np.full((len(settings), len(SECTORS)), default)
        for e, s in enumerate(settings):
            for code, value in get(s).items():
                out[e, SECTORS.index(code)] = value
        return out

    a = lambda s: s.automation  # noqa: E731
    lm = lambda s: s.labour_market  # noqa: E731
    tr = lambda s: s.training  # noqa: E731
    cb = lambda s: s.policy.capacity_building  # noqa: E731
    return EconomyParams(
        flat=col(lambda s: s.drivers.flat, bool),
        structural_change=col(lambda s: s.drivers.structural_change, bool),
        mode=col(lambda s: _MODE[a(s).mode], np.int64),
        task_exposure=col(lambda s: a(s).exposure_basis == "task", bool),
        task_exposure_ratio=col(lambda s: a(s).task_exposure_ratio),
        cost_ratio_usa=col(lambda s: a(s).cost_ratio_usa),
        wage_gap_elasticity=col(lambda s: a(s).wage_gap_elasticity),
        cost_decline=col(lambda s: a(s).cost_decline_per_year),
        cost_reference_year=col(lambda s: a(s).cost_reference_year),
        sector_hazard=by_sector(lambda s: a(s).sector_hazard, 1.0),
        threshold_sigma=col(lambda s: a(s).threshold_sigma),
        adoption_hazard=col(lambda s: a(s).adoption_hazard),
        imitation=col(lambda s: a(s).imitation),
        robot_elasticity=col(lambda s: a(s).robot_elasticity),
        depth=col(lambda s: a(s).depth),
        reinstatement_ratio=col(lambda s: a(s).reinstatement_ratio),
        creation_lag_months=col(lambda s: a(s).creation_lag_months),
        price_elasticity=col(lambda s: a(s).price_elasticity),
        absorption_per_year=col(lambda s: a(s).absorption_per_year),
        labour_cost_share=col(lambda s: a(s).labour_cost_share),
        s_curve=np.array([[a(s).s_curve.target_share, a(s).s_curve.target_year,
                           a(s).s_curve.duration_years] for s in settings], dtype=float),
        separation_rate=col(lambda s: lm(s).separation_rate),
        opening_rate=col(lambda s: lm(s).opening_rate),
        gamma_u=col(lambda s: lm(s).gamma_u),
        gamma_v=col(lambda s: lm(s).gamma_v),
        own_sector_preference=col(lambda s: lm(s).own_sector_preference),
        matching_efficiency=col(lambda s: lm(s).matching_efficiency),
        skill_gap_penalty=col(lambda s: lm(s).skill_gap_penalty),
        displaced_skill_loss=col(lambda s: lm(s).displaced_skill_loss),
        displaced_wage_penalty=col(lambda s: lm(s).displaced_wage_penalty),
        skill_upgrade=col(lambda s: lm(s).skill_upgrade),
        duration_decay_per_year=col(lambda s: lm(s).duration_decay_per_year),
        long_term_months=col(lambda s: lm(s).long_term_months, np.int64),
        exit_rate_employed=col(lambda s: lm(s).exit_rate_employed),
        exit_rate_unemployed=col(lambda s: lm(s).exit_rate_unemployed),
        okun_elasticity=col(lambda s: np.nan if lm(s).okun_elasticity is None
                            else lm(s).okun_elasticity),
        trend_level_weight=col(lambda s: lm(s).trend_level_weight),
        natural_rate_years=np.array([lm(s).natural_rate_years or (-1, -1) for s in settings],
                                    dtype=np.int64).reshape(len(settings), 2),
        trend_growth_weight=col(lambda s: lm(s).trend_growth_weight),
        wage_curve_elasticity=col(lambda s: lm(s).wage_curve_elasticity),
        wage_adjustment_months=col(lambda s: lm(s).wage_adjustment_months),
        labour_demand_elasticity=col(lambda s: lm(s).labour_demand_elasticity),
        observed_benefit_replacement=col(lambda s: lm(s).observed_benefit_replacement),
        observed_benefit_months=col(lambda s: lm(s).observed_benefit_months),
        labour_share=col(lambda s: lm(s).labour_share),
        skill_wage_ratio=np.array([lm(s).skill_wage_ratio for s in settings], dtype=float),
        duration_months=col(lambda s: tr(s).duration_months),
        completion=np.array([[tr(s).base_completion * f for f in tr(s).skill_completion_factor]
                             for s in settings], dtype=float),
        no_digital_completion_factor=col(lambda s: tr(s).no_digital_completion_factor),
        rural_internet_ratio=col(lambda s: tr(s).rural_internet_ratio),
        skill_gain=col(lambda s: tr(s).skill_gain),
        lockin_search_factor=col(lambda s: tr(s).lockin_search_factor),
        cost_share_of_gdp_per_capita=col(lambda s: tr(s).cost_share_of_gdp_per_capita),
        cb_share_of_gdp=col(lambda s: cb(s).share_of_gdp),
        cb_amount_usd=col(lambda s: cb(s).amount_usd),
        cb_months_active=col(lambda s: np.inf if cb(s).years_active is None
                             else 12.0 * cb(s).years_active),
        cb_cost_per_trainee_usd=col(lambda s: np.nan if cb(s).cost_per_trainee_usd is None
                                    else cb(s).cost_per_trainee_usd),
        cb_priority=col(lambda s: _PRIORITY[cb(s).priority], np.int64),
        cb_displaced_only=col(lambda s: cb(s).eligibility == "displaced", bool),
        benefit_replacement=col(lambda s: s.policy.benefits.replacement_rate),
        benefit_months=col(lambda s: s.policy.benefits.max_months),
        benefit_search_elasticity=col(lambda s: s.policy.benefits.search_elasticity),
        subsidy_share=col(lambda s: s.policy.hiring_subsidy.share_of_wage),
        subsidy_months=col(lambda s: s.policy.hiring_subsidy.months, np.int64),
        subsidy_hiring_effect=col(lambda s: s.policy.hiring_subsidy.hiring_effect),
        automation_tax=col(lambda s: s.policy.automation_tax),
        tech_transfer=col(lambda s: s.policy.tech_transfer),
        tech_transfer_training=col(lambda s: s.policy.tech_transfer_training),
        digital_share_of_gdp=col(lambda s: s.policy.digital_access.share_of_gdp),
        digital_amount_usd=col(lambda s: s.policy.digital_access.amount_usd),
        digital_cost_per_person_usd=col(lambda s: s.policy.digital_access.cost_per_person_usd),
        digital_months_active=col(lambda s: np.inf if s.policy.digital_access.years_active
                                  is None else 12.0 * s.policy.digital_access.years_active),
        recall_rate=col(lambda s: min(1.0, s.disaster.recall_rate
                                      * s.disaster.response_speedup)),
        exposure_override=by_sector(lambda s: s.exposure.sector, np.nan),
    )
