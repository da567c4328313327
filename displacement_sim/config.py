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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from displacement_sim.constants import ASEAN, ECONOMIES, SECTORS

# Numbers are strict: a TOML boolean is not taken as 0 or 1 (an int is still taken as a float).
Share = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
NonNeg = Annotated[float, Field(ge=0.0, strict=True)]
Positive = Annotated[float, Field(gt=0.0, strict=True)]


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
StartYear = Annotated[int, Field(ge=2000, strict=True)]
"""First simulated year (data permitting: checked against the drivers before a run)."""
Years = Annotated[int, Field(ge=1, le=100, strict=True)]
"""Horizon in years."""
WorkersPerAgent = Annotated[float, Field(gt=0.0, strict=True, allow_inf_nan=False)]
"""People one worker agent stands for (an upper bound; see ``MinAgents``)."""
MinAgents = Annotated[int, Field(ge=10, strict=True)]
"""Minimum worker agents per economy."""
FirmsPerSector = Annotated[int, Field(ge=1, le=1000, strict=True)]
"""Firms per economy and sector."""
Seed = Annotated[int, Field(ge=0, strict=True)]
"""A master seed (:mod:`displacement_sim.seeding`)."""
Replicates = Annotated[int, Field(ge=1, strict=True)]
"""Runs per scenario or sample point."""

SectorCode = Literal["A", "B", "C", "DE", "F", "G", "HJ", "I", "K", "LMN", "O", "P", "Q", "RSTU"]

WEEKS_PER_MONTH = 52.0 / 12.0
DRC_STEP_WEEKS = 6.75
"""del Rio-Chanona et al. (2021) use a time step of 6.75 weeks; rates are converted to months."""


def _per_month(rate_per_drc_step: float) -> float:
    """Convert a per-step probability of del Rio-Chanona et al. (2021) to a monthly one."""
    return 1.0 - (1.0 - rate_per_drc_step) ** (WEEKS_PER_MONTH / DRC_STEP_WEEKS)


class Strict(BaseModel):
    """Base: frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


# --------------------------------------------------------------------------------------------
# Parameter sections. Each may be overridden per economy.
# --------------------------------------------------------------------------------------------


class SCurve(Strict):
    """An imposed adoption path: a logistic share of automatable work automated over time."""

    target_share: Annotated[float, Field(gt=0.0, lt=1.0, strict=True)] = 0.5
    """Share of firms (so, with ``depth`` = 1, of automatable work) that have adopted by
    ``target_year``. Reading McKinsey (2017)'s midpoint, about half of today's work activities
    automated by 2055, as half of the automatable work by 2055 is an interpretation."""
    target_year: Annotated[int, Field(strict=True)] = 2055
    """Calendar year at which ``target_share`` is reached (McKinsey 2017: 2055 +/- 20 years)."""
    duration_years: Positive = 20.0
    """Years from 10% to 90% of saturation (McKinsey 2017: 8-28 years, recalled)."""


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
    cost_ratio_usa: Positive = 1.5
    """Assumption. Cost of automating one job's automatable work over its wage cost, in the United
    States at the start year; 1.5 makes about a fifth of US firms find it worth it at the start."""
    wage_gap_elasticity: NonNeg = 0.2
    """Assumption. Other economies' cost ratio is the US one times (US GDP per capita / own GDP per
    capita) to this power: 1 if automation cost is all traded at world prices, 0 if all local."""
    cost_decline_per_year: Share = 0.07
    """Assumption. Annual fall of automation cost (learning curve)."""
    cost_reference_year: Annotated[int, Field(strict=True)] = 2023
    """Calendar year at which ``cost_ratio_usa`` holds; other start years move along the
    learning curve, so runs from 2000 and from 2023 share one cost path."""
    sector_hazard: dict[SectorCode, NonNeg] = Field(default_factory=dict)
    """Assumption. Adoption-hazard multiplier by sector (default 1 everywhere)."""
    threshold_sigma: NonNeg = 0.5
    """Assumption. Log-sd of firms' adoption thresholds (lognormal, median 1)."""
    adoption_hazard: Share = 0.02
    """Assumption. Monthly adoption rate of a firm for which automation pays, at readiness 1
    (universal internet use and world-average robot density) and no imitation. Readiness is not
    capped: it exceeds 1 where robot density is above the world's."""
    imitation: NonNeg = 2.0
    """Assumption. Bass-style imitation: hazard multiplier per unit share of adopters in the firm's
    sector and economy."""
    robot_elasticity: NonNeg = 0.25
    """Assumption. Readiness scales with (robot density / world density) to this power."""
    depth: Share = 1.0
    """Assumption. Share of a firm's automatable work automated when it adopts."""
    reinstatement_ratio: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """New labour-using tasks created per task automated, in the automating sector, after a lag
    (the reinstatement effect). Acemoglu & Restrepo (2019) decompose US task content: as their
    figures are reported, reinstatement was about 0.35% a year against displacement of 0.70% in
    1987-2017 (a ratio of 0.5) and about equal to it in 1947-1987 (ratio 1); the default is the
    recent ratio, the sensitivity analysis varies it over [0.5, 1]. The net job change per
    automated job is not set by this ratio alone: the productivity effect and wages move it."""
    creation_lag_months: Positive = 12.0
    """Assumption (bounds 6-36). Mean lag (exponential) between automation and the new tasks."""
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


