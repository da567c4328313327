"""The study files, validated: batch, comparison and calibration files, and the uncertain
parameters (factors) that sensitivity analyses and calibrations vary.

Like scenarios (:mod:`displacement_sim.config`), these are validated input: they read no data
and run nothing. Their run settings (names, years, scale, replicates, seeds) use the types
declared once in :mod:`displacement_sim.config`, so each constraint is stated in one place.
An uncertain parameter is a :class:`Factor` everywhere: the same declaration (config path,
bounds, distribution, unit, label) is a factor of a sensitivity analysis or a free parameter of
a calibration.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from scipy import stats

from displacement_sim.config import (
    ISO3,
    MAX_RUNS,
    FirmsPerSector,
    MinAgents,
    Name,
    Replicates,
    Seed,
    StartYear,
    Strict,
    WorkersPerAgent,
    Years,
)
from displacement_sim.constants import ECONOMIES
from displacement_sim.errors import CalibrationError, ScenarioError
from displacement_sim.scenarios import format_validation_error, load_validated, read_toml
from displacement_sim.targets import TARGET_SERIES

Number = Annotated[float, Field(strict=True)]
"""A finite number (an int is taken as a float; a string or a boolean is not)."""

# ----------------------------------------------------------------------- uncertain parameters


class Factor(Strict):
    """One uncertain input: a config path and its distribution."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    path: Annotated[str, Field(min_length=1)]
    """Config path, e.g. ``policy.capacity_building.share_of_gdp``."""
    distribution: Literal["uniform", "loguniform", "triangular", "normal"] = "uniform"
    bounds: tuple[Number, Number]
    """Lower and upper bound (``normal``: mean and standard deviation)."""
    mode: Number | None = None
    """Peak of a ``triangular`` distribution (default: the midpoint)."""
    unit: str = ""
    label: str = ""
    """Plot label (default: the name)."""
    economies: tuple[ISO3, ...] | None = None
    """Apply to these economies only (``economy.<ISO3>.<path>``); default: every economy."""
    group: str | None = None
    integer: bool = False
    """Round sampled values to integers (for counts such as months)."""

    @model_validator(mode="after")
    def _check(self) -> Factor:
        lo, hi = self.bounds
        if self.distribution == "normal":
            if hi <= 0:
                raise ValueError("normal bounds are (mean, sd); sd must be > 0")
        elif not lo < hi:
            raise ValueError(f"bounds must satisfy lower < upper, got {self.bounds}")
        if self.distribution == "loguniform" and lo <= 0:
            raise ValueError("loguniform bounds must be > 0")
        if self.mode is not None and not lo <= self.mode <= hi:
            raise ValueError("mode must lie within bounds")
        return self

    @property
    def display(self) -> str:
        """Label for plots and tables."""
        text = self.label or self.name
        return f"{text} ({self.unit})" if self.unit else text

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map unit-interval values to this factor's distribution."""
        lo, hi = self.bounds
        if self.distribution == "uniform":
            x = lo + u * (hi - lo)
        elif self.distribution == "loguniform":
            x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        elif self.distribution == "triangular":
            c = ((self.mode if self.mode is not None else (lo + hi) / 2) - lo) / (hi - lo)
            x = stats.triang.ppf(u, c, loc=lo, scale=hi - lo)
        else:
            x = stats.norm.ppf(np.clip(u, 1e-9, 1 - 1e-9), loc=lo, scale=hi)
        return np.rint(x) if self.integer else x

    def updates(self, value: float) -> dict[str, Any]:
        """Config updates that set this factor to ``value``."""
        v: Any = int(value) if self.integer else float(value)
        if self.economies is None:
            return {self.path: v}
        return {f"economy.{iso}.{self.path}": v for iso in self.economies}


# ----------------------------------------------------------------------- batch files


