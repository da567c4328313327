"""Frozen, strict schemas for scenarios.

A scenario holds global settings and, for each parameter section, defaults that apply to every
economy; ``[economy.ISO3.<section>]`` tables override any of them for one economy. Every field has
a default with a source (see docs/ODD.md, "Parameters") or is marked there as an assumption.

Validation happens once, here, at the edge. The model trusts what it is given.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import weakref
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import to_jsonable_python

from displacement_sim.constants import ASEAN, ECONOMIES, SECTORS

# Numbers are strict: a TOML boolean is not taken as 0 or 1 (an int is still taken as a float),
# and never infinite or NaN (``allow_inf_nan=False`` on ``Strict``, so in every file format).
Share = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
NonNeg = Annotated[float, Field(ge=0.0, strict=True)]
Positive = Annotated[float, Field(gt=0.0, strict=True)]

MAX_YEARS = 100
"""The longest horizon, in years."""
MAX_MONTHS = 12 * MAX_YEARS
"""The longest horizon in months (1,200): the bound of every setting counted in months, so
that the model's month counters (``int16`` months of displacement, training and subsidy ends,
``uint16`` months in status; :mod:`displacement_sim.model.workers`) cannot overflow: with a
burn-in of at most 600 months they stay below 2,400 and 1,800."""
MAX_USD = 1e15
"""The largest amount of money a setting takes (USD a year; world GDP is about 1e14)."""
Months = Annotated[int, Field(ge=0, le=MAX_MONTHS, strict=True)]
"""A number of months, 0 to ``MAX_MONTHS`` (1,200)."""
LagMonths = Annotated[float, Field(gt=0.0, le=float(MAX_MONTHS), strict=True)]
"""A mean lag in months: above 0, at most ``MAX_MONTHS``."""
CalendarYear = Annotated[int, Field(ge=1950, le=2200, strict=True)]
"""A calendar year in a setting, 1950 to 2200 (so that growth and learning rates raised to
the distance from the start year stay finite)."""
Multiplier = Annotated[float, Field(ge=0.0, le=100.0, strict=True)]
"""A non-negative multiplier or elasticity, at most 100 (beyond it, the result no longer
changes: a hazard or a chance is already 0 or 1)."""
Usd = Annotated[float, Field(ge=0.0, le=MAX_USD, strict=True)]
"""An amount of US dollars, 0 to ``MAX_USD``."""
CostPerTrainee = Annotated[float, Field(ge=1.0, le=1e9, strict=True)]
"""A cost per trainee in USD, 1 to 1e9 (training slots are budget over cost: at 0 there
would be infinitely many)."""


def _economy_code(value: Any) -> Any:
    """Upper-case an ISO3 code (``vnm`` is ``VNM``); a misspelt one names the closest codes."""
    if not isinstance(value, str):
        return value
    code = value.upper()
    if code not in ECONOMIES:
        close = difflib.get_close_matches(code, ECONOMIES, n=2)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"unknown economy code{hint} (codes: {', '.join(ECONOMIES)})")
    return code


ISO3 = Annotated[
    Literal["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "USA"],
    BeforeValidator(_economy_code)]
"""An economy's ISO3 code; lower case is accepted."""

# ------------------------------------------------------------------ run settings, declared once
# Every file format (scenario, batch, comparison, sensitivity analysis, calibration) declares
# its run settings with these types, so each constraint is stated in one place.
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
"""A name that becomes a folder name (``outputs/<name>``)."""
StartYear = Annotated[int, Field(ge=2000, le=2100, strict=True)]
"""First simulated year (data permitting: checked against the drivers before a run)."""
Years = Annotated[int, Field(ge=1, le=MAX_YEARS, strict=True)]
"""Horizon in years, 1 to 100 (``MAX_YEARS``)."""
WorkersPerAgent = Annotated[float, Field(gt=0.0, strict=True, allow_inf_nan=False)]
"""People one worker agent stands for (an upper bound; see ``MinAgents``). A small value makes
many agents: the memory a run needs is estimated before it starts and a run that would not
fit in the machine's memory is refused (:func:`displacement_sim.model.inputs.check_resources`)."""
MAX_AGENTS_PER_ECONOMY = 10_000_000
"""The most worker agents ``min_agents_per_economy`` asks for (about 1 GB of state per
economy); the memory check bounds what ``workers_per_agent`` makes."""
MinAgents = Annotated[int, Field(ge=10, le=MAX_AGENTS_PER_ECONOMY, strict=True)]
"""Minimum worker agents per economy, 10 to 10 million (``MAX_AGENTS_PER_ECONOMY``)."""
FirmsPerSector = Annotated[int, Field(ge=1, le=1000, strict=True)]
"""Firms per economy and sector."""
Seed = Annotated[int, Field(ge=0, strict=True)]
"""A master seed (:mod:`displacement_sim.seeding`)."""
MAX_REPLICATES = 10_000
"""The most replicates of a scenario or sample point."""
Replicates = Annotated[int, Field(ge=1, le=MAX_REPLICATES, strict=True)]
"""Runs per scenario or sample point, 1 to 10,000 (``MAX_REPLICATES``)."""
MAX_RUNS = 1_000_000
"""The most runs a study may ask for (a batch: scenarios x sweep points x replicates; a
sensitivity analysis: sample points x replicates): the specs of a million runs take about 2 GB
of the coordinator's memory."""

