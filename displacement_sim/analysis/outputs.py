"""Scalar outcomes of a run for the sensitivity analysis: views of ``displacement_sim.outcomes``.

Every outcome is declared once, in ``outcomes.RUN_OUTCOMES`` (and the cost-effectiveness
ratios in ``outcomes.REFERENCE_RATIOS``), with the same name and definition as in the policy
comparison. This module keeps the names the sensitivity workflow imports. "all" pools the
economies of a run (``outcomes.monthly``): people and money are summed before ratios are
taken, so large economies weigh more, as in a pooled labour market.

Transitional: the former names of :data:`displacement_sim.outcomes.RENAMED` (e.g.
``peak_unemployment_rate``) are still accepted here, and mean the current outcome (whose
definition may have changed: the peak now leaves month 0 out). Validate outcome names with
``outcomes.check_name``, which rejects them with "renamed to ...".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from displacement_sim.outcomes import (
    REFERENCE_RATIOS,
    RENAMED,
    RUN_OUTCOMES,
    ReferenceRatio,
    View,
    outcome_names,
    resolve,
)

OUTCOME_COLUMNS = View(RUN_OUTCOMES, lambda o: o.columns)
"""Outcome -> the results columns it needs (with the weights that pool it over economies)."""

OUTCOMES: View[Callable[[pd.DataFrame], float]] = View(RUN_OUTCOMES, lambda o: o.compute)
"""Outcome -> its function of one run's table."""


class _NeedsReference(View[tuple[str, str]]):
    """Ratio -> ``(cost outcome, gain outcome)``, also under a former name (transitional)."""

    def __init__(self) -> None:
        super().__init__(REFERENCE_RATIOS, lambda r: (r.cost, r.gain),
                         lambda r: r.gain_sign > 0)

    def _ok(self, key: str) -> bool:
        return super()._ok(RENAMED.get(key, key))

    def __getitem__(self, key: str) -> tuple[str, str]:
        return super().__getitem__(RENAMED.get(key, key))

    def __iter__(self) -> Iterator[str]:
        current = list(super().__iter__())
        return iter([*current, *(old for old, new in RENAMED.items() if new in current)])


NEEDS_REFERENCE = _NeedsReference()
"""Outcomes that compare a run with its reference run (same seed, programme switched off):
ratio -> ``(cost, gain)``, for :func:`cost_per_additional` (ratios whose gain is an increase).
``outcomes.REFERENCE_RATIOS`` holds every ratio, with ``ReferenceRatio.value`` for any
direction."""


def outcome(df: pd.DataFrame, name: str, economy: str = "all") -> float:
    """One outcome of one run, for one economy or all (pooled).

    Raises
    ------
    ValueError
        For an unknown outcome, a ratio against a reference run (see :data:`NEEDS_REFERENCE`),
        or an outcome that cannot be pooled over economies when ``economy = "all"`` covers
        several.
    """
    name = resolve(name)
    if name in REFERENCE_RATIOS:
        r = REFERENCE_RATIOS[name]
        raise ValueError(f"{name!r} compares a run with its reference run (same seed): compute "
                         f"{r.cost!r} and {r.gain!r} for both and combine them with "
                         f"outcomes.REFERENCE_RATIOS[{name!r}].value")
    d = df if economy == "all" else df[df["economy"] == economy]
    if d.empty:
        return float("nan")
    return RUN_OUTCOMES[name].compute(d)


def cost_per_additional(cost: float, cost_ref: float, gain: float, gain_ref: float) -> float:
    """Extra cost over extra re-employed workers against the reference; NaN if no gain.

    Examples
    --------
    >>> cost_per_additional(3e6, 1e6, 1_500, 1_000)
    4000.0
    """
    extra = gain - gain_ref
    return (cost - cost_ref) / extra if extra > 0 else float("nan")


def needed_columns(names: list[str]) -> list[str]:
    """Metric columns needed to compute the named outcomes (and ratios), with ``economy`` and
    ``step``."""
    cols = {"economy", "step"}
    for n in names:
        n = resolve(n)
        ratio: ReferenceRatio | None = REFERENCE_RATIOS.get(n)
        for base in (ratio.cost, ratio.gain) if ratio else (n,):
            cols.update(RUN_OUTCOMES[base].columns)
    return sorted(cols)


__all__ = ["NEEDS_REFERENCE", "OUTCOMES", "OUTCOME_COLUMNS", "cost_per_additional",
           "needed_columns", "outcome", "outcome_names"]
