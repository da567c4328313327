"""``DisplacementModel``: automation, displacement and reskilling in up to eleven economies.

One step is one month. Workers (the working-age population) are rows of column arrays
(``Workers``), firms too (``Firms``); economies and firms are also Mesa agents, for inspection.
The model reads no file: it is handed its data (:class:`~.inputs.ModelInputs`). Every rule is
a function on arrays in :mod:`.market`; the rules, their equations and their sources are in
docs/ODD.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np

from displacement_sim.config import Scenario
from displacement_sim.constants import (
    AGE_BAND_YEARS,
    AGE_GROUPS,
    ECONOMIES,
    EMPLOYED,
    OUT_OF_LABOUR_FORCE,
    OUTSIDE_POPULATION,
    SECTORS,
    SEXES,
    TRAINING,
    UNEMPLOYED,
)
from displacement_sim.data import EconomyProfile
from displacement_sim.drivers import annual_paths, income_elasticities, monthly
from displacement_sim.model import kernels, market
from displacement_sim.model.agents import Economy, Firm
from displacement_sim.model.firms import Firms
from displacement_sim.model.inputs import ModelInputs, check_memory, load_inputs
from displacement_sim.model.params import ENDOGENOUS, NO_AUTOMATION, S_CURVE, resolve
from displacement_sim.model.reporters import (
    CUMULATIVE,
    DEMAND_EFFECTS,
    FLOWS,
    METRICS,
    compute_metrics,
)
from displacement_sim.model.streams import EconomyStreams
from displacement_sim.model.workers import COHORT_MONTHS, NEVER, Workers
from displacement_sim.outcomes import DWS_TENURE_MONTHS, DWS_WINDOW_MONTHS
from displacement_sim.seeding import SeedLike

OKUN_BOUNDS = (0.05, 0.8)
"""Bounds of the Okun elasticities estimated from each economy's history."""
SETTLE_MONTHS = 48
"""The burn-in's last months, in which the labour force grows at its typical pre-start rate
into its start value instead of following the observed path (docs/ODD.md, "Initialisation")."""
KAPPA_MONTHS = 36
"""Months at the end of the burn-in whose mean labour demand the run starts with."""
N_SECTORS = len(SECTORS)
N_SEX = len(SEXES)
N_AGE = len(AGE_GROUPS)
STREAMS = ("init", "adoption", "displacement", "churn", "training", "search", "demography",
           "disaster", "digital")
"""Independent random streams, one per mechanism and economy (``EconomyStreams``), all spawned
from the run's seed, so that a policy change shifts neither the draws of unrelated mechanisms
nor those of other economies (common random numbers)."""


class _NoGenerator:
    """Stands in for Mesa's ``model.rng`` and ``model.random``: any use is an error.

    Every draw must come from the mechanism streams (``model.streams``); a rule that drew from
    one generator shared by all mechanisms would silently break the common random numbers.
    """

    def __getattr__(self, name: str):
        raise RuntimeError(
            "DisplacementModel has no shared random generator: draw from the mechanism streams "
            "(model.streams[name]) so that paired runs keep their common random numbers")