SectorCode = Literal["A", "B", "C", "DE", "F", "G", "HJ", "I", "K", "LMN", "O", "P", "Q", "RSTU"]

WEEKS_PER_MONTH = 52.0 / 12.0
DRC_STEP_WEEKS = 6.75
"""del Rio-Chanona et al. (2021) use a time step of 6.75 weeks; rates are converted to months."""


def _per_month(rate_per_drc_step: float) -> float:
    """Convert a per-step probability of del Rio-Chanona et al. (2021) to a monthly one."""
    return 1.0 - (1.0 - rate_per_drc_step) ** (WEEKS_PER_MONTH / DRC_STEP_WEEKS)


class Strict(BaseModel):
    """Base: frozen, unknown keys rejected, no infinite or NaN number anywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)


_MEMO: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}


def memo(model: BaseModel) -> dict[str, Any]:
    """A cache of values derived from a frozen model, for as long as the model lives.

    Held outside the model, by identity (so the model's equality, copies and pickles do not
    change): a copy, even an equal one, starts with an empty cache. Derived values such as a
    scenario's per-economy settings and its settings hash are computed once per scenario.

    Parameters
    ----------
    model : pydantic.BaseModel
        A frozen model (:class:`Strict`).

    Returns
    -------
    dict
        The model's cache (empty at first).
    """
    key = id(model)
    entry = _MEMO.get(key)
    if entry is not None and entry[0]() is model:
        return entry[1]
    cache: dict[str, Any] = {}
    # The dict is bound as a default: at interpreter exit the module's globals are None.
    _MEMO[key] = (weakref.ref(model, lambda _, key=key, memo=_MEMO: memo.pop(key, None)), cache)
    return cache


def json_fragment(value: Any) -> str:
    """One value as canonical JSON: a model by :func:`canonical_json`, anything else as
    ``json.dumps`` of its JSON form (sorted keys, no spaces), as it appears in the JSON of the
    model that holds it.

    Parameters
    ----------
    value : Any
        A field's value.

    Returns
    -------
    str
        The JSON text.
    """
    kind = type(value)
    if kind is float and value - value == 0.0:  # finite: the text json.dumps writes
        return float.__repr__(value)
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, BaseModel):
        return canonical_json(value)
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value)
    return json.dumps(to_jsonable_python(value), sort_keys=True, separators=(",", ":"))


_SORTED_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}
_EXCLUDE_IF: dict[type, tuple[tuple[str, Any], ...]] = {}
"""Each model class's fields with an ``exclude_if`` (left out of the JSON where it holds)."""


def _texts(model: BaseModel, cache: dict[str, Any]) -> dict[str, str | None]:
    """The cache of each field's text (``None``: not made yet)."""
    texts = cache.get("texts")
    if texts is None:
        texts = cache["texts"] = dict.fromkeys(model.__dict__)
    return texts


def field_json(model: BaseModel, names: Iterable[str]) -> list[str]:
    """The :func:`json_fragment` of the fields ``names`` of a frozen model, each made once.

    Parameters
    ----------
    model : pydantic.BaseModel
        A frozen model.
    names : iterable of str
        Field names.

    Returns
    -------
    list of str
        The JSON text of each field's value, in the order of ``names``.
    """
    texts = _texts(model, memo(model))
    values = model.__dict__
    out = []
    for name in names:
        text = texts[name]
        if text is None:
            text = texts[name] = json_fragment(values[name])
        out.append(text)
    return out


def derive_pieces(old: BaseModel, new: BaseModel, changed: set[str]) -> None:
    """Seed the text cache of ``new``, a copy of ``old`` whose fields ``changed`` differ: the
    text of every other field is ``old``'s (made once, for ``old``), so :func:`canonical_json`
    of ``new`` serialises the changed fields only.

    Parameters
    ----------
    old : pydantic.BaseModel
        The model ``new`` was made from.
    new : pydantic.BaseModel
        The same model with the fields ``changed`` set again.
    changed : set of str
        The fields whose values may differ.
    """
    cache = memo(old)
    if not cache.get("complete"):
        field_json(old, old.__dict__)
        cache["complete"] = True
    texts = dict(cache["texts"])
    for name in changed:
        texts[name] = None
    memo(new)["texts"] = texts