class LabourMarket(Strict):
    """Separations, openings and matching (del Rio-Chanona et al. 2021, monthly)."""

    separation_rate: Share = _per_month(0.016)
    """delta_u of del Rio-Chanona et al. (2021), 0.016 per 6.75 weeks, as a monthly rate. Capped per
    economy so that the observed unemployment rate is a steady state (docs/ODD.md)."""
    opening_rate: Share = _per_month(0.012)
    """delta_v of del Rio-Chanona et al. (2021), 0.012 per 6.75 weeks, as a monthly rate."""
    gamma_u: Share = _per_month(0.16)
    """gamma_u of del Rio-Chanona et al. (2021): speed of layoffs towards target demand."""
    gamma_v: Share = _per_month(0.16)
    """gamma_v of del Rio-Chanona et al. (2021): speed of openings towards target demand."""
    own_sector_preference: Share = 0.55
    """r of del Rio-Chanona et al. (2021): share of applications sent to one's own sector."""
    matching_efficiency: Share = 1.0
    """Assumption. Scale of the urn-ball hiring probability (1 = frictions of the urn-ball only)."""
    skill_gap_penalty: NonNeg = 1.0
    """Assumption. Hiring chance falls by exp(-penalty * gap) per skill level below the sector's
    requirement."""
    displaced_skill_loss: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """Assumption (bounds 0-1). Skill levels a displaced worker loses for hiring until trained:
    their skills were specific to the automated tasks. Motivated by the lasting earnings losses
    of displaced workers (Jacobson, LaLonde & Sullivan 1993); the size is not sourced."""
    displaced_wage_penalty: Annotated[float, Field(ge=0.0, le=0.9, strict=True)] = 0.15
    """Log wage penalty of a displaced worker re-employed without training, relative to the
    wage of the same skill level: Jacobson, LaLonde & Sullivan (1993) find earnings of
    high-tenure displaced workers 25% below their expected level five years on, part of it
    lower wages and part fewer hours; an assumption with bounds 0.05-0.3."""
    skill_upgrade: Annotated[float, Field(ge=0.0, le=2.0, strict=True)] = 0.5
    """Assumption (bounds 0-1). Rise of a sector's skill requirement, in skill levels, per unit
    share of its work automated: new tasks need more skill (Acemoglu & Restrepo 2019)."""
    duration_decay_per_year: NonNeg = 0.3
    """Assumption. Search effectiveness falls by exp(-decay * years unemployed)."""
    long_term_months: Annotated[int, Field(ge=1, strict=True)] = 12
    """Months after which unemployment counts as long-term (ILO convention: 12 months)."""
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
    wage_adjustment_months: Positive = 12.0
    """Assumption (bounds 6-36). Mean lag with which the slack factor of wages follows the wage
    curve (wages follow their productivity trend without lag)."""
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
    skill_wage_ratio: tuple[Positive, Positive, Positive] = (0.7, 1.0, 1.8)
    """Assumption. Wage by skill level (low, medium, high) relative to medium, before
    normalising so the starting mean wage matches the economy's."""


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
    cost_share_of_gdp_per_capita: NonNeg = 28_000.0 / 82_587.0
    """Cost per trainee over GDP per capita: Year Up's about USD 28,000 per participant over US GDP
    per capita in 2023 (USD 82,587, WDI)."""


