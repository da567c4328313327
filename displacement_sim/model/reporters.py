"""Monthly indicators per economy, computed in one vectorised pass over the workers.

All counts are in people (worker agents times the economy's ``workers_per_agent``); money in
current USD per month. ``METRICS`` lists every indicator with its meaning; the DataCollector
reads each as an attribute of the ``Economy`` agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..constants import EMPLOYED, OUT_OF_LABOUR_FORCE, SECTORS, TRAINING, UNEMPLOYED
from .workers import COHORT_MONTHS

if TYPE_CHECKING:
    from .model import DisplacementModel

FLOWS: tuple[str, ...] = (
    "displaced", "separations", "hires", "hires_displaced", "training_started",
    "training_completed", "training_dropped", "training_left_for_job", "exits", "reentries",
    "centre_trainees", "training_slots", "spending_training_usd", "spending_benefits_usd",
    "spending_subsidy_usd", "centre_contribution_usd",
)
"""Flows the model accumulates during a month (worker agents, except slots and USD)."""

_AGENT_FLOWS = FLOWS[:11]
CUMULATIVE: tuple[str, ...] = ("displaced", "training_completed", "training_started")

_NONE = np.zeros(0, np.int64)

_COHORT_STATES = {"employed": EMPLOYED, "unemployed": UNEMPLOYED, "training": TRAINING,
                  "olf": OUT_OF_LABOUR_FORCE}

METRICS: dict[str, str] = {
    "labour_force": "Employed, unemployed and in training (people)",
    "employed": "Employed (people)",
    "unemployed": "Unemployed and searching (people)",
    "in_training": "In a training programme (people)",
    "out_of_labour_force": "Left the labour force during the run (people)",
    "unemployment_rate": "Unemployed / (employed + unemployed); trainees are outside it",
    "unemployment_rate_incl_training": "(Unemployed + trainees) / labour force",
    "unemployment_rate_urban": "Unemployment rate of urban workers",
    "unemployment_rate_rural": "Unemployment rate of rural workers",
    "long_term_unemployed_share": "Share of the unemployed unemployed for at least "
                                  "labour_market.long_term_months (default 12)",
    "median_unemployment_months": "Median months in the current unemployment spell",
    **{f"employment_{s}": f"Employment in ISIC group {s} (people)" for s in SECTORS},
    "vacancies": "Open vacancies (jobs)",
    "automated_share": "Share of the starting work automated so far",
    "firms_adopted_share": "Share of firms that have adopted automation",
    "cost_ratio": "Cost of automating over the wage cost of the work (median firm adopts at 1)",
    "displaced": "Workers displaced by automation this month (people)",
    "displaced_cumulative": "Displacements by automation since the start (people)",
    "displaced_reemployed": "Workers ever displaced who are employed now (people)",
    "displaced_reemployed_share": "Share of workers ever displaced who are employed now",
    "displaced_unemployed": "Workers ever displaced who are unemployed now (people)",
    "separations": "Ordinary separations this month (people)",
    "hires": "Hires this month (people)",
    "hires_displaced": "Hires of workers ever displaced this month (people)",
    "training_slots": "Training places the capacity-building budget buys this month (people)",
    "training_started": "Trainees enrolled this month (people)",
    "training_started_cumulative": "Trainees enrolled since the start (people)",
    "training_completed": "Trainees who completed this month (people)",
    "training_completed_cumulative": "Trainees who completed since the start (people)",
    "training_dropped": "Trainees who dropped out this month (people)",
    "training_left_for_job": "Trainees who left training for a job this month (people)",
    "centre_trainees": "Trainees enrolled at the regional centre this month (people)",
    "exits": "Long-term unemployed who left the labour force this month (people)",
    "reentries": "People who returned to the labour force this month (people)",
    "mean_wage_usd": "Mean monthly wage of the employed (USD)",
    "displaced_income_loss_usd": "Wages lost this month by workers ever displaced (USD)",
    "spending_training_usd": "Capacity-building spending this month (USD)",
    "spending_benefits_usd": "Unemployment benefits paid this month (USD)",
    "spending_subsidy_usd": "Hiring subsidies paid this month (USD)",
    "centre_contribution_usd": "Contribution to the regional centre this month (USD)",
    "spending_total_usd": "All programme spending this month (USD)",
    **{f"cohort_{k}m_{name}": f"Of workers displaced at least {k} months ago, share {name} "
       f"{k} months after displacement" for k in COHORT_MONTHS for name in _COHORT_STATES},
    **{f"cohort_{k}m_size": f"Workers displaced at least {k} months ago (people)"
       for k in COHORT_MONTHS},
    **{f"trainee_{k}m_employed": f"Of workers whose training started exactly {k} months "
       "before this month, share employed at the end of this month" for k in COHORT_MONTHS},
    **{f"trainee_{k}m_size": f"Workers whose training started exactly {k} months before this "
       "month (people)" for k in COHORT_MONTHS},
}
"""Every reported indicator and its meaning (also the columns of the results table)."""


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


def compute_metrics(model: DisplacementModel) -> dict[str, np.ndarray]:
    """Every indicator in ``METRICS`` for each economy (arrays over economies)."""
    w = model.workers
    n_e = model.n_economies
    W = model.workers_per_agent
    status = w.status
    # One pass over all workers: counts and wage sums by economy, residence and status.
    key = (w.economy * np.uint8(8)) + (w.rural.view(np.uint8) * np.uint8(4)) + status
    counts = np.bincount(key, minlength=n_e * 8).reshape(n_e, 2, 4).astype(float)
    wages = np.bincount(key, weights=w.wage, minlength=n_e * 8).reshape(n_e, 2, 4).sum(1)
    by_status = counts.sum(1)
    emp, unemp, train, olf = (by_status[:, k] for k in (EMPLOYED, UNEMPLOYED, TRAINING,
                                                         OUT_OF_LABOUR_FORCE))
    out: dict[str, np.ndarray] = {
        "labour_force": (emp + unemp + train) * W,
        "employed": emp * W,
        "unemployed": unemp * W,
        "in_training": train * W,
        "out_of_labour_force": olf * W,
        "unemployment_rate": _ratio(unemp, emp + unemp),
        "unemployment_rate_incl_training": _ratio(unemp + train, emp + unemp + train),
    }
    ur = counts
    for j, name in enumerate(("urban", "rural")):
        out[f"unemployment_rate_{name}"] = _ratio(ur[:, j, UNEMPLOYED],
                                                   ur[:, j, UNEMPLOYED] + ur[:, j, EMPLOYED])
    u_idx = np.flatnonzero(status == UNEMPLOYED)
    months = w.months_in_status[u_idx]
    u_e = w.economy[u_idx].astype(np.int64)
    lt = model._param("labour_market", "long_term_months")
    long_term = np.bincount(u_e, weights=months >= lt[u_e], minlength=n_e)
    out["long_term_unemployed_share"] = _ratio(long_term, unemp)
    out["median_unemployment_months"] = _median_by_group(u_e, months, n_e)
    fe = model.firm_economy
    # Employed workers' sector is their employer's: sum the firms' employment.
    sec = np.bincount(fe * len(SECTORS) + model.firm_sector, weights=model.firm_employment,
                      minlength=n_e * len(SECTORS)).reshape(n_e, len(SECTORS))
    for j, code in enumerate(SECTORS):
        out[f"employment_{code}"] = sec[:, j] * W
    out["vacancies"] = np.bincount(fe, weights=model.firm_vacancies, minlength=n_e) * W
    base = np.bincount(fe, weights=model.firm_base_target, minlength=n_e)
    out["automated_share"] = np.bincount(
        fe, weights=model.firm_base_target * model.firm_automated_share, minlength=n_e) / base
    out["firms_adopted_share"] = np.bincount(fe, weights=model.firm_adopted_month >= 0,
                                             minlength=n_e) / np.bincount(fe, minlength=n_e)
    out["cost_ratio"] = model._cost_ratio()
    flows = model.flows
    for name in _AGENT_FLOWS:
        out[name] = flows[name] * W
    for name in ("training_slots", "spending_training_usd", "spending_benefits_usd",
                 "spending_subsidy_usd", "centre_contribution_usd"):
        out[name] = flows[name].copy()
    out["spending_total_usd"] = (flows["spending_training_usd"] + flows["spending_benefits_usd"]
                                 + flows["spending_subsidy_usd"]
                                 + flows["centre_contribution_usd"])
    for name in CUMULATIVE:
        out[f"{name}_cumulative"] = model.totals[name] * W
    d_idx = np.flatnonzero(w.displaced_month >= 0)
    d_e = w.economy[d_idx].astype(np.int64)
    d_emp = status[d_idx] == EMPLOYED
    n_disp = np.bincount(d_e, minlength=n_e).astype(float)
    reemp = np.bincount(d_e, weights=d_emp, minlength=n_e)
    out["displaced_reemployed"] = reemp * W
    out["displaced_unemployed"] = np.bincount(d_e, weights=status[d_idx] == UNEMPLOYED,
                                              minlength=n_e) * W
    out["displaced_reemployed_share"] = _ratio(reemp, n_disp)
    out["mean_wage_usd"] = _ratio(wages[:, EMPLOYED], emp)
    rr = model._param("policy", "benefits", "replacement_rate")[d_e]
    max_m = model._param("policy", "benefits", "max_months")[d_e]
    d_status = status[d_idx]
    # Metrics are read after the month's clock tick: entitled while months - 1 < max_months.
    paid = (d_status == UNEMPLOYED) & (w.months_in_status[d_idx] <= max_m)
    income = np.where(d_emp, w.wage[d_idx], np.where(paid, rr * w.wage[d_idx], 0.0))
    loss = w.wage_before_displacement[d_idx] - income
    out["displaced_income_loss_usd"] = np.bincount(d_e, weights=loss, minlength=n_e) * W
    since = model.month - w.displaced_month[d_idx].astype(np.int64)
    for k, m in enumerate(COHORT_MONTHS):
        ready = since >= m
        size = np.bincount(d_e[ready], minlength=n_e).astype(float)
        out[f"cohort_{m}m_size"] = size * W
        cs = w.cohort_status[d_idx[ready], k]
        counts = np.bincount(d_e[ready] * 4 + cs, minlength=n_e * 4).reshape(n_e, 4)
        for name, code in _COHORT_STATES.items():
            out[f"cohort_{m}m_{name}"] = _ratio(counts[:, code].astype(float), size)
    # Trainees by months since the start of their programme (each worker trains at most once):
    # this month's cohorts only, read from the model's index of starters by month, so only
    # those workers are touched. Pooling the months of a run gives the share employed k months
    # after the start of training (analysis.compare).
    for m in COHORT_MONTHS:
        idx = model.training_starts.get(model.month - m, _NONE)
        t_e = w.economy[idx]
        size = np.bincount(t_e, minlength=n_e).astype(float)
        out[f"trainee_{m}m_size"] = size * W
        out[f"trainee_{m}m_employed"] = _ratio(
            np.bincount(t_e, weights=status[idx] == EMPLOYED, minlength=n_e), size)
    missing = set(METRICS) - set(out)
    if missing:  # pragma: no cover - guards the METRICS table against drift
        raise RuntimeError(f"metrics not computed: {sorted(missing)}")
    return out