def canonical_json(model: BaseModel) -> str:
    """The model as canonical JSON (sorted keys, no spaces), computed once per model.

    Parameters
    ----------
    model : pydantic.BaseModel
        A frozen model.

    Returns
    -------
    str
        The text of ``json.dumps(model.model_dump(mode="json"), sort_keys=True,
        separators=(",", ":"))``, put together from each field's text (sub-models' cached),
        so that a copy that changes a few values serialises those only. A field whose
        ``exclude_if`` holds for its value is left out, as ``model_dump`` leaves it out.
    """
    cache = memo(model)
    text = cache.get("json")
    if text is None:
        cls = type(model)
        order = _SORTED_FIELDS.get(cls)
        if order is None:
            names = tuple(sorted(cls.model_fields))
            order = _SORTED_FIELDS[cls] = (names, tuple(f"{json.dumps(n)}:" for n in names))
            _EXCLUDE_IF[cls] = tuple((n, f.exclude_if) for n, f in cls.model_fields.items()
                                     if f.exclude_if is not None)
        texts = _texts(model, cache)
        values = model.__dict__
        for name, piece in texts.items():
            if piece is None:
                texts[name] = json_fragment(values[name])
        skip = _EXCLUDE_IF[cls]
        left_out = {n for n, excluded in skip if excluded(values[n])} if skip else ()
        text = cache["json"] = "{" + ",".join(
            [key + texts[name] for name, key in zip(*order, strict=True)
             if name not in left_out]) + "}"
    return text


# --------------------------------------------------------------------------------------------
# Parameter sections. Each may be overridden per economy.
# --------------------------------------------------------------------------------------------


class SCurve(Strict):
    """An imposed adoption path: a logistic share of automatable work automated over time."""

    target_share: Annotated[float, Field(gt=0.0, lt=1.0, strict=True)] = 0.5
    """Share of firms (so, with ``depth`` = 1, of automatable work) that have adopted by
    ``target_year``. Reading McKinsey (2017)'s midpoint, about half of today's work activities
    automated by 2055, as half of the automatable work by 2055 is an interpretation."""
    target_year: CalendarYear = 2055
    """Calendar year at which ``target_share`` is reached (McKinsey 2017: 2055 +/- 20 years);
    1950 to 2200."""
    duration_years: Annotated[float, Field(ge=1.0, le=200.0, strict=True)] = 20.0
    """Years from 10% to 90% of saturation (McKinsey 2017: 8-28 years, recalled); 1 to 200."""


class Automation(Strict):
    """Firm adoption of automation, displacement and job creation."""

    mode: Literal["endogenous", "s_curve", "none"] = "endogenous"
    """``endogenous``: firms adopt when the cost of automating falls below their threshold times the
    wage cost of the automatable work; ``s_curve``: adoption follows ``s_curve``; ``none``: no
    automation."""
    exposure_basis: Literal["occupation", "task"] = "task"
    """``occupation``: a worker's share of automatable work is the Frey-Osborne probability of the
    occupation group; ``task``: that probability times ``task_exposure_ratio``."""
    task_exposure_ratio: Share = 14.0 / 47.0
    """Task-level over occupation-level high-risk shares: Nedelkoska & Quintini (2018) 14% over
    Frey & Osborne (2017) 47%."""
    cost_ratio_usa: Annotated[float, Field(gt=0.0, le=1000.0, strict=True)] = 1.5
    """Assumption. Cost of automating one job's automatable work over its wage cost, in the United
    States at the start year; 1.5 makes about a fifth of US firms find it worth it at the start.
    Above 0, at most 1,000."""
    wage_gap_elasticity: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.2
    """Assumption. Other economies' cost ratio is the US one times (US GDP per capita / own GDP per
    capita) to this power: 1 if automation cost is all traded at world prices, 0 if all local.
    At most 2 (the cost ratio stays finite)."""
    cost_decline_per_year: Annotated[float, Field(ge=0.0, le=0.5, strict=True)] = 0.07
    """Assumption. Annual fall of automation cost (learning curve); at most 0.5 (a halving every
    year), so that the cost moved back to a start year before ``cost_reference_year`` stays
    finite."""
    cost_reference_year: CalendarYear = 2023
    """Calendar year at which ``cost_ratio_usa`` holds; other start years move along the
    learning curve, so runs from 2000 and from 2023 share one cost path. 1950 to 2200."""
    sector_hazard: dict[SectorCode, Multiplier] = Field(default_factory=dict)
    """Assumption. Adoption-hazard multiplier by sector (default 1 everywhere); 0 to 100."""
    threshold_sigma: Annotated[float, Field(ge=0.0, le=5.0, strict=True)] = 0.5
    """Assumption. Log-sd of firms' adoption thresholds (lognormal, median 1); at most 5."""
    adoption_hazard: Share = 0.02
    """Assumption. Monthly adoption rate of a firm for which automation pays, at readiness 1
    (universal internet use and world-average robot density) and no imitation. Readiness is not
    capped: it exceeds 1 where robot density is above the world's."""
    imitation: Multiplier = 2.0
    """Assumption. Bass-style imitation: hazard multiplier per unit share of adopters in the firm's
    sector and economy; 0 to 100."""
    robot_elasticity: Annotated[float, Field(ge=0.0, le=5.0, strict=True)] = 0.25
    """Assumption. Readiness scales with (robot density / world density) to this power; at
    most 5."""
    depth: Share = 1.0
    """Assumption. Share of a firm's automatable work automated when it adopts."""
    reinstatement_ratio: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """New labour-using tasks created per task automated, in the automating sector, after a lag
    (the reinstatement effect). Acemoglu & Restrepo (2019) decompose US task content: as their
    figures are reported, reinstatement was about 0.35% a year against displacement of 0.70% in
    1987-2017 (a ratio of 0.5) and about equal to it in 1947-1987 (ratio 1); the default is the
    recent ratio, the sensitivity analysis varies it over [0.5, 1]. The net job change per
    automated job is not set by this ratio alone: the productivity effect and wages move it."""
    creation_lag_months: LagMonths = 12.0
    """Assumption (bounds 6-36). Mean lag (exponential) between automation and the new tasks;
    above 0, at most 1,200 months."""
    price_elasticity: Annotated[float, Field(ge=0.0, le=5.0, strict=True)] = 0.7
    """Assumption (bounds 0.3-1.5). Price elasticity of demand for a sector's output: automation
    lowers the sector's unit cost, its price falls, and demand and so labour demand rise (the
    productivity effect). Bessen (2019) documents elasticities well above 1 early in an
    industry's life (textiles, steel, cars) and well below 1 once its markets are saturated."""
    absorption_per_year: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.3
    """Assumption (bounds 0-0.6). Speed at which the economy absorbs what is left of the net fall
    in labour demand after the three effects: output returns towards its potential, which grows
    with the labour force, as output gaps close (the same speed as the Holt level weight). With
    0 the loss is permanent; docs/ODD.md, "Labour demand", shows both."""
    labour_cost_share: Share = 0.5
    """Assumption (bounds 0.3-0.7). Labour's share of a sector's unit cost, which turns the
    automated share of its work and the cost saving into a fall in unit cost."""
    s_curve: SCurve = SCurve()


