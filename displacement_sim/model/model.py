"""``DisplacementModel``: automation, displacement and reskilling in up to eleven economies.

One step is one month. Workers are rows of column arrays (``Workers``); firms and economies are
Mesa agents. The model does no file I/O beyond reading the data profiles it is given or loads.
The rules are described, with their sources, in docs/ODD.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import mesa
import numpy as np

from ..config import Scenario
from ..constants import (
    ECONOMIES,
    EMPLOYED,
    OUT_OF_LABOUR_FORCE,
    SECTORS,
    TRAINING,
    UNEMPLOYED,
)
from ..data import EconomyProfile, load_profile, load_profiles, world_robot_density
from ..seeding import SeedLike
from . import market
from .agents import Economy, Firm
from .reporters import CUMULATIVE, FLOWS, METRICS, compute_metrics
from .streams import EconomyStreams
from .workers import COHORT_MONTHS, NEVER, Workers

N_SECTORS = len(SECTORS)
STREAMS = ("init", "adoption", "displacement", "churn", "training", "search", "exits")
"""Independent random streams, one per mechanism and economy (``EconomyStreams``), all spawned
from the run's seed, so that a policy change shifts neither the draws of unrelated mechanisms
nor those of other economies (common random numbers)."""


class DisplacementModel(mesa.Model):
    """Agent-based model of automation-driven displacement and re-employment.

    Parameters
    ----------
    scenario : a validated :class:`~displacement_sim.config.Scenario`.
    seed : the run's seed (an int or a ``SeedSequence``). ``None`` uses ``scenario.seed``.
    profiles : economy profiles to start from; loaded from ``calibration/data`` when omitted.

    Attributes
    ----------
    workers : the worker population (:class:`Workers`).
    economies : the ``Economy`` agents, in ``scenario.economies`` order.
    firms : the ``Firm`` agents (a Mesa ``AgentSet``).
    month : months simulated so far.
    training_starts : month -> indices of the workers who started training that month, for the
        last ``COHORT_MONTHS[-1]`` months (read by the trainee indicators).
    datacollector : one row per economy and month (agent-type reporters on ``Economy``).
    """

    def __init__(self, scenario: Scenario, seed: SeedLike | None = None,
                 profiles: Mapping[str, EconomyProfile] | None = None) -> None:
        seed = scenario.seed if seed is None else seed
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        children = ss.spawn(len(STREAMS) + 1)
        super().__init__(rng=np.random.default_rng(children[0]))
        self._stream_seeds = dict(zip(STREAMS, children[1:], strict=True))
        self.config = scenario
        self.month = 0
        year = scenario.start_year
        if profiles is None:
            profiles = load_profiles(scenario.economies, year)
        self.profiles = [profiles[iso] for iso in scenario.economies]
        self.start_year = self.profiles[0].year
        us = profiles.get("USA") or load_profile("USA", self.start_year)
        self.us_profile = us
        self.economy_codes = tuple(scenario.economies)
        self.settings = [scenario.settings_for(iso) for iso in self.economy_codes]
        self._build_parameters()
        self._build_economies()
        # Streams per mechanism and economy (model/streams.py), over workers and firms.
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
        self.totals = {name: np.zeros(self.n_economies) for name in CUMULATIVE}
        self.training_starts: dict[int, np.ndarray] = {}
        self.datacollector = mesa.DataCollector(
            agenttype_reporters={Economy: {name: name for name in ("iso3", *METRICS)}}
        )
        self._publish_metrics()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ construction

    def _param(self, section: str, *path: str) -> np.ndarray:
        """One parameter, resolved for each economy, as an array over economies."""
        values = []
        for s in self.settings:
            obj = getattr(s, section)
            for p in path:
                obj = getattr(obj, p)
            values.append(obj)
        return np.asarray(values, dtype=float)

    def _build_parameters(self) -> None:
        n = len(self.profiles)
        self.n_economies = n
        p = self._param
        sc = self.config
        lf = np.array([pr.labour_force for pr in self.profiles])
        self.workers_per_agent = np.minimum(sc.workers_per_agent, lf / sc.min_agents_per_economy)
        self.n_agents = np.maximum(np.rint(lf / self.workers_per_agent), 1).astype(np.int64)
        # Separation rate per economy: the dRC rate, capped so the observed unemployment rate is
        # a steady state at the US job-finding rate (docs/ODD.md, "Initialisation").
        u = np.array([pr.unemployment_rate for pr in self.profiles])
        delta_u = p("labour_market", "separation_rate")
        u_us = self.us_profile.unemployment_rate
        finding_us = delta_u * (1.0 - u_us) / u_us
        self.separation_rate = np.minimum(delta_u, finding_us * u / (1.0 - u))
        self.finding_rate = self.separation_rate * (1.0 - u) / u
        self.opening_rate = p("labour_market", "opening_rate") * self.separation_rate / delta_u
        self.gamma_u = p("labour_market", "gamma_u")
        self.gamma_v = p("labour_market", "gamma_v")
        gdppc = np.array([pr.gdp_per_capita_usd for pr in self.profiles])
        self.gdp = np.array([pr.gdp_usd for pr in self.profiles])
        employed_people = lf * (1.0 - u)
        self.wage_level = p("labour_market", "labour_share") * self.gdp / employed_people / 12.0
        wage_gap = (self.us_profile.gdp_per_capita_usd / gdppc) ** p("automation",
                                                                     "wage_gap_elasticity")
        tax = p("policy", "automation_tax")
        transfer = p("policy", "tech_transfer")
        years_from_ref = self.start_year - p("automation", "cost_reference_year")
        along_curve = (1.0 - p("automation", "cost_decline_per_year")) ** years_from_ref
        self.cost_ratio0 = (p("automation", "cost_ratio_usa") * along_curve * wage_gap
                            * (1 + tax) * (1 - transfer))
        self.sector_hazard = np.ones((n, N_SECTORS))
        self.structural_trend = np.zeros((n, N_SECTORS))
        for e, s in enumerate(self.settings):
            for code, value in s.automation.sector_hazard.items():
                self.sector_hazard[e, SECTORS.index(code)] = value
            for code, value in s.labour_market.structural_trend.items():
                self.structural_trend[e, SECTORS.index(code)] = value
        robots = np.array([pr.robot_density for pr in self.profiles])
        world_robots = self._world_robot_density()
        internet = np.array([pr.internet_share for pr in self.profiles])
        self.readiness = internet * (robots / world_robots) ** p("automation", "robot_elasticity")
        basis_task = np.array([s.automation.exposure_basis == "task" for s in self.settings])
        self.exposure_scale = np.where(basis_task, p("automation", "task_exposure_ratio"), 1.0)
        self.training_cost = np.array([
            s.policy.capacity_building.cost_per_trainee_usd
            or s.training.cost_share_of_gdp_per_capita * pr.gdp_per_capita_usd
            for s, pr in zip(self.settings, self.profiles, strict=True)
        ])
        self.training_budget = np.array([
            s.policy.capacity_building.amount_usd + s.policy.capacity_building.share_of_gdp
            * pr.gdp_usd for s, pr in zip(self.settings, self.profiles, strict=True)
        ])
        self.slot_credit = np.zeros(n)
        self.skill_wage = np.array([s.labour_market.skill_wage_ratio for s in self.settings])

    def _world_robot_density(self) -> float:
        """World robot density (IFR) nearest the start year: the reference for readiness."""
        return world_robot_density(self.start_year)

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
        offsets = np.concatenate([[0], np.cumsum(self.n_agents)])
        n_occ = self.profiles[0].sector_occupation.shape[1]
        self.sector_skill_req = np.zeros((self.n_economies, N_SECTORS))
        self.sector_similarity = np.zeros((self.n_economies, N_SECTORS, N_SECTORS))
        for e, pr in enumerate(self.profiles):
            rng = self.streams["init"].gens[e]
            s = self.settings[e]
            lo, hi = offsets[e], offsets[e + 1]
            n = hi - lo
            sl = slice(lo, hi)
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
                pr.internet_share, pr.rural_share, s.training.rural_internet_ratio)
            w.digital[sl] = rng.random(n) < np.where(w.rural[sl], rural_rate, urban_rate)
            # Exposure: occupation probability, rescaled where a scenario overrides a sector.
            expo = pr.occupation_exposure[occ].astype(float)
            derived = pr.sector_exposure
            for code, value in s.exposure.sector.items():
                j = SECTORS.index(code)
                if derived[j] > 0:
                    expo[sector == j] *= value / derived[j]
            w.exposure[sl] = np.clip(expo, 0.0, 1.0) * self.exposure_scale[e]
            # Wages by skill, normalised so the mean wage equals the economy's wage level.
            rel = self.skill_wage[e][w.skill[sl]]
            w.wage[sl] = self.wage_level[e] * rel / rel.mean()
            # Unemployed at the observed rate, with steady-state spell lengths.
            n_unemp = int(round(n * pr.unemployment_rate))
            unemp = lo + rng.choice(n, size=n_unemp, replace=False)
            w.status[unemp] = UNEMPLOYED
            w.months_in_status[unemp] = rng.geometric(min(self.finding_rate[e], 1.0),
                                                      size=n_unemp) - 1
            # Sector skill requirement: mean skill of its employed workers at the start.
            emp = w.status[sl] == EMPLOYED
            sums = np.bincount(sector[emp], weights=w.skill[sl][emp], minlength=N_SECTORS)
            counts = np.bincount(sector[emp], minlength=N_SECTORS)
            self.sector_skill_req[e] = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
            # Sector similarity: cosine similarity of occupation mixes (del Rio-Chanona et al.
            # weight moves by occupational similarity; here sectors are the nodes).
            m = pr.sector_occupation / np.maximum(pr.sector_occupation.sum(1, keepdims=True), 1e-12)
            norm = np.linalg.norm(m, axis=1)
            self.sector_similarity[e] = (m @ m.T) / np.maximum(np.outer(norm, norm), 1e-12)
        self.base_skill_req = self.sector_skill_req.copy()
        rel = self.skill_wage[w.economy, w.skill]
        self.wage_norm = (np.bincount(w.economy, weights=rel, minlength=self.n_economies)
                          / np.maximum(np.bincount(w.economy, minlength=self.n_economies), 1))

    def _build_firms(self) -> None:
        gens = self.streams["init"].gens
        w = self.workers
        F = self.config.firms_per_sector
        n_cells = self.n_economies * N_SECTORS
        n_firms = n_cells * F
        cell = np.repeat(np.arange(n_cells), F)
        self.firm_economy = (cell // N_SECTORS).astype(np.int64)
        self.firm_sector = (cell % N_SECTORS).astype(np.int64)
        sigma = self._param("automation", "threshold_sigma")[self.firm_economy]
        self.firm_threshold = np.exp(sigma * np.concatenate(
            [g.standard_normal(N_SECTORS * F) for g in gens]))
        self.firm_adopted_month = np.full(n_firms, -1, np.int64)
        self.firm_automated_share = np.zeros(n_firms)
        # Each worker joins one of the F firms of its economy and sector at random.
        w.firm[:] = (w.economy.astype(np.int64) * N_SECTORS + w.sector) * F + np.concatenate(
            [g.integers(0, F, size=int(n)) for g, n in zip(gens, self.n_agents, strict=True)])
        self.firm_employment = self._employment_by_firm()
        e_f = self.firm_employment
        # Steady-state vacancies per economy, spread over firms by employment.
        vac = np.zeros(n_firms)
        search = self._search_intensity(np.flatnonzero(w.status == UNEMPLOYED))
        fit = self._fit(np.flatnonzero(w.status == UNEMPLOYED), w.sector[w.status == UNEMPLOYED])
        eff = self._param("labour_market", "matching_efficiency")
        for e in range(self.n_economies):
            in_e = w.economy[w.status == UNEMPLOYED] == e
            mean_fit = float(fit[in_e].mean()) if in_e.any() else 1.0
            employed = e_f[self.firm_economy == e].sum()
            hires = self.separation_rate[e] * employed
            # Matching meets the month's separated workers and openings too.
            applicants = float(search[in_e].sum()) + hires
            v_total = market.steady_state_vacancies(hires, applicants, eff[e] * mean_fit)
            mask = self.firm_economy == e
            vac[mask] = max(v_total - hires, 0.0) * e_f[mask] / max(employed, 1.0)
        self.firm_vacancies = vac
        dv = self.opening_rate[self.firm_economy]
        gap = np.maximum(self.separation_rate[self.firm_economy] - dv, 0.0) * e_f / (
            (1.0 - dv) * self.gamma_v[self.firm_economy])
        self.firm_target = e_f + vac + gap
        self.firm_base_target = self.firm_target.copy()
        self.pending_jobs = np.zeros((self.n_economies, N_SECTORS))
        for i in range(n_firms):
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
            self.centre_cost = float(np.average(self.training_cost[members],
                                                weights=contrib[members]))
        else:
            self.centre_cost = float(np.mean(self.training_cost[members])) if members else 1.0
        self.centre_credit_people = 0.0

    # ------------------------------------------------------------------ helpers

    def _employment_by_firm(self) -> np.ndarray:
        w = self.workers
        emp = w.status == EMPLOYED
        return np.bincount(w.firm[emp], minlength=self.firm_economy.size).astype(float)

    def _per_economy(self, idx: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum over workers ``idx`` by economy (counts if no weights)."""
        return np.bincount(self.workers.economy[idx], weights=weights,
                           minlength=self.n_economies).astype(float)

    def _search_intensity(self, idx: np.ndarray) -> np.ndarray:
        """Expected applications per month of searching workers ``idx`` (0 to 1)."""
        w = self.workers
        e = w.economy[idx]
        months = w.months_in_status[idx].astype(float)
        status = w.status[idx]
        decay = self._param("labour_market", "duration_decay_per_year")[e]
        rr = self._param("policy", "benefits", "replacement_rate")[e]
        max_m = self._param("policy", "benefits", "max_months")[e]
        elast = self._param("policy", "benefits", "search_elasticity")[e]
        paid = (status == UNEMPLOYED) & (months < max_m)
        intensity = np.where(paid, 1.0 - np.minimum(elast * rr, 1.0), 1.0)
        intensity *= np.where(status == UNEMPLOYED, np.exp(-decay * months / 12.0), 1.0)
        lockin = self._param("training", "lockin_search_factor")[e]
        return np.where(status == TRAINING, lockin, intensity)

    def _fit(self, idx: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """Hiring-chance factor of workers ``idx`` applying to ``sector``: skill gap penalty."""
        w = self.workers
        e = w.economy[idx]
        loss = np.where((w.displaced_month[idx] >= 0) & ~w.trained[idx],
                        self._param("labour_market", "displaced_skill_loss")[e], 0.0)
        gap = np.maximum(self.sector_skill_req[e, sector] - w.skill[idx] + loss, 0.0)
        return np.exp(-self._param("labour_market", "skill_gap_penalty")[e] * gap)

    # ------------------------------------------------------------------ the month

    def step(self) -> None:
        """Advance one month."""
        self.month += 1
        for arr in self.flows.values():
            arr[:] = 0.0
        self._adopt_and_displace()
        self._structural_change()
        self._create_jobs()
        self._churn()
        self._train()
        self._search_and_match()
        self._exits()
        self._pay()
        w = self.workers
        w.months_in_status += np.uint16(1)
        self._record_cohorts()
        for name in CUMULATIVE:
            self.totals[name] += self.flows[name]
        self._publish_metrics()
        self.datacollector.collect(self)

    def _cost_ratio(self) -> np.ndarray:
        decline = self._param("automation", "cost_decline_per_year")
        return self.cost_ratio0 * (1.0 - decline) ** (self.month / 12.0)

    def _adopt_and_displace(self) -> None:
        fe, fs = self.firm_economy, self.firm_sector
        modes = [s.automation.mode for s in self.settings]
        not_yet = self.firm_adopted_month < 0
        n_firms = fe.size
        adopt = np.zeros(n_firms, bool)
        F = self.config.firms_per_sector
        adopted_share = (np.bincount(fe * N_SECTORS + fs, weights=~not_yet,
                                     minlength=self.n_economies * N_SECTORS) / F)
        # Drawn every month in every mode, so the streams stay aligned.
        u = self.streams["adoption"].random(np.arange(n_firms))
        if "endogenous" in modes:
            profitable = self._cost_ratio()[fe] < self.firm_threshold
            hazard = market.adoption_hazard(
                profitable, self._param("automation", "adoption_hazard")[fe]
                * self.sector_hazard[fe, fs],
                self.readiness[fe], self._param("automation", "imitation")[fe],
                adopted_share[fe * N_SECTORS + fs])
            endo = np.array([m == "endogenous" for m in modes])[fe]
            adopt |= endo & not_yet & (u < hazard)
        if "s_curve" in modes:
            year = self.start_year + self.month / 12.0
            curve = np.zeros(self.n_economies)
            for e, s in enumerate(self.settings):
                if s.automation.mode == "s_curve":
                    c = s.automation.s_curve
                    f0 = market.logistic_share(self.start_year, c.target_share, c.target_year,
                                               c.duration_years)
                    ft = market.logistic_share(year, c.target_share, c.target_year,
                                               c.duration_years)
                    curve[e] = (ft - f0) / (1.0 - f0)
            # Firms adopt in order of their thresholds until the sector's share meets the curve.
            rank = market.rank_within_groups(fe * N_SECTORS + fs, -self.firm_threshold)
            scurve = np.array([m == "s_curve" for m in modes])[fe]
            adopt |= scurve & not_yet & ((rank + 0.5) / F < curve[fe])
        firms = np.flatnonzero(adopt)
        if firms.size == 0:
            return
        self.firm_adopted_month[firms] = self.month
        w = self.workers
        adopting = np.zeros(n_firms, bool)
        adopting[firms] = True
        idx = np.flatnonzero((w.status == EMPLOYED) & adopting[w.firm])
        expo = w.exposure[idx].astype(float)
        firm_of = w.firm[idx]
        sums = np.bincount(firm_of, weights=expo, minlength=n_firms)
        depth = self._param("automation", "depth")[fe]
        # Automated share of the firm's work: depth times its workforce's mean exposure.
        share = np.where(self.firm_employment > 0, depth * sums / np.maximum(
            self.firm_employment, 1.0), 0.0)
        self.firm_automated_share[firms] = share[firms]
        cuts = np.zeros(n_firms, np.int64)
        # Per-economy draws: firm rounding over the economies' firm blocks, keys over workers.
        drng = self.streams["displacement"]
        firm_u = np.concatenate([g.random(int(c)) for g, c in zip(
            drng.gens, np.diff(np.searchsorted(firms, self.firm_offsets)), strict=True)])
        cuts[firms] = market.stochastic_round(self.firm_employment[firms] * share[firms],
                                              u=firm_u)
        picked = idx[market.weighted_pick_per_group(firm_of, expo, cuts, u=drng.random(idx))]
        automated_jobs = np.bincount(firm_of[np.isin(idx, picked)], minlength=n_firms)
        self.firm_target = np.maximum(self.firm_target - automated_jobs, 0.0)
        self.firm_vacancies = np.minimum(self.firm_vacancies, self.firm_target)
        self._displace(picked)
        # Automation raises the skill its sector requires (new roles, docs/ODD.md).
        cells = self.n_economies * N_SECTORS
        base = np.bincount(fe * N_SECTORS + fs, weights=self.firm_base_target, minlength=cells)
        auto = np.bincount(fe * N_SECTORS + fs, weights=self.firm_base_target
                           * self.firm_automated_share, minlength=cells)
        sector_share = (auto / np.maximum(base, 1e-12)).reshape(self.n_economies, N_SECTORS)
        upgrade = self._param("labour_market", "skill_upgrade")[:, None]
        self.sector_skill_req = np.minimum(self.base_skill_req + upgrade * sector_share, 2.0)
        # Jobs created through new roles and demand, queued with a lag.
        ratio = self._param("automation", "reinstatement_ratio")
        new_role = self._param("automation", "new_role_share")
        by_cell = np.bincount(fe * N_SECTORS + fs, weights=automated_jobs,
                              minlength=cells).reshape(self.n_economies, N_SECTORS)
        created = ratio[:, None] * by_cell
        spread_w = self._demand_weights()
        spread = (created.sum(1) * (1 - new_role))[:, None] * spread_w
        self.pending_jobs += new_role[:, None] * created + spread

    def _demand_weights(self) -> np.ndarray:
        base = np.bincount(self.firm_economy * N_SECTORS + self.firm_sector,
                           weights=self.firm_base_target,
                           minlength=self.n_economies * N_SECTORS).reshape(self.n_economies,
                                                                           N_SECTORS)
        elast = np.ones((self.n_economies, N_SECTORS))
        for e, s in enumerate(self.settings):
            for code, value in s.automation.demand_elasticity.items():
                elast[e, SECTORS.index(code)] = value
        weights = base * elast
        return weights / np.maximum(weights.sum(1, keepdims=True), 1e-12)

    def _displace(self, idx: np.ndarray) -> None:
        w = self.workers
        w.wage_before_displacement[idx] = w.wage[idx]
        w.displaced_month[idx] = self.month
        w.cohort_status[idx] = 0
        w.subsidy_until[idx] = NEVER
        w.set_status(idx, UNEMPLOYED)
        self.flows["displaced"] += self._per_economy(idx)
        np.subtract.at(self.firm_employment, w.firm[idx], 1.0)

    def _structural_change(self) -> None:
        """Shift the mix of target demand by the sectors' relative trends (total unchanged)."""
        if not self.structural_trend.any():
            return
        fe, fs = self.firm_economy, self.firm_sector
        growth = np.exp(self.structural_trend / 12.0)[fe, fs]
        before = np.bincount(fe, weights=self.firm_target, minlength=self.n_economies)
        target = self.firm_target * growth
        after = np.bincount(fe, weights=target, minlength=self.n_economies)
        self.firm_target = target * (before / np.maximum(after, 1e-12))[fe]

    def _create_jobs(self) -> None:
        lag = self._param("automation", "creation_lag_months")[:, None]
        release = self.pending_jobs * -np.expm1(-1.0 / lag)
        self.pending_jobs -= release
        cell = self.firm_economy * N_SECTORS + self.firm_sector
        cell_base = np.bincount(cell, weights=self.firm_base_target,
                                minlength=release.size)
        share = self.firm_base_target / np.maximum(cell_base[cell], 1e-12)
        self.firm_target += release.ravel()[cell] * share

    def _churn(self) -> None:
        fe = self.firm_economy
        sep_prob, self.firm_vacancies, _ = market.churn(
            self.firm_employment, self.firm_vacancies, self.firm_target,
            self.separation_rate[fe], self.opening_rate[fe], self.gamma_u[fe], self.gamma_v[fe])
        w = self.workers
        emp = np.flatnonzero(w.status == EMPLOYED)
        u = self.streams["churn"].random(emp, dtype=np.float32)
        leave = emp[u < sep_prob[w.firm[emp]]]
        w.set_status(leave, UNEMPLOYED)
        w.subsidy_until[leave] = NEVER
        np.subtract.at(self.firm_employment, w.firm[leave], 1.0)
        self.flows["separations"] += self._per_economy(leave)

    def _train(self) -> None:
        rng = self.streams["training"]
        w = self.workers
        # Progress: dropouts, then completions.
        trainees = np.flatnonzero(w.status == TRAINING)
        if trainees.size:
            e = w.economy[trainees]
            duration = self._param("training", "duration_months")[e]
            p = (self._param("training", "base_completion")[e]
                 * np.array([s.training.skill_completion_factor for s in self.settings])[
                     e, w.skill[trainees]]
                 * np.where(w.digital[trainees], 1.0,
                            self._param("training", "no_digital_completion_factor")[e]))
            drop = rng.random(trainees) < market.completion_hazard(p, duration)
            dropped = trainees[drop]
            w.set_status(dropped, UNEMPLOYED)
            self.flows["training_dropped"] += self._per_economy(dropped)
            stay = trainees[~drop]
            done = stay[w.months_in_status[stay] >= duration[~drop]]
            if done.size:
                self._complete_training(done, rng)
        # Enrolment: capacity building, then the regional centre.
        active = np.array([s.policy.capacity_building.years_active is None
                           or self.month <= 12 * s.policy.capacity_building.years_active
                           for s in self.settings])
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
        if not np.any(slots > 0):
            return np.zeros(self.n_economies)
        cand = np.flatnonzero((w.status == UNEMPLOYED) & (w.trainings == 0))
        cand = cand[slots[w.economy[cand]] > 0]
        e = w.economy[cand]
        displaced = w.displaced_month[cand] >= 0
        only_displaced = np.array([s.policy.capacity_building.eligibility == "displaced"
                                   for s in self.settings])
        keep = displaced | (~only_displaced[e] & (not centre))
        cand, e, displaced = cand[keep], e[keep], displaced[keep]
        tie = rng.random(cand)
        rules = np.array([s.policy.capacity_building.priority for s in self.settings])[e]
        months = w.months_in_status[cand].astype(float)
        key = np.where(rules == "displaced_first", (~displaced) + tie,
                       np.where(rules == "long_term_first", -months + tie * 0.5, tie))
        chosen = cand[market.rank_within_groups(e, key) < slots[e]]
        w.set_status(chosen, TRAINING)
        w.training_start[chosen] = self.month
        w.trainings[chosen] += np.uint8(1)
        # Index of this month's starters, kept as long as the trainee indicators look back.
        before = self.training_starts.get(self.month)
        self.training_starts[self.month] = chosen if before is None else np.concatenate(
            [before, chosen])
        for month in [m for m in self.training_starts if m < self.month - COHORT_MONTHS[-1]]:
            del self.training_starts[month]
        started = self._per_economy(chosen)
        self.flows["training_started"] += started
        return started

    def _complete_training(self, done: np.ndarray, rng: EconomyStreams) -> None:
        """Completion raises skill one level and retrains for a sector with openings."""
        w = self.workers
        w.skill[done] = np.minimum(w.skill[done] + 1, 2)
        w.trained[done] = True
        # Target sector: drawn in proportion to the economy's open vacancies.
        vac = np.bincount(self.firm_economy * N_SECTORS + self.firm_sector,
                          weights=self.firm_vacancies,
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
        fe, fs = self.firm_economy, self.firm_sector
        cells = self.n_economies * N_SECTORS
        searchers = np.flatnonzero((w.status == UNEMPLOYED) | (w.status == TRAINING))
        if searchers.size == 0:
            return
        applying = searchers[rng.random(searchers) < self._search_intensity(searchers)]
        e = w.economy[applying].astype(np.int64)
        own = w.sector[applying].astype(np.int64)
        # Destination: own sector with probability r, else by vacancies times similarity.
        vac_cell = np.bincount(fe * N_SECTORS + fs, weights=self.firm_vacancies,
                               minlength=cells).reshape(self.n_economies, N_SECTORS)
        r = self._param("labour_market", "own_sector_preference")
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
                                      np.repeat(self._param("labour_market",
                                                            "matching_efficiency"), N_SECTORS))
        fit = self._fit(applying, dest)
        sub = self._param("policy", "hiring_subsidy", "share_of_wage")[e]
        boost = 1.0 + np.where(w.displaced_month[applying] >= 0,
                               self._param("policy", "hiring_subsidy", "hiring_effect")[e] * sub,
                               0.0)
        success = rng.random(applying) < np.minimum(q[cell] * fit * boost, 1.0)
        hired, cell = applying[success], cell[success]
        # No cell hires more than its vacancies (rounded at random).
        allowed = market.stochastic_round(vac_cell.ravel(), u=np.concatenate(
            [g.random(N_SECTORS) for g in rng.gens]))
        keep = market.rank_within_groups(cell, rng.random(hired)) < allowed[cell]
        hired, cell = hired[keep], cell[keep]
        if hired.size == 0:
            return
        # Employer: a firm of the cell, in proportion to its vacancies.
        F = self.config.firms_per_sector
        cumv = np.concatenate([[0.0], np.cumsum(self.firm_vacancies)])
        lo, hi = cumv[cell * F], cumv[(cell + 1) * F]
        point = lo + rng.random(hired) * (hi - lo)
        firm = np.clip(np.searchsorted(cumv, point, side="right") - 1, cell * F,
                       (cell + 1) * F - 1)
        was_training = w.status[hired] == TRAINING
        self.flows["training_left_for_job"] += self._per_economy(hired[was_training])
        self.flows["hires"] += self._per_economy(hired)
        self.flows["hires_displaced"] += self._per_economy(hired[w.displaced_month[hired] >= 0])
        w.set_status(hired, EMPLOYED)
        w.firm[hired] = firm
        w.sector[hired] = (cell % N_SECTORS).astype(np.uint8)
        he = w.economy[hired]
        rel = self.skill_wage[he, w.skill[hired]] / self.wage_norm[he]
        w.wage[hired] = (self.wage_level[he] * rel).astype(np.float32)
        months = self._param("policy", "hiring_subsidy", "months")[he]
        subsidised = (w.displaced_month[hired] >= 0) & (sub[success][keep] > 0) & (months > 0)
        w.subsidy_until[hired[subsidised]] = (self.month + months[subsidised] - 1).astype(
            np.int16)
        np.add.at(self.firm_employment, firm, 1.0)
        # Filled vacancies leave each cell's pool; firms keep their shares of what is left.
        filled = np.bincount(cell, minlength=cells)
        vac = vac_cell.ravel()
        left = np.where(vac > 0, np.maximum(vac - filled, 0.0) / np.where(vac > 0, vac, 1.0), 0.0)
        self.firm_vacancies *= np.repeat(left, F)

    def _exits(self) -> None:
        rng = self.streams["exits"]
        w = self.workers
        lt = self._param("labour_market", "long_term_months")
        unemp = np.flatnonzero((w.status == UNEMPLOYED)
                               & (w.months_in_status >= lt[w.economy]))
        rate = self._param("labour_market", "long_term_exit_rate")[w.economy[unemp]]
        leave = unemp[rng.random(unemp) < rate]
        olf = np.flatnonzero(w.status == OUT_OF_LABOUR_FORCE)
        back = olf[rng.random(olf) < self._param("labour_market",
                                                       "reentry_rate")[w.economy[olf]]]
        w.set_status(leave, OUT_OF_LABOUR_FORCE)
        w.set_status(back, UNEMPLOYED)
        self.flows["exits"] += self._per_economy(leave)
        self.flows["reentries"] += self._per_economy(back)

    def _pay(self) -> None:
        """Benefits and hiring subsidies paid this month (USD)."""
        w = self.workers
        W = self.workers_per_agent
        rr = self._param("policy", "benefits", "replacement_rate")
        max_m = self._param("policy", "benefits", "max_months")
        unemp = np.flatnonzero(w.status == UNEMPLOYED)
        paid = unemp[w.months_in_status[unemp] < max_m[w.economy[unemp]]]
        self.flows["spending_benefits_usd"] += self._per_economy(
            paid, rr[w.economy[paid]] * w.wage[paid]) * W
        emp = np.flatnonzero((w.subsidy_until >= self.month) & (w.status == EMPLOYED))
        sub = self._param("policy", "hiring_subsidy", "share_of_wage")
        self.flows["spending_subsidy_usd"] += self._per_economy(
            emp, sub[w.economy[emp]] * w.wage[emp]) * W

    def _record_cohorts(self) -> None:
        """Record each displaced worker's status exactly k months after displacement."""
        w = self.workers
        displaced = np.flatnonzero(w.displaced_month >= 0)
        since = self.month - w.displaced_month[displaced].astype(np.int64)
        for k, months in enumerate(COHORT_MONTHS):
            at = displaced[since == months]
            w.cohort_status[at, k] = w.status[at]

    def _publish_metrics(self) -> None:
        metrics = compute_metrics(self)
        for name, values in metrics.items():
            for econ, value in zip(self.economies, values, strict=True):
                setattr(econ, name, float(value))

    # ------------------------------------------------------------------ running

    def run_months(self, months: int) -> None:
        """Run ``months`` steps."""
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
