"""The policy dashboard: a Mesa SolaraViz page (``displacement-sim dashboard``).

The user picks an economy, sets the levers of :data:`displacement_sim.app.levers.LEVERS` and
sees, against current policy (the baseline scenario), the monthly paths of the employment rate,
unemployment with and without trainees, displaced and re-employed workers and the programme
spending, with the range over replicates.

The model SolaraViz drives is :class:`PolicyExplorer`, a Mesa model whose keyword parameters
are the economy and the levers (Mesa's ``model_params`` convention; SolaraViz's **Reset**
builds a new one from the controls). Building it reads the runs already stored, so results
computed before appear at once; each :meth:`PolicyExplorer.step` (**Step**, or **▶** until
done) computes one more run through :func:`displacement_sim.workflows.execute.execute` and
writes it to a :class:`~displacement_sim.workflows.store.ResultsStore`, one folder per
setting, named by what the runs are (economy, scenario name and settings hash): the same
settings, in any session, are read back and never computed twice.

Start it with ``displacement-sim dashboard`` (docs/dashboard.md), or ``solara run
displacement_sim.app.dashboard``; :func:`configure` (or the ``DISPLACEMENT_SIM_DASHBOARD_*``
environment variables) sets the economy shown first, the scale and the results folder.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import matplotlib.figure
import mesa
import mesa.experimental.scenarios
import pandas as pd
import solara
from mesa.visualization import SolaraViz

from displacement_sim.app.levers import LEVERS, resolved_value, small_scenario, with_levers
from displacement_sim.config import Scenario
from displacement_sim.constants import ECONOMIES, ECONOMY_NAMES
from displacement_sim.errors import RunError, ScenarioError
from displacement_sim.outcomes import INDICATORS
from displacement_sim.resources import output_dir
from displacement_sim.workflows.execute import execute, manifest_for
from displacement_sim.workflows.runs import RunSpec, make_specs, scenario_key
from displacement_sim.workflows.store import ResultsStore

ENV_PREFIX = "DISPLACEMENT_SIM_DASHBOARD_"
"""Environment variables ``<prefix>ECONOMY``, ``REPLICATES``, ``YEARS``, ``AGENTS`` and
``STORE`` configure the page when it is started by ``solara run``."""


@dataclass(frozen=True)
class Panel:
    """One chart of the page: a monthly indicator, in display units.

    Parameters
    ----------
    metric : str
        A column of the results (:data:`displacement_sim.outcomes.INDICATORS`).
    unit : str
        The unit shown.
    scale : float
        Display units per unit of the column (``100`` for a share in percent).
    """

    metric: str
    unit: str
    scale: float = 1.0

    @property
    def label(self) -> str:
        """The indicator's label, from the registry."""
        return INDICATORS[self.metric].label


PANELS: tuple[Panel, ...] = (
    Panel("employment_rate", "% of the labour force", 100.0),
    Panel("unemployment_rate", "%", 100.0),
    Panel("unemployment_rate_incl_training", "% of the labour force", 100.0),
    Panel("displaced_cumulative", "thousand people", 1e-3),
    Panel("displaced_reemployed", "thousand people", 1e-3),
    Panel("spending_total_usd", "USD million a month", 1e-6),
)
"""The charts, in order: employment; unemployment without and with trainees; displaced and
re-employed workers; programme spending."""

REFERENCE = "current policy"
OPTION = "with the levers"
"""The names of the two sets of runs on the page."""

_COLUMNS = ["replicate", "step", "year", *(p.metric for p in PANELS)]
_RUN_LOCK = threading.Lock()
"""One run at a time in the server: sessions share the cores and the store's folders."""