WageRatio = Annotated[float, Field(ge=0.01, le=100.0, strict=True)]


class LabourMarket(Strict):
    """Separations, openings and matching (del Rio-Chanona et al. 2021, monthly)."""

    separation_rate: Share = _per_month(0.016)
    """delta_u of del Rio-Chanona et al. (2021), 0.016 per 6.75 weeks, as a monthly rate. Capped per
    economy so that the observed unemployment rate is a steady state (docs/ODD.md). It may be 0
    if ``exit_rate_employed`` is not: with no flow out of employment at all, no unemployment
    rate is a steady state."""
    opening_rate: Annotated[float, Field(ge=0.0, le=0.5, strict=True)] = _per_month(0.012)
    """delta_v of del Rio-Chanona et al. (2021), 0.012 per 6.75 weeks, as a monthly rate; at
    most 0.5 (the starting vacancies divide by ``1 - opening_rate``)."""
    gamma_u: Share = _per_month(0.16)
    """gamma_u of del Rio-Chanona et al. (2021): speed of layoffs towards target demand."""
    gamma_v: Annotated[float, Field(ge=0.001, le=1.0, strict=True)] = _per_month(0.16)
    """gamma_v of del Rio-Chanona et al. (2021): speed of openings towards target demand; at
    least 0.001 (the starting labour demand divides by it: at 0 firms never open vacancies
    towards their target)."""
    own_sector_preference: Share = 0.55
    """r of del Rio-Chanona et al. (2021): share of applications sent to one's own sector."""
    matching_efficiency: Share = 1.0
    """Assumption. Scale of the urn-ball hiring probability (1 = frictions of the urn-ball only)."""
    skill_gap_penalty: Multiplier = 1.0
    """Assumption. Hiring chance falls by exp(-penalty * gap) per skill level below the sector's
    requirement; 0 to 100."""
    displaced_skill_loss: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """Assumption (bounds 0-1). Skill levels lost for hiring after an involuntary loss of a
    long-tenure job: firm- and industry-specific skills. It applies to every worker ever
    displaced by automation, until trained, and to every worker who lost a job held 36 months or
    more to a churn separation into unemployment (or to automation) and has not been employed
    since, until re-employed or trained; not to quits or retirements, nor to losses of shorter
    jobs. Motivated by the lasting losses of high-tenure workers separating from distressed
    firms, whatever the cause (Jacobson, LaLonde & Sullivan 1993); the size is not sourced
    (docs/ODD.md, 7.11)."""
    displaced_wage_penalty: Annotated[float, Field(ge=0.0, le=0.9, strict=True)] = 0.15
    """Log wage penalty of a worker displaced by automation (not of one separated by churn)
    re-employed without training, relative to the wage of the same skill level: Jacobson,
    LaLonde & Sullivan (1993) find earnings of high-tenure displaced workers 25% below their
    expected level five years on, part of it lower wages and part fewer hours; an assumption
    with bounds 0.05-0.3."""
    skill_upgrade: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """Assumption (bounds 0-1). Rise of a sector's skill requirement, in skill levels, per unit
    share of its work automated: new tasks need more skill (Acemoglu & Restrepo 2019)."""
    duration_decay_per_year: Multiplier = 0.3
    """Assumption. Search effectiveness falls by exp(-decay * years unemployed); 0 to 100."""
    long_term_months: Annotated[int, Field(ge=1, le=MAX_MONTHS, strict=True)] = 12
    """Months after which unemployment counts as long-term (ILO convention: 12 months); 1 to
    1,200."""
    exit_rate_employed: Share = 0.015
    """Monthly chance that an employed worker leaves the labour force, at every duration, before
    the flows that keep each sex and age group on its observed path (docs/ODD.md,
    "Participation"). Half the US CPS mean of 0.029 in 1976-2011 (Gomes 2015, table 1), as
    measured gross flows are inflated by misclassification (Abowd & Zellner 1985): an assumption
    with bounds 0.007-0.029. Scaled per economy with the separation rate."""
    exit_rate_unemployed: Share = 0.03
    """Monthly chance that an unemployed worker leaves the labour force, at every duration. The
    US CPS mean is 0.221 (Gomes 2015, table 1), inflated by misclassification and by marginally
    attached people; for displaced workers the BLS Displaced Worker Survey finds 18.2% out of
    the labour force one to three years after displacement (BLS 2024). An assumption with
    bounds 0.02-0.221, set so that the US baseline's displaced workers come near that share
    (docs/ODD.md, "Participation")."""
    okun_elasticity: Annotated[float, Field(ge=0.0, le=1.5, strict=True)] | None = None
    """Elasticity of labour demand to the output gap (cyclical employment; Okun's law). Default:
    estimated from the economy's own history up to the start year (yearly changes of the
    unemployment rate on those of the one-sided output gap), clipped to 0.05-0.8. For reference,
    Ball, Leigh & Loungani (2017) estimate 0.45 for the United States, and Ball, Furceri, Leigh &
    Loungani (2019) coefficients about half as large in developing economies."""
    natural_rate_years: tuple[Annotated[int, Field(ge=1991, le=2025, strict=True)],
                              Annotated[int, Field(ge=1991, le=2025, strict=True)]] | None = None
    """First and last year (1991-2025, the years of observed unemployment) of a line fitted by
    OLS to the economy's observed unemployment rate: the natural rate of those years, for a run
    that starts before the last of them (held at its last value after it). Default: the
    natural rate is the start year's observed rate, held for the whole run. A reduced form
    for what moves the natural rate over decades and is not modelled (demography,
    institutions, formalisation); an in-sample fit, set by ``calibrate`` to its fit years
    (docs/ODD.md, "Natural rate")."""
    trend_level_weight: Share = 0.3
    """Assumption (bounds 0.1-0.6). Holt filter weight on each year's output in potential
    output's level: how fast potential output absorbs a lasting change in output."""
    trend_growth_weight: Share = 0.1
    """Assumption (bounds 0.05-0.3). Holt filter weight on each year's output growth in potential
    output's growth."""
    wage_curve_elasticity: Annotated[float, Field(ge=0.0, le=0.5, strict=True)] = 0.1
    """Elasticity of pay with respect to the unemployment rate, in absolute value: the wage curve
    of Blanchflower & Oswald (1994, 2005), about -0.1 in more than 40 countries; Nijkamp & Poot
    (2005) find -0.07 after correcting for publication bias (bounds 0.07-0.15)."""
    wage_adjustment_months: LagMonths = 12.0
    """Assumption (bounds 6-36). Mean lag with which the slack factor of wages follows the wage
    curve (wages follow their productivity trend without lag); above 0, at most 1,200."""
    labour_demand_elasticity: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.43
    """Own-wage elasticity of labour demand, in absolute value: -0.43 is the mean of 705
    estimates in Popp (2023)'s meta-analysis for Germany; Lichter, Peichl & Siegloch (2015)
    find a wide spread across countries (bounds 0.2-1.0)."""
    observed_benefit_replacement: Share = 0.0
    """Replacement rate of the unemployment benefits in force in the data years, used in the
    burn-in: they shape the observed unemployment rate that the stationary state reproduces.
    ``policy.benefits`` sets the benefits from month 1, so a scenario that changes them shows
    the effect (docs/ODD.md, "Initialisation")."""
    observed_benefit_months: Annotated[int, Field(ge=0, le=120, strict=True)] = 0
    """Months of entitlement of the benefits in force in the data years (burn-in)."""
    labour_share: Share = 0.5
    """Assumption. Labour income share of GDP, which with GDP and employment sets the mean wage."""
    skill_wage_ratio: tuple[WageRatio, WageRatio, WageRatio] = (0.7, 1.0, 1.8)
    """Assumption. Wage by skill level (low, medium, high) relative to medium, before
    normalising so the starting mean wage matches the economy's; each 0.01 to 100."""

    @model_validator(mode="after")
    def _natural_rate_window(self) -> LabourMarket:
        years = self.natural_rate_years
        if years is not None and years[1] - years[0] < 4:
            raise ValueError(f"natural_rate_years: expected a first and a last year at least 4 "
                             f"years apart (a line through 5 or more years), got {list(years)}")
        return self

    @model_validator(mode="after")
    def _flows_out_of_employment(self) -> LabourMarket:
        if self.separation_rate == 0 and self.exit_rate_employed == 0:
            raise ValueError("separation_rate and exit_rate_employed cannot both be 0: with no "
                             "flow out of employment, the observed unemployment rate cannot "
                             "be a steady state")
        return self


