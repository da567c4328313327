"""Everything the model reads from data, gathered before it is built.

The model itself reads no file: :func:`load_inputs` does, through :mod:`displacement_sim.data`,
and a caller may build :class:`ModelInputs` itself (for instance once for many runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from displacement_sim.config import Scenario
from displacement_sim.data import (
    EconomyHistory,
    EconomyProfile,
    load_histories,
    load_profile,
    load_profiles,
    world_robot_density,
)
from displacement_sim.drivers import annual_paths
from displacement_sim.errors import ScenarioError


@dataclass(frozen=True, eq=False)
class ModelInputs:
    """The data one model run needs.

    Attributes
    ----------
    profiles : mapping of str to EconomyProfile
        Each simulated economy's starting state, all in the same year.
    histories : mapping of str to EconomyHistory
        Each simulated economy's annual history (drivers and income elasticities).
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


def load_inputs(scenario: Scenario,
                profiles: Mapping[str, EconomyProfile] | None = None) -> ModelInputs:
    """Read what a run of ``scenario`` needs (profiles may be given, the rest is read)."""
    if profiles is None:
        profiles = load_profiles(scenario.economies, scenario.start_year)
    year = next(iter(profiles.values())).year
    us = profiles.get("USA") or load_profile("USA", year)
    return ModelInputs(profiles=profiles, histories=load_histories(scenario.economies),
                       us_profile=us, world_robot_density=world_robot_density(year))


def check_drivers(scenario: Scenario, source: str, inputs: ModelInputs | None = None) -> None:
    """Raise :class:`ScenarioError` (naming ``source`` and ``start_year``) if the driver data
    do not cover the start year of every economy, before any run is written."""
    inputs = inputs if inputs is not None else load_inputs(scenario)
    year = next(iter(inputs.profiles.values())).year
    for iso in scenario.economies:
        d = scenario.settings_for(iso).drivers
        try:
            annual_paths(inputs.histories[iso], year, scenario.years, gdp_growth=d.gdp_growth,
                         labour_force_growth=d.labour_force_growth, flat=d.flat)
        except ValueError as exc:
            raise ScenarioError(f"{source}: key 'start_year': {exc}") from None


def check_inputs(scenarios: Iterable[Scenario], source: str) -> None:
    """Read the data every scenario needs and check its drivers (:func:`check_drivers`), once
    per distinct set of economies, start year, horizon and driver settings.

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
        If the driver data do not cover the start year and horizon.
    """
    seen: set[tuple] = set()
    objects: dict[int, Scenario] = {}  # the replicates of a scenario share one object
    for scenario in scenarios:
        if id(scenario) in objects:
            continue
        objects[id(scenario)] = scenario  # kept, so that its id is not reused
        key = (tuple(scenario.economies), scenario.start_year, scenario.years,
               tuple(scenario.settings_for(iso).drivers.model_dump_json()
                     for iso in scenario.economies))
        if key not in seen:
            seen.add(key)
            check_drivers(scenario, source)
