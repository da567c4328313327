"""Scenario discovery: the boxes of uncertain parameters in which an option fails a threshold.

Pure functions: a table of cases (one row per combination of uncertain parameters, e.g. a
scenario variant and economy, or a sensitivity sample point and economy) and a boolean "fails"
per case in, the peeling trajectory and the chosen box's limits out. The boxes are found by
PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999), as scenario discovery uses it
(Bryant & Lempert 2010), through the ``prim`` package of Project Platypus (docs/discovery.md
says why that one). Reading the cases from a results folder is
:mod:`displacement_sim.workflows.discovery`'s job, writing them
:mod:`displacement_sim.reporting.discovery`'s.

References
----------
Friedman, J. H., & Fisher, N. I. (1999). Bump hunting in high-dimensional data. *Statistics
and Computing*, 9(2), 123-143. https://doi.org/10.1023/A:1008894516817

Bryant, B. P., & Lempert, R. J. (2010). Thinking inside the box: A participatory,
computer-assisted approach to scenario discovery. *Technological Forecasting and Social
Change*, 77(1), 34-49. https://doi.org/10.1016/j.techfore.2009.08.002
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from displacement_sim.errors import DisplacementSimError
from displacement_sim.outcomes import Direction

_THRESHOLD = re.compile(r"^reference(?:\s*([+-])\s*(\S+))?$")


@dataclass(frozen=True)
class Threshold:
    """What a case must not be worse than.

    ``"reference"`` (the reference option's value in the same case), ``"reference+0.02"``
    or ``"reference-0.02"`` (that value shifted), or a number (an absolute level).
    """

    text: str
    """As given."""
    relative: bool
    """Whether the threshold is the reference's value (shifted by :attr:`offset`)."""
    offset: float
    """The absolute level, or the shift of the reference's value."""

    def levels(self, reference: np.ndarray | None, n: int) -> np.ndarray:
        """The threshold of each of ``n`` cases.

        Parameters
        ----------
        reference : numpy.ndarray or None
            The reference option's outcome per case (needed when :attr:`relative`).
        n : int
            The number of cases.

        Returns
        -------
        numpy.ndarray
            One level per case.
        """
        if self.relative:
            if reference is None:
                raise ValueError("a relative threshold needs the reference's values")
            return np.asarray(reference, float) + self.offset
        return np.full(n, self.offset)


def parse_threshold(text: str) -> Threshold:
    """Read ``--threshold``: a number, ``reference``, or ``reference+X`` / ``reference-X``.

    Parameters
    ----------
    text : str
        The threshold as given.

    Returns
    -------
    Threshold
        The parsed threshold.

    Raises
    ------
    DisplacementSimError
        If ``text`` is none of these, or a number is not finite.

    Examples
    --------
    >>> parse_threshold("reference-0.01").offset
    -0.01
    >>> parse_threshold("0.6").relative
    False
    """
    t = text.strip()
    expected = ("expected a number (e.g. 0.6), 'reference', or 'reference+X' / "
                "'reference-X' with X a number")
    m = _THRESHOLD.match(t)
    try:
        if m:
            offset = 0.0 if m[1] is None else float(m[2]) * (1.0 if m[1] == "+" else -1.0)
            relative = True
        else:
            offset, relative = float(t), False
    except ValueError:
        raise DisplacementSimError(f"--threshold: {text!r}: {expected}") from None
    if not np.isfinite(offset):
        raise DisplacementSimError(f"--threshold: {text!r}: not finite; {expected}")
    return Threshold(text, relative, offset)


def fails(values: np.ndarray, levels: np.ndarray, better: Direction) -> np.ndarray:
    """Which cases are worse than their threshold, in the outcome's direction of "better".

    A case fails when its value is strictly below the level of an outcome where higher is
    better, strictly above it where lower is better; equal is not a failure.

    Parameters
    ----------
    values : numpy.ndarray
        The option's outcome per case.
    levels : numpy.ndarray
        The threshold per case (:meth:`Threshold.levels`).
    better : {"higher", "lower"}
        The outcome's direction of "better" (``outcomes.RUN_OUTCOMES[name].better``).

    Returns
    -------
    numpy.ndarray of bool
        True where the case fails.

    Examples
    --------
    >>> fails(np.array([0.5, 0.7]), np.array([0.6, 0.6]), "higher").tolist()
    [True, False]
    """
    v, t = np.asarray(values, float), np.asarray(levels, float)
    return v < t if better == "higher" else v > t


@dataclass(frozen=True)
class Discovery:
    """What :func:`find_box` found."""

    trajectory: pd.DataFrame
    """One row per box along the peeling (and pasting) trajectory: ``box`` (0 is every case),
    ``coverage`` (share of the failing cases inside the box), ``density`` (share of the cases
    inside the box that fail), ``mass`` (share of all cases inside the box), ``cases``,
    ``restricted`` (number of parameters the box restricts) and ``chosen``."""
    limits: pd.DataFrame
    """The chosen box, one row per parameter: ``parameter``, ``label``, ``kind``
    (``numeric`` or ``categorical``), ``restricted``, ``low``, ``high`` (numeric limits, or
    NaN), ``values`` (the categories kept, or empty), ``range_low``, ``range_high`` (the cases'
    range, numeric parameters) and ``quasi_p`` (PRIM's quasi-p-value of the restriction; NaN
    where unrestricted)."""
    chosen: int
    """Index of the chosen box in :attr:`trajectory`."""
    n_cases: int
    """Cases analysed."""
    n_failing: int
    """Cases that fail."""
    min_density: float
    """The density the chosen box had to reach (:func:`find_box`)."""


def _choose(trajectory: pd.DataFrame, min_density: float) -> int:
    """The box of largest coverage among those with at least ``min_density``, the densest
    box when none reaches it; ties go to the denser box, then to the box restricting fewer
    parameters, then to the earlier one."""
    t = trajectory.reset_index(drop=True)
    ok = t[t["density"] >= min_density - 1e-12]
    pool = ok if not ok.empty else t[t["density"] >= t["density"].max() - 1e-12]
    order = pool.sort_values(["coverage", "density", "restricted"],
                             ascending=[False, False, True], kind="stable")
    return int(order.index[0])


def find_box(cases: pd.DataFrame, failing: np.ndarray, labels: Mapping[str, str] | None = None,
             *, min_density: float = 0.8, peel_alpha: float = 0.05, paste_alpha: float = 0.05,
             mass_min: float = 0.05) -> Discovery:
    """Run PRIM over the cases and choose a box on its peeling trajectory.

    Numeric columns are peeled as real values, other columns (strings, booleans) as
    categories. The chosen box is the one of largest coverage among those whose density is
    at least ``min_density``; if none is that dense, the densest.

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case, one column per uncertain parameter.
    failing : numpy.ndarray of bool
        Whether each case fails (:func:`fails`).
    labels : mapping, optional
        Parameter -> plain-language label (default: the parameter's name).
    min_density : float
        The density the chosen box must reach (default 0.8).
    peel_alpha, paste_alpha : float
        Share of the cases peeled off, or pasted back, at each step (default 0.05 each).
    mass_min : float
        Smallest share of the cases a box may hold (default 0.05).

    Returns
    -------
    Discovery
        The trajectory and the chosen box.

    Raises
    ------
    DisplacementSimError
        If there are no parameters or cases, no case fails, or every case fails.
    """
    import prim  # lazily: it imports scipy.stats and matplotlib.pyplot
    from prim.scenario_discovery_util import determine_restricted_dims

    failing = np.asarray(failing, bool)
    if cases.shape[1] == 0:
        raise DisplacementSimError("no uncertain parameter varies across the cases: nothing "
                                   "to discover (expected a sweep or a sample that varies one)")
    if len(cases) != len(failing) or len(cases) == 0:
        raise DisplacementSimError("expected one failure flag per case, and at least one case")
    n_fail = int(failing.sum())
    if n_fail == 0:
        raise DisplacementSimError("no case fails the threshold: nothing to discover (expected "
                                   "a threshold that some cases fail)")
    if n_fail == len(failing):
        raise DisplacementSimError("every case fails the threshold: no box separates them "
                                   "(expected a threshold that some cases pass)")
    labels = dict(labels or {})
    x = pd.DataFrame(index=range(len(cases)))
    kinds: dict[str, str] = {}
    for col in cases.columns:
        s = cases[col].reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            x[col] = s.astype(float).to_numpy()
            kinds[col] = "numeric"
        else:
            x[col] = np.asarray(s.astype(str), dtype=object)
            kinds[col] = "categorical"
    p = prim.Prim(x, failing.astype(float), threshold=0.5, threshold_type=">",
                  peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
    box = p.find_box()
    traj = box.peeling_trajectory.reset_index(drop=True)
    trajectory = pd.DataFrame({
        "box": np.arange(len(traj)),
        "coverage": traj["coverage"].astype(float),
        "density": traj["density"].astype(float),
        "mass": traj["mass"].astype(float),
        "cases": np.rint(traj["mass"].astype(float) * len(cases)).astype(int),
        "restricted": traj["res dim"].astype(int),
    })
    chosen = _choose(trajectory, min_density)
    trajectory["chosen"] = trajectory["box"] == chosen
    # PrimBox.limits fails on categorical limits under pandas 3, so the chosen box's limits
    # and quasi-p-values are read from the box's trajectory of limits (prim 1.0.0).
    lims = box._box_lims[chosen]  # noqa: SLF001 - no public accessor in prim 1.0.0
    restricted = set(determine_restricted_dims(lims, p._box_init)) if chosen else set()  # noqa: SLF001
    qp = box._calculate_quasi_p(chosen) if restricted else {}  # noqa: SLF001
    rows = []
    for col in cases.columns:
        kind = kinds[col]
        values = x[col]
        row = {"parameter": col, "label": labels.get(col, col), "kind": kind,
               "restricted": col in restricted, "low": np.nan, "high": np.nan,
               "values": "", "range_low": np.nan, "range_high": np.nan, "quasi_p": np.nan}
        if kind == "numeric":
            row["range_low"], row["range_high"] = float(values.min()), float(values.max())
            row["low"], row["high"] = row["range_low"], row["range_high"]
        else:
            row["values"] = "; ".join(sorted(set(values)))
        if row["restricted"]:
            row["quasi_p"] = float(qp.get(col, np.nan))
            if kind == "numeric":
                row["low"], row["high"] = float(lims[col][0]), float(lims[col][1])
            else:
                row["values"] = "; ".join(sorted(str(v) for v in lims[col][0]))
        rows.append(row)
    limits = pd.DataFrame(rows).sort_values(["restricted", "quasi_p"], ascending=[False, True],
                                            kind="stable").reset_index(drop=True)
    return Discovery(trajectory, limits, chosen, len(cases), n_fail, min_density)


def in_box(cases: pd.DataFrame, limits: pd.DataFrame) -> np.ndarray:
    """Which cases lie inside a box (:attr:`Discovery.limits`).

    Parameters
    ----------
    cases : pandas.DataFrame
        One row per case, the box's parameters as columns.
    limits : pandas.DataFrame
        The box's limits.

    Returns
    -------
    numpy.ndarray of bool
        True for the cases inside the box.
    """
    inside = np.ones(len(cases), bool)
    for _, lim in limits[limits["restricted"]].iterrows():
        col = cases[lim["parameter"]]
        if lim["kind"] == "numeric":
            v = col.astype(float).to_numpy()
            inside &= (v >= lim["low"]) & (v <= lim["high"])
        else:
            inside &= col.astype(str).isin(lim["values"].split("; ")).to_numpy()
    return inside