class Training(Strict):
    """Reskilling programme mechanics."""

    duration_months: Annotated[int, Field(ge=1, le=60, strict=True)] = 12
    """OECD (2019): moving a high-risk worker to a low/medium-risk occupation takes about a year."""
    base_completion: Share = 0.7
    """Assumption. Completion probability of a medium-skill trainee with digital access."""
    skill_completion_factor: tuple[Share, Share, Share] = (0.8, 1.0, 1.0)
    """Assumption. Completion multiplier by skill level (low, medium, high)."""
    no_digital_completion_factor: Share = 0.6
    """Assumption. Completion multiplier for trainees without internet access."""
    rural_internet_ratio: Share = 0.6
    """Assumption. Internet-use rate of rural workers over that of urban workers. The urban and
    rural rates are solved so that their mix matches the national rate."""
    skill_gain: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.25
    """Assumption (bounds 0-0.5). Skill levels that a completed programme adds for hiring, on
    top of removing a displaced worker's skill loss and wage penalty. The resulting effect on
    employment by horizon is a model outcome, checked against Card, Kluve & Weber (2018)."""
    lockin_search_factor: Share = 0.3
    """Assumption. Search intensity of trainees relative to the unemployed (lock-in)."""
    cost_share_of_gdp_per_capita: Annotated[float, Field(ge=0.001, le=100.0, strict=True)] = \
        28_000.0 / 82_587.0
    """Cost per trainee over GDP per capita: Year Up's about USD 28,000 per participant over US GDP
    per capita in 2023 (USD 82,587, WDI). 0.001 to 100: training slots are budget over cost."""