@dataclass
class Settings:
    """What the page starts with: the economy, the scale and the results folder.

    Parameters
    ----------
    economy : str
        ISO3 code of the economy shown first.
    replicates : int
        Runs per setting.
    years : int
        Horizon in years.
    agents : int
        Worker agents.
    store : Path
        The results folder; each setting has a folder in it.
    """

    economy: str = "VNM"
    replicates: int = 4
    years: int = 5
    agents: int = 2000
    store: Path = field(default_factory=lambda: output_dir() / "dashboard")


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """The page's settings from ``DISPLACEMENT_SIM_DASHBOARD_*`` variables (unset: defaults).

    Parameters
    ----------
    environ : mapping, optional
        Default ``os.environ``.

    Returns
    -------
    Settings
        The settings.

    Raises
    ------
    ScenarioError
        If a number is not an integer.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in ("replicates", "years", "agents"):
        text = env.get(ENV_PREFIX + name.upper(), "").strip()
        if text:
            try:
                values[name] = int(text)
            except ValueError:
                raise ScenarioError(f"{ENV_PREFIX}{name.upper()}: expected an integer, got "
                                    f"{text!r}") from None
    if env.get(ENV_PREFIX + "ECONOMY", "").strip():
        values["economy"] = env[ENV_PREFIX + "ECONOMY"].strip().upper()
    if env.get(ENV_PREFIX + "STORE", "").strip():
        values["store"] = Path(env[ENV_PREFIX + "STORE"]).expanduser()
    return Settings(**values)


SETTINGS = settings_from_env()
"""The settings of the page served by this process."""


def configure(settings: Settings) -> None:
    """Set the page's settings (before the page is first served).

    Parameters
    ----------
    settings : Settings
        The economy shown first, the scale and the results folder.
    """
    global SETTINGS
    SETTINGS = settings


def store_folder(root: Path, economy: str, scenario: Scenario) -> Path:
    """The results folder of one setting: ``<root>/<economy>-<name>-<settings hash>``.

    Parameters
    ----------
    root : Path
        The dashboard's results folder.
    economy : str
        ISO3 code.
    scenario : Scenario
        The validated scenario of the runs.

    Returns
    -------
    Path
        The folder (not created).
    """
    return Path(root) / f"{economy}-{scenario.name}-{scenario_key(scenario)[:16]}"


class PolicyExplorer(mesa.Model):
    """Current policy and the levers' setting in one economy, over a few replicates.

    A Mesa model whose keywords are the economy and the levers (display units, as
    :data:`~displacement_sim.app.levers.LEVERS` declares them). A lever at its starting value
    (:attr:`~displacement_sim.app.levers.Lever.start`) keeps current policy: the runs "with
    the levers" differ from the baseline only in the levers that were moved. Replicate ``r``
    of both sets has the same seed (common random numbers).

    Building it reads the runs already in the store; each :meth:`step` computes one more run
    (alternating between the two sets) and stores it; ``running`` turns false when every run
    is stored.

    Parameters
    ----------
    economy : str
        ISO3 code (default: the page's settings).
    replicates, years, agents : int, optional
        The scale (default: the page's settings).
    store : str or Path, optional
        The results folder (default: the page's settings).
    seed : int, optional
        Master seed of the runs (default: the baseline's).
    scenario : mesa.experimental.scenarios.Scenario, optional
        Mesa's own scenario object, which SolaraViz's **Reset** passes on (it holds Mesa's
        random generator, which the runs do not use: their seeds come from ``seed``).
    **levers
        Lever keyword -> value in display units.

    Raises
    ------
    ScenarioError
        If the economy, a lever or a value is invalid.
    """

    def __init__(self, economy: str | None = None, replicates: int | None = None,
                 years: int | None = None, agents: int | None = None,
                 store: str | os.PathLike[str] | None = None, seed: int | None = None,
                 scenario: mesa.experimental.scenarios.Scenario | None = None,
                 **levers: Any) -> None:
        super().__init__(scenario=scenario)
        st = SETTINGS
        self.economy = (economy or st.economy).upper()
        if self.economy not in ECONOMIES:
            raise ScenarioError(f"economy {self.economy!r}: not one of {', '.join(ECONOMIES)}")
        self.root = Path(store) if store is not None else st.store
        base = small_scenario(self.economy, years or st.years, agents or st.agents,
                              replicates or st.replicates)
        if seed is not None:
            base = base.model_copy(update={"seed": int(seed)})
        self.moved = {k: v for k, v in levers.items()
                      if k in LEVERS and v is not None and v != LEVERS[k].start}
        unknown = sorted(set(levers) - set(LEVERS))
        if unknown:
            raise ScenarioError(f"lever {unknown[0]!r}: not a lever "
                                f"(levers: {', '.join(LEVERS)})")
        self.scenarios = {REFERENCE: base}
        if self.moved:
            self.scenarios[OPTION] = with_levers(base, self.moved, name="levers")
        self.specs = {label: make_specs(s) for label, s in self.scenarios.items()}
        self.frames: dict[str, list[pd.DataFrame]] = {label: [] for label in self.scenarios}
        self.pending: list[tuple[str, RunSpec]] = []
        self.from_store = 0
        for replicate in range(base.replicates):
            for label, specs in self.specs.items():
                spec = specs[replicate]
                if not self._read(label, spec):
                    self.pending.append((label, spec))
        self.from_store = sum(len(f) for f in self.frames.values())
        self.running = bool(self.pending)

    @property
    def total(self) -> int:
        """Runs of both sets."""
        return sum(len(s) for s in self.specs.values())

    @property
    def done(self) -> int:
        """Runs stored (read back or computed)."""
        return sum(len(f) for f in self.frames.values())

    def _store(self, label: str) -> ResultsStore:
        return ResultsStore(store_folder(self.root, self.economy, self.scenarios[label]))

    def _read(self, label: str, spec: RunSpec) -> bool:
        """Read a stored run into the frames; ``False`` if it is not stored."""
        store = self._store(label)
        if spec.run_id not in store.done():
            return False
        self.frames[label].append(store.read_run(spec.run_id, columns=_COLUMNS))
        return True

    def step(self) -> None:
        """Compute the next run that is not stored yet, store it and read it in."""
        if not self.pending:
            self.running = False
            return
        label, spec = self.pending[0]
        store = self._store(label)
        with _RUN_LOCK:
            if spec.run_id not in store.done():  # another session may have stored it
                specs = self.specs[label]
                definition = {"dashboard": {"economy": self.economy, "levers": self.moved}}
                store.open(manifest_for(spec.name, specs, spec.master_seed, definition))
                try:
                    summary = execute([spec], store, "sequential", progress=False)
                finally:
                    store.close()
                if summary["failed"]:
                    error = store.failed().get(spec.run_id, "")
                    raise RunError(f"run {spec.run_id} failed: {error} (record in "
                                   f"{store.errors})")
        self.pending.pop(0)
        self._read(label, spec)
        self.running = bool(self.pending)

    def paths(self, metric: str) -> pd.DataFrame:
        """Mean and range over the stored replicates of one indicator, per set and month.

        Parameters
        ----------
        metric : str
            A column of the results.

        Returns
        -------
        pandas.DataFrame
            Columns ``set``, ``year``, ``mean``, ``low``, ``high``, ``runs``.
        """
        rows = []
        for label, frames in self.frames.items():
            if not frames:
                continue
            df = pd.concat(frames, ignore_index=True)
            g = df.groupby("year")[metric]
            rows.append(pd.DataFrame({"set": label, "mean": g.mean(), "low": g.min(),
                                      "high": g.max(), "runs": g.size()}).reset_index())
        if not rows:
            return pd.DataFrame(columns=["set", "year", "mean", "low", "high", "runs"])
        return pd.concat(rows, ignore_index=True)

    def horizon(self) -> pd.DataFrame:
        """Each chart's indicator in the last month: mean over the stored replicates.

        Returns
        -------
        pandas.DataFrame
            One row per chart: ``indicator``, ``unit``, one column per set of runs (display
            units) and ``difference`` when both sets have runs.
        """
        rows = []
        for panel in PANELS:
            p = self.paths(panel.metric)
            row: dict[str, Any] = {"indicator": panel.label, "unit": panel.unit}
            for label in self.scenarios:
                last = p[p["set"] == label]
                row[label] = (float(last["mean"].iloc[-1]) * panel.scale if len(last)
                              else float("nan"))
            if OPTION in row:
                row["difference"] = row[OPTION] - row[REFERENCE]
            rows.append(row)
        return pd.DataFrame(rows)


def figure(model: PolicyExplorer) -> matplotlib.figure.Figure:
    """The paths of :data:`PANELS`: mean and range over replicates, per set of runs.

    Parameters
    ----------
    model : PolicyExplorer
        The runs.

    Returns
    -------
    matplotlib.figure.Figure
        Six panels, current policy in grey, the levers' setting in blue.
    """
    fig = matplotlib.figure.Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, 3)
    colours = {REFERENCE: "0.35", OPTION: "tab:blue"}
    for ax, panel in zip(axes.flat, PANELS, strict=True):
        p = model.paths(panel.metric)
        for label in model.scenarios:
            d = p[p["set"] == label]
            if d.empty:
                continue
            ax.fill_between(d["year"], d["low"] * panel.scale, d["high"] * panel.scale,
                            color=colours[label], alpha=0.2, linewidth=0)
            ax.plot(d["year"], d["mean"] * panel.scale, color=colours[label],
                    label=f"{label} ({int(d['runs'].iloc[-1])} runs)")
        ax.set_title(panel.label, fontsize=10)
        ax.set_ylabel(panel.unit, fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    if axes.flat[0].lines:
        axes.flat[0].legend(fontsize=8, loc="best")
    fig.suptitle(f"{ECONOMY_NAMES[model.economy]}: mean and range over replicates",
                 fontsize=11)
    return fig


def _number(value: float) -> str:
    return "–" if value != value else f"{value:,.2f}"  # NaN: no run yet


def Progress(model: PolicyExplorer) -> solara.Column:
    """Runs stored against runs wanted, and what the page shows.

    Parameters
    ----------
    model : PolicyExplorer
        The runs.

    Returns
    -------
    solara.Column
        The progress bar and its caption.
    """
    with solara.Column() as column:
        share = 100.0 * model.done / model.total
        solara.ProgressLinear(value=share, color="primary")
        state = "all runs stored" if not model.pending else \
            "press ▶ (or Step) to compute the rest"
        solara.Text(f"Runs: {model.done} of {model.total} stored ({model.from_store} read "
                    f"from the results store); {state}.", classes=["dashboard-progress"])
        moved = ", ".join(f"{LEVERS[k].label} = {v}" for k, v in model.moved.items())
        solara.Text(f"Levers moved from current policy: {moved or 'none'}.")
    return column


def Paths(model: PolicyExplorer) -> solara.FigureMatplotlib:
    """The charts of :func:`figure`.

    Parameters
    ----------
    model : PolicyExplorer
        The runs.

    Returns
    -------
    solara.FigureMatplotlib
        The figure, as PNG.
    """
    return solara.FigureMatplotlib(figure(model), format="png", dpi=80)


def _table(header: list[str], rows: list[list[str]], css: str) -> str:
    """An HTML table (escaped): solara's Markdown would load KaTeX, which is not shipped."""
    def cells(tag: str, values: list[str]) -> str:
        return "".join(f"<{tag}>{escape(v)}</{tag}>" for v in values)

    body = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
    return (f'<table class="{css}" style="border-collapse: collapse; font-size: 14px">'
            f"<thead><tr>{cells('th', header)}</tr></thead><tbody>{body}</tbody></table>")


def Horizon(model: PolicyExplorer) -> solara.Column:
    """The plotted values in the last month, and the levers in effect.

    Parameters
    ----------
    model : PolicyExplorer
        The runs.

    Returns
    -------
    solara.Column
        Two tables (classes ``dashboard-horizon`` and ``dashboard-levers``).
    """
    table = model.horizon()
    sets = list(model.scenarios) + (["difference"] if OPTION in model.scenarios else [])
    values = [[row["indicator"], row["unit"], *(_number(row[s]) for s in sets)]
              for _, row in table.iterrows()]
    option = model.scenarios.get(OPTION, model.scenarios[REFERENCE])
    levers = []
    for lever in LEVERS.values():
        now = lever.to_display(resolved_value(model.scenarios[REFERENCE], model.economy,
                                              lever.path))
        set_ = lever.to_display(resolved_value(option, model.economy, lever.path))
        levers.append([f"{lever.label} ({lever.unit or '-'})", lever.path, str(now),
                       str(set_)])
    with solara.Column() as column:
        solara.HTML(unsafe_innerHTML=_table(["At the horizon", "unit", *sets], values,
                                            "dashboard-horizon"))
        solara.HTML(unsafe_innerHTML=_table(["Lever", "config path", "current policy",
                                             "in these runs"], levers, "dashboard-levers"))
    return column


def model_params() -> dict[str, Any]:
    """The page's controls in Mesa's ``model_params`` format: economy, levers, fixed scale.

    Returns
    -------
    dict
        Keyword -> control (or fixed value) of :class:`PolicyExplorer`.
    """
    st = SETTINGS
    return {
        "economy": {"type": "Select", "label": "Economy", "value": st.economy,
                    "values": list(ECONOMIES)},
        **{name: lever.user_param() for name, lever in LEVERS.items()},
        "replicates": st.replicates, "years": st.years, "agents": st.agents,
        "store": str(st.store),
    }


def make_page() -> Any:
    """The SolaraViz page of :class:`PolicyExplorer` at the current settings.

    Returns
    -------
    solara element
        The page (``solara run`` serves a module's ``page``).
    """
    params = model_params()
    start = {k: (v["value"] if isinstance(v, dict) else v) for k, v in params.items()}
    return SolaraViz(PolicyExplorer(**start), components=[Progress, Paths, Horizon],
                     model_params=params, play_interval=50,
                     name="Automation, displacement and reskilling: policy levers")


page = make_page()
"""The page ``solara run displacement_sim.app.dashboard`` serves."""


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page (blocks until interrupted).

    Parameters
    ----------
    settings : Settings
        The economy shown first, the scale and the results folder.
    host : str
        Address to listen on (default ``127.0.0.1``: this machine only).
    port : int
        Port (default 8765).
    """
    from solara.__main__ import cli

    global page
    configure(settings)
    page = make_page()
    env = {"ECONOMY": settings.economy, "REPLICATES": str(settings.replicates),
           "YEARS": str(settings.years), "AGENTS": str(settings.agents),
           "STORE": str(Path(settings.store).resolve())}
    os.environ.update({ENV_PREFIX + k: v for k, v in env.items()})
    cli(["run", __name__, "--host", host, "--port", str(port), "--production", "--no-open",
         "--log-level", "warning"], standalone_mode=False)


def precompute(settings: Settings, economies: list[str] | None = None,
               executor: Any = "processes", progress: bool = True) -> None:
    """Store the current-policy runs of economies, so the page shows them at once.

    Parameters
    ----------
    settings : Settings
        The scale and the results folder.
    economies : list of str, optional
        ISO3 codes (default: the settings' economy).
    executor : str or executor
        Where the runs execute (default local processes).
    progress : bool
        Show a progress bar.
    """
    for iso in economies or [settings.economy]:
        iso = iso.upper()
        s = small_scenario(iso, settings.years, settings.agents, settings.replicates)
        specs = make_specs(s)
        store = ResultsStore(store_folder(Path(settings.store), iso, s))
        store.open(manifest_for(s.name, specs, s.seed,
                                {"dashboard": {"economy": iso, "levers": {}}}))
        try:
            execute(specs, store, executor, progress=progress, desc=f"{iso} current policy")
        finally:
            store.close()


__all__ = ["PANELS", "Panel", "PolicyExplorer", "Settings", "configure", "figure",
           "make_page", "model_params", "page", "precompute", "serve", "settings_from_env",
           "store_folder"]
