"""Compiled per-worker passes (numba) for the rules that touch every row each month.

Each kernel takes the worker columns and uniforms drawn by the caller from the mechanism
streams, so the draws, and therefore the results, do not depend on how a pass is computed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from displacement_sim.constants import EMPLOYED, OUT_OF_LABOUR_FORCE, OUTSIDE_POPULATION, UNEMPLOYED

_N_STATUS = 5


@njit(cache=True)
def status_counts(economy: np.ndarray, status: np.ndarray, n_economies: int) -> np.ndarray:
    """Workers by economy and status, shape ``(n_economies, 5)``."""
    out = np.zeros((n_economies, _N_STATUS), np.int64)
    for i in range(economy.size):
        out[economy[i], status[i]] += 1
    return out


@njit(cache=True)
def demographic_counts(economy: np.ndarray, sex: np.ndarray, age: np.ndarray,
                       rural: np.ndarray, digital: np.ndarray, status: np.ndarray,
                       wage: np.ndarray, n_economies: int, n_sex: int, n_age: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Workers by economy, sex, age band, residence and status; the employed's wage sum by
    economy; and the working-age population by economy, residence and internet use (one
    pass)."""
    out = np.zeros((n_economies, n_sex, n_age, 2, _N_STATUS), np.int64)
    wages = np.zeros(n_economies)
    online = np.zeros((n_economies, 2, 2), np.int64)
    for i in range(economy.size):
        r = np.int64(rural[i])
        out[economy[i], sex[i], age[i], r, status[i]] += 1
        if status[i] == EMPLOYED:
            wages[economy[i]] += wage[i]
        if status[i] != OUTSIDE_POPULATION:
            online[economy[i], r, np.int64(digital[i])] += 1
    return out, wages, online