class CapacityBuilding(Strict):
    """Capacity-building spending that buys training slots."""

    share_of_gdp: Share = 0.0
    """Annual spending as a share of GDP (OECD 2019: retraining all high-risk workers would cost
    0.5-2% of GDP at the lower bound); at most 1."""
    amount_usd: Usd = 0.0
    """Annual spending in USD, added to ``share_of_gdp`` times GDP; at most 1e15."""
    years_active: Annotated[int, Field(ge=0, le=MAX_YEARS, strict=True)] | None = None
    """Years from the start during which the programme enrols (default: the whole run); 0 to
    100."""
    cost_per_trainee_usd: CostPerTrainee | None = None
    """Override of the cost per trainee (default: ``training.cost_share_of_gdp_per_capita``);
    USD 1 to 1e9."""
    priority: Literal["displaced_first", "long_term_first", "lottery"] = "displaced_first"
    """Who among the unemployed goes first."""
    eligibility: Literal["unemployed", "displaced"] = "unemployed"
    """Who may enrol."""


class Benefits(Strict):
    """Unemployment insurance."""

    replacement_rate: Share = 0.0
    """Benefit as a share of the last wage."""
    max_months: Months = 0
    """Months of entitlement from the start of a spell; 0 to 1,200."""
    search_elasticity: Multiplier = 0.5
    """Assumption. Search intensity falls by this times the replacement rate while paid; 0 to
    100."""


class HiringSubsidy(Strict):
    """A subsidy to employers who hire a displaced worker."""

    share_of_wage: Share = 0.0
    """Share of the wage paid to the employer."""
    months: Months = 12
    """Months the subsidy is paid after a hire; 0 to 1,200 (the month it ends is held in an
    ``int16``, which this bound keeps from overflowing)."""
    hiring_effect: Multiplier = 1.0
    """Assumption. A displaced applicant's hiring chance rises by ``1 + effect * share``; 0 to
    100."""


CONNECT_COST_USD = 428e9 / 3e9
"""USD per person connected: ITU (2020), "Connecting Humanity": about USD 428 billion to bring
the remaining 3 billion people aged 10 and over online with broadband by 2030 (infrastructure,
policy and regulation, basic digital skills and local content). A global mean; rural
last-mile connections cost more (docs/ODD.md, "Digital access")."""


class DigitalAccess(Strict):
    """Spending that connects rural people without internet access (docs/ODD.md, "Digital
    access")."""

    share_of_gdp: Share = 0.0
    """Annual spending as a share of GDP; at most 1."""
    amount_usd: Usd = 0.0
    """Annual spending in USD, added to ``share_of_gdp`` times GDP; at most 1e15."""
    cost_per_person_usd: Annotated[float, Field(ge=1.0, le=1e6, strict=True)] = \
        CONNECT_COST_USD
    """USD per rural person connected, default ITU (2020)'s global mean of about USD 143
    (``CONNECT_COST_USD``). Named assumption for rural areas: bounds 1 to 3 times it."""
    years_active: Annotated[int, Field(ge=0, le=MAX_YEARS, strict=True)] | None = None
    """Years from the start during which the programme connects people (default: the whole
    run); 0 to 100."""

    @property
    def active(self) -> bool:
        """Whether anything is spent."""
        return self.share_of_gdp > 0.0 or self.amount_usd > 0.0