class Sweep(Strict):
    """Parameter sweeps over config paths."""

    mode: Literal["grid", "zip"] = "grid"
    """``grid``: every combination; ``zip``: the i-th values of every list together."""
    parameters: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        default_factory=dict)
    """Dotted config path -> values, e.g. ``"policy.automation_tax" = [0, 0.1]``. ``seed`` and
    ``replicates`` cannot be swept: the batch file's ``seed`` is the master seed of every run
    and its ``replicates`` the runs of every variant."""

    @field_validator("parameters")
    @classmethod
    def _not_run_settings(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key in ("seed", "replicates"):
            if key in v:
                raise ValueError(
                    f"'{key}' cannot be swept: the batch file's '{key}' applies to every "
                    "variant (its seed is the master seed, from which every replicate's seed "
                    "is drawn; for more runs, raise 'replicates'; for another master seed, "
                    "set 'seed' or use --seed)")
        return v

    @model_validator(mode="after")
    def _zip_lengths(self) -> Sweep:
        if self.mode == "zip" and len({len(v) for v in self.parameters.values()}) > 1:
            raise ValueError("zip sweeps need lists of equal length")
        return self

    @property
    def n_points(self) -> int:
        """Number of sweep points (1 without a sweep), computed without listing them."""
        if not self.parameters:
            return 1
        lengths = [len(v) for v in self.parameters.values()]
        return lengths[0] if self.mode == "zip" else int(np.prod(lengths, dtype=object))


class BatchFile(Strict):
    """A validated batch file."""

    name: Name
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1)]
    """Scenario files, relative to the batch file (or names in ``scenarios/``)."""
    replicates: Replicates = 1
    seed: Seed = 0
    common_random_numbers: bool = True
    """Share seeds across scenarios and sweep points (paired comparisons; the default, as
    everywhere): replicate r of every variant gets the same seed. ``false`` gives each variant
    numbers of its own (and run ids marked ``i``)."""
    sweep: Sweep = Sweep()
    years: Years | None = None
    """Horizon override for every scenario."""
    economies: Annotated[list[ISO3], Field(min_length=1)] | None = None
    """Economies override for every scenario."""
    workers_per_agent: WorkersPerAgent | None = None
    """Scale override for every scenario."""

    @field_validator("scenarios")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a scenario is listed twice")
        return v

    @model_validator(mode="after")
    def _runs(self) -> BatchFile:
        runs = len(self.scenarios) * self.sweep.n_points * self.replicates
        if runs > MAX_RUNS:
            raise ValueError(
                f"{len(self.scenarios)} scenarios x {self.sweep.n_points:,} sweep points x "
                f"{self.replicates:,} replicates = {runs:,} runs, more than {MAX_RUNS:,}: "
                "split the batch")
        return self


def load_batch_file(path: str | Path) -> tuple[BatchFile, Path]:
    """Read and validate a batch file.

    Parameters
    ----------
    path : str or Path
        The batch file (TOML).

    Returns
    -------
    tuple of (BatchFile, Path)
        The validated file and its path.

    Raises
    ------
    ScenarioError
        Naming the file and the key, for an unreadable file or any invalid value.
    """
    return load_validated(path, BatchFile)


