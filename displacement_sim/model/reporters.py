"""Monthly indicators per economy, computed in one vectorised pass over the workers.

All counts are in people (worker agents times the economy's ``workers_per_agent``); money in
start-year USD per month (wages grow in real terms with the wage index). The indicators are
declared in ``displacement_sim.outcomes.INDICATORS`` (name, label, definition, unit, direction,
how they pool over economies); this module computes them. ``METRICS`` maps each name to its
definition, in the order of the results table's columns; the DataCollector reads each as an
attribute of the ``Economy`` agents.

How trainees are counted: they are in the labour force, neither employed nor unemployed.
``unemployment_rate`` leaves them out of numerator and denominator (a programme lowers it by
enrolling people), so the honest headline measures are ``employment_rate`` (employed over the
labour force including trainees), ``employment_to_population`` and
``unemployment_rate_incl_training``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from displacement_sim.constants import (
    AGE_GROUPS,
    EMPLOYED,
    OUT_OF_LABOUR_FORCE,
    OUTSIDE_POPULATION,
    SECTORS,
    SEXES,
    TRAINING,
    UNEMPLOYED,
)
from displacement_sim.model.kernels import demographic_counts
from displacement_sim.model.workers import COHORT_MONTHS
from displacement_sim.outcomes import AGE_LABELS, DEMAND_EFFECTS, INDICATORS

if TYPE_CHECKING:
    from displacement_sim.model.model import DisplacementModel

_AGENT_FLOWS: tuple[str, ...] = (
    "displaced", "separations", "hires", "hires_displaced", "training_started",
    "training_completed", "training_dropped", "training_left_for_job", "exits", "entries",
    "centre_trainees", "exits_employed", "exits_searching", "exits_training",
    "population_joined", "population_left", "typhoon_separated", "recalled", "connected",
)
_PEOPLE_AND_USD_FLOWS: tuple[str, ...] = (
    "training_slots", "spending_training_usd", "spending_benefits_usd", "spending_subsidy_usd",
    "centre_contribution_usd", "spending_digital_usd",
)
FLOWS: tuple[str, ...] = _AGENT_FLOWS + _PEOPLE_AND_USD_FLOWS
"""Flows the model accumulates during a month (worker agents, except slots and USD)."""

CUMULATIVE: tuple[str, ...] = ("displaced", "training_completed", "training_started")

_NONE = np.zeros(0, np.int64)
_N_STATUS = 5

_COHORT_STATES = {"employed": EMPLOYED, "unemployed": UNEMPLOYED, "training": TRAINING,
                  "olf": OUT_OF_LABOUR_FORCE}

_AGE_LABEL = AGE_LABELS

METRICS: dict[str, str] = {name: ind.definition for name, ind in INDICATORS.items()}
"""Every reported indicator and its definition, from ``outcomes.INDICATORS`` (also the columns
of the results table, in order)."""

__all__ = ["CUMULATIVE", "DEMAND_EFFECTS", "FLOWS", "METRICS", "compute_metrics",
           "displaced_survey"]


def _median_by_group(groups: np.ndarray, values: np.ndarray, n_groups: int,
                     cap: int = 600) -> np.ndarray:
    """Median of small non-negative integers per group, via per-group histograms."""
    v = np.minimum(values.astype(np.int64), cap)
    hist = np.bincount(groups * (cap + 1) + v, minlength=n_groups * (cap + 1)).reshape(
        n_groups, cap + 1)
    total = hist.sum(1)
    cum = hist.cumsum(1)
    med = (cum >= (total[:, None] + 1) / 2.0).argmax(1).astype(float)
    return np.where(total > 0, med, np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(np.shape(num), np.nan), where=den > 0)


def displaced_survey(economy: np.ndarray, status: np.ndarray, rows: np.ndarray,
                     n_economies: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Status now of long-tenured job losers, as the BLS Displaced Worker Survey counts it.

    Of the workers ``rows`` (those who lost a job held ``DWS_TENURE_MONTHS`` or more in the
    last ``DWS_WINDOW_MONTHS`` months, ``DisplacementModel.tenured_losses``), rows outside the
    working-age population are left out: the survey cannot interview them. The others are
    re-employed (employed), unemployed (unemployed or in training: trainees are in the labour
    force and search, as the survey's unemployed have) or out of the labour force.

    Parameters
    ----------
    economy, status : numpy.ndarray
        Every worker's economy and status (``Workers.economy``, ``Workers.status``).
    rows : numpy.ndarray
        Indices of the job losers, each at most once.
    n_economies : int
        Number of economies.

    Returns
    -------
    n, reemployed, unemployed, olf : numpy.ndarray
        Per economy: the job losers in the population (worker agents) and the shares of them
        in each status, which sum to one (NaN where ``n`` is 0).

    References
    ----------
    U.S. Bureau of Labor Statistics (2024), Worker Displacement: 2021-2023, news release
    USDL-24-1758, https://www.bls.gov/news.release/disp.nr0.htm

    Examples
    --------
    >>> st = np.array([EMPLOYED, UNEMPLOYED, TRAINING, OUT_OF_LABOUR_FORCE, OUTSIDE_POPULATION])
    >>> n, emp, unemp, olf = displaced_survey(np.zeros(5, np.uint8), st, np.arange(5), 1)
    >>> n.tolist(), emp.tolist(), unemp.tolist(), olf.tolist()
    ([4.0], [0.25], [0.5], [0.25])
    """
    st = status[rows]
    inside = st != OUTSIDE_POPULATION
    st = st[inside]
    e = economy[rows[inside]].astype(np.int64)
    c = np.bincount(e * _N_STATUS + st, minlength=n_economies * _N_STATUS).reshape(
        n_economies, _N_STATUS).astype(float)
    n = c.sum(1)
    return (n, _ratio(c[:, EMPLOYED], n), _ratio(c[:, UNEMPLOYED] + c[:, TRAINING], n),
            _ratio(c[:, OUT_OF_LABOUR_FORCE], n))