class Policy(Strict):
    """Policy levers of one economy."""

    capacity_building: CapacityBuilding = CapacityBuilding()
    benefits: Benefits = Benefits()
    hiring_subsidy: HiringSubsidy = HiringSubsidy()
    automation_tax: Annotated[float, Field(ge=0.0, le=10.0, strict=True)] = 0.0
    """Tax on automation spending: raises the cost of automating by this share; at most 10."""
    tech_transfer: Annotated[float, Field(ge=0.0, lt=1.0, strict=True)] = 0.0
    """Technology transfer to firms: lowers the cost of automating by this share (more
    adoption, so more displacement)."""
    tech_transfer_training: Annotated[float, Field(
        ge=0.0, lt=1.0, strict=True)] = Field(default=0.0, exclude_if=lambda v: v == 0.0)
    """Technology transfer to local training providers (trainers, curricula, equipment):
    lowers the cost of a national training place by this share, so the same budget buys more
    places (docs/ODD.md, "Capacity building"). A lever, not an estimate: no evaluation in
    ../shared/LITERATURE.md gives its size. Left out of the settings' hash at 0."""
    digital_access: DigitalAccess = Field(default=DigitalAccess(),
                                          exclude_if=lambda v: not v.active)
    """Connecting rural people to the internet (left out of the settings' hash when nothing
    is spent, so that runs without it keep their ids)."""


class Exposure(Strict):
    """Per-sector overrides of the automation exposure derived from data."""

    sector: dict[SectorCode, Share] = Field(default_factory=dict)
    """Mean occupation-level automation probability of a sector (replaces the derived one; the
    workers' probabilities in that sector are rescaled to it)."""


class Drivers(Strict):
    """Exogenous drivers: labour force by sex and age, participation, real output.

    Past years come from the data (ILOEST labour force by sex and age band, WDI participation by
    sex and real GDP), up to ``observed_until`` if set; later years follow the rules below
    (docs/ODD.md, "Drivers").
    """

    flat: bool = False
    """Hold every driver at its start-year value (a stationary economy)."""
    gdp_growth: Annotated[float, Field(ge=-0.2, le=0.3, strict=True)] | None = None
    """Annual real GDP growth after the last observed year. Default: the mean of the last ten
    observed years (an extrapolation, not a forecast)."""
    labour_force_growth: Annotated[float, Field(ge=-0.1, le=0.1, strict=True)] | None = None
    """Annual growth of every sex and age group's labour force after the data (ILOEST runs to
    2027, its later years projections). Default: each group's mean growth over its last five
    years of data."""
    structural_change: bool = True
    """Shift the sector mix of labour demand with real income per capita, by the income
    elasticities estimated from the economy's own history up to the start year."""
    elasticity_since: Annotated[int, Field(ge=1991, le=2100, strict=True)] = 1991
    """First year of the history from which the income elasticities are estimated."""
    observed_until: CalendarYear | None = Field(default=None,
                                                exclude_if=lambda value: value is None)
    """Last year of the driver data a run may see (an ex-ante forecast from this origin):
    every later year of the labour force, participation and real GDP is treated as not
    observed and follows the rules for the years past the data, computed from the data up to
    and including this year only. At least the start year (whose data a run starts from);
    1950 to 2200. Default: every year of the data (left out of the settings' JSON and hash
    when unset, so that runs without it keep their run ids)."""


class Typhoon(Strict):
    """One typhoon: temporary separations in the affected sectors and areas in one month."""

    year: CalendarYear
    """Calendar year of the strike (a run that does not cover it ignores it)."""
    month: Annotated[int, Field(ge=1, le=12, strict=True)]
    """Calendar month of the strike, 1 to 12 (a run starts in January of its start year)."""
    separated_share: dict[SectorCode, Share]
    """Share of each affected ISIC group's employed workers (in ``area``) separated
    temporarily; groups not listed are not affected."""
    area: Literal["all", "rural", "urban"] = "all"
    """Where the affected workers live."""


class Disaster(Strict):
    """Natural disasters: typhoon strikes and the recall that follows (docs/ODD.md,
    "Disasters")."""

    typhoons: tuple[Typhoon, ...] = ()
    """The strikes (default none)."""
    recall_rate: Annotated[float, Field(gt=0.0, le=1.0, strict=True)] = 0.15
    """Named assumption (bounds 0.05-0.5). Monthly chance that a worker separated by a
    typhoon and still unemployed is recalled to the same job, as the workplace reopens. 0.15
    leaves about 38% waiting after 6 months (with search elsewhere, fewer), in line with the
    ILO's "millions still have needs" six months after Haiyan; no estimate in the data."""
    response_speedup: Annotated[float, Field(ge=1.0, le=10.0, strict=True)] = 1.0
    """Lever: faster recovery (for example AI-assisted disaster response) multiplies the
    recall rate by this (capped at a chance of 1). It has no cost in the model."""

    @property
    def active(self) -> bool:
        """Whether any typhoon strikes."""
        return bool(self.typhoons)


