"""Everything the model reads from data, gathered before it is built.

The model itself reads no file: :func:`load_inputs` does, through :mod:`displacement_sim.data`,
and a caller may build :class:`ModelInputs` itself (for instance once for many runs).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from displacement_sim.config import Scenario
from displacement_sim.data import (
    EconomyHistory,
    EconomyProfile,
    load_histories,
    load_profile,
    load_profiles,
    world_robot_density,
)
from displacement_sim.drivers import annual_paths, income_elasticities, observed_history
from displacement_sim.errors import ScenarioError

BYTES_PER_AGENT = 128
"""Peak memory per worker agent while a run is built and stepped: the 41 bytes of state
(:class:`~displacement_sim.model.workers.Workers`) and the temporary arrays of construction
and of a month (measured: 96-100 bytes at 1.4 and 4.1 million agents with 40 bytes of state;
95-96 with 41, the same as with 40 in the same measurement), with a margin."""
BYTES_PER_FIRM = 1_000
"""Memory per firm: its columns (88 bytes) and its Mesa agent object (measured: about 430
bytes in all, from 30,800 to 154,000 firms), with a margin."""
BYTES_PER_ECONOMY_MONTH = 25_000
"""Memory per economy and simulated month: the collected indicators (about 330 per row, held
by Mesa's data collector as Python objects) and the results table (measured: about 11,000
bytes), with a margin."""
BASE_BYTES = 400 * 2**20
"""Memory of a process that has imported the package and its compiled kernels (measured:
about 330 MiB)."""
MAX_POPULATION_GROWTH = 100.0
"""The most the working-age population may grow over a run, as a multiple of its start: the
labour force past its data grows at each sex and age group's recent rate (docs/ODD.md,
"Drivers"), which over a long horizon can compound into nonsense (Brunei's grows 170,000-fold
in 100 years), and the model holds a row for every member."""


@dataclass(frozen=True, eq=False)
class ModelInputs:
    """The data one model run needs.

    Attributes
    ----------
    profiles : mapping of str to EconomyProfile
        Each simulated economy's starting state, all in the same year.
    histories : mapping of str to EconomyHistory
        Each simulated economy's annual history (drivers and income elasticities), as the run
        may see it: cut after the economy's ``drivers.observed_until``
        (:func:`~displacement_sim.drivers.observed_history`; :func:`load_inputs` does it, a
        caller that builds the inputs itself must too).
    us_profile : EconomyProfile
        The United States in the start year: the reference for automation costs and for the
        cap on gross flows.
    world_robot_density : float
        World robot density (IFR) nearest the start year: the reference for readiness.
    """

    profiles: Mapping[str, EconomyProfile]
    histories: Mapping[str, EconomyHistory]
    us_profile: EconomyProfile
    world_robot_density: float


def _driver_key(scenario: Scenario, iso: str, name: str) -> str:
    """The key of a driver setting as the scenario sets it: per economy or for all."""
    own = scenario.economy.get(iso, {}).get("drivers", {})  # type: ignore[call-overload]
    return f"economy.{iso}.drivers.{name}" if isinstance(own, dict) and name in own \
        else f"drivers.{name}"


def check_observed_until(scenario: Scenario, start_year: int, source: str) -> None:
    """Raise :class:`ScenarioError` if an economy's ``drivers.observed_until`` is before the
    start year: a run starts from the data of its start year (its profile and the first year
    of its drivers), so it must see them.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    start_year : int
        The run's start year (resolved).
    source : str
        What the scenario came from, named by the error message.

    Raises
    ------
    ScenarioError
        One line naming ``source``, the key, its value and the start year.
    """
    for iso in scenario.economies:
        until = scenario.settings_for(iso).drivers.observed_until
        if until is not None and until < start_year:
            raise ScenarioError(
                f"{source}: key '{_driver_key(scenario, iso, 'observed_until')}': "
                f"observed_until ({until}) is before the start year ({start_year}): a run "
                f"starts from the data of its start year, so it must see them; set it to "
                f"{start_year} or later, or choose a start_year of {until} or earlier")


def load_inputs(scenario: Scenario, profiles: Mapping[str, EconomyProfile] | None = None,
                source: str | None = None) -> ModelInputs:
    """Read what a run of ``scenario`` needs (profiles may be given, the rest is read).

    Each economy's history is cut after its ``drivers.observed_until``
    (:func:`~displacement_sim.drivers.observed_history`), so that nothing in the run (driver
    paths, potential output, the Okun and income elasticities, the burn-in) can read a later
    year; an ``observed_until`` before the start year is refused (:func:`check_observed_until`).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    profiles : mapping of str to EconomyProfile, optional
        The start-year profiles (read when omitted).
    source : str, optional
        What the scenario came from, named by an error message (default: its name).

    Returns
    -------
    ModelInputs

    Raises
    ------
    DataError
        If a data file is missing or malformed, or lacks the start year.
    ScenarioError
        If ``drivers.observed_until`` is before the start year.
    """
    if profiles is None:
        profiles = load_profiles(scenario.economies, scenario.start_year)
    year = next(iter(profiles.values())).year
    check_observed_until(scenario, year, scenario.name if source is None else source)
    us = profiles.get("USA") or load_profile("USA", year)
    histories = {iso: observed_history(h, scenario.settings_for(iso).drivers.observed_until)
                 for iso, h in load_histories(scenario.economies).items()}
    return ModelInputs(profiles=profiles, histories=histories,
                       us_profile=us, world_robot_density=world_robot_density(year))


def check_drivers(scenario: Scenario, source: str, inputs: ModelInputs | None = None) -> None:
    """Raise :class:`ScenarioError` (naming ``source`` and the key) if the driver data do not
    cover the start year of every economy, its ``drivers.observed_until`` is before the start
    year, its working-age population would grow more than ``MAX_POPULATION_GROWTH``-fold over
    the horizon, or the history from which its income elasticities are estimated
    (``drivers.elasticity_since`` to the start year) is empty: before any run is written.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    source : str
        What the scenario came from, named by the error message.
    inputs : ModelInputs, optional
        The run's data (read when omitted).

    Raises
    ------
    ScenarioError
        One line naming ``source``, the key and what was wrong.
    """
    inputs = inputs if inputs is not None else load_inputs(scenario, source=source)
    year = next(iter(inputs.profiles.values())).year
    check_observed_until(scenario, year, source)
    for iso in scenario.economies:
        d = scenario.settings_for(iso).drivers
        try:
            paths = annual_paths(inputs.histories[iso], year, scenario.years,
                                 gdp_growth=d.gdp_growth,
                                 labour_force_growth=d.labour_force_growth, flat=d.flat,
                                 observed_until=d.observed_until)
        except ValueError as exc:
            raise ScenarioError(f"{source}: key 'start_year': {exc}") from None
        pop = paths.labour_force.sum(axis=(1, 2)) / paths.participation.mean(axis=1)
        growth = float(pop.max() / pop[0]) if pop[0] > 0 else float("inf")
        if not growth <= MAX_POPULATION_GROWTH:
            how = ("follows each group's recent growth past the data: shorten the horizon or "
                   "set drivers.labour_force_growth") if d.labour_force_growth is None else \
                f"grows at drivers.labour_force_growth = {d.labour_force_growth:g} a year: " \
                "shorten the horizon or lower it"
            raise ScenarioError(
                f"{source}: key 'years': the working-age population of {iso} would grow "
                f"{growth:,.0f}-fold in {scenario.years} years (more than "
                f"{MAX_POPULATION_GROWTH:.0f}-fold), as its labour force {how}")
        if d.structural_change and not d.flat:
            # The income elasticities need some history up to the start year.
            try:
                income_elasticities(inputs.histories[iso], until_year=year,
                                    since_year=d.elasticity_since)
            except ValueError as exc:
                key = _driver_key(scenario, iso, "elasticity_since")
                raise ScenarioError(f"{source}: key '{key}': {exc} (until_year is the start year)") from None


def machine_memory() -> int | None:
    """The machine's physical memory in bytes (``None`` where the system does not say).

    Returns
    -------
    int or None
        ``SC_PHYS_PAGES`` times ``SC_PAGE_SIZE``.
    """
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _cgroup_limit() -> int | None:
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _address_space_headroom() -> int | None:
    """What a process limit on address space (``ulimit -v``) leaves for a run, or None."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    except (ImportError, ValueError, OSError):
        return None
    if soft == resource.RLIM_INFINITY:
        return None
    used = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                used = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    # Address space runs ahead of the memory in use (allocator arenas, pages kept mapped after
    # a run frees them, compiled code), so a run is given two thirds of what is left: the
    # runs of one process after the first then still fit (seen by benchmarks/fuzz.py).
    return max(soft - used, 0) * 2 // 3


