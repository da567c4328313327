"""Policy levers as keyword parameters of the model, declared once.

:data:`LEVERS` is the table of the levers a policymaker can set: each lever's keyword, its
config path (a dotted path of the scenario files, docs/scenarios.md), its label, its unit, its
bounds and its step as shown to the user. The dashboard's controls, the keyword parameters of
:class:`LeverModel` and :class:`~displacement_sim.app.dashboard.PolicyExplorer` (Mesa's
``model_params`` convention), the docs (docs/dashboard.md) and the tests read this table.

Values are given in display units (``% of GDP``, ``% of the wage``, ...): ``Lever.scale`` turns
them into the config's units (shares), and :func:`lever_updates` maps keyword values onto
config paths, which :func:`displacement_sim.scenarios.with_updates` applies and validates on top
of a scenario file. Nothing in the model changes: the keywords become a scenario.

A lever's ``start`` is the value the schema gives when no scenario file sets it, which is the
shipped baseline's current policy in every economy except the United States' unemployment
insurance (40% of the wage for 6 months in ``scenarios/baseline.toml``).

The digital-access lever (rural internet access, docs/ODD.md 7.18) and technology transfer to
training providers (7.7) are levers like the others. A typhoon (7.17) is a scenario, not a
lever: the page's runs start from the baseline, which has none, so its recovery speed would
change nothing here (``scenarios/compare/phl_disaster_response.toml`` compares it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from displacement_sim.config import EconomySettings, RegionalCentre, Scenario
from displacement_sim.errors import ScenarioError
from displacement_sim.model import DisplacementModel
from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.seeding import SeedLike

LeverKind = Literal["float", "int", "choice", "bool"]
"""How a lever is set: a float or integer slider, a choice among values, or a switch."""


@dataclass(frozen=True)
class Lever:
    """One policy lever: a keyword, the config path it sets, and how it is shown.

    Parameters
    ----------
    name : str
        The keyword (``LeverModel(capacity_spending=0.5)``).
    path : str
        The dotted config path it sets, as in scenario files and ``--set``: a parameter
        section (``policy.``, ``automation.``) sets it for every simulated economy,
        ``regional_centre.`` the regional centre.
    label : str
        Plain-language name, shown beside the control.
    unit : str
        Unit of the value the user gives (display units).
    kind : str
        One of :data:`LeverKind`.
    low, high, step : float
        Bounds and step of a slider, in display units (unused for a choice or a switch).
    scale : float
        Display units per config unit: ``100`` for a share shown in percent.
    choices : tuple of str
        The values of a choice.
    help : str
        What the lever does, in one sentence (docs/dashboard.md).
    """

    name: str
    path: str
    label: str
    unit: str
    kind: LeverKind
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    scale: float = 1.0
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def start(self) -> Any:
        """The starting value, in display units: the schema's default of :attr:`path`."""
        return self.to_display(schema_default(self.path))

    def to_config(self, value: Any) -> Any:
        """A value in display units as the config takes it (``0.5`` % -> ``0.005``).

        Parameters
        ----------
        value : Any
            The value in display units.

        Returns
        -------
        Any
            The config value: a float, an int, a string or a bool.
        """
        if self.kind == "float":
            return round(float(value) / self.scale, 12)
        if self.kind == "int":
            return int(round(float(value) / self.scale))
        if self.kind == "bool":
            return bool(value)
        return str(value)

    def to_display(self, value: Any) -> Any:
        """A config value in display units (``0.005`` -> ``0.5`` %).

        Parameters
        ----------
        value : Any
            The config value.

        Returns
        -------
        Any
            The value in display units.
        """
        if self.kind == "float":
            return round(float(value) * self.scale, 10)
        if self.kind == "int":
            return int(round(value * self.scale))
        return value

    def user_param(self) -> dict[str, Any]:
        """The control of this lever in Mesa's ``model_params`` format (SolaraViz).

        Returns
        -------
        dict
            ``{"type": "SliderFloat" | "SliderInt" | "Select" | "Checkbox", "label": ...,
            "value": <start>, ...}``.
        """
        label = f"{self.label} ({self.unit})" if self.unit else self.label
        if self.kind == "choice":
            return {"type": "Select", "label": label, "value": self.start,
                    "values": list(self.choices)}
        if self.kind == "bool":
            return {"type": "Checkbox", "label": label, "value": self.start}
        slider = "SliderFloat" if self.kind == "float" else "SliderInt"
        cast = float if self.kind == "float" else int
        return {"type": slider, "label": label, "value": self.start, "min": cast(self.low),
                "max": cast(self.high), "step": cast(self.step)}


