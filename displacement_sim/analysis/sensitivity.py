"""Global sensitivity analysis with SALib, through the batch executors and results store.

Stochasticity. Every sample point is run with the same replicate seeds (common random numbers:
the seed of replicate r is the same at every point), and each outcome is the mean over
replicates. The replicate-to-replicate variance left in that mean is reported for each outcome
as ``noise_share`` = (mean within-point variance / replicates) / variance of the point means:
indices smaller than about that share cannot be told from noise.

Convergence. Indices are computed again on the first quarter and half of the sample (valid
sub-samples for Sobol/Saltelli, Morris trajectories and Latin hypercube rows); a factor is
flagged ``unconverged`` when its main index moves by more than ``convergence_tolerance``
between N/2 and N, or its confidence interval is wider than twice that.

References
----------
Saltelli, A. et al. (2010). Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index. Comput. Phys. Commun. 181, 259-270.
doi:10.1016/j.cpc.2009.09.018
Morris, M. D. (1991). Factorial sampling plans for preliminary computational experiments.
Technometrics 33(2), 161-174. doi:10.1080/00401706.1991.10484804
Saltelli, A., Tarantola, S. & Chan, K. (1999). A quantitative model-independent method for
global sensitivity analysis of model output (eFAST). Technometrics 41(1), 39-56.
doi:10.1080/00401706.1999.10485594
Pianosi, F. & Wagener, T. (2015). A simple and efficient method for global sensitivity analysis
based on cumulative distribution functions (PAWN). Environ. Model. Softw. 67, 1-11.
doi:10.1016/j.envsoft.2015.01.004
Borgonovo, E. (2007). A new uncertainty importance measure (delta). Reliab. Eng. Syst. Saf.
92(6), 771-784. doi:10.1016/j.ress.2006.04.015
Herman, J. & Usher, W. (2017). SALib: an open-source Python library for sensitivity analysis.
J. Open Source Softw. 2(9), 97. doi:10.21105/joss.00097
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator
from SALib.analyze import delta as delta_analyze
from SALib.analyze import fast as fast_analyze
from SALib.analyze import morris as morris_analyze
from SALib.analyze import pawn as pawn_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import fast_sampler, latin
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from displacement_sim.analysis.factors import salib_problem
from displacement_sim.config import (
    ISO3,
    MAX_RUNS,
    MinAgents,
    Name,
    Replicates,
    Seed,
    Strict,
    WorkersPerAgent,
    Years,
)
from displacement_sim.outcomes import REFERENCE_RATIOS, RUN_OUTCOMES, check_name
from displacement_sim.scenarios import load_validated
from displacement_sim.seeding import tool_seed
from displacement_sim.studies import Factor

Method = Literal["sobol", "morris", "fast", "pawn", "delta"]
MAX_N = 65_536
"""The largest base sample size ``n`` (2^16)."""

DELTA_MIN_N = 30
"""Smallest base sample of the delta method (3 classes of at least 10 points each)."""

Outcome = Annotated[str, AfterValidator(check_name)]
"""A run outcome or a ratio against a reference run, by its one name
(:func:`displacement_sim.outcomes.outcome_names`)."""


class OutputSpec(Strict):
    """One analysed outcome."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    outcome: Outcome
    economy: ISO3 | Literal["all"] = "all"
    """One economy, or ``all`` pooled (people and money summed before ratios are taken)."""

    @model_validator(mode="after")
    def _pools(self) -> OutputSpec:
        base = REFERENCE_RATIOS[self.outcome].gain if self.outcome in REFERENCE_RATIOS \
            else self.outcome
        if self.economy == "all" and not RUN_OUTCOMES[base].pools:
            raise ValueError(f"{self.outcome!r} is defined per economy only: set 'economy'")
        return self