class EconomySettings(Strict):
    """Every parameter section, as resolved for one economy."""

    drivers: Drivers = Drivers()
    automation: Automation = Automation()
    labour_market: LabourMarket = LabourMarket()
    training: Training = Training()
    policy: Policy = Policy()
    exposure: Exposure = Exposure()
    disaster: Disaster = Field(default=Disaster(), exclude_if=lambda v: v == Disaster())
    """Left out of the settings' hash at its default, so that runs without disasters keep
    their ids."""

    @model_validator(mode="after")
    def _line_sees_only_observed_years(self) -> EconomySettings:
        years, until = self.labour_market.natural_rate_years, self.drivers.observed_until
        if years is not None and until is not None and years[1] > until:
            raise ValueError(f"labour_market.natural_rate_years: the line's last year "
                             f"({years[1]}) is after drivers.observed_until ({until}); "
                             f"expected at most {until}, so that it uses observed years only")
        return self


SECTIONS: tuple[str, ...] = tuple(EconomySettings.model_fields)


class RegionalCentre(Strict):
    """A regional centre of excellence: pooled training slots for member economies."""

    enabled: bool = False
    members: tuple[ISO3, ...] = ASEAN  # type: ignore[assignment]
    contribution_share_of_gdp: Share = 0.0
    """Each member's annual contribution as a share of its GDP; at most 1."""
    contribution_usd: Usd = 0.0
    """A flat annual contribution per member in USD, added to the GDP share; at most 1e15."""
    cost_per_trainee_usd: CostPerTrainee | None = None
    """Default: the mean of the members' costs per trainee, weighted by their contributions;
    USD 1 to 1e9."""


class Scenario(Strict):
    """A validated scenario: what to simulate, with which settings."""

    name: Name
    description: str = ""
    economies: Annotated[tuple[ISO3, ...], Field(min_length=1)] = ECONOMIES  # type: ignore
    start_year: StartYear | None = None
    """Start year (default: the latest year that is not an ILO projection)."""
    years: Years = 10
    workers_per_agent: WorkersPerAgent = 5000.0
    """People one worker agent stands for (an upper bound; see ``min_agents_per_economy``)."""
    min_agents_per_economy: MinAgents = 2000
    """Small economies get a finer scale so that each has at least this many agents."""
    firms_per_sector: FirmsPerSector = 25
    seed: Seed = 20_261_127
    """Master seed."""
    replicates: Replicates = 1
    burn_in_months: Annotated[int, Field(ge=0, le=600, strict=True)] = 120
    """Months run before the start, with automation, structural change, the output cycle and
    programmes off and the labour force on its observed path of those months, while labour
    demand is steered to the observed unemployment rate: the model starts from its own
    stationary state (docs/ODD.md, "Initialisation"). 60 months left the controller short of
    convergence (a bias of up to 0.15 points in the stationary test); 120 do not."""
    regional_centre: RegionalCentre = RegionalCentre()
    defaults: EconomySettings = EconomySettings()
    """Settings for every economy (TOML: the top-level sections ``[automation]`` etc.)."""
    economy: dict[ISO3, dict[str, Any]] = Field(default_factory=dict)
    """Per-economy overrides, merged over ``defaults`` (TOML: ``[economy.VNM.policy]``)."""

    @model_validator(mode="after")
    def _check_overrides(self) -> Scenario:
        # Overrides of economies that are not simulated are kept (and validated) but unused,
        # so that a scenario can be run on a subset of economies.
        # Validate each economy's merged settings now, so errors name the economy.
        for iso in self.economy:
            try:
                self.settings_for(iso)
            except ValidationError as exc:
                err = exc.errors()[0]
                path = ".".join(str(p) for p in err["loc"])
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = "unknown key (check the spelling; see docs/scenarios.md for the keys)"
                if not path:  # a check across sections: its message names the keys
                    raise ValueError(f"economy.{iso}.{msg.removeprefix('Value error, ')}"
                                     ) from None
                got = "" if err["type"] in ("extra_forbidden", "missing") else \
                    f" (got {err.get('input')!r})"
                raise ValueError(f"economy.{iso}.{path}: {msg}{got}") from None
        if len(set(self.economies)) != len(self.economies):
            raise ValueError("economies lists an economy twice")
        return self

    def settings_for(self, iso3: str) -> EconomySettings:
        """Return the settings of one economy: ``defaults`` with its overrides merged in
        (validated once per scenario, then cached: :func:`memo`)."""
        override = self.economy.get(iso3)  # type: ignore[call-overload]
        if not override:
            return self.defaults
        cache = memo(self).setdefault("settings", {})
        found = cache.get(iso3)
        if found is None:
            merged = deep_merge(self.defaults.model_dump(), override)
            found = cache[iso3] = EconomySettings.model_validate(merged)
        return found

    def config_hash(self) -> str:
        """SHA-256 of the canonical JSON of the resolved scenario."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` with ``override`` merged in, recursively for nested tables."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def sector_index(code: str) -> int:
    """Index of an ISIC sector group code in ``constants.SECTORS``."""
    return SECTORS.index(code)