LEVERS: dict[str, Lever] = {lever.name: lever for lever in (
    Lever("capacity_spending", "policy.capacity_building.share_of_gdp",
          "Capacity-building spending", "% of GDP a year", "float", 0.0, 1.0, 0.05, 100.0,
          help="Annual spending on training slots, on top of any fixed amount (the US keeps "
               "WIOA's USD 1.8 billion)."),
    Lever("eligibility", "policy.capacity_building.eligibility", "Who may enrol", "",
          "choice", choices=("unemployed", "displaced"),
          help="Every unemployed worker, or only workers displaced by automation."),
    Lever("priority", "policy.capacity_building.priority", "Who goes first", "", "choice",
          choices=("displaced_first", "long_term_first", "lottery"),
          help="The order in which training slots are filled."),
    Lever("hiring_subsidy", "policy.hiring_subsidy.share_of_wage", "Hiring subsidy",
          "% of the wage", "float", 0.0, 50.0, 5.0, 100.0,
          help="Paid to employers who hire a displaced worker."),
    Lever("hiring_subsidy_months", "policy.hiring_subsidy.months", "Hiring subsidy paid for",
          "months", "int", 0, 36, 1,
          help="Months the subsidy is paid after a hire."),
    Lever("benefit_replacement", "policy.benefits.replacement_rate", "Unemployment benefit",
          "% of the last wage", "float", 0.0, 80.0, 5.0, 100.0,
          help="Unemployment insurance as a share of the last wage."),
    Lever("benefit_months", "policy.benefits.max_months", "Benefit paid for", "months", "int",
          0, 24, 1, help="Months of entitlement from the start of a spell."),
    Lever("digital_access", "policy.digital_access.share_of_gdp",
          "Rural internet access spending", "% of GDP a year", "float", 0.0, 0.5, 0.01, 100.0,
          help="Connects rural people without internet access at about USD 143 a person "
               "(ITU 2020): trainees online complete more often, and firms adopt automation "
               "faster where more people are online."),
    Lever("transfer_to_trainers", "policy.tech_transfer_training",
          "Technology transfer to training providers", "% off a training place", "float", 0.0,
          50.0, 5.0, 100.0,
          help="Partners' trainers, curricula and equipment make a national training place "
               "cheaper, so the same budget trains more people (a lever of assumed size)."),
    Lever("transfer_to_firms", "policy.tech_transfer",
          "Technology transfer to firms", "% off automating", "float", 0.0, 50.0, 5.0, 100.0,
          help="Automation technology made cheaper for firms: more adoption, so more "
               "displacement."),
    Lever("automation_tax", "policy.automation_tax", "Automation tax", "% of its cost",
          "float", 0.0, 50.0, 5.0, 100.0,
          help="Raises the cost of automating by this share."),
    Lever("regional_centre", "regional_centre.enabled", "Member of the regional centre", "",
          "bool", help="The economy pools training slots in the ASEAN regional centre of "
                       "excellence (ASEAN members only; the US is not a member)."),
    Lever("regional_contribution", "regional_centre.contribution_share_of_gdp",
          "Contribution to the regional centre", "% of GDP a year", "float", 0.0, 0.5, 0.05,
          100.0, help="Each member's annual contribution to the centre's training slots."),
    Lever("automation_cost_decline", "automation.cost_decline_per_year",
          "Automation cost decline", "% a year", "float", 0.0, 20.0, 1.0, 100.0,
          help="How fast automation gets cheaper: the pace of automation (fast_automation: "
               "12%, slow_automation: 3%)."),
    Lever("adoption_speed", "automation.adoption_hazard", "Adoption speed",
          "% of firms a month", "float", 0.0, 10.0, 0.5, 100.0,
          help="Monthly chance that a firm for which automation pays adopts it "
               "(fast_automation doubles it)."),
)}
"""Every lever, by keyword, in the order the dashboard shows them."""


def schema_default(path: str) -> Any:
    """The value the scenario schema gives ``path`` when no file sets it.

    Parameters
    ----------
    path : str
        A dotted config path under a parameter section (``policy.automation_tax``) or
        ``regional_centre``.

    Returns
    -------
    Any
        The default value.
    """
    keys = path.split(".")
    node: Any = RegionalCentre() if keys[0] == "regional_centre" else EconomySettings()
    for key in keys[1:] if keys[0] == "regional_centre" else keys:
        node = getattr(node, key)
    return node


def resolved_value(scenario: Scenario, economy: str, path: str) -> Any:
    """The value of a config path in effect for one economy of a validated scenario.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    economy : str
        ISO3 code.
    path : str
        A dotted config path under a parameter section or ``regional_centre``.

    Returns
    -------
    Any
        The resolved value (per-economy overrides merged in).
    """
    keys = path.split(".")
    node: Any = scenario.regional_centre if keys[0] == "regional_centre" \
        else scenario.settings_for(economy.upper())
    for key in keys[1:] if keys[0] == "regional_centre" else keys:
        node = getattr(node, key)
    return node