class DisplacementModel(mesa.Model):
    """Agent-based model of automation-driven displacement and re-employment.

    Parameters
    ----------
    scenario : Scenario
        A validated :class:`~displacement_sim.config.Scenario`.
    seed : int or numpy.random.SeedSequence, optional
        The run's seed. ``None`` uses ``scenario.seed``.
    inputs : ModelInputs, optional
        The data of the run; read with :func:`~.inputs.load_inputs` when omitted.
    profiles : mapping of str to EconomyProfile, optional
        Starting profiles, when ``inputs`` is omitted (the rest is then read).

    Attributes
    ----------
    workers : Workers
        The working-age population, one row per worker agent.
    firms_state : Firms
        The firms, one row per firm (``firms`` is their Mesa ``AgentSet``).
    params : EconomyParams
        The resolved parameters, one row per economy.
    month : int
        Months simulated since the start (the burn-in is not counted).
    datacollector : mesa.DataCollector
        One row per economy and month (agent-type reporters on ``Economy``).
    tenured_losses : dict of int to numpy.ndarray
        For each of the last ``DWS_WINDOW_MONTHS`` months, burn-in included (keyed by months
        since construction), the rows that lost a job they had held ``DWS_TENURE_MONTHS``
        months or more: separated into unemployment or displaced by automation (docs/ODD.md,
        "Displaced-worker survey"). Rows that left the population are dropped.
    """

    def __init__(self, scenario: Scenario, seed: SeedLike | None = None,
                 inputs: ModelInputs | None = None,
                 profiles: Mapping[str, EconomyProfile] | None = None) -> None:
        seed = scenario.seed if seed is None else seed
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        children = ss.spawn(len(STREAMS) + 1)
        super().__init__(rng=np.random.default_rng(children[0]))
        self.rng = _NoGenerator()  # type: ignore[assignment]
        self.random = _NoGenerator()  # type: ignore[assignment]
        self._stream_seeds = dict(zip(STREAMS, children[1:], strict=True))
        self.config = scenario
        self.month = 0
        self._clock = 0
        self._burning = True  # construction and burn-in: the start's own conditions
        self.inputs = inputs if inputs is not None else load_inputs(scenario, profiles)
        self.economy_codes = tuple(scenario.economies)
        self.profiles = [self.inputs.profiles[iso] for iso in self.economy_codes]
        self.start_year = self.profiles[0].year
        self.us_profile = self.inputs.us_profile
        self.settings = [scenario.settings_for(iso) for iso in self.economy_codes]
        self.params = resolve(self.settings)
        self.n_economies = len(self.profiles)
        self.months_total = 12 * scenario.years
        self._build_drivers()
        self._build_parameters()
        self._build_economies()
        self.worker_offsets = np.concatenate([[0], np.cumsum(self.n_agents)])
        cells = N_SECTORS * scenario.firms_per_sector
        self.firm_offsets = np.arange(self.n_economies + 1) * cells
        ids = [ECONOMIES.index(iso) for iso in self.economy_codes]
        self.streams = {name: EconomyStreams(ss_, self.firm_offsets if name == "adoption"
                                             else self.worker_offsets, ids)
                        for name, ss_ in self._stream_seeds.items()}
        self._build_workers()
        self._build_firms()
        self._init_regional_centre()
        self.flows = {name: np.zeros(self.n_economies) for name in FLOWS}
        self.demand_flows = {name: np.zeros((self.n_economies, N_SECTORS))
                             for name in DEMAND_EFFECTS}
        self.totals = {name: np.zeros(self.n_economies) for name in CUMULATIVE}
        self.training_starts: dict[int, np.ndarray] = {}
        self.tenured_losses: dict[int, np.ndarray] = {}
        self.datacollector = mesa.DataCollector(
            agenttype_reporters={Economy: {name: name for name in ("iso3", *METRICS)}}
        )
        self._burn_in(scenario.burn_in_months)
        self._publish_metrics()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction

    def _build_drivers(self) -> None:
        """Monthly paths of the drivers (labour force, population, output) and the sector mix.

        Paths are relative to the start and per economy; ``_build_parameters`` turns them into
        agent counts once the scale is known.
        """
        P = self.params
        months = self.months_total
        n = self.n_economies
        self.lf_path = np.zeros((months + 1, n, N_SEX, N_AGE))     # persons
        self.pop_path = np.zeros((months + 1, n, N_SEX))            # persons aged 15+
        self.cycle_path = np.ones((months + 1, n))                 # output over potential
        self.potential_path = np.ones((months + 1, n))             # potential output, rel.
        self.income_path = np.ones((months + 1, n))                # GDP per capita, rel.
        self.elasticity = np.zeros((n, N_SECTORS))
        self.okun = P.okun_elasticity.copy()
        burn = self.config.burn_in_months
        self.lf_burn_path = np.zeros((burn + 1, n, N_SEX, N_AGE))
        self.pop_burn_path = np.zeros((burn + 1, n, N_SEX))
        for e, (iso, s) in enumerate(zip(self.economy_codes, self.settings, strict=True)):
            hist = self.inputs.histories[iso]
            d = s.drivers
            paths = annual_paths(hist, self.start_year, self.config.years,
                                 gdp_growth=d.gdp_growth,
                                 labour_force_growth=d.labour_force_growth, flat=d.flat)
            self.lf_path[:, e] = monthly(paths.labour_force, months)
            pop = paths.labour_force.sum(axis=2) / paths.participation
            self.pop_path[:, e] = monthly(pop, months)
            log_y = np.log(paths.real_gdp)
            years = hist.years
            k = int(np.searchsorted(years, self.start_year))
            past = np.log(hist.real_gdp[max(k - 10, 0):k + 1])
            past = past[np.isfinite(past)]
            g0 = float(np.mean(np.diff(past))) if past.size > 1 else 0.0
            log_pot = market.holt_potential(log_y, 0.0 if d.flat else g0,
                                            P.trend_level_weight[e], P.trend_growth_weight[e])
            self.cycle_path[:, e] = monthly(np.exp(log_y - log_pot), months)
            if np.isnan(P.okun_elasticity[e]):
                # Okun elasticity from the economy's own history up to the start year.
                upto = (years >= 1991) & (years <= self.start_year)
                log_hist = np.log(hist.real_gdp[upto])
                early = np.diff(log_hist[:11])
                self.okun[e] = market.okun_elasticity(
                    log_hist, hist.unemployment_rate[upto],
                    float(np.mean(early)) if early.size else 0.0,
                    P.trend_level_weight[e], P.trend_growth_weight[e], OKUN_BOUNDS)
            self.potential_path[:, e] = monthly(np.exp(log_pot), months)
            self.income_path[:, e] = monthly(paths.real_gdp_per_capita, months)
            # Burn-in: the labour force and population on their observed paths over the
            # months before the start (flat if the drivers are, or before the data).
            back = min(-(-burn // 12), self.start_year - int(hist.years[0]))
            if burn and not d.flat and back > 0:
                prior = annual_paths(hist, self.start_year - back, back)
                lf_b = monthly(prior.labour_force, 12 * back)
                pop_b = monthly(prior.labour_force.sum(axis=2) / prior.participation, 12 * back)
                # Held at the first year of data before it, if the burn-in reaches further.
                pad = max(burn + 1 - lf_b.shape[0], 0)
                lf_b = np.concatenate([np.repeat(lf_b[:1], pad, axis=0), lf_b])
                pop_b = np.concatenate([np.repeat(pop_b[:1], pad, axis=0), pop_b])
                # The last months grow at the median yearly growth of the observed years into
                # the start value, so that breaks in the series and shocks just before the start
                # (ILOEST's 2022 revision for the Philippines, COVID) have settled by then.
                growth = np.median(np.diff(np.log(prior.labour_force.sum(axis=(1, 2)))))
                settle = min(SETTLE_MONTHS, burn)
                ramp = np.exp(growth / 12.0 * np.arange(-settle, 1))
                lf_b[-(settle + 1):] = lf_b[-1] * ramp[:, None, None]
                pop_b[-(settle + 1):] = pop_b[-1] * ramp[:, None]
                self.lf_burn_path[:, e] = lf_b[-(burn + 1):]
                self.pop_burn_path[:, e] = pop_b[-(burn + 1):]
            else:
                self.lf_burn_path[:, e] = self.lf_path[0, e]
                self.pop_burn_path[:, e] = self.pop_path[0, e]
            if d.structural_change and not d.flat:
                beta, _ = income_elasticities(hist, until_year=self.start_year,
                                              since_year=d.elasticity_since)
                self.elasticity[e] = beta

    def _build_parameters(self) -> None:
        P = self.params
        sc = self.config
        lf0 = self.lf_path[0].sum(axis=(1, 2))
        # Rows for the largest working-age population over the run.
        pop_max = np.maximum(self.pop_path.max(axis=0), self.pop_burn_path.max(axis=0))
        self.workers_per_agent = np.minimum(sc.workers_per_agent, lf0 / sc.min_agents_per_economy)
        W = self.workers_per_agent
        with np.errstate(over="ignore", divide="ignore"):
            rows = np.ceil(pop_max / W[:, None])  # (n, sex); a tiny scale may overflow
        # Refuse a run that would not fit in memory before allocating it (the workflows
        # check the same estimate before anything is written; this guards direct use).
        n = self.n_economies
        check_memory(float(rows.sum()), n * N_SECTORS * sc.firms_per_sector, n,
                     self.months_total + sc.burn_in_months, sc.name)
        self.pop_rows = rows.astype(np.int64)
        self.n_agents = self.pop_rows.sum(axis=1)
        # Driver targets in agents.
        self.lf_target = self.lf_path / W[None, :, None, None]
        self.pop_target = self.pop_path / W[None, :, None]
        self.lf_burn = self.lf_burn_path / W[None, :, None, None]
        self.pop_burn = self.pop_burn_path / W[None, :, None]
        self.lf_start_agents = self.lf_target[0].sum(axis=(1, 2))
        # Months in which some population target moves (none when the drivers are flat).
        moves = np.abs(np.diff(self.pop_target, axis=0)).max(axis=(1, 2)) > 1e-9
        self._pop_moves = np.concatenate([[False], moves])
        moves = np.abs(np.diff(self.pop_burn, axis=0)).max(axis=(1, 2)) > 1e-9
        self._pop_moves_burn = np.concatenate([[False], moves])
        # Gross flows per economy: the dRC separation rate and the exit rate of the employed,
        # scaled down together where the observed unemployment rate is too low to be a steady
        # state at the US job-finding rate (docs/ODD.md, "Initialisation").
        u = np.array([pr.unemployment_rate for pr in self.profiles])
        self.u_star = u
        # The natural rate by month: the start rate, or a line fitted to a window of observed
        # years (docs/ODD.md, "Natural rate"); labour demand moves with 1 - u*.
        self.natural_path = np.empty((self.months_total + 1, self.n_economies))
        for e, iso in enumerate(self.economy_codes):
            hist = self.inputs.histories[iso]
            window = tuple(int(y) for y in P.natural_rate_years[e])
            use = window[0] >= 0 and not P.flat[e]
            self.natural_path[:, e] = market.natural_rate_path(
                hist.years, hist.unemployment_rate, window if use else None, self.start_year,
                self.months_total, u[e])
        self.natural_demand = (1.0 - self.natural_path) / (1.0 - u)
        u_us = self.us_profile.unemployment_rate
        odds, odds_us = u / (1.0 - u), u_us / (1.0 - u_us)
        scale = np.minimum(1.0, odds / odds_us)
        self.separation_rate = P.separation_rate * scale
        self.exit_employed = P.exit_rate_employed * scale
        self.exit_unemployed = P.exit_rate_unemployed.copy()
        self.finding_rate = (self.separation_rate + self.exit_employed) / odds
        self.opening_rate = P.opening_rate * scale
        self.gamma_u, self.gamma_v = P.gamma_u, P.gamma_v
        gdppc = np.array([pr.gdp_per_capita_usd for pr in self.profiles])
        self.gdp = np.array([pr.gdp_usd for pr in self.profiles])
        employed_people = lf0 * (1.0 - u)
        self.wage_level = P.labour_share * self.gdp / employed_people / 12.0
        self.wage_index = np.ones(self.n_economies)
        self.wage_trend = np.ones(self.n_economies)
        self.wage_slack = np.ones(self.n_economies)
        wage_gap = (self.us_profile.gdp_per_capita_usd / gdppc) ** P.wage_gap_elasticity
        years_from_ref = self.start_year - P.cost_reference_year
        along_curve = (1.0 - P.cost_decline) ** years_from_ref
        self.cost_ratio0 = (P.cost_ratio_usa * along_curve * wage_gap
                            * (1 + P.automation_tax) * (1 - P.tech_transfer))
        robots = np.array([pr.robot_density for pr in self.profiles])
        internet = np.array([pr.internet_share for pr in self.profiles])
        self.readiness = internet * (robots / self.inputs.world_robot_density) \
            ** P.robot_elasticity
        self.exposure_scale = np.where(P.task_exposure, P.task_exposure_ratio, 1.0)
        self.training_cost_base = np.where(np.isnan(P.cb_cost_per_trainee_usd),
                                           P.cost_share_of_gdp_per_capita * gdppc,
                                           P.cb_cost_per_trainee_usd)
        # Technology transfer to local providers lowers the cost of a national place.
        self.training_cost = self.training_cost_base * (1.0 - P.tech_transfer_training)
        self.training_budget = P.cb_amount_usd + P.cb_share_of_gdp * self.gdp
        self.slot_credit = np.zeros(self.n_economies)
        self.ageing = market.ageing_probability(np.array(AGE_BAND_YEARS)).astype(np.float32)
        self.s_curve_start = np.array([
            market.logistic_share(self.start_year, *row) for row in P.s_curve])
        # Typhoons that strike within the run: (run month, economy, share by sector, area).
        area_code = {"all": -1, "urban": 0, "rural": 1}
        self.typhoons: dict[int, list[tuple[int, np.ndarray, int]]] = {}
        for e, s in enumerate(self.settings):
            for t in s.disaster.typhoons:
                month = 12 * (t.year - self.start_year) + t.month
                if 1 <= month <= self.months_total:
                    share = np.zeros(N_SECTORS)
                    for code, value in t.separated_share.items():
                        share[SECTORS.index(code)] = value
                    self.typhoons.setdefault(month, []).append((e, share, area_code[t.area]))
        self.recall_rows = np.empty(0, np.int64)   # separated by a typhoon, waiting
        self.recall_firm = np.empty(0, np.int32)   # the firm holding each one's job
        self.readiness0 = self.readiness.copy()
        self.connect_credit = np.zeros(self.n_economies)
        self.digital_budget = P.digital_amount_usd + P.digital_share_of_gdp * self.gdp
        self._internet0 = np.full(self.n_economies, np.nan)

    def _build_economies(self) -> None:
        self.economies = [
            Economy(self, i, pr, s, float(w))
            for i, (pr, s, w) in enumerate(zip(self.profiles, self.settings,
                                              self.workers_per_agent, strict=True))
        ]

    def _build_workers(self) -> None:
        total = int(self.n_agents.sum())
        w = Workers.empty(total)
        self.workers = w
        P = self.params
        offsets = self.worker_offsets
        n_occ = self.profiles[0].sector_occupation.shape[1]
        self.sector_skill_req = np.zeros((self.n_economies, N_SECTORS))
        self.sector_similarity = np.zeros((self.n_economies, N_SECTORS, N_SECTORS))
        for e, pr in enumerate(self.profiles):
            rng = self.streams["init"].gens[e]
            lo, hi = offsets[e], offsets[e + 1]
            n = hi - lo
            sl = slice(lo, hi)
            # Everyone, in the labour force or not, gets a sector and occupation from the
            # employed's joint mix (the last job of the inactive; the data have no other).
            joint = pr.sector_occupation / pr.sector_occupation.sum()
            cell = rng.permutation(np.repeat(np.arange(joint.size),
                                             market.largest_remainder(joint.ravel(), n)))
            sector, occ = np.divmod(cell, n_occ)
            w.economy[sl] = e
            w.sector[sl] = sector
            w.occupation[sl] = occ
            w.skill[sl] = market.choose_rows(np.cumsum(pr.occupation_skill_mix, axis=1),
                                             occ, rng)
            w.rural[sl] = rng.random(n) < pr.rural_share
            urban_rate, rural_rate = market.urban_rural_rates(
                pr.internet_share, pr.rural_share, P.rural_internet_ratio[e])
            w.digital[sl] = rng.random(n) < np.where(w.rural[sl], rural_rate, urban_rate)
            expo = pr.occupation_exposure[occ].astype(float)
            derived = pr.sector_exposure
            for j in np.flatnonzero(np.isfinite(P.exposure_override[e])):
                if derived[j] > 0:
                    expo[sector == j] *= P.exposure_override[e, j] / derived[j]
            w.exposure[sl] = np.clip(expo, 0.0, 1.0) * self.exposure_scale[e]
            rel = P.skill_wage_ratio[e][w.skill[sl]]
            w.wage[sl] = rel / rel.mean()
            # Sex, age and status: rows by sex; the labour force by sex and age band from
            # ILOEST, the inactive (participation by sex, WDI) and spare rows after it.
            rows = self.pop_rows[e]
            sex = np.repeat(np.arange(N_SEX), rows)
            w.sex[sl] = sex
            status = np.full(n, OUTSIDE_POPULATION, np.uint8)
            age = np.zeros(n, np.uint8)
            first = np.concatenate([[0], np.cumsum(rows)])
            lf0, pop0 = self.lf_burn[0, e], self.pop_burn[0, e]
            for s_ in range(N_SEX):
                lf_cells = market.largest_remainder(lf0[s_], int(round(lf0[s_].sum())))
                n_lf = int(lf_cells.sum())
                n_pop = min(int(round(pop0[s_])), rows[s_])
                block = np.arange(first[s_], first[s_ + 1])
                age[block[:n_lf]] = np.repeat(np.arange(N_AGE), lf_cells)
                status[block[:n_lf]] = EMPLOYED
                # The age of the inactive is not in the data: it is not tracked (docs/ODD.md).
                age[block[n_lf:]] = rng.choice(N_AGE, size=block.size - n_lf,
                                               p=lf_cells / max(n_lf, 1))
                status[block[n_lf:n_pop]] = OUT_OF_LABOUR_FORCE
            # Unemployed at the observed rate, at random in the labour force.
            in_lf = np.flatnonzero(status == EMPLOYED)
            n_unemp = int(round(in_lf.size * pr.unemployment_rate))
            unemp = rng.choice(in_lf, size=n_unemp, replace=False)
            status[unemp] = UNEMPLOYED
            w.job_loser[lo + unemp] = True  # an assumption: the burn-in mixes in entrants
            w.status[sl] = status
            w.age[sl] = age
            w.months_in_status[lo + unemp] = rng.geometric(min(self.finding_rate[e], 1.0),
                                                           size=n_unemp) - 1
            emp = status == EMPLOYED
            sums = np.bincount(sector[emp], weights=w.skill[sl][emp], minlength=N_SECTORS)
            counts = np.bincount(sector[emp], minlength=N_SECTORS)
            self.sector_skill_req[e] = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
            # Sector similarity: cosine similarity of occupation mixes (del Rio-Chanona et al.
            # weight moves by occupational similarity; here sectors are the nodes).
            m = pr.sector_occupation / np.maximum(pr.sector_occupation.sum(1, keepdims=True), 1e-12)
            norm = np.linalg.norm(m, axis=1)
            self.sector_similarity[e] = (m @ m.T) / np.maximum(np.outer(norm, norm), 1e-12)
        self.base_skill_req = self.sector_skill_req.copy()
        rel = self.params.skill_wage_ratio[w.economy, w.skill]
        self.wage_norm = (np.bincount(w.economy, weights=rel, minlength=self.n_economies)
                          / np.maximum(np.bincount(w.economy, minlength=self.n_economies), 1))
        # Labour-force cell of each worker: economy, sex, age band.
        self.n_lf_cells = self.n_economies * N_SEX * N_AGE

    def _build_firms(self) -> None:
        gens = self.streams["init"].gens
        w = self.workers
        P = self.params
        F = self.config.firms_per_sector
        f = Firms.grid(self.n_economies, N_SECTORS, F)
        self.firms_state = f
        f.threshold = np.exp(P.threshold_sigma[f.economy] * np.concatenate(
            [g.standard_normal(N_SECTORS * F) for g in gens]))
        # Each worker's (current or last) employer: one of the F firms of its sector.
        w.firm[:] = (w.economy.astype(np.int64) * N_SECTORS + w.sector) * F + np.concatenate(
            [g.integers(0, F, size=int(n)) for g, n in zip(gens, self.n_agents, strict=True)])
        f.employment = self._employment_by_firm()
        e_f = f.employment
        vac = np.zeros(f.n)
        unemp = np.flatnonzero(w.status == UNEMPLOYED)
        search = self._search_intensity(unemp)
        fit = self._fit(unemp, w.sector[unemp])
        for e in range(self.n_economies):
            in_e = w.economy[unemp] == e
            mean_fit = float(fit[in_e].mean()) if in_e.any() else 1.0
            mask = f.economy == e
            employed = e_f[mask].sum()
            hires = (self.separation_rate[e] + self.exit_employed[e]) * employed
            applicants = float(search[in_e].sum()) + hires
            v_total = market.steady_state_vacancies(hires, applicants,
                                                    P.matching_efficiency[e] * mean_fit)
            vac[mask] = max(v_total - hires, 0.0) * e_f[mask] / max(employed, 1.0)
        f.vacancies = vac
        dv = self.opening_rate[f.economy]
        gap = np.maximum(self.separation_rate[f.economy] - dv, 0.0) * e_f / (
            (1.0 - dv) * self.gamma_v[f.economy])
        target = e_f + vac + gap
        cells = self.n_economies * N_SECTORS
        cell_target = np.bincount(f.cell, weights=target, minlength=cells)
        f.demand_share = target / np.maximum(cell_target[f.cell], 1e-12)
        f.target = target
        # Labour demand = kappa x labour force x cycle x wage term x sector mix (docs/ODD.md).
        self.share0 = (cell_target.reshape(self.n_economies, N_SECTORS)
                       / np.maximum(cell_target.reshape(self.n_economies, N_SECTORS).sum(1,
                                    keepdims=True), 1e-12))
        self.kappa = cell_target.reshape(self.n_economies, N_SECTORS).sum(1) \
            / self.lf_burn[0].sum(axis=(1, 2))
        self.cell_demand = cell_target.reshape(self.n_economies, N_SECTORS).copy()
        self.extra_productivity = np.zeros((self.n_economies, N_SECTORS))
        self.extra_reinstatement = np.zeros((self.n_economies, N_SECTORS))
        self.pending_reinstatement = np.zeros((self.n_economies, N_SECTORS))
        self.cell_automated = np.zeros((self.n_economies, N_SECTORS))
        self._new_automated = np.zeros((self.n_economies, N_SECTORS))
        self._new_productivity = np.zeros((self.n_economies, N_SECTORS))
        self.absorbed = np.zeros(self.n_economies)
        for i in range(f.n):
            Firm(self, i)
        self.firms = self.agents_by_type[Firm]

    def _init_regional_centre(self) -> None:
        rc = self.config.regional_centre
        members = [i for i, iso in enumerate(self.economy_codes) if rc.enabled
                   and iso in rc.members]
        self.centre_members = np.array(members, dtype=np.int64)
        contrib = np.zeros(self.n_economies)
        for i in members:
            contrib[i] = rc.contribution_usd + rc.contribution_share_of_gdp * self.gdp[i]
        self.centre_contribution = contrib
        if rc.cost_per_trainee_usd is not None:
            self.centre_cost = rc.cost_per_trainee_usd
        elif members and contrib.sum() > 0:
            self.centre_cost = float(np.average(self.training_cost_base[members],
                                                weights=contrib[members]))
        else:
            self.centre_cost = float(np.mean(self.training_cost_base[members])) if members \
                else 1.0
        self.centre_credit_people = 0.0

    def _burn_in(self, months: int) -> None:
        """Run ``months`` steps before the start to reach the model's own stationary state.

        Automation, structural change, the output cycle and programmes are off; the labour
        force and the population follow their observed paths over the months before the start
        (flat where the drivers are flat or the data do not reach back) and then hold their
        start values for the last ``SETTLE_MONTHS``. Each month labour demand (``kappa``) is
        steered towards the observed unemployment rate; the run then starts with the mean
        ``kappa`` of the last ``KAPPA_MONTHS`` (at most half the burn-in), from the state the
        model reached (durations, sectors of the unemployed, vacancies).
        """
        self._burning = True
        if months > 0:
            history = []
            for _ in range(months):
                self._step_month()
                u = self._unemployment_rate()
                # Integral control in log demand; the gain is small against the noise.
                self.kappa *= np.exp(0.5 * (u - self.u_star))
                history.append(self.kappa.copy())
            self.kappa = np.mean(history[-min(KAPPA_MONTHS, max(months // 2, 1)):], axis=0)
        self._burning = False
        self.month = 0
        self.wage_index[:] = 1.0
        self.wage_trend[:] = 1.0
        self.wage_slack[:] = 1.0
        self._set_targets()
        for arr in self.flows.values():
            arr[:] = 0.0
        for arr in self.demand_flows.values():
            arr[:] = 0.0

    # ------------------------------------------------------------------ helpers

    def _employment_by_firm(self) -> np.ndarray:
        w = self.workers
        emp = w.status == EMPLOYED
        return np.bincount(w.firm[emp], minlength=self.firms_state.n).astype(float)

    def _per_economy(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum over workers ``idx`` by economy (counts if no weights)."""
        return np.bincount(self.workers.economy[idx], weights=weights,
                           minlength=self.n_economies).astype(float)

    def _driver_month(self) -> int:
        """Index into the driver paths: held at the start in the burn-in, at the horizon after."""
        return 0 if self._burning else min(self.month, self.months_total)

    def _labour_targets(self) -> tuple[np.ndarray, np.ndarray, bool]:
        """This month's labour force by economy, sex and age, population by economy and sex
        (agents), and whether the population moves."""
        if self._burning:
            k = min(self._clock, self.config.burn_in_months)
            return self.lf_burn[k], self.pop_burn[k], bool(self._pop_moves_burn[k])
        m = self._driver_month()
        return self.lf_target[m], self.pop_target[m], bool(self._pop_moves[m])

    def _unemployment_rate(self) -> np.ndarray:
        c = kernels.status_counts(self.workers.economy, self.workers.status, self.n_economies)
        return c[:, UNEMPLOYED] / np.maximum(c[:, UNEMPLOYED] + c[:, EMPLOYED], 1)

    def _search_intensity(self, idx: np.ndarray) -> np.ndarray:
        """Expected applications per month of searching workers ``idx`` (0 to 1)."""
        w = self.workers
        P = self.params
        e = w.economy[idx]
        months = w.months_in_status[idx].astype(float)
        status = w.status[idx]
        rate, entitled = self._benefits()
        paid = (status == UNEMPLOYED) & w.job_loser[idx] & (months < entitled[e])
        intensity = np.where(paid, 1.0 - np.minimum(
            P.benefit_search_elasticity[e] * rate[e], 1.0), 1.0)
        intensity *= np.where(status == UNEMPLOYED,
                              np.exp(-P.duration_decay_per_year[e] * months / 12.0), 1.0)
        return np.where(status == TRAINING, P.lockin_search_factor[e], intensity)

    def _benefits(self) -> tuple[np.ndarray, np.ndarray]:
        """Replacement rate and months of entitlement in force: those observed in the burn-in,
        the scenario's from month 1."""
        P = self.params
        if self._burning:
            return P.observed_benefit_replacement, P.observed_benefit_months
        return P.benefit_replacement, P.benefit_months

    def _fit(self, idx: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """Hiring-chance factor of workers ``idx`` applying to ``sector``: skill gap penalty."""
        w = self.workers
        P = self.params
        e = w.economy[idx]
        trained = w.trained[idx]
        # The skill loss of an involuntary job loss (docs/ODD.md, "Matching with skill fit"):
        # ever displaced by automation, or out of a job of DWS_TENURE_MONTHS or more lost
        # involuntarily and not employed since; until a programme is completed.
        scarred = (w.displaced_month[idx] >= 0) | w.tenured_loss[idx]
        loss = np.where(scarred & ~trained, P.displaced_skill_loss[e], 0.0)
        gain = np.where(trained, P.skill_gain[e], 0.0)
        gap = np.maximum(self.sector_skill_req[e, sector] - w.skill[idx] + loss - gain, 0.0)
        return np.exp(-P.skill_gap_penalty[e] * gap)

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """Advance one month."""
        self._step_month()
        for name in CUMULATIVE:
            self.totals[name] += self.flows[name]
        self._publish_metrics()
        self.datacollector.collect(self)

    def _step_month(self) -> None:
        self._clock += 1
        for month in [m for m in self.tenured_losses if m <= self._clock - DWS_WINDOW_MONTHS]:
            del self.tenured_losses[month]
        if not self._burning:
            self.month += 1
        for arr in self.flows.values():
            arr[:] = 0.0
        for arr in self.demand_flows.values():
            arr[:] = 0.0
        self._update_wages()
        if not self._burning:
            self._adopt_and_displace()
            if self.recall_rows.size or self.month in self.typhoons:
                self._recall_and_strike()
            if np.any(self.digital_budget > 0):
                self._connect()
        self._set_targets()
        self._churn()
        self._labour_force_flows()
        self._train()
        self._search_and_match()
        self._pay()
        self.workers.months_in_status += np.uint16(1)
        if not self._burning:
            self._record_cohorts()

    def _update_wages(self) -> None:
        """Wages: the productivity trend times a slack factor that moves, with a lag, towards
        the wage curve (docs/ODD.md, "Wages")."""
        P = self.params
        m = self._driver_month()
        trend = (self.potential_path[m] / self.potential_path[0]) / (
            self.lf_target[m].sum(axis=(1, 2)) / self.lf_target[0].sum(axis=(1, 2)))
        if self._burning:
            trend = np.ones(self.n_economies)
        u = self._unemployment_rate() if self._burning else self._last_unemployment
        reference = self.u_star if self._burning else self.natural_path[m]
        target = market.wage_curve_target(u, reference, P.wage_curve_elasticity)
        self.wage_slack = market.partial_adjustment(self.wage_slack, target,
                                                    P.wage_adjustment_months)
        self.wage_trend = trend
        self.wage_index = trend * self.wage_slack

    def _cost_ratio(self) -> np.ndarray:
        """Cost of automating over the wage cost of the work it replaces, per economy."""
        return (self.cost_ratio0 * (1.0 - self.params.cost_decline) ** (self.month / 12.0)
                / self.wage_index)

    def _set_targets(self) -> None:
        """Labour demand of every cell and firm for this month (docs/ODD.md, "Labour demand")."""
        P = self.params
        f = self.firms_state
        m = self._driver_month()
        lf = self._labour_targets()[0].sum(axis=(1, 2))
        wage_term = self.wage_slack ** -P.labour_demand_elasticity
        if self._burning:
            scale = self.kappa * lf * wage_term
        else:
            scale = (self.kappa * lf * self.cycle_path[m] ** self.okun * wage_term
                     * self.natural_demand[m])
        if self._burning:
            mix = self.share0
        else:
            mix = market.sector_mix(self.share0, self.income_path[m] / self.income_path[0],
                                    self.elasticity)
        demand = scale[:, None] * mix
        # Exact decomposition of the change in demand D x F, F = 1 - automated + productivity
        # + reinstatement + absorbed: (D1 - D0) F0 + D1 (F1 - F0), effect by effect.
        released = np.zeros_like(demand)
        step = np.zeros(self.n_economies)
        if not self._burning:
            released = self._release_reinstatement()
        extra = self.extra_productivity + self.extra_reinstatement
        before = (1.0 - (self.cell_automated - self._new_automated)
                  + (extra - self._new_productivity - released) + self.absorbed[:, None])
        if not self._burning:
            # Aggregate absorption: the net shortfall left by the three effects closes as
            # output returns towards potential (docs/ODD.md, "Labour demand").
            net = (mix * (self.cell_automated - extra)).sum(1)
            step = (net - self.absorbed) * -np.expm1(-P.absorption_per_year / 12.0)
            self.absorbed += step
        flows = self.demand_flows
        flows["drivers"] += (demand - self.cell_demand) * before
        flows["displacement"] -= self._new_automated * demand
        flows["productivity"] += self._new_productivity * demand
        flows["reinstatement"] += released * demand
        flows["absorption"] += step[:, None] * demand
        self._new_automated[:] = 0.0
        self._new_productivity[:] = 0.0
        self.cell_demand = demand
        firm_factor = (1.0 - f.automated_share + (extra + self.absorbed[:, None]).ravel()[f.cell])
        f.target = demand.ravel()[f.cell] * f.demand_share * np.maximum(firm_factor, 0.0)

    def _adopt_and_displace(self) -> None:
        P = self.params
        f = self.firms_state
        fe, fs = f.economy, f.sector
        not_yet = f.adopted_month < 0
        F = self.config.firms_per_sector
        cells = self.n_economies * N_SECTORS
        adopted_share = np.bincount(f.cell, weights=~not_yet, minlength=cells) / F
        # Drawn every month in every mode, so the streams stay aligned.
        u = self.streams["adoption"].random(np.arange(f.n))
        mode = P.mode[fe]
        ratio = self._cost_ratio()
        profitable = ratio[fe] < f.threshold
        hazard = market.adoption_hazard(
            profitable, P.adoption_hazard[fe] * P.sector_hazard[fe, fs], self.readiness[fe],
            P.imitation[fe], adopted_share[f.cell])
        adopt = (mode == ENDOGENOUS) & not_yet & (u < hazard)
        if np.any(P.mode == S_CURVE):
            year = self.start_year + self.month / 12.0
            ft = np.array([market.logistic_share(year, *row) for row in P.s_curve])
            curve = (ft - self.s_curve_start) / (1.0 - self.s_curve_start)
            rank = market.rank_within_groups(f.cell, -f.threshold)
            adopt |= (mode == S_CURVE) & not_yet & ((rank + 0.5) / F < curve[fe])
        adopt &= mode != NO_AUTOMATION
        firms = np.flatnonzero(adopt)
        if firms.size == 0:
            return
        f.adopted_month[firms] = self.month
        w = self.workers
        adopting = np.zeros(f.n, bool)
        adopting[firms] = True
        idx = np.flatnonzero((w.status == EMPLOYED) & adopting[w.firm])
        expo = w.exposure[idx].astype(float)
        firm_of = w.firm[idx]
        sums = np.bincount(firm_of, weights=expo, minlength=f.n)
        # Automated share of the firm's work: depth times its workforce's mean exposure.
        share = np.where(f.employment > 0, P.depth[fe] * sums / np.maximum(f.employment, 1.0),
                         0.0)
        f.automated_share[firms] = share[firms]
        # Unit-cost saving on the automated work, as the adopting firm values it (its threshold
        # is what automated work is worth to it relative to the wage cost it replaces).
        f.cost_saving[firms] = np.maximum(1.0 - ratio[fe[firms]] / f.threshold[firms], 0.0)
        cuts = np.zeros(f.n, np.int64)
        drng = self.streams["displacement"]
        firm_u = np.concatenate([g.random(int(c)) for g, c in zip(
            drng.gens, np.diff(np.searchsorted(firms, self.firm_offsets)), strict=True)])
        cuts[firms] = market.stochastic_round(f.employment[firms] * share[firms], u=firm_u)
        picked = idx[market.weighted_pick_per_group(firm_of, expo, cuts, u=drng.random(idx))]
        self._displace(picked)
        # The three effects, as shares of each cell's labour demand.
        new = np.zeros(f.n)
        new[firms] = share[firms]
        automated = np.bincount(f.cell, weights=f.demand_share * new,
                                minlength=cells).reshape(self.n_economies, N_SECTORS)
        saving = np.bincount(f.cell, weights=f.demand_share * new * f.cost_saving,
                             minlength=cells).reshape(self.n_economies, N_SECTORS)
        gain = market.productivity_effect(1.0, saving, P.labour_cost_share[:, None],
                                          P.price_elasticity[:, None])
        self.cell_automated += automated
        self.extra_productivity += gain
        self.pending_reinstatement += P.reinstatement_ratio[:, None] * automated
        self._new_automated += automated
        self._new_productivity += gain
        # Automation raises the skill its sector requires (new tasks, docs/ODD.md).
        self.sector_skill_req = np.minimum(
            self.base_skill_req + P.skill_upgrade[:, None] * self.cell_automated, 2.0)

    def _release_reinstatement(self) -> np.ndarray:
        """New tasks that arrive this month, as shares of each cell's demand."""
        release = self.pending_reinstatement * -np.expm1(
            -1.0 / self.params.creation_lag_months[:, None])
        self.pending_reinstatement -= release
        self.extra_reinstatement += release
        return release

    def _displace(self, idx: np.ndarray) -> None:
        w = self.workers
        self._record_tenured_losses(idx[w.months_in_status[idx] >= DWS_TENURE_MONTHS])
        w.wage_before_displacement[idx] = w.wage[idx]
        w.displaced_month[idx] = self.month
        w.job_loser[idx] = True
        w.cohort_status[idx] = 0
        w.subsidy_until[idx] = NEVER
        w.set_status(idx, UNEMPLOYED)
        self.flows["displaced"] += self._per_economy(idx)
        np.subtract.at(self.firms_state.employment, w.firm[idx], 1.0)

    def _recall_and_strike(self) -> None:
        """Recall of workers separated by a typhoon, then this month's strikes.

        A strike separates each employed worker of an affected ISIC group (and area) with
        chance ``separated_share``: they become unemployed job losers whose job at their firm
        is held for them (``recall_rows``, ``recall_firm``: the firm counts the job as filled
        and opens no vacancy for it). Each month a waiting worker still unemployed is recalled
        to that job with chance ``disaster.recall_rate`` x ``response_speedup``; finding
        another job, training or leaving the labour force ends the wait (docs/ODD.md,
        "Disasters").
        """
        rng = self.streams["disaster"]
        w = self.workers
        f = self.firms_state
        rows, firm = self.recall_rows, self.recall_firm
        if rows.size:
            waiting = (w.status[rows] == UNEMPLOYED) & (w.firm[rows] == firm)
            rows, firm = rows[waiting], firm[waiting]
            back = rng.random(rows) < self.params.recall_rate[w.economy[rows]]
            w.set_status(rows[back], EMPLOYED)
            np.add.at(f.employment, firm[back], 1.0)
            self.flows["recalled"] += self._per_economy(rows[back])
            rows, firm = rows[~back], firm[~back]
        for e, share, area in self.typhoons.get(self.month, []):
            sl = slice(self.worker_offsets[e], self.worker_offsets[e + 1])
            hit = (w.status[sl] == EMPLOYED) & (share[w.sector[sl]] > 0)
            if area >= 0:
                hit &= w.rural[sl] == bool(area)
            cand = np.flatnonzero(hit) + sl.start
            out = cand[rng.gens[e].random(cand.size) < share[w.sector[cand]]]
            w.set_status(out, UNEMPLOYED)
            w.job_loser[out] = True
            w.subsidy_until[out] = NEVER
            np.subtract.at(f.employment, w.firm[out], 1.0)
            self.flows["typhoon_separated"] += self._per_economy(out)
            # Rows stay sorted (economies in order): each strike's rows are new.
            rows = np.concatenate([rows, out])
            firm = np.concatenate([firm, w.firm[out]])
            order = np.argsort(rows, kind="stable")
            rows, firm = rows[order], firm[order]
        self.recall_rows, self.recall_firm = rows, firm

    def _connect(self) -> None:
        """Digital access: the month's budget connects rural people without internet access,
        chosen at random among the working-age population; readiness to adopt automation
        rises with the economy's internet-use share (docs/ODD.md, "Digital access")."""
        P = self.params
        w = self.workers
        W = self.workers_per_agent
        on = (self.digital_budget > 0) & (self.month <= P.digital_months_active)
        people = np.where(on, self.digital_budget, 0.0) / 12.0 / P.digital_cost_per_person_usd
        self.connect_credit = np.minimum(self.connect_credit + people / W,
                                         12.0 * people / W + 1.0)
        rng = self.streams["digital"]
        for e in np.flatnonzero(on):
            sl = slice(self.worker_offsets[e], self.worker_offsets[e + 1])
            in_pop = w.status[sl] != OUTSIDE_POPULATION
            if np.isnan(self._internet0[e]):
                self._internet0[e] = (w.digital[sl] & in_pop).sum() / max(in_pop.sum(), 1)
            k = int(self.connect_credit[e])
            if k < 1:
                continue
            cand = np.flatnonzero(in_pop & w.rural[sl] & ~w.digital[sl]) + sl.start
            u = rng.gens[e].random(cand.size)
            chosen = cand[np.argsort(u, kind="stable")[:k]]
            w.digital[chosen] = True
            # Nobody left to connect: the budget is not spent.
            self.connect_credit[e] = 0.0 if chosen.size < k else self.connect_credit[e] - k
            self.flows["connected"][e] += chosen.size
            self.flows["spending_digital_usd"][e] += (chosen.size * W[e]
                                                      * P.digital_cost_per_person_usd[e])
            share = (w.digital[sl] & in_pop).sum() / max(in_pop.sum(), 1)
            if self._internet0[e] > 0:
                self.readiness[e] = self.readiness0[e] * share / self._internet0[e]

    def _churn(self) -> None:
        f = self.firms_state
        fe = f.economy
        employment = f.employment
        if self.recall_rows.size:  # jobs held for workers waiting to be recalled
            employment = employment + np.bincount(self.recall_firm, minlength=f.n)
        sep_prob, f.vacancies, _ = market.churn(
            employment, f.vacancies, f.target, self.separation_rate[fe],
            self.opening_rate[fe], self.gamma_u[fe], self.gamma_v[fe])
        w = self.workers
        separations, tenured = kernels.churn_pass(
            w.economy, w.status, w.months_in_status, w.firm, w.subsidy_until, w.job_loser,
            self.streams["churn"].random_all(np.float32), sep_prob, f.employment,
            self.n_economies, DWS_TENURE_MONTHS)
        self.flows["separations"] += separations
        self._record_tenured_losses(tenured)

    def _record_tenured_losses(self, idx: np.ndarray) -> None:
        """Mark rows ``idx``, who lost a job of ``DWS_TENURE_MONTHS`` or more this month
        (separated into unemployment or displaced by automation), as tenured losers
        (``Workers.tenured_loss``, the hiring skill loss until re-employed or trained), and add
        them to ``tenured_losses``. A row is there at most once: two such losses of one person
        are at least ``DWS_TENURE_MONTHS`` apart, which is not less than
        ``DWS_WINDOW_MONTHS``."""
        if idx.size == 0:
            return
        self.workers.tenured_loss[idx] = True
        idx = idx.astype(np.int32)
        before = self.tenured_losses.get(self._clock)
        self.tenured_losses[self._clock] = idx if before is None else np.concatenate(
            [before, idx])

    def _labour_force_flows(self) -> None:
        """Ageing, exits at every status and duration, and entries that keep each sex and age
        group of the labour force, and the working-age population, on their paths.

        Exits and entries are drawn member by member (one uniform each), at the base rates plus
        whatever brings each economy-sex-age cell to its target in expectation; what chance
        leaves over is corrected the next month (docs/ODD.md, "Participation").
        """
        rng = self.streams["demography"]
        w = self.workers
        lf_now, pop_now, moves = self._labour_targets()
        f = self.firms_state
        exits, entries, joined, left = kernels.labour_force_pass(
            w.economy, w.sex, w.age, w.status, w.months_in_status, w.firm, w.subsidy_until,
            w.displaced_month, w.training_start, w.trainings, w.trained, w.job_loser,
            w.tenured_loss, rng.random_all(np.float32), rng.random_all(np.float32), self.ageing,
            self.exit_employed, self.exit_unemployed, lf_now.ravel(), pop_now.ravel(),
            f.employment, N_SEX, N_AGE, moves)
        self.flows["exits"] += exits.sum(1)
        self.flows["exits_employed"] += exits[:, EMPLOYED]
        self.flows["exits_searching"] += exits[:, UNEMPLOYED]
        self.flows["exits_training"] += exits[:, TRAINING]
        self.flows["entries"] += entries
        self.flows["population_joined"] += joined
        self.flows["population_left"] += left
        if left.any():
            self._forget_left_population()

    def _forget_left_population(self) -> None:
        """Drop rows outside the population from ``tenured_losses``: the survey cannot reach
        them, and a row that joins the population again is a new person."""
        status = self.workers.status
        for month, idx in self.tenured_losses.items():
            self.tenured_losses[month] = idx[status[idx] != OUTSIDE_POPULATION]

    def _train(self) -> None:
        rng = self.streams["training"]
        w = self.workers
        P = self.params
        trainees = np.flatnonzero(w.status == TRAINING)
        if trainees.size:
            e = w.economy[trainees]
            duration = P.duration_months[e]
            p = P.completion[e, w.skill[trainees]] * np.where(
                w.digital[trainees], 1.0, P.no_digital_completion_factor[e])
            drop = rng.random(trainees) < market.completion_hazard(p, duration)
            dropped = trainees[drop]
            w.set_status(dropped, UNEMPLOYED)
            self.flows["training_dropped"] += self._per_economy(dropped)
            stay = trainees[~drop]
            done = stay[w.months_in_status[stay] >= duration[~drop]]
            if done.size:
                self._complete_training(done, rng)
        if self._burning:
            return
        # Enrolment: capacity building, then the regional centre.
        active = self.month <= P.cb_months_active
        slots_people = np.where(active, self.training_budget, 0.0) / 12.0 / self.training_cost
        self.slot_credit = np.minimum(self.slot_credit + slots_people / self.workers_per_agent,
                                      12.0 * slots_people / self.workers_per_agent + 1.0)
        self.flows["training_slots"] += slots_people
        started = self._enrol(np.floor(self.slot_credit), rng, centre=False)
        self.slot_credit -= started
        self.flows["spending_training_usd"] += started * self.workers_per_agent * self.training_cost
        if self.centre_members.size:
            self.centre_credit_people += self.centre_contribution.sum() / 12.0 / self.centre_cost
            self.flows["centre_contribution_usd"] += self.centre_contribution / 12.0
            eligible = (w.status == UNEMPLOYED) & (w.displaced_month >= 0) & (w.trainings == 0)
            eligible_people = self._per_economy(np.flatnonzero(eligible)) * self.workers_per_agent
            member = np.zeros(self.n_economies, bool)
            member[self.centre_members] = True
            eligible_people = np.where(member, eligible_people, 0.0)
            total = eligible_people.sum()
            if total > 0:
                alloc_people = self.centre_credit_people * eligible_people / total
                slots = np.floor(alloc_people / self.workers_per_agent)
                started_c = self._enrol(slots, rng, centre=True)
                used = (started_c * self.workers_per_agent).sum()
                self.centre_credit_people -= used
                self.flows["centre_trainees"] += started_c
            cap = 12.0 * self.centre_contribution.sum() / 12.0 / self.centre_cost
            self.centre_credit_people = min(self.centre_credit_people, cap)

    def _enrol(self, slots: np.ndarray, rng: EconomyStreams, centre: bool) -> np.ndarray:
        """Enrol up to ``slots[e]`` eligible unemployed per economy, by priority rule."""
        w = self.workers
        P = self.params
        if not np.any(slots > 0):
            return np.zeros(self.n_economies)
        cand = np.flatnonzero((w.status == UNEMPLOYED) & (w.trainings == 0))
        cand = cand[slots[w.economy[cand]] > 0]
        e = w.economy[cand]
        displaced = w.displaced_month[cand] >= 0
        keep = displaced | (~P.cb_displaced_only[e] & (not centre))
        cand, e, displaced = cand[keep], e[keep], displaced[keep]
        tie = rng.random(cand)
        rules = P.cb_priority[e]
        months = w.months_in_status[cand].astype(float)
        key = np.where(rules == 0, (~displaced) + tie,
                       np.where(rules == 1, -months + tie * 0.5, tie))
        chosen = cand[market.rank_within_groups(e, key) < slots[e]]
        w.set_status(chosen, TRAINING)
        w.training_start[chosen] = self.month
        w.trainings[chosen] += np.uint8(1)
        before = self.training_starts.get(self.month)
        self.training_starts[self.month] = chosen if before is None else np.concatenate(
            [before, chosen])
        for month in [m for m in self.training_starts if m < self.month - COHORT_MONTHS[-1]]:
            del self.training_starts[month]
        started = self._per_economy(chosen)
        self.flows["training_started"] += started
        return started

    def _complete_training(self, done: np.ndarray, rng: EconomyStreams) -> None:
        """Completion: the skills of the programme, and a sector with openings to aim for."""
        w = self.workers
        f = self.firms_state
        w.trained[done] = True
        vac = np.bincount(f.cell, weights=f.vacancies,
                          minlength=self.n_economies * N_SECTORS).reshape(self.n_economies,
                                                                          N_SECTORS)
        probs = (vac + 1e-9) / (vac + 1e-9).sum(1, keepdims=True)
        w.sector[done] = market.choose_rows(np.cumsum(probs, axis=1), w.economy[done],
                                            u=rng.random(done))
        w.set_status(done, UNEMPLOYED)
        self.flows["training_completed"] += self._per_economy(done)

    def _search_and_match(self) -> None:
        rng = self.streams["search"]
        w = self.workers
        P = self.params
        f = self.firms_state
        cells = self.n_economies * N_SECTORS
        searchers = np.flatnonzero((w.status == UNEMPLOYED) | (w.status == TRAINING))
        if searchers.size == 0:
            return
        applying = searchers[rng.random(searchers) < self._search_intensity(searchers)]
        e = w.economy[applying].astype(np.int64)
        own = w.sector[applying].astype(np.int64)
        vac_cell = np.bincount(f.cell, weights=f.vacancies,
                               minlength=cells).reshape(self.n_economies, N_SECTORS)
        r = P.own_sector_preference
        other = self.sector_similarity * vac_cell[:, None, :]
        idx = np.arange(N_SECTORS)
        other[:, idx, idx] = 0.0
        tot = other.sum(2, keepdims=True)
        other = np.where(tot > 0, other / np.where(tot > 0, tot, 1.0), 0.0)
        probs = (1.0 - r)[:, None, None] * other
        probs[:, idx, idx] += np.where(tot[..., 0] > 0, r[:, None], 1.0)
        cum = np.cumsum(probs, axis=2).reshape(cells, N_SECTORS)
        dest = market.choose_rows(cum, e * N_SECTORS + own, u=rng.random(applying))
        cell = e * N_SECTORS + dest
        applicants = np.bincount(cell, minlength=cells)
        q = market.urn_ball_hire_prob(applicants, vac_cell.ravel(),
                                      np.repeat(P.matching_efficiency, N_SECTORS))
        fit = self._fit(applying, dest)
        sub = 0.0 if self._burning else P.subsidy_share[e]
        displaced = w.displaced_month[applying] >= 0
        boost = 1.0 + np.where(displaced, P.subsidy_hiring_effect[e] * sub, 0.0)
        success = rng.random(applying) < np.minimum(q[cell] * fit * boost, 1.0)
        hired, cell = applying[success], cell[success]
        allowed = market.stochastic_round(vac_cell.ravel(), u=np.concatenate(
            [g.random(N_SECTORS) for g in rng.gens]))
        keep = market.rank_within_groups(cell, rng.random(hired)) < allowed[cell]
        hired, cell = hired[keep], cell[keep]
        if hired.size == 0:
            return
        F = self.config.firms_per_sector
        cumv = np.concatenate([[0.0], np.cumsum(f.vacancies)])
        lo, hi = cumv[cell * F], cumv[(cell + 1) * F]
        point = lo + rng.random(hired) * (hi - lo)
        firm = np.clip(np.searchsorted(cumv, point, side="right") - 1, cell * F,
                       (cell + 1) * F - 1)
        was_training = w.status[hired] == TRAINING
        self.flows["training_left_for_job"] += self._per_economy(hired[was_training])
        self.flows["hires"] += self._per_economy(hired)
        hired_displaced = w.displaced_month[hired] >= 0
        self.flows["hires_displaced"] += self._per_economy(hired[hired_displaced])
        w.set_status(hired, EMPLOYED)
        w.tenured_loss[hired] = False  # a new job: its tenure starts again
        w.firm[hired] = firm
        w.sector[hired] = (cell % N_SECTORS).astype(np.uint8)
        he = w.economy[hired]
        # Wage relative to the economy's index: by skill, less the displaced worker's penalty
        # until trained (docs/ODD.md, "Wages").
        penalty = np.where(hired_displaced & ~w.trained[hired], P.displaced_wage_penalty[he], 0.0)
        rel = P.skill_wage_ratio[he, w.skill[hired]] / self.wage_norm[he] * np.exp(-penalty)
        w.wage[hired] = rel.astype(np.float32)
        if not self._burning:
            months = P.subsidy_months[he]
            subsidised = hired_displaced & (P.subsidy_share[he] > 0) & (months > 0)
            w.subsidy_until[hired[subsidised]] = np.minimum(
                self.month + months[subsidised] - 1, np.iinfo(np.int16).max).astype(np.int16)
        np.add.at(f.employment, firm, 1.0)
        filled = np.bincount(cell, minlength=cells)
        vac = vac_cell.ravel()
        left = np.where(vac > 0, np.maximum(vac - filled, 0.0) / np.where(vac > 0, vac, 1.0), 0.0)
        f.vacancies *= np.repeat(left, F)

    def _pay(self) -> None:
        """Benefits and hiring subsidies paid this month (USD)."""
        w = self.workers
        P = self.params
        W = self.workers_per_agent
        usd = self.wage_level * self.wage_index
        if self._burning:
            return
        if np.any((P.benefit_replacement > 0) & (P.benefit_months > 0)):
            unemp = np.flatnonzero(w.status == UNEMPLOYED)
            e = w.economy[unemp]
            paid = unemp[w.job_loser[unemp] & (w.months_in_status[unemp] < P.benefit_months[e])]
            ep = w.economy[paid]
            self.flows["spending_benefits_usd"] += self._per_economy(
                paid, P.benefit_replacement[ep] * w.wage[paid] * usd[ep]) * W
        if not np.any(P.subsidy_share > 0):
            return
        emp = np.flatnonzero((w.subsidy_until >= self.month) & (w.status == EMPLOYED))
        ee = w.economy[emp]
        self.flows["spending_subsidy_usd"] += self._per_economy(
            emp, P.subsidy_share[ee] * w.wage[emp] * usd[ee]) * W

    def _record_cohorts(self) -> None:
        """Record each displaced worker's status exactly k months after displacement."""
        w = self.workers
        for k, months in enumerate(COHORT_MONTHS):
            month = self.month - months
            if month < 1:
                continue
            at = np.flatnonzero(w.displaced_month == month)
            w.cohort_status[at, k] = w.status[at]

    def _publish_metrics(self) -> None:
        metrics = compute_metrics(self)
        self._last_unemployment = metrics["unemployment_rate"]
        for name, values in metrics.items():
            for econ, value in zip(self.economies, values, strict=True):
                setattr(econ, name, float(value))

    # ------------------------------------------------------------------ running

    def run_months(self, months: int) -> None:
        """Run ``months`` steps.

        Parameters
        ----------
        months : int
            Number of monthly steps (:meth:`step`) to run.
        """
        for _ in range(months):
            self.step()

    def results(self):
        """The collected indicators: one row per economy and month (a pandas DataFrame)."""
        df = self.datacollector.get_agenttype_vars_dataframe(Economy).reset_index()
        df = df.rename(columns={"Step": "step", "iso3": "economy"}).drop(columns=["AgentID"])
        df["step"] = df["step"].astype(np.int32)
        df.insert(0, "economy", df.pop("economy"))
        df.insert(2, "year", self.start_year + df["step"] / 12.0)
        return df


__all__ = ["DisplacementModel"]