def sweep_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of sweep values (a single empty point when there is no sweep).

    Parameters
    ----------
    sweep : Sweep
        The sweep of a batch file.

    Returns
    -------
    list of dict
        One mapping of config path to value per point.
    """
    if not sweep.parameters:
        return [{}]
    keys = list(sweep.parameters)
    values = [sweep.parameters[k] for k in keys]
    combos = itertools.product(*values) if sweep.mode == "grid" else zip(*values, strict=True)
    return [dict(zip(keys, c, strict=True)) for c in combos]


# ----------------------------------------------------------------------- comparison files


OptionName = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]

PAIRING_SETTINGS: tuple[str, ...] = ("start_year", "workers_per_agent",
                                     "min_agents_per_economy", "firms_per_sector")
"""Top-level settings that every option must share for runs to be paired agent by agent."""


class OptionSpec(Strict):
    """One policy option of a comparison."""

    scenario: Annotated[str, Field(min_length=1)]
    """Scenario file, relative to the comparison file, or a name in ``scenarios/``."""
    label: str = ""
    """Plain-language name in the report (default: the option's key)."""


BottomLine = Literal["cost_per_worker", "employment"]
"""The measures a comparison's bottom line can rank options by (``ComparisonFile.bottom_line``)."""


class ComparisonFile(Strict):
    """A validated comparison file."""

    name: Name
    """Names the results folder (``outputs/<name>``) and the report."""
    description: str = ""
    options: Annotated[dict[OptionName, OptionSpec], Field(min_length=2)]
    """The options compared, by key; the key names the option's runs in the results."""
    reference: str
    """The option every other is compared with (usually current policy)."""
    counterfactual: str | None = None
    """The option without the programme, for the programme effect over time (default:
    ``reference``)."""
    economies: Annotated[list[ISO3], Field(min_length=1)]
    """Economies simulated, for every option."""
    years: Years
    """Horizon in years, for every option."""
    replicates: Annotated[Replicates, Field(ge=2)]
    """Runs of each option (pairs per comparison); at least 2 for a confidence interval."""
    seed: Seed = 20_261_127
    """Master seed, shared by every option."""
    start_year: StartYear | None = None
    """Start year for every option (default: the scenarios')."""
    workers_per_agent: WorkersPerAgent | None = None
    """People per worker agent for every option (default: the scenarios')."""
    min_agents_per_economy: MinAgents | None = None
    """Minimum agents per economy for every option (default: the scenarios')."""
    firms_per_sector: FirmsPerSector | None = None
    """Firms per economy and sector for every option (default: the scenarios')."""
    confidence: Annotated[float, Field(gt=0.0, lt=1.0, strict=True)] = 0.95
    """Level of every confidence interval."""
    bottom_line: BottomLine = "cost_per_worker"
    """What the bottom line of the report and the brief ranks the options by:
    ``"cost_per_worker"`` (programme cost per additional displaced worker back in work, for
    programmes) or ``"employment"`` (the change in the mean employment rate over the run, for
    options without a programme cost, such as a faster recovery after a disaster)."""

    @field_validator("reference", "counterfactual")
    @classmethod
    def _among_options(cls, v: str | None, info: ValidationInfo) -> str | None:
        options = info.data.get("options")
        if v is not None and options is not None and v not in options:
            raise ValueError(f"{v!r} is not among the options ({', '.join(options)})")
        return v

    @field_validator("economies")
    @classmethod
    def _unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("an economy is listed twice")
        return v

    def label(self, option: str) -> str:
        """The option's plain-language name."""
        return self.options[option].label or option

    def overrides(self) -> dict[str, Any]:
        """Top-level settings the comparison sets in every option's scenario."""
        values = {"economies": self.economies, "years": self.years,
                  "replicates": self.replicates, "seed": self.seed,
                  **{k: getattr(self, k) for k in PAIRING_SETTINGS}}
        return {k: v for k, v in values.items() if v is not None}


def validate_comparison(raw: dict[str, Any], source: str) -> ComparisonFile:
    """Validate a comparison dict (file layout), naming ``source`` and the key in errors.

    Parameters
    ----------
    raw : dict
        The comparison file's tables.
    source : str
        What the data came from (the file), named by every error message.

    Returns
    -------
    ComparisonFile
        The validated file.

    Raises
    ------
    ScenarioError
        With one line per invalid key.
    """
    try:
        return ComparisonFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(source, exc)) from None


def load_comparison(path: str | Path, **overrides: Any) -> tuple[ComparisonFile, Path]:
    """Read and validate a comparison file; ``overrides`` replace top-level keys.

    Parameters
    ----------
    path : str or Path
        The comparison file.
    **overrides : Any
        Keys to replace (``years``, ``replicates``, ``economies``, ``seed``,
        ``workers_per_agent``, ...); ``None`` values are ignored.

    Returns
    -------
    The validated file and its path (option scenarios are relative to its folder).

    Raises
    ------
    ScenarioError
        Naming the file and the key, for an unreadable file or any invalid value.
    """
    path = Path(path)
    raw = read_toml(path)
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return validate_comparison(raw, str(path)), path


# ----------------------------------------------------------------------- calibration files


class Target(Strict):
    """A target series with its weight and scale in the loss.

    The scale is the error (percentage points) that counts 1 in the loss. By default it comes
    from the data: the variability of the series over the fitting years
    (:func:`displacement_sim.analysis.calibration.data_scale`), so that a series that moves
    little from year to year is fitted closely and a noisy one loosely, with no hand-set
    tolerance.
    """

    series: Literal[tuple(TARGET_SERIES)]  # type: ignore[valid-type]
    """A series of :data:`displacement_sim.targets.TARGET_SERIES`."""
    scale: Annotated[float, Field(gt=0, le=1e6, strict=True)] | None = None
    """Error of one scale unit (percentage points) counts 1 in the loss; default: from the
    data's variability."""
    weight: Annotated[float, Field(gt=0, le=1e6, strict=True)] = 1.0