def compute_metrics(model: DisplacementModel) -> dict[str, np.ndarray]:
    """Every indicator in ``METRICS`` for each economy (arrays over economies)."""
    w = model.workers
    P = model.params
    n_e = model.n_economies
    W = model.workers_per_agent
    status = w.status
    n_s, n_a = len(SEXES), len(AGE_GROUPS)
    # One pass over all workers: counts by economy, sex, age band, residence and status.
    counts, wage_sum, online = demographic_counts(w.economy, w.sex, w.age, w.rural, w.digital,
                                                  status, w.wage, n_e, n_s, n_a)
    counts = counts.astype(float)
    by_status = counts.sum((1, 2, 3))
    emp, unemp, train, olf = (by_status[:, k] for k in (EMPLOYED, UNEMPLOYED, TRAINING,
                                                         OUT_OF_LABOUR_FORCE))
    lf = emp + unemp + train
    pop = lf + olf
    out: dict[str, np.ndarray] = {
        "labour_force": lf * W,
        "employed": emp * W,
        "unemployed": unemp * W,
        "in_training": train * W,
        "out_of_labour_force": olf * W,
        "population": pop * W,
        "unemployment_rate": _ratio(unemp, emp + unemp),
        "unemployment_rate_incl_training": _ratio(unemp + train, lf),
        "employment_rate": _ratio(emp, lf),
        "employment_to_population": _ratio(emp, pop),
        "participation_rate": _ratio(lf, pop),
    }
    by_sex = counts.sum((2, 3))
    for j, s in enumerate(SEXES):
        c = by_sex[:, j]
        lf_s = c[:, EMPLOYED] + c[:, UNEMPLOYED] + c[:, TRAINING]
        pop_s = lf_s + c[:, OUT_OF_LABOUR_FORCE]
        out[f"labour_force_{s}"] = lf_s * W
        out[f"unemployment_rate_{s}"] = _ratio(c[:, UNEMPLOYED], c[:, UNEMPLOYED] + c[:, EMPLOYED])
        out[f"employment_to_population_{s}"] = _ratio(c[:, EMPLOYED], pop_s)
        out[f"participation_rate_{s}"] = _ratio(lf_s, pop_s)
    by_age = counts.sum((1, 3))
    for j, a in enumerate(AGE_GROUPS):
        c = by_age[:, j]
        lf_a = c[:, EMPLOYED] + c[:, UNEMPLOYED] + c[:, TRAINING]
        label = _AGE_LABEL[a]
        out[f"labour_force_{label}"] = lf_a * W
        out[f"unemployment_rate_{label}"] = _ratio(c[:, UNEMPLOYED],
                                                   c[:, UNEMPLOYED] + c[:, EMPLOYED])
        out[f"employment_rate_{label}"] = _ratio(c[:, EMPLOYED], lf_a)
    ur = counts.sum((1, 2))
    for j, name in enumerate(("urban", "rural")):
        out[f"unemployment_rate_{name}"] = _ratio(ur[:, j, UNEMPLOYED],
                                                   ur[:, j, UNEMPLOYED] + ur[:, j, EMPLOYED])
    u_idx = np.flatnonzero(status == UNEMPLOYED)
    months = w.months_in_status[u_idx]
    u_e = w.economy[u_idx].astype(np.int64)
    long_term = np.bincount(u_e, weights=months >= P.long_term_months[u_e], minlength=n_e)
    out["long_term_unemployed_share"] = _ratio(long_term, unemp)
    out["median_unemployment_months"] = _median_by_group(u_e, months, n_e)
    f = model.firms_state
    fe = f.economy
    n_sec = len(SECTORS)
    sec = np.bincount(f.cell, weights=f.employment, minlength=n_e * n_sec).reshape(n_e, n_sec)
    for j, code in enumerate(SECTORS):
        out[f"employment_{code}"] = sec[:, j] * W
    out["vacancies"] = np.bincount(fe, weights=f.vacancies, minlength=n_e) * W
    out["labour_demand"] = np.bincount(fe, weights=f.target, minlength=n_e) * W
    for k in DEMAND_EFFECTS:
        flows = model.demand_flows[k] * W[:, None]
        out[f"demand_{k}"] = flows.sum(1)
        for j, code in enumerate(SECTORS):
            out[f"demand_{k}_{code}"] = flows[:, j]
    out["automated_share"] = (model.cell_automated * model.share0).sum(1)
    out["firms_adopted_share"] = np.bincount(fe, weights=f.adopted_month >= 0,
                                             minlength=n_e) / np.bincount(fe, minlength=n_e)
    out["cost_ratio"] = model._cost_ratio()
    out["wage_index"] = model.wage_index.copy()
    flows = model.flows
    for name in _AGENT_FLOWS:
        out[name] = flows[name] * W
    for name in _PEOPLE_AND_USD_FLOWS:
        out[name] = flows[name].copy()
    out["spending_total_usd"] = (flows["spending_training_usd"] + flows["spending_benefits_usd"]
                                 + flows["spending_subsidy_usd"]
                                 + flows["centre_contribution_usd"]
                                 + flows["spending_digital_usd"])
    rows = model.recall_rows
    waiting = rows[(status[rows] == UNEMPLOYED) & (w.firm[rows] == model.recall_firm)]
    out["awaiting_recall"] = np.bincount(w.economy[waiting], minlength=n_e) * W
    out["internet_users_share"] = _ratio(online[:, :, 1].sum(1), online.sum((1, 2)))
    out["internet_users_share_rural"] = _ratio(online[:, 1, 1], online[:, 1].sum(1))
    for name in CUMULATIVE:
        out[f"{name}_cumulative"] = model.totals[name] * W
    usd = model.wage_level * model.wage_index
    d_idx = np.flatnonzero(w.displaced_month >= 0)
    d_e = w.economy[d_idx].astype(np.int64)
    d_status = status[d_idx]
    d_emp = d_status == EMPLOYED
    n_disp = np.bincount(d_e, minlength=n_e).astype(float)
    reemp = np.bincount(d_e, weights=d_emp, minlength=n_e)
    out["displaced_reemployed"] = reemp * W
    out["displaced_unemployed"] = np.bincount(d_e, weights=d_status == UNEMPLOYED,
                                              minlength=n_e) * W
    out["displaced_reemployed_share"] = _ratio(reemp, n_disp)
    out["displaced_olf_share"] = _ratio(np.bincount(
        d_e, weights=(d_status == OUT_OF_LABOUR_FORCE) | (d_status == OUTSIDE_POPULATION),
        minlength=n_e), n_disp)
    out["mean_wage_usd"] = _ratio(wage_sum, emp) * usd
    # Metrics are read after the month's clock tick: entitled while months - 1 < max_months.
    paid = ((d_status == UNEMPLOYED) & w.job_loser[d_idx]
            & (w.months_in_status[d_idx] <= P.benefit_months[d_e]))
    income = np.where(d_emp, w.wage[d_idx],
                      np.where(paid, P.benefit_replacement[d_e] * w.wage[d_idx], 0.0))
    loss = (w.wage_before_displacement[d_idx] - income) * usd[d_e]
    out["displaced_income_loss_usd"] = np.bincount(d_e, weights=loss, minlength=n_e) * W
    since = model.month - w.displaced_month[d_idx].astype(np.int64)
    for k, m in enumerate(COHORT_MONTHS):
        ready = since >= m
        size = np.bincount(d_e[ready], minlength=n_e).astype(float)
        out[f"cohort_{m}m_size"] = size * W
        cs = np.minimum(w.cohort_status[d_idx[ready], k], OUT_OF_LABOUR_FORCE)
        c4 = np.bincount(d_e[ready] * 4 + cs, minlength=n_e * 4).reshape(n_e, 4)
        for name, code in _COHORT_STATES.items():
            out[f"cohort_{m}m_{name}"] = _ratio(c4[:, code].astype(float), size)
    # Trainees by months since the start of their programme (each worker trains at most once):
    # this month's cohorts only, read from the model's index of starters by month.
    for m in COHORT_MONTHS:
        idx = model.training_starts.get(model.month - m, _NONE)
        t_e = w.economy[idx]
        size = np.bincount(t_e, minlength=n_e).astype(float)
        out[f"trainee_{m}m_size"] = size * W
        out[f"trainee_{m}m_employed"] = _ratio(
            np.bincount(t_e, weights=status[idx] == EMPLOYED, minlength=n_e), size)
    losses = model.tenured_losses
    rows = np.concatenate(list(losses.values())) if losses else _NONE
    n_dws, out["dws_reemployed_share"], out["dws_unemployed_share"], out["dws_olf_share"] = \
        displaced_survey(w.economy, status, rows, n_e)
    out["dws_n"] = n_dws * W
    if out.keys() != METRICS.keys():  # pragma: no cover - guards the registry against drift
        raise RuntimeError(f"indicators declared but not computed: "
                           f"{sorted(set(METRICS) - set(out))}; computed but not declared in "
                           f"outcomes.INDICATORS: {sorted(set(out) - set(METRICS))}")
    return out