class AnalysisFile(Strict):
    """A validated sensitivity-analysis file."""

    name: Name
    description: str = ""
    base: str
    """The base scenario file (relative to the analysis file) or name."""
    economies: Annotated[list[ISO3], Field(min_length=1)] | None = None
    years: Years | None = None
    workers_per_agent: WorkersPerAgent | None = None
    min_agents_per_economy: MinAgents | None = None
    method: Method = "sobol"
    n: Annotated[int, Field(ge=4, le=MAX_N, strict=True)] = 64
    """Base sample size: Saltelli N, Morris trajectories, eFAST N per factor, LHS rows; 4 to
    65,536 (``MAX_N``), and the model runs it makes (:attr:`runs`) at most ``MAX_RUNS``."""
    replicates: Replicates = 2
    seed: Seed = 0
    second_order: bool = False
    morris_levels: Annotated[int, Field(ge=2, le=100, strict=True)] = 4
    """Levels of the Morris grid; 2 to 100."""
    convergence_tolerance: Annotated[float, Field(gt=0, le=1, strict=True)] = 0.05
    """Largest move of a main index between N/2 and N for a converged factor; at most 1."""
    resamples: Annotated[int, Field(ge=2, le=100_000, strict=True)] = 100
    """Bootstrap resamples for confidence intervals (Sobol, Morris, eFAST, delta); 2 to
    100,000."""
    reference: dict[str, Any] = Field(default_factory=lambda: {
        "policy.capacity_building.share_of_gdp": 0.0, "policy.capacity_building.amount_usd": 0.0,
        "policy.hiring_subsidy.share_of_wage": 0.0, "regional_centre.enabled": False})
    """Updates that switch programmes off, for outcomes against a reference run."""
    factor: Annotated[list[Factor], Field(min_length=2)]
    output: Annotated[list[OutputSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> AnalysisFile:
        names = [f.name for f in self.factor]
        if len(set(names)) != len(names):
            raise ValueError("factor names must be unique")
        if len({o.name for o in self.output}) != len(self.output):
            raise ValueError("output names must be unique")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"sobol needs n to be a power of 2, got {self.n}")
        if self.second_order and self.method != "sobol":
            raise ValueError("second_order applies to method = 'sobol' only")
        if self.method == "fast" and self.n <= 4 * 4 ** 2:
            raise ValueError("fast needs n > 64 (4 M^2 with M = 4)")
        if self.runs > MAX_RUNS:
            raise ValueError(f"n = {self.n:,} with {len(self.factor)} factors and "
                             f"{self.replicates:,} replicates makes {self.runs:,} model runs, "
                             f"more than {MAX_RUNS:,}: lower n or replicates")
        return self

    @property
    def points(self) -> int:
        """Sample points the method draws (SALib's sample sizes)."""
        k = len(self.factor)
        if self.method in ("sobol", "morris") and any(f.group for f in self.factor):
            k = len({f.group or f.name for f in self.factor})
        if self.method == "sobol":
            return self.n * (2 * k + 2 if self.second_order else k + 2)
        if self.method == "morris":
            return self.n * (k + 1)
        if self.method == "fast":
            return self.n * len(self.factor)
        return self.n

    @property
    def runs(self) -> int:
        """Model runs of the analysis: points x replicates, twice with a reference run."""
        return self.points * self.replicates * (2 if self.needs_reference else 1)

    @field_validator("n")
    @classmethod
    def _delta_sample(cls, n: int, info: ValidationInfo) -> int:
        if info.data.get("method") == "delta" and n < DELTA_MIN_N:
            raise ValueError(f"method = 'delta' needs n of at least {DELTA_MIN_N} (its "
                             "balanced estimator needs 10 sample points in each of 3 classes)")
        return n

    @property
    def needs_reference(self) -> bool:
        """Whether an outcome compares with a reference run."""
        return any(o.outcome in REFERENCE_RATIOS for o in self.output)


def load_analysis(path: str | Path) -> tuple[AnalysisFile, Path]:
    """Read and validate an analysis file.

    Parameters
    ----------
    path : str or Path
        The analysis file (TOML).

    Returns
    -------
    tuple of (AnalysisFile, Path)
        The validated file and its path.

    Raises
    ------
    ScenarioError
        Naming the file and the key, for an unreadable file or any invalid value.
    """
    return load_validated(path, AnalysisFile)


# ----------------------------------------------------------------------- sampling


def draw_sample(spec: AnalysisFile) -> np.ndarray:
    """The unit-hypercube sample of the analysis (rows x factors).

    Parameters
    ----------
    spec : AnalysisFile
        The analysis (method, factors, ``n``, seed, resamples).

    Returns
    -------
    numpy.ndarray
        Saltelli (Sobol), Morris, eFAST or Latin hypercube rows, seeded from ``spec.seed``.
    """
    problem = salib_problem(spec.factor, use_groups=spec.method in ("sobol", "morris"))
    seed = tool_seed(spec.seed, "salib-sample")
    if spec.method == "sobol":
        return sobol_sample.sample(problem, spec.n, calc_second_order=spec.second_order,
                                   seed=seed)
    if spec.method == "morris":
        return morris_sample.sample(problem, spec.n, num_levels=spec.morris_levels, seed=seed)
    if spec.method == "fast":
        return fast_sampler.sample(problem, spec.n, seed=seed)
    return latin.sample(problem, spec.n, seed=seed)


def _rows_for(spec: AnalysisFile, fraction: float, n_rows: int) -> int | None:
    """Rows of the first ``fraction`` of the sample, where that is a valid sub-sample."""
    d = len(spec.factor)
    n = int(spec.n * fraction)
    if spec.method == "sobol":
        if n < 2:
            return None
        groups = len({f.group or f.name for f in spec.factor})
        k = groups if any(f.group for f in spec.factor) else d
        per = 2 * k + 2 if spec.second_order else k + 2
        return n * per
    if spec.method == "morris":
        groups = len({f.group or f.name for f in spec.factor})
        per = (groups if any(f.group for f in spec.factor) else d) + 1
        return n * per if n >= 2 else None
    if spec.method == "fast":
        return n_rows if fraction == 1.0 else None
    return n if n >= 8 else None


def analyze(spec: AnalysisFile, unit: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Indices of one outcome: tidy rows ``factor, index, value, conf``.

    Parameters
    ----------
    spec : AnalysisFile
        The analysis (method, factors, ``n``, seed, resamples).
    unit : numpy.ndarray
        The unit-hypercube sample, rows x factors (:func:`draw_sample`).
    y : numpy.ndarray
        The outcome at each sample row.

    Returns
    -------
    pandas.DataFrame
        One row per factor (or group) and index.
    """
    problem = salib_problem(spec.factor, use_groups=spec.method in ("sobol", "morris"))
    seed = tool_seed(spec.seed, "salib-analyze")
    rows: list[dict[str, Any]] = []
    names = problem.get("groups") and list(dict.fromkeys(problem["groups"])) or problem["names"]
    if spec.method == "sobol":
        res = sobol_analyze.analyze(problem, y, calc_second_order=spec.second_order, seed=seed,
                                     num_resamples=spec.resamples)
        for i, name in enumerate(names):
            for idx in ("S1", "ST"):
                rows.append({"factor": name, "index": idx, "value": res[idx][i],
                             "conf": res[f"{idx}_conf"][i]})
        if spec.second_order:
            for i, a in enumerate(names):
                for j in range(i + 1, len(names)):
                    rows.append({"factor": f"{a} x {names[j]}", "index": "S2",
                                 "value": res["S2"][i, j], "conf": res["S2_conf"][i, j]})
    elif spec.method == "morris":
        res = morris_analyze.analyze(problem, unit, y, num_levels=spec.morris_levels,
                                     seed=seed, num_resamples=spec.resamples)
        for i, name in enumerate(res["names"]):
            rows.append({"factor": name, "index": "mu_star", "value": res["mu_star"][i],
                         "conf": res["mu_star_conf"][i]})
            rows.append({"factor": name, "index": "sigma", "value": res["sigma"][i],
                         "conf": np.nan})
    elif spec.method == "fast":
        with warnings.catch_warnings():  # SALib warns that FAST CIs are indicative only
            warnings.simplefilter("ignore", UserWarning)
            res = fast_analyze.analyze(problem, y, seed=seed, num_resamples=spec.resamples)
        for i, name in enumerate(names):
            for idx in ("S1", "ST"):
                rows.append({"factor": name, "index": idx, "value": res[idx][i],
                             "conf": res[f"{idx}_conf"][i]})
    elif spec.method == "delta":
        # SALib's delta reports each bin merge as a warning and replaces the global warning
        # format and filters: keep both as they were, and its warnings (recorded) to itself.
        formatwarning = warnings.formatwarning
        try:
            with warnings.catch_warnings(record=True):
                res = delta_analyze.analyze(problem, unit, y, seed=seed, method="delta",
                                            num_resamples=spec.resamples)
        finally:
            warnings.formatwarning = formatwarning
        for i, name in enumerate(names):
            rows.append({"factor": name, "index": "delta", "value": res["delta_balanced"][i],
                         "conf": res["delta_balanced_conf"][i]})
    else:
        res = pawn_analyze.analyze(problem, unit, y, seed=seed)
        for i, name in enumerate(names):
            rows.append({"factor": name, "index": "pawn_median", "value": res["median"][i],
                         "conf": np.nan})
    return pd.DataFrame(rows)


MAIN_INDEX = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "delta": "delta",
              "pawn": "pawn_median"}


def convergence(spec: AnalysisFile, unit: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Indices at N/4, N/2 and N, and a flag for unconverged factors.

    Parameters
    ----------
    spec : AnalysisFile
        The analysis (method, factors, ``n``, seed, resamples).
    unit : numpy.ndarray
        The unit-hypercube sample, rows x factors (:func:`draw_sample`).
    y : numpy.ndarray
        The outcome at each sample row.

    Returns
    -------
    pandas.DataFrame
        The rows of :func:`analyze` for each sub-sample size, with ``n`` and ``unconverged``.
    """
    frames = []
    for frac in (0.25, 0.5, 1.0):
        rows = _rows_for(spec, frac, len(y))
        if rows is None or rows > len(y):
            continue
        try:
            d = analyze(spec, unit[:rows], y[:rows])
        except (ValueError, ZeroDivisionError, IndexError):
            continue
        d["n"] = int(spec.n * frac)
        frames.append(d)
    if not frames:
        return pd.DataFrame(columns=["factor", "index", "value", "conf", "n", "unconverged"])
    out = pd.concat(frames, ignore_index=True)
    main = out[out["index"] == MAIN_INDEX[spec.method]]
    wide = main.pivot_table(index="factor", columns="n", values="value")
    scale = 1.0
    if spec.method == "morris":
        scale = max(float(main["value"].abs().max()), 1e-12)
    tol = spec.convergence_tolerance
    ns = sorted(wide.columns)
    if not ns:  # no sub-sample gave a main index (delta on a small sample): nothing converged
        out["unconverged"] = True
        return out
    unconverged = pd.Series(False, index=wide.index)
    if len(ns) >= 2:
        unconverged |= (wide[ns[-1]] - wide[ns[-2]]).abs() / scale > tol
    last = main[main["n"] == ns[-1]].set_index("factor")["conf"]
    unconverged |= (last.reindex(wide.index) / scale).fillna(0) > 2 * tol
    # A factor whose main index is missing at every size has not converged either.
    out["unconverged"] = out["factor"].map(unconverged).fillna(True).astype(bool)
    return out


# ----------------------------------------------------------------------- evaluation

Evaluator = Callable[[AnalysisFile, np.ndarray], dict[str, np.ndarray]]
"""Maps (spec, scaled sample rows x factors) to outcome name -> (rows x replicates) array."""


@dataclass
class SensitivityResult:
    """What an analysis produced (all tidy tables)."""

    spec: AnalysisFile
    unit: np.ndarray
    sample: np.ndarray
    outcomes: dict[str, np.ndarray]
    indices: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    skipped: dict[str, str] = field(default_factory=dict)


def analyse_outcomes(spec: AnalysisFile, unit: np.ndarray, sample: np.ndarray,
                     outcomes: dict[str, np.ndarray]) -> SensitivityResult:
    """Indices, convergence and noise for every outcome (replicate means analysed).

    Parameters
    ----------
    spec : AnalysisFile
        The analysis.
    unit : numpy.ndarray
        The unit-hypercube sample, rows x factors (:func:`draw_sample`).
    sample : numpy.ndarray
        The same sample in the factors' units.
    outcomes : dict of str to numpy.ndarray
        Each output's values, shape ``(rows, replicates)``.

    Returns
    -------
    SensitivityResult
        The sample, the outcomes and the tables; outcomes that have missing values or do not
        vary are listed in ``skipped``.
    """
    idx_frames, conv_frames, noise_rows = [], [], []
    skipped: dict[str, str] = {}
    by_name = {o.name: o for o in spec.output}
    for name, vals in outcomes.items():
        o = by_name[name]
        y = np.nanmean(vals, axis=1) if vals.size else vals
        if not np.all(np.isfinite(y)):
            bad = int((~np.isfinite(y)).sum())
            skipped[name] = (f"{bad} of {len(y)} sample points have no value (e.g. no extra "
                             "worker re-employed, or no displacement): not analysed")
            continue
        total = float(np.var(y, ddof=1)) if len(y) > 1 else 0.0
        within = float(np.nanmean(np.var(vals, axis=1, ddof=1))) if vals.shape[1] > 1 \
            else float("nan")
        noise = within / vals.shape[1] / total if total > 0 else float("nan")
        noise_rows.append({"output": name, "outcome": o.outcome, "economy": o.economy,
                           "variance_of_point_means": total,
                           "mean_replicate_variance": within, "noise_share": noise})
        if total == 0:
            skipped[name] = "the outcome does not vary across the sample: not analysed"
            continue
        try:
            d = analyze(spec, unit, y)
        except (ValueError, ZeroDivisionError, IndexError, np.linalg.LinAlgError) as exc:
            # SALib gives up on degenerate outcomes (delta: a singular kernel density).
            skipped[name] = (f"the {spec.method} method cannot analyse this outcome "
                             f"({str(exc).strip() or type(exc).__name__}): not analysed")
            continue
        main = d.loc[d["index"] == MAIN_INDEX[spec.method], "value"]
        if main.isna().all():
            skipped[name] = (f"the {spec.method} method gave no index for any factor (the "
                             f"sample of n = {spec.n} is too small for it, or the outcome "
                             "takes too few distinct values): not analysed")
            continue
        d.insert(0, "output", name)
        d.insert(1, "economy", o.economy)
        idx_frames.append(d)
        c = convergence(spec, unit, y)
        c.insert(0, "output", name)
        c.insert(1, "economy", o.economy)
        conv_frames.append(c)
    labels = {f.name: f.display for f in spec.factor}
    indices = pd.concat(idx_frames, ignore_index=True) if idx_frames else pd.DataFrame()
    if not indices.empty:
        indices["label"] = indices["factor"].map(labels).fillna(indices["factor"])
        indices["method"] = spec.method
        indices["n"] = spec.n
        indices["replicates"] = spec.replicates
    conv = pd.concat(conv_frames, ignore_index=True) if conv_frames else pd.DataFrame()
    return SensitivityResult(spec, unit, sample, outcomes, indices, conv,
                             pd.DataFrame(noise_rows), skipped)


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """The Ishigami function on rows of x in [-pi, pi]^3 (known Sobol indices).

    Parameters
    ----------
    x : numpy.ndarray
        Points, shape ``(rows, 3)``.
    a : float
        Coefficient of ``sin(x2)**2`` (default 7).
    b : float
        Coefficient of ``x3**4 sin(x1)`` (default 0.1).

    Returns
    -------
    numpy.ndarray
        One value per row.

    References
    ----------
    Ishigami, T. & Homma, T. (1990). An importance quantification technique in uncertainty
    analysis for computer models. ISUMA '90. doi:10.1109/ISUMA.1990.151285
    """
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> dict[str, Sequence[float]]:
    """Analytic first-order and total Sobol indices of the Ishigami function.

    Parameters
    ----------
    a : float
        Coefficient of ``sin(x2)**2`` (default 7).
    b : float
        Coefficient of ``x3**4 sin(x1)`` (default 0.1).

    Returns
    -------
    dict
        ``S1`` and ``ST``, one value per input.
    """
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return {"S1": [v1 / v, v2 / v, 0.0], "ST": [(v1 + v13) / v, v2 / v, v13 / v]}
