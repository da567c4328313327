"""Frozen, strict schemas for scenarios.

A scenario holds global settings and, for each parameter section, defaults that apply to every
economy; ``[economy.ISO3.<section>]`` tables override any of them for one economy. Every field has
a default with a source (see docs/ODD.md, "Parameters") or is marked there as an assumption.

Validation happens once, here, at the edge. The model trusts what it is given.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .constants import ASEAN, ECONOMIES, SECTORS

# Numbers are strict: a TOML boolean is not taken as 0 or 1 (an int is still taken as a float).
Share = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
NonNeg = Annotated[float, Field(ge=0.0, strict=True)]
Positive = Annotated[float, Field(gt=0.0, strict=True)]
ISO3 = Literal["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "USA"]
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
    reinstatement_ratio: NonNeg = 0.5
    """Assumption. Jobs created per job automated, through new roles and demand from higher
    productivity and income. McKinsey (2019) puts creation at 1.2-2.0 times displacement in
    Indonesia by 2030, all causes included: an upper bound."""
    new_role_share: Share = 0.3
    """Assumption. Share of created jobs that are new roles in the automating sector; the rest
    spread across sectors by ``demand_elasticity``."""
    creation_lag_months: Positive = 12.0
    """Assumption. Mean lag (exponential) between automation and the jobs it creates."""
    demand_elasticity: dict[SectorCode, NonNeg] = Field(default_factory=dict)
    """Assumption. Relative income elasticity of labour demand by sector (default 1 for every
    sector: created demand is spread in proportion to employment)."""
    s_curve: SCurve = SCurve()


class LabourMarket(Strict):
    """Separations, openings and matching (del Rio-Chanona et al. 2021, monthly)."""

    structural_trend: dict[SectorCode, Annotated[float, Field(ge=-0.5, le=0.5, strict=True)]] = \
        Field(default_factory=dict)
    """Structural change apart from automation: relative annual growth of labour demand by
    sector (log points a year; default 0). Total demand is kept constant, so only the mix
    shifts. Calibrated per economy (calibration/calibrated/<ISO3>.toml)."""

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
    displaced_skill_loss: NonNeg = 1.0
    """Assumption. Skill levels a displaced, untrained worker loses for hiring: their skills
    were in the automated tasks (motivated by the lasting losses of displaced workers, Jacobson,
    LaLonde & Sullivan 1993; the size is not sourced). Completing training removes it."""
    skill_upgrade: NonNeg = 1.0
    """Assumption. Rise of a sector's skill requirement per unit share of its work automated."""
    duration_decay_per_year: NonNeg = 0.3
    """Assumption. Search effectiveness falls by exp(-decay * years unemployed)."""
    long_term_months: Annotated[int, Field(ge=1, strict=True)] = 12
    """Months after which unemployment counts as long-term (ILO convention: 12 months)."""
    long_term_exit_rate: Share = 0.02
    """Assumption. Monthly chance that a long-term unemployed worker leaves the labour force."""
    reentry_rate: Share = 0.05
    """Assumption. Monthly chance that a worker out of the labour force returns to search."""
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


class EconomySettings(Strict):
    """Every parameter section, as resolved for one economy."""

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

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    economies: Annotated[tuple[ISO3, ...], Field(min_length=1)] = ECONOMIES  # type: ignore
    start_year: Annotated[int, Field(strict=True)] | None = None
    """Start year (default: the latest year that is not an ILO projection)."""
    years: Annotated[int, Field(ge=1, le=100, strict=True)] = 10
    workers_per_agent: Positive = 5000.0
    """People one worker agent stands for (an upper bound; see ``min_agents_per_economy``)."""
    min_agents_per_economy: Annotated[int, Field(ge=10, strict=True)] = 2000
    """Small economies get a finer scale so that each has at least this many agents."""
    firms_per_sector: Annotated[int, Field(ge=1, le=1000, strict=True)] = 25
    seed: Annotated[int, Field(ge=0, strict=True)] = 20_261_127
    """Master seed."""
    replicates: Annotated[int, Field(ge=1, strict=True)] = 1
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