@njit(cache=True)
def labour_force_pass(economy, sex, age, status, months, firm, subsidy_until, displaced_month,
                      training_start, trainings, trained, job_loser, tenured_loss, u, u_age,
                      ageing, exit_employed, exit_unemployed, lf_target, pop_target,
                      firm_employment, n_sex, n_age, move_population):
    """Ageing, exits, entries and population moves of one month, in two passes over the rows.

    First everyone in the population moves one age band up with chance ``ageing[age]``
    (decided by ``u_age[i]``).
    Members of the labour force leave at their base rate (employed or searching) plus the
    extra rate that brings their economy-sex-age cell down to its target in expectation;
    inactive people of the same economy and sex enter in proportion to the cells' shortfalls,
    into the age band short (drawn from the rescaled uniform). With ``move_population``, spare
    rows join the working-age population, or inactive people leave it, towards the
    population targets by economy and sex; a row that joins is a new person, with no
    displacement, job-loss or training history. One uniform ``u[i]`` per row decides all of it.

    Returns
    -------
    exits : numpy.ndarray
        Rows that left the labour force, per economy and former status (employed, unemployed,
        training), shape ``(n_economies, 3)``.
    entries, joined, left : numpy.ndarray
        Rows that entered the labour force, joined the population and left it, per economy.
    """
    n = economy.size
    n_e = exit_employed.size
    n_cells = n_e * n_sex * n_age
    n_groups = n_e * n_sex
    have = np.zeros(n_cells)
    base_sum = np.zeros(n_cells)
    n_olf = np.zeros(n_groups)
    n_spare = np.zeros(n_groups)
    pop = np.zeros(n_groups)
    for i in range(n):
        st = status[i]
        g = economy[i] * n_sex + sex[i]
        if st == OUTSIDE_POPULATION:
            n_spare[g] += 1.0
            continue
        pop[g] += 1.0
        if u_age[i] < ageing[age[i]]:
            age[i] += 1
        if st == OUT_OF_LABOUR_FORCE:
            n_olf[g] += 1.0
            continue
        c = g * n_age + age[i]
        have[c] += 1.0
        base_sum[c] += exit_employed[economy[i]] if st == EMPLOYED else exit_unemployed[economy[i]]
    extra = np.zeros(n_cells)
    short = np.zeros(n_cells)
    for c in range(n_cells):
        stay = have[c] - base_sum[c]
        if stay > lf_target[c]:
            extra[c] = (stay - lf_target[c]) / max(stay, 1.0)
        else:
            short[c] = lf_target[c] - stay
    p_enter = np.zeros(n_groups)
    cum = np.zeros((n_groups, n_age))
    p_grow = np.zeros(n_groups)
    p_shrink = np.zeros(n_groups)
    for g in range(n_groups):
        total = 0.0
        for a in range(n_age):
            total += short[g * n_age + a]
        running = 0.0
        for a in range(n_age):
            running += short[g * n_age + a]
            cum[g, a] = running / total if total > 0 else 1.0
        if n_olf[g] > 0:
            p_enter[g] = min(total / n_olf[g], 1.0)
        if move_population:
            if pop_target[g] > pop[g] and n_spare[g] > 0:
                p_grow[g] = min((pop_target[g] - pop[g]) / n_spare[g], 1.0)
            elif pop_target[g] < pop[g] and n_olf[g] > 0:
                p_shrink[g] = min((pop[g] - pop_target[g]) / n_olf[g], 1.0 - p_enter[g])
    exits = np.zeros((n_e, 3), np.int64)
    entries = np.zeros(n_e, np.int64)
    joined = np.zeros(n_e, np.int64)
    left = np.zeros(n_e, np.int64)
    for i in range(n):
        st = status[i]
        e = economy[i]
        g = e * n_sex + sex[i]
        if st == OUTSIDE_POPULATION:
            if u[i] < p_grow[g]:
                status[i] = OUT_OF_LABOUR_FORCE
                months[i] = 0
                displaced_month[i] = -1
                training_start[i] = -1
                trainings[i] = 0
                trained[i] = False
                tenured_loss[i] = False
                joined[e] += 1
            continue
        if st == OUT_OF_LABOUR_FORCE:
            if u[i] < p_enter[g]:
                r = u[i] / p_enter[g]
                a = 0
                while a < n_age - 1 and r >= cum[g, a]:
                    a += 1
                age[i] = a
                status[i] = UNEMPLOYED
                months[i] = 0
                job_loser[i] = False  # entrants search without benefit entitlement
                entries[e] += 1
            elif u[i] >= 1.0 - p_shrink[g]:
                status[i] = OUTSIDE_POPULATION
                months[i] = 0
                left[e] += 1
            continue
        base = exit_employed[e] if st == EMPLOYED else exit_unemployed[e]
        p = 1.0 - (1.0 - base) * (1.0 - extra[g * n_age + age[i]])
        if u[i] < p:
            if st == EMPLOYED:
                firm_employment[firm[i]] -= 1.0
            subsidy_until[i] = -1
            status[i] = OUT_OF_LABOUR_FORCE
            months[i] = 0
            exits[e, st] += 1
    return exits, entries, joined, left




@njit(cache=True)
def churn_pass(economy, status, months, firm, subsidy_until, job_loser, u, separation_prob,
               firm_employment, n_economies, tenure_min):
    """Separations of one month: each employed row leaves its job with its firm's probability
    (decided by ``u[i]``, one uniform per row).

    Returns
    -------
    separations : numpy.ndarray
        Separations per economy.
    tenured : numpy.ndarray
        The rows (int32, ascending) that separated from a job they had held ``tenure_min``
        months or more (their months in employment before the separation).
    """
    out = np.zeros(n_economies, np.int64)
    tenured = np.empty(economy.size, np.int32)
    k = 0
    for i in range(economy.size):
        if status[i] == EMPLOYED and u[i] < separation_prob[firm[i]]:
            if months[i] >= tenure_min:
                tenured[k] = i
                k += 1
            status[i] = UNEMPLOYED
            months[i] = 0
            subsidy_until[i] = -1
            job_loser[i] = True
            firm_employment[firm[i]] -= 1.0
            out[economy[i]] += 1
    return out, tenured[:k].copy()


__all__ = ["churn_pass", "demographic_counts", "labour_force_pass", "status_counts"]