def memory_limit() -> tuple[int, str] | None:
    """The memory a run may use, in bytes, and what sets it: the least of the machine's
    physical memory, its container's limit (cgroup ``memory.max``) and what a process limit on
    address space (``ulimit -v``) leaves; ``None`` where none is known.

    Returns
    -------
    tuple of (int, str) or None
        Bytes, and a phrase naming the limit for messages.
    """
    limits = [(v, what) for v, what in (
        (machine_memory(), "the machine has"),
        (_cgroup_limit(), "the container's memory limit is"),
        (_address_space_headroom(), "the process's address-space limit leaves"))
        if v is not None]
    return min(limits) if limits else None


def run_memory(agents: float, firms: int, economies: int, months: int) -> float:
    """Estimated peak memory of one run, in bytes: ``BASE_BYTES`` plus ``BYTES_PER_AGENT`` per
    worker agent, ``BYTES_PER_FIRM`` per firm and ``BYTES_PER_ECONOMY_MONTH`` per economy and
    month.

    Parameters
    ----------
    agents : float
        Worker agents (rows of the worker table).
    firms : int
        Firms.
    economies : int
        Economies simulated.
    months : int
        Months stepped, burn-in included.

    Returns
    -------
    float
        Bytes.
    """
    return (BASE_BYTES + BYTES_PER_AGENT * float(agents) + BYTES_PER_FIRM * firms
            + BYTES_PER_ECONOMY_MONTH * economies * (months + 1))