def lever_updates(values: Mapping[str, Any]) -> dict[str, Any]:
    """Map lever keywords (display units) onto config paths and config values.

    ``None`` leaves a lever unset (the scenario's value stays).

    Parameters
    ----------
    values : mapping
        Lever keyword -> value in display units.

    Returns
    -------
    dict
        Config path -> config value, for :func:`displacement_sim.scenarios.with_updates`.

    Raises
    ------
    ScenarioError
        If a keyword is not a lever, or a choice is not one of its values.

    Examples
    --------
    >>> lever_updates({"capacity_spending": 0.5, "automation_tax": None})
    {'policy.capacity_building.share_of_gdp': 0.005}
    """
    updates = {}
    for name, value in values.items():
        lever = LEVERS.get(name)
        if lever is None:
            raise ScenarioError(f"lever {name!r}: not a lever (levers: {', '.join(LEVERS)})")
        if value is None:
            continue
        if lever.kind == "choice" and value not in lever.choices:
            raise ScenarioError(f"lever {name!r}: expected one of {', '.join(lever.choices)}; "
                                f"got {value!r}")
        updates[lever.path] = lever.to_config(value)
    return updates


def with_levers(scenario: Scenario, values: Mapping[str, Any], name: str | None = None
                ) -> Scenario:
    """A scenario with lever values set on top (validated as a scenario file would be).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario (e.g. the baseline).
    values : mapping
        Lever keyword -> value in display units; ``None`` leaves a lever unset.
    name : str, optional
        A new name for the scenario (default: keep the name). Runs are keyed by what they
        are, so two names give two sets of runs.

    Returns
    -------
    Scenario
        The new scenario.

    Raises
    ------
    ScenarioError
        If a keyword is not a lever or a value is out of the config's bounds (one line naming
        the lever's config path).
    """
    updates = lever_updates(values)
    if name is not None:
        updates = {"name": name, **updates}
    return with_updates(scenario, updates, source="levers") if updates else scenario


def small_scenario(economy: str, years: int = 5, agents: int = 2000, replicates: int = 4,
                   firms_per_sector: int = 10, base: str = "baseline") -> Scenario:
    """The dashboard's scale: one economy, a short horizon, a few thousand agents.

    Parameters
    ----------
    economy : str
        ISO3 code (any case).
    years : int
        Horizon in years (default 5).
    agents : int
        Worker agents (default 2,000): each stands for the labour force / ``agents`` people.
    replicates : int
        Runs per setting (default 4).
    firms_per_sector : int
        Firms per sector (default 10).
    base : str
        The scenario file or shipped name the levers apply to (default ``"baseline"``: current
        policy).

    Returns
    -------
    Scenario
        The validated scenario.
    """
    scenario = load_scenario(base, economies=[economy.upper()], years=years,
                             replicates=replicates)
    # A huge upper bound on people per agent: the economy then has exactly ``agents`` agents.
    return with_updates(scenario, {"workers_per_agent": 1e12, "min_agents_per_economy": agents,
                                   "firms_per_sector": firms_per_sector}, source="dashboard")


class LeverModel(DisplacementModel):
    """:class:`~displacement_sim.model.DisplacementModel` with the policy levers as keywords.

    Mesa's ``model_params`` convention: every lever of :data:`LEVERS` is a keyword argument,
    set on top of a scenario (by default the baseline at the dashboard's small scale, for one
    economy). A lever given as ``None`` (the default) keeps the scenario's value.

    Parameters
    ----------
    economy : str
        ISO3 code of the economy to simulate (ignored when ``scenario`` is given).
    scenario : Scenario, optional
        The scenario the levers apply to (default :func:`small_scenario` of ``economy``).
    seed : int or numpy.random.SeedSequence, optional
        The run's seed (default: the scenario's master seed).
    **levers
        Lever keyword -> value in display units (``capacity_spending=0.5`` is 0.5% of GDP).

    Raises
    ------
    ScenarioError
        If a keyword is not a lever or a value is out of bounds.
    """

    def __init__(self, economy: str = "VNM", scenario: Scenario | None = None,
                 seed: SeedLike | None = None, **levers: Any) -> None:
        base = small_scenario(economy) if scenario is None else scenario
        super().__init__(with_levers(base, levers), seed=seed)
        self.levers = {k: v for k, v in levers.items() if v is not None}


__all__ = ["LEVERS", "Lever", "LeverKind", "LeverModel", "lever_updates", "resolved_value",
           "schema_default", "small_scenario", "with_levers"]
