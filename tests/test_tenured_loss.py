"""The hiring skill loss of an involuntary loss of a long-tenure job (``Workers.tenured_loss``).

Who has it: a worker who lost a job held ``DWS_TENURE_MONTHS`` or more involuntarily (a churn
separation into unemployment or a displacement by automation) and has not been employed since,
and, as before, every worker ever displaced by automation; in both cases until a programme is
completed (docs/ODD.md, "Matching with skill fit"; Jacobson, LaLonde & Sullivan 1993). Quits
and retirements (exits to inactivity) and losses of shorter jobs do not give it.
"""

from __future__ import annotations

import numpy as np
from conftest import tiny_scenario

from displacement_sim.constants import (
    EMPLOYED,
    OUT_OF_LABOUR_FORCE,
    OUTSIDE_POPULATION,
    UNEMPLOYED,
)
from displacement_sim.model import DisplacementModel, kernels
from displacement_sim.model.workers import NEVER
from displacement_sim.outcomes import DWS_TENURE_MONTHS


def _model() -> DisplacementModel:
    """A tiny model (burn-in done, month 0) without automation and with flat drivers."""
    s = tiny_scenario(automation={"mode": "none"}, drivers={"flat": True})
    return DisplacementModel(s, seed=7)


def _unscarred_unemployed(model: DisplacementModel, k: int) -> np.ndarray:
    """``k`` unemployed rows of economy 0 with no job-loss history, skill 0 and a binding gap."""
    w = model.workers
    rows = np.flatnonzero((w.status == UNEMPLOYED) & (w.economy == 0))[:k]
    assert rows.size == k
    w.displaced_month[rows] = NEVER
    w.tenured_loss[rows] = False
    w.trained[rows] = False
    w.skill[rows] = 0
    model.sector_skill_req[:] = 2.0  # the gap binds: the loss lowers the fit
    return rows


# ------------------------------------------------------------------------------ the fit


def test_a_tenured_loser_has_the_skill_loss_until_trained() -> None:
    model = _model()
    P = model.params
    rows = _unscarred_unemployed(model, 4)
    w = model.workers
    w.tenured_loss[rows[1:]] = True
    w.trained[rows[2]] = True                           # completed a programme: no loss
    w.displaced_month[rows[3]] = 0                      # also displaced: the loss once
    fit = model._fit(rows, np.zeros(4, np.int64))
    pen, loss, gain = P.skill_gap_penalty[0], P.displaced_skill_loss[0], P.skill_gain[0]
    assert loss > 0 and pen > 0
    np.testing.assert_allclose(fit, np.exp(-pen * np.array(
        [2.0, 2.0 + loss, 2.0 - gain, 2.0 + loss])), rtol=1e-12)


def test_automation_displacement_keeps_its_loss_after_reemployment() -> None:
    # Unchanged: "ever displaced" (displaced_month >= 0) and untrained, whatever the flag.
    model = _model()
    rows = _unscarred_unemployed(model, 2)
    w = model.workers
    w.displaced_month[rows] = 3
    w.tenured_loss[rows[0]] = True
    fit = model._fit(rows, np.zeros(2, np.int64))
    P = model.params
    np.testing.assert_allclose(fit, np.exp(-P.skill_gap_penalty[0]
                                           * (2.0 + P.displaced_skill_loss[0])), rtol=1e-12)


# ------------------------------------------------------------------------------ who gets it


def test_a_tenured_layoff_sets_the_flag_a_short_one_does_not() -> None:
    model = _model()
    w = model.workers
    assert not (w.tenured_loss & (w.status == EMPLOYED)).any()  # the employed never have it
    emp = np.flatnonzero(w.status == EMPLOYED)
    w.months_in_status[emp[0::2]] = DWS_TENURE_MONTHS
    w.months_in_status[emp[1::2]] = DWS_TENURE_MONTHS - 1
    w.tenured_loss[:] = False
    model.separation_rate[:] = 1.0  # everyone employed is laid off
    model._churn()
    assert (w.status[emp] == UNEMPLOYED).all()
    assert w.tenured_loss[emp[0::2]].all()
    assert not w.tenured_loss[emp[1::2]].any()
    assert w.tenured_loss.sum() == emp[0::2].size


def test_a_quit_or_retirement_does_not_set_the_flag() -> None:
    model = _model()
    w = model.workers
    emp = np.flatnonzero(w.status == EMPLOYED)
    w.months_in_status[emp] = DWS_TENURE_MONTHS + 10
    w.tenured_loss[:] = False
    model.exit_employed[:] = 1.0  # every employed worker leaves the labour force
    model._labour_force_flows()
    assert (w.status[emp] == OUT_OF_LABOUR_FORCE).mean() > 0.9
    assert not w.tenured_loss.any()


def test_a_tenured_displacement_sets_the_flag_and_keeps_its_outcomes() -> None:
    model = _model()
    w = model.workers
    a, b = np.flatnonzero(w.status == EMPLOYED)[:2]
    w.months_in_status[a], w.months_in_status[b] = DWS_TENURE_MONTHS, 1
    w.tenured_loss[:] = False
    model._displace(np.array([a, b]))
    assert w.tenured_loss[a] and not w.tenured_loss[b]
    assert (w.displaced_month[[a, b]] == model.month).all()
    assert (w.status[[a, b]] == UNEMPLOYED).all() and w.job_loser[[a, b]].all()


def test_a_new_job_ends_it() -> None:
    model = _model()
    w = model.workers
    searching = np.flatnonzero(w.status == UNEMPLOYED)
    w.tenured_loss[searching] = True
    model.firms_state.vacancies *= 50.0  # plenty of openings: many are hired
    model._search_and_match()
    hired = searching[w.status[searching] == EMPLOYED]
    assert hired.size > 0
    assert not w.tenured_loss[hired].any()
    assert w.tenured_loss[searching[w.status[searching] == UNEMPLOYED]].all()


def test_a_row_that_joins_the_population_is_a_new_person() -> None:
    status = np.array([OUTSIDE_POPULATION], np.uint8)
    tenured_loss = np.ones(1, bool)
    kernels.labour_force_pass(
        np.zeros(1, np.uint8), np.zeros(1, np.uint8), np.zeros(1, np.uint8), status,
        np.zeros(1, np.uint16), np.zeros(1, np.int32), np.full(1, -1, np.int16),
        np.full(1, 4, np.int16), np.full(1, -1, np.int16), np.zeros(1, np.uint8),
        np.zeros(1, bool), np.zeros(1, bool), tenured_loss, np.zeros(1, np.float32),
        np.ones(1, np.float32), np.zeros(4, np.float32), np.zeros(1), np.zeros(1),
        np.zeros(4), np.full(1, 10.0), np.zeros(1), 1, 4, True)
    assert status[0] == OUT_OF_LABOUR_FORCE
    assert not tenured_loss[0]


def test_in_a_run_the_employed_never_have_it() -> None:
    model = DisplacementModel(tiny_scenario(years=1), seed=3)
    model.run_months(12)
    w = model.workers
    recent = np.zeros(w.n, bool)
    for idx in model.tenured_losses.values():
        recent[idx] = True
    # Recent tenured losers who have not found a job since are flagged; nobody employed is.
    assert (w.tenured_loss & recent & (w.status == UNEMPLOYED)).any()
    assert not (w.tenured_loss & (w.status == EMPLOYED)).any()
