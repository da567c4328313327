"""Scalar outcomes of a run for the sensitivity analysis: views of ``displacement_sim.outcomes``.

Every outcome is declared once, in ``outcomes.RUN_OUTCOMES`` (and the cost-effectiveness
ratios in ``outcomes.REFERENCE_RATIOS``), with the same name and definition as in the policy
comparison. This module keeps the names the sensitivity workflow imports. "all" pools the
economies of a run (``outcomes.monthly``): people and money are summed before ratios are
taken, so large economies weigh more, as in a pooled labour market.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from displacement_sim.outcomes import (
    REFERENCE_RATIOS,
    RUN_OUTCOMES,
    ReferenceRatio,
    View,
    check_name,
    outcome_names,
)

OUTCOME_COLUMNS = View(RUN_OUTCOMES, lambda o: o.columns)
"""Outcome -> the results columns it needs (with the weights that pool it over economies)."""

OUTCOMES: View[Callable[[pd.DataFrame], float]] = View(RUN_OUTCOMES, lambda o: o.compute)
"""Outcome -> its function of one run's table."""


def outcome(df: pd.DataFrame, name: str, economy: str = "all") -> float:
    """One outcome of one run, for one economy or all (pooled).

    Parameters
    ----------
    df : pandas.DataFrame
        One run's tidy results.
    name : str
        A run outcome (``outcomes.RUN_OUTCOMES``).
    economy : str
        An ISO3 code, or ``"all"`` to pool the run's economies (default).

    Returns
    -------
    float
        The outcome; NaN if the run has no rows for ``economy``.

    Raises
    ------
    ValueError
        For an unknown outcome, a ratio against a reference run (``REFERENCE_RATIOS``),
        or an outcome that cannot be pooled over economies when ``economy = "all"`` covers
        several.
    """
    check_name(name)
    if name in REFERENCE_RATIOS:
        r = REFERENCE_RATIOS[name]
        raise ValueError(f"{name!r} compares a run with its reference run (same seed): compute "
                         f"{r.cost!r} and {r.gain!r} for both and combine them with "
                         f"outcomes.REFERENCE_RATIOS[{name!r}].value")
    d = df if economy == "all" else df[df["economy"] == economy]
    if d.empty:
        return float("nan")
    return RUN_OUTCOMES[name].compute(d)


def needed_columns(names: list[str]) -> list[str]:
    """Metric columns needed to compute the named outcomes (and ratios), with ``economy`` and
    ``step``.

    Parameters
    ----------
    names : list of str
        Run outcomes or reference ratios.

    Returns
    -------
    list of str
        The column names, sorted.

    Raises
    ------
    ValueError
        For an unknown outcome.
    """
    cols = {"economy", "step"}
    for n in names:
        check_name(n)
        ratio: ReferenceRatio | None = REFERENCE_RATIOS.get(n)
        for base in (ratio.cost, ratio.gain) if ratio else (n,):
            cols.update(RUN_OUTCOMES[base].columns)
    return sorted(cols)


__all__ = ["OUTCOMES", "OUTCOME_COLUMNS", "needed_columns", "outcome", "outcome_names"]