def _size(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n < 1e18 else "more than a billion GB"


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e15 else f"{n:.2g}"


def check_memory(agents: float, firms: int, economies: int, months: int, source: str) -> None:
    """Raise :class:`ScenarioError` if a run of this size would not fit in the memory it may
    use (:func:`run_memory` against :func:`memory_limit`).

    Parameters
    ----------
    agents : float
        Worker agents.
    firms : int
        Firms.
    economies : int
        Economies simulated.
    months : int
        Months stepped, burn-in included.
    source : str
        What the scenario came from, named by the error message.

    Raises
    ------
    ScenarioError
        One line: "this run needs about 23.5 GB of memory (...); the machine has 8.0 GB".
    """
    limit = memory_limit()
    need = run_memory(agents, firms, economies, months)
    if limit is not None and not need <= limit[0]:
        raise ScenarioError(
            f"{source}: key 'workers_per_agent': this run needs about {_size(need)} of memory "
            f"({_count(agents)} worker agents); {limit[1]} {_size(limit[0])}: raise "
            "workers_per_agent or lower min_agents_per_economy")


def agent_rows(scenario: Scenario, inputs: ModelInputs) -> np.ndarray:
    """Worker agents per economy that a run of ``scenario`` makes, counted as the model counts
    them (rows for the largest working-age population over the run; the burn-in's past
    population is left out, so this is an estimate).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    inputs : ModelInputs
        The run's data.

    Returns
    -------
    numpy.ndarray
        Agents per economy, as floats (a tiny ``workers_per_agent`` may ask for more than an
        integer holds).
    """
    year = next(iter(inputs.profiles.values())).year
    out = np.zeros(len(scenario.economies))
    for e, iso in enumerate(scenario.economies):
        d = scenario.settings_for(iso).drivers
        paths = annual_paths(inputs.histories[iso], year, scenario.years,
                             gdp_growth=d.gdp_growth, labour_force_growth=d.labour_force_growth,
                             flat=d.flat, observed_until=d.observed_until)
        lf0 = float(paths.labour_force[0].sum())
        pop_max = (paths.labour_force.sum(axis=2) / paths.participation).max(axis=0)
        per_agent = min(scenario.workers_per_agent, lf0 / scenario.min_agents_per_economy)
        with np.errstate(over="ignore", divide="ignore"):
            out[e] = float(np.ceil(pop_max / per_agent).sum())
    return out


def check_resources(scenario: Scenario, source: str, inputs: ModelInputs | None = None) -> None:
    """Raise :class:`ScenarioError` if one run of ``scenario`` would not fit in the machine's
    memory, before anything is built or written (:func:`agent_rows`, :func:`check_memory`).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    source : str
        What the scenario came from, named by the error message.
    inputs : ModelInputs, optional
        The run's data (read when omitted).

    Raises
    ------
    ScenarioError
        Naming the memory the run needs and the machine's.
    """
    inputs = inputs if inputs is not None else load_inputs(scenario)
    n = len(scenario.economies)
    check_memory(float(agent_rows(scenario, inputs).sum()), n * 14 * scenario.firms_per_sector,
                 n, 12 * scenario.years + scenario.burn_in_months, source)


def check_inputs(scenarios: Iterable[Scenario], source: str) -> None:
    """Read the data every scenario needs and check its drivers (:func:`check_drivers`) and
    that one run fits in memory (:func:`check_resources`), once per distinct set of economies,
    start year, horizon, scale and driver settings.

    Workflows call this before they claim a results folder, so that a damaged data file or a
    start year without data is one error (exit code 2) and nothing is written, instead of a
    failed run for every run of the study.

    Parameters
    ----------
    scenarios : iterable of Scenario
        The scenarios of a study (repeats are checked once).
    source : str
        The study, named by the message of a driver error.

    Raises
    ------
    DataError
        If a data file the runs read is missing or malformed, or lacks the start year.
    ScenarioError
        If the driver data do not cover the start year and horizon, or a run would not fit
        in memory.
    """
    seen: set[tuple] = set()
    objects: dict[int, Scenario] = {}  # the replicates of a scenario share one object
    for scenario in scenarios:
        if id(scenario) in objects:
            continue
        objects[id(scenario)] = scenario  # kept, so that its id is not reused
        key = (tuple(scenario.economies), scenario.start_year, scenario.years,
               scenario.workers_per_agent, scenario.min_agents_per_economy,
               scenario.firms_per_sector, scenario.burn_in_months,
               tuple(scenario.settings_for(iso).drivers.model_dump_json()
                     for iso in scenario.economies))
        if key not in seen:
            seen.add(key)
            inputs = load_inputs(scenario)
            check_drivers(scenario, source, inputs)
            check_resources(scenario, source, inputs)  # memory: scale, horizon, burn-in