class CapacityBuilding(Strict):
    """Capacity-building spending that buys training slots."""

    share_of_gdp: NonNeg = 0.0
    """Annual spending as a share of GDP (OECD 2019: retraining all high-risk workers would cost
    0.5-2% of GDP at the lower bound)."""
    amount_usd: NonNeg = 0.0
    """Annual spending in USD, added to ``share_of_gdp`` times GDP."""
    years_active: Annotated[int, Field(ge=0, strict=True)] | None = None
    """Years from the start during which the programme enrols (default: the whole run)."""
    cost_per_trainee_usd: Positive | None = None
    """Override of the cost per trainee (default: ``training.cost_share_of_gdp_per_capita``)."""
    priority: Literal["displaced_first", "long_term_first", "lottery"] = "displaced_first"
    """Who among the unemployed goes first."""
    eligibility: Literal["unemployed", "displaced"] = "unemployed"
    """Who may enrol."""


class Benefits(Strict):
    """Unemployment insurance."""

    replacement_rate: Share = 0.0
    """Benefit as a share of the last wage."""
    max_months: Annotated[int, Field(ge=0, strict=True)] = 0
    """Months of entitlement from the start of a spell."""
    search_elasticity: NonNeg = 0.5
    """Assumption. Search intensity falls by this times the replacement rate while paid."""


class HiringSubsidy(Strict):
    """A subsidy to employers who hire a displaced worker."""

    share_of_wage: Share = 0.0
    months: Annotated[int, Field(ge=0, strict=True)] = 12
    hiring_effect: NonNeg = 1.0
    """Assumption. A displaced applicant's hiring chance rises by ``1 + effect * share``."""


class Policy(Strict):
    """Policy levers of one economy."""

    capacity_building: CapacityBuilding = CapacityBuilding()
    benefits: Benefits = Benefits()
    hiring_subsidy: HiringSubsidy = HiringSubsidy()
    automation_tax: NonNeg = 0.0
    """Tax on automation spending: raises the cost of automating by this share."""
    tech_transfer: Annotated[float, Field(ge=0.0, lt=1.0, strict=True)] = 0.0
    """Technology transfer: lowers the cost of automating by this share."""


class Exposure(Strict):
    """Per-sector overrides of the automation exposure derived from data."""

    sector: dict[SectorCode, Share] = Field(default_factory=dict)
    """Mean occupation-level automation probability of a sector (replaces the derived one; the
    workers' probabilities in that sector are rescaled to it)."""


class Drivers(Strict):
    """Exogenous drivers: labour force by sex and age, participation, real output.

    Past years come from the data (ILOEST labour force by sex and age band, WDI participation by
    sex and real GDP); later years follow the rules below (docs/ODD.md, "Drivers").
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


class EconomySettings(Strict):
    """Every parameter section, as resolved for one economy."""

    drivers: Drivers = Drivers()
    automation: Automation = Automation()
    labour_market: LabourMarket = LabourMarket()
    training: Training = Training()
    policy: Policy = Policy()
    exposure: Exposure = Exposure()


SECTIONS: tuple[str, ...] = tuple(EconomySettings.model_fields)


class RegionalCentre(Strict):
    """A regional centre of excellence: pooled training slots for member economies."""

    enabled: bool = False
    members: tuple[ISO3, ...] = ASEAN  # type: ignore[assignment]
    contribution_share_of_gdp: NonNeg = 0.0
    """Each member's annual contribution as a share of its GDP."""
    contribution_usd: NonNeg = 0.0
    """A flat annual contribution per member in USD, added to the GDP share."""
    cost_per_trainee_usd: Positive | None = None
    """Default: the mean of the members' costs per trainee, weighted by their contributions."""


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
                got = "" if err["type"] in ("extra_forbidden", "missing") else \
                    f" (got {err.get('input')!r})"
                raise ValueError(f"economy.{iso}.{path}: {msg}{got}") from None
        if len(set(self.economies)) != len(self.economies):
            raise ValueError("economies lists an economy twice")
        return self

    def settings_for(self, iso3: str) -> EconomySettings:
        """Return the settings of one economy: ``defaults`` with its overrides merged in."""
        override = self.economy.get(iso3)  # type: ignore[call-overload]
        if not override:
            return self.defaults
        merged = deep_merge(self.defaults.model_dump(), override)
        return EconomySettings.model_validate(merged)

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