class CalibrationFile(Strict):
    """A validated calibration file."""

    name: Name
    description: str = ""
    base: str = "no_active_policy"
    economies: list[ISO3] = Field(default_factory=lambda: list(ECONOMIES))
    start_year: Annotated[int, Field(ge=1991, le=2023, strict=True)] = 2005
    end_year: Annotated[int, Field(ge=1992, le=2023, strict=True)] = 2023
    train_until: Annotated[int, Field(ge=1992, le=2023, strict=True)] | None = None
    """Fit on years up to this one; score the later years out of sample."""
    workers_per_agent: WorkersPerAgent = 1e12
    min_agents_per_economy: Annotated[MinAgents, Field(ge=100)] = 1500
    min_agents_by_economy: dict[ISO3, Annotated[MinAgents, Field(ge=100)]] = Field(
        default_factory=dict)
    """``min_agents_per_economy`` for particular economies, e.g. ``{USA = 10000}``: a moment
    with few observations (the US displaced-worker survey counts the long-tenured job losers of
    three years) is noise at the scale that suffices for rates and shares."""
    firms_per_sector: FirmsPerSector = 10
    replicates: Replicates = 2
    seed: Seed = 0
    popsize: Annotated[int, Field(ge=2, le=100, strict=True)] = 4
    """Candidates per free parameter in each generation of differential evolution; 2 to 100."""
    maxiter: Annotated[int, Field(ge=1, le=1000, strict=True)] = 5
    """Generations of differential evolution at most; 1 to 1,000."""
    tol: Annotated[float, Field(ge=0, strict=True)] = 0.01
    near_optimal: Annotated[float, Field(gt=0, le=1, strict=True)] = 0.1
    """Fraction of the evaluated candidates, best first, that forms the near-optimal set."""
    identifiability_threshold: Annotated[float, Field(gt=0, le=1, strict=True)] = 0.5
    refits: Annotated[int, Field(ge=0, le=100, strict=True)] = 0
    """Fits again from other seeds, for the uncertainty of the fit; 0 to 100."""
    parameter_sets: Annotated[int, Field(ge=1, le=100, strict=True)] = 5
    """Distinct near-optimal parameter vectors kept, best first, over which forecasts run (so
    their bands hold parameter uncertainty as well as replicate noise); 1 to 100."""
    natural_rate: Literal["start_year", "fitted_line"] = "start_year"
    """The natural rate of unemployment over the fit: ``start_year`` holds the start year's
    observed rate; ``fitted_line`` takes the OLS line of the economy's observed rate over the
    fit years (``start_year`` to the last fit year), sets
    ``labour_market.natural_rate_years`` to them in every run of the fit and writes it into
    the fitted parameters. The line is fitted directly, not searched: a first stage, like the
    Okun elasticity's estimate. A forecast from the last fit year does not use it
    (docs/ODD.md, "Natural rate")."""
    parameter: Annotated[list[Factor], Field(min_length=1)]
    """The free parameters, declared like the factors of a sensitivity analysis (a config path,
    bounds, unit, label); each is set per economy, so ``economies`` must be left out."""
    target: Annotated[list[Target], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> CalibrationFile:
        if self.end_year <= self.start_year:
            raise ValueError("end_year must be after start_year")
        if self.natural_rate == "fitted_line" and self.fit_until - self.start_year < 4:
            raise ValueError(f"natural_rate = 'fitted_line' needs at least 5 fitting years "
                             f"(got {self.start_year}-{self.fit_until})")
        if self.train_until is not None and not self.start_year < self.train_until < \
                self.end_year:
            raise ValueError("train_until must lie strictly between start_year and end_year")
        if len({p.name for p in self.parameter}) != len(self.parameter):
            raise ValueError("parameter names must be unique")
        if any(p.economies is not None for p in self.parameter):
            raise ValueError("a calibration parameter applies to the economy being fitted: "
                             "leave out 'economies'")
        return self

    @property
    def fit_until(self) -> int:
        """Last year in the loss."""
        return self.train_until if self.train_until is not None else self.end_year

    def min_agents(self, iso3: str) -> int:
        """Agents at least in economy ``iso3``: its entry in ``min_agents_by_economy``, or
        ``min_agents_per_economy``."""
        return self.min_agents_by_economy.get(iso3, self.min_agents_per_economy)


def load_calibration_file(path: str | Path) -> tuple[CalibrationFile, Path]:
    """Read and validate a calibration file (errors name the file and key).

    Parameters
    ----------
    path : str or Path
        The calibration file (TOML).

    Returns
    -------
    tuple of (CalibrationFile, Path)
        The validated file and its path.

    Raises
    ------
    CalibrationError
        For an invalid value (an unreadable file raises ``ScenarioError``).
    """
    return load_validated(path, CalibrationFile, CalibrationError)
