"""Every option of every ``displacement-sim`` command does what its help says.

Three kinds of test:

- Pass-through: each option reaches the :mod:`displacement_sim.api` function of its command
  with its value (the API function is replaced by a recorder; nothing runs).
  :func:`test_every_option_is_tested` fails when an option is added without a test here.
- Effect: the real API runs up to the point where runs would start (the store or the workflow
  is replaced), and the validated study shows the option's effect (``--set``, ``--seed``,
  lower-case economy codes).
- Errors: every bad value is one line ``error: ...``, exit code 2, no traceback, nothing written.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest

from displacement_sim import __version__, api
from displacement_sim.cli import CliExecutor, build_parser, main, parse_assignment
from displacement_sim.errors import ScenarioError
from displacement_sim.resources import calibration_dir
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario
from displacement_sim.targets import TARGET_SERIES
from displacement_sim.workflows import batch as batch_workflow
from displacement_sim.workflows import calibration as calibration_workflow
from displacement_sim.workflows import comparison as comparison_workflow
from displacement_sim.workflows import executors
from displacement_sim.workflows import sensitivity as sensitivity_workflow

REPO = Path(__file__).resolve().parents[1]
BATCH = SCENARIO_DIR / "batches" / "smoke.toml"
COMPARE = SCENARIO_DIR / "compare" / "reskilling_options.toml"
SENSITIVITY = SCENARIO_DIR / "sensitivity" / "capacity_building.toml"
CALIBRATION = calibration_dir() / "calibration.toml"

COMMAND_ARGS: dict[str, list[str]] = {
    "run": ["run", "baseline"],
    "batch": ["batch", str(BATCH)],
    "summarize": ["summarize", "outputs/somewhere"],
    "sensitivity": ["sensitivity", str(SENSITIVITY)],
    "calibrate": ["calibrate", str(CALIBRATION)],
    "compare": ["compare", str(COMPARE)],
    "validate": ["validate", str(CALIBRATION), "--origins", "2013"],
    "discover": ["discover", "outputs/sweep", "--outcome", "reemployed_24m", "--threshold",
                 "reference"],
    "brief": ["brief", "outputs/cmp"],
    "dashboard": ["dashboard"],
}
"""Each command with its positional argument: the start of every command line under test."""

API_FUNCTION = {"run": "run", "batch": "batch", "summarize": "summarize",
                "sensitivity": "sensitivity", "calibrate": "calibrate", "compare": "compare",
                "validate": "validate", "discover": "discover", "brief": "brief",
                "dashboard": "dashboard"}
"""The API function each command calls."""

RUNNING = ("run", "batch", "sensitivity", "calibrate", "compare", "validate")
"""The commands that run scenarios (executor options, ``--set``)."""

SETS = ["--set", "policy.automation_tax=0.1", "--set", "economy.VNM.training.duration_months=6"]
SET_VALUES = {"policy.automation_tax": 0.1, "economy.VNM.training.duration_months": 6}


class Captured(Exception):  # noqa: N818 - a signal, not an error
    """Raised by a stand-in where runs would start, carrying what it was given."""

    def __init__(self, *args: Any) -> None:
        super().__init__("captured")
        self.values = args


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The single line on stderr (asserting that there is one and no traceback)."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


# ------------------------------------------------------------------ pass-through


class _Store:
    def __init__(self, root: Path) -> None:
        self.root = self.errors = root

    def failed(self) -> dict[str, str]:
        return {}

    def done(self) -> set[str]:
        return {"r0"}


RUNS = {"total": 1, "skipped": 0, "done": 1, "failed": 0}


class Recorder:
    """Stands in for an API function: records its arguments by name, returns a stub."""

    def __init__(self, name: str, result: Any) -> None:
        self.signature = inspect.signature(getattr(api, name))
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        self.calls.append(dict(bound.arguments))
        return self.result


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Recorder]:
    """Every API function replaced by a recorder."""
    from displacement_sim.reporting import sensitivity as sensitivity_report

    store = _Store(tmp_path)
    results = {
        "run": SimpleNamespace(store=store, runs=RUNS, history=None),
        "batch": (store, RUNS),
        "summarize": [],
        "sensitivity": SimpleNamespace(),
        "calibrate": {},
        "compare": SimpleNamespace(store=store, runs=RUNS, report=[]),
        "validate": SimpleNamespace(scores={"headline": pd.DataFrame({"origin": ["2013"]})},
                                    out=tmp_path),
        "discover": SimpleNamespace(paths=[], discovery=SimpleNamespace(
            chosen=0, n_failing=1, n_cases=2, trajectory=pd.DataFrame(
                {"box": [0], "coverage": [1.0], "density": [0.5], "restricted": [0]}))),
        "brief": [],
        "dashboard": None,
    }
    recorders = {name: Recorder(name, result) for name, result in results.items()}
    for name, recorder in recorders.items():
        monkeypatch.setattr(api, name, recorder)
    # No scheduler listens at tcp://host:8786: the probe (tests/test_executors.py) is skipped.
    monkeypatch.setattr(executors, "probe_scheduler", lambda address, timeout=5.0: address)
    monkeypatch.setattr(sensitivity_report, "sensitivity_summary", lambda result: "summary")
    return recorders


def call(fake_api: dict[str, Recorder], command: str, *options: str) -> dict[str, Any]:
    """Run ``command`` with ``options``; the arguments its API function received."""
    assert main([*COMMAND_ARGS[command], *options]) == 0
    calls = fake_api[API_FUNCTION[command]].calls
    assert len(calls) == 1
    return calls[0]


def received(arguments: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` (an argument, or a key of the ``overrides`` mapping)."""
    value: Any = arguments
    for key in path:
        value = value[key]
    return value


PASS_THROUGH: list[tuple[str, list[str], tuple[str, ...], Any]] = [
    # run
    ("run", [], ("scenario",), "baseline"),
    ("run", ["--seed", "7"], ("overrides", "seed"), 7),
    ("run", ["--replicates", "3"], ("overrides", "replicates"), 3),
    ("run", ["--economies", "vnm, THA"], ("overrides", "economies"), ["vnm", "THA"]),
    ("run", ["--start-year", "2010"], ("overrides", "start_year"), 2010),
    ("run", ["--years", "4"], ("overrides", "years"), 4),
    ("run", ["--workers-per-agent", "2500"], ("overrides", "workers_per_agent"), 2500.0),
    ("run", ["--out", "o"], ("out",), Path("o")),
    ("run", [], ("figures",), True),
    ("run", ["--no-figures"], ("figures",), False),
    ("run", SETS, ("updates",), SET_VALUES),
    # batch
    ("batch", [], ("file",), BATCH),
    ("batch", ["--out", "o"], ("out",), Path("o")),
    ("batch", ["--seed", "3"], ("overrides",), {"seed": 3}),
    ("batch", [], ("overrides",), {}),
    ("batch", SETS, ("updates",), SET_VALUES),
    # summarize
    ("summarize", [], ("results",), Path("outputs/somewhere")),
    ("summarize", [], ("metrics",), None),
    ("summarize", ["--metrics", "unemployment_rate, employed"], ("metrics",),
     ["unemployment_rate", "employed"]),
    # sensitivity
    ("sensitivity", [], ("spec",), SENSITIVITY),
    ("sensitivity", ["--out", "o"], ("out",), Path("o")),
    ("sensitivity", ["--n", "8"], ("overrides",), {"n": 8}),
    ("sensitivity", ["--replicates", "3"], ("overrides",), {"replicates": 3}),
    ("sensitivity", ["--seed", "5"], ("overrides",), {"seed": 5}),
    ("sensitivity", ["--years", "2"], ("overrides",), {"years": 2}),
    ("sensitivity", ["--workers-per-agent", "9000"], ("overrides",),
     {"workers_per_agent": 9000.0}),
    ("sensitivity", ["--economies", "vnm,tha"], ("overrides",), {"economies": ["vnm", "tha"]}),
    ("sensitivity", SETS, ("updates",), SET_VALUES),
    # calibrate
    ("calibrate", [], ("config",), CALIBRATION),
    ("calibrate", ["--economies", "VNM,tha"], ("economies",), ["VNM", "tha"]),
    ("calibrate", [], ("economies",), None),
    ("calibrate", ["--train-until", "2015"], ("train_until",), 2015),
    ("calibrate", ["--seed", "4"], ("seed",), 4),
    ("calibrate", ["--out", "o"], ("out",), Path("o")),
    ("calibrate", [], ("update_shipped",), False),
    ("calibrate", ["--update-shipped"], ("update_shipped",), True),
    ("calibrate", SETS, ("updates",), SET_VALUES),
    ("calibrate", ["--docs", "d.md"], ("docs",), Path("d.md")),
    ("calibrate", [], ("replay",), None),
    ("calibrate", ["--docs", "d.md", "--replay", "outputs/h"], ("replay",), Path("outputs/h")),
    # compare
    ("compare", [], ("file",), COMPARE),
    ("compare", ["--out", "o"], ("out",), Path("o")),
    ("compare", ["--report-dir", "r"], ("report_dir",), Path("r")),
    ("compare", ["--seed", "6"], ("overrides",), {"seed": 6}),
    ("compare", ["--replicates", "4"], ("overrides",), {"replicates": 4}),
    ("compare", ["--economies", "vnm"], ("overrides",), {"economies": ["vnm"]}),
    ("compare", ["--start-year", "2015"], ("overrides",), {"start_year": 2015}),
    ("compare", ["--years", "2"], ("overrides",), {"years": 2}),
    ("compare", ["--workers-per-agent", "8000"], ("overrides",), {"workers_per_agent": 8000.0}),
    ("compare", ["--min-agents-per-economy", "400"], ("overrides",),
     {"min_agents_per_economy": 400}),
    ("compare", SETS, ("updates",), SET_VALUES),
    # validate
    ("validate", [], ("config",), CALIBRATION),
    ("validate", [], ("origins",), [2013]),
    ("validate", ["--origins", "2016,2010"], ("origins",), [2016, 2010]),
    ("validate", ["--economies", "VNM,tha"], ("economies",), ["VNM", "tha"]),
    ("validate", [], ("drivers",), "ex_ante"),
    ("validate", ["--drivers", "observed"], ("drivers",), "observed"),
    ("validate", ["--seed", "4"], ("seed",), 4),
    ("validate", ["--out", "o"], ("out",), Path("o")),
    ("validate", ["--docs", "d.md"], ("docs",), Path("d.md")),
    ("validate", ["--notes", "n.md"], ("notes",), Path("n.md")),
    ("validate", SETS, ("updates",), SET_VALUES),
    # discover
    ("discover", [], ("results",), Path("outputs/sweep")),
    ("discover", ["--outcome", "employment_rate_horizon"], ("outcome",),
     "employment_rate_horizon"),
    ("discover", ["--threshold", "reference-0.05"], ("threshold",), "reference-0.05"),
    ("discover", [], ("option",), None),
    ("discover", ["--option", "policy.automation_tax=0.1"], ("option",),
     "policy.automation_tax=0.1"),
    ("discover", ["--reference", "policy.automation_tax=0"], ("reference",),
     "policy.automation_tax=0"),
    ("discover", ["--economy", "VNM"], ("economy",), "VNM"),
    ("discover", ["--out", "o"], ("out",), Path("o")),
    ("discover", ["--min-density", "0.9"], ("min_density",), 0.9),
    ("discover", ["--peel-alpha", "0.1"], ("peel_alpha",), 0.1),
    ("discover", ["--mass-min", "0.1"], ("mass_min",), 0.1),
    # brief
    ("brief", [], ("comparison",), Path("outputs/cmp")),
    ("brief", [], ("economies",), None),
    ("brief", ["--economy", "vnm", "--economy", "tha,PHL"], ("economies",),
     ["vnm", "tha", "PHL"]),
    ("brief", ["--out", "o"], ("out",), Path("o")),
    ("brief", ["--sensitivity", "s"], ("sensitivity",), Path("s")),
    ("brief", ["--validation", "v"], ("validation",), Path("v")),
    ("brief", [], ("discount_rate",), None),
    ("brief", ["--discount-rate", "0.05"], ("discount_rate",), 0.05),
    # dashboard
    ("dashboard", [], ("economy",), "VNM"),
    ("dashboard", ["--economy", "tha"], ("economy",), "THA"),
    ("dashboard", ["--host", "0.0.0.0"], ("host",), "0.0.0.0"),
    ("dashboard", ["--port", "9000"], ("port",), 9000),
    ("dashboard", [], ("store",), None),
    ("dashboard", ["--store", "o"], ("store",), Path("o")),
    ("dashboard", ["--replicates", "2"], ("replicates",), 2),
    ("dashboard", ["--years", "3"], ("years",), 3),
    ("dashboard", ["--agents", "500"], ("agents",), 500),
    ("dashboard", [], ("precompute",), None),
    ("dashboard", ["--precompute", "vnm,tha"], ("precompute",), ["VNM", "THA"]),
    ("dashboard", ["--precompute", "all"], ("precompute",),
     ["BRN", "KHM", "IDN", "LAO", "MYS", "MMR", "PHL", "SGP", "THA", "VNM", "USA"]),
    ("dashboard", [], ("progress",), True),
    ("dashboard", ["--quiet"], ("progress",), False),
]
"""(command, options, where the API receives the value, the value)."""

# Options every running command has, checked for each of them.
for _command in RUNNING:
    PASS_THROUGH += [
        (_command, [], ("progress",), True),
        (_command, ["--quiet"], ("progress",), False),
        (_command, [], ("updates",), {}),
    ]
    if _command not in ("calibrate", "validate"):  # runs keyed by what they are: no --force
        PASS_THROUGH += [(_command, [], ("force",), False),
                         (_command, ["--force"], ("force",), True)]

EXECUTOR_CASES: list[tuple[list[str], tuple[str, int | None, str | None]]] = [
    ([], ("processes", None, None)),
    (["--executor", "sequential"], ("sequential", None, None)),
    (["--executor", "processes", "--workers", "2"], ("processes", 2, None)),
    (["--workers", "3"], ("processes", 3, None)),
    (["--executor", "dask", "--workers", "2"], ("dask", 2, None)),
    (["--scheduler", "tcp://host:8786"], ("dask", None, "tcp://host:8786")),
    (["--executor", "dask", "--scheduler", "tcp://host:8786"], ("dask", None, "tcp://host:8786")),
    (["--executor", "dask", "--no-dashboard"], ("dask", None, None)),
]
"""Executor options -> (executor name, workers, scheduler) of the executor the API gets."""


@pytest.mark.parametrize(("command", "options", "path", "expected"), PASS_THROUGH,
                         ids=[f"{c}-{' '.join(o) or 'default'}-{'.'.join(p)}"
                              for c, o, p, _ in PASS_THROUGH])
def test_option_reaches_the_api(fake_api: dict[str, Recorder], command: str,
                                options: list[str], path: tuple[str, ...],
                                expected: Any) -> None:
    assert received(call(fake_api, command, *options), path) == expected


@pytest.mark.parametrize("command", RUNNING)
@pytest.mark.parametrize(("options", "expected"), EXECUTOR_CASES,
                         ids=[" ".join(o) or "default" for o, _ in EXECUTOR_CASES])
def test_executor_options_reach_the_api(fake_api: dict[str, Recorder], command: str,
                                        options: list[str],
                                        expected: tuple[str, int | None, str | None]) -> None:
    executor = call(fake_api, command, *options)["executor"]
    assert isinstance(executor, CliExecutor)
    assert (executor.name, executor.requested_workers, executor.scheduler) == expected
    assert executor._made is None  # nothing started: the API would start it on first use


def test_every_option_is_tested() -> None:
    """Each option of each command appears in a pass-through or executor test above."""
    parser = build_parser()
    commands = next(a for a in parser._actions
                    if isinstance(a, argparse._SubParsersAction)).choices
    declared = {(name, option) for name, sub in commands.items() for action in sub._actions
                for option in action.option_strings if option not in ("-h", "--help")}
    tested = {(c, o) for c, options, _, _ in PASS_THROUGH for o in options if o.startswith("--")}
    tested |= {(c, o) for c in RUNNING for options, _ in EXECUTOR_CASES for o in options
               if o.startswith("--")}
    assert declared == tested


def test_removed_options_are_refused(fake_api: dict[str, Recorder],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``batch --resume`` did nothing (stored runs are always skipped) and ``calibrate --force``
    had no folder to replace: both are gone, and naming them is a usage error."""
    assert main([*COMMAND_ARGS["batch"], "--resume"]) == 2
    assert "unrecognized arguments: --resume" in one_error_line(capsys)
    assert main([*COMMAND_ARGS["calibrate"], "--force"]) == 2
    assert "unrecognized arguments: --force" in one_error_line(capsys)
    assert not fake_api["batch"].calls and not fake_api["calibrate"].calls


def test_later_set_of_a_key_wins(fake_api: dict[str, Recorder]) -> None:
    assert call(fake_api, "run", "--set", "years=2", "--set", "years=3")["updates"] == {
        "years": 3}


def test_compare_report_quotes_the_command_with_set_and_report_dir(
        fake_api: dict[str, Recorder]) -> None:
    command = call(fake_api, "compare", "--years", "2", "--set", "policy.automation_tax=0.1",
                   "--report-dir", "r", "--quiet")["command"]
    assert command == (f"displacement-sim compare {COMPARE} --years 2 --set "
                       "policy.automation_tax=0.1 --report-dir r")


@pytest.mark.parametrize("command", sorted(COMMAND_ARGS))
def test_help_of_every_command(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: displacement-sim {command}")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"displacement-sim {__version__}"


# ------------------------------------------------------------------ executor options


EXECUTOR_ERRORS: list[tuple[list[str], str]] = [
    (["--workers", "0"], "--workers must be at least 1, got 0"),
    (["--workers", "-1"], "--workers must be at least 1, got -1"),
    (["--executor", "sequential", "--scheduler", "tcp://h:1"],
     "--scheduler implies --executor dask"),
    (["--executor", "processes", "--scheduler", "tcp://h:1"],
     "--scheduler implies --executor dask"),
    (["--scheduler", "tcp://h:1", "--workers", "2"], "--workers does not apply with --scheduler"),
    (["--executor", "sequential", "--workers", "2"], "--workers 2 needs --executor processes"),
]


@pytest.mark.parametrize("command", RUNNING)
@pytest.mark.parametrize(("options", "message"), EXECUTOR_ERRORS,
                         ids=[" ".join(o) for o, _ in EXECUTOR_ERRORS])
def test_contradictory_executor_options_are_one_line_errors(
        fake_api: dict[str, Recorder], command: str, options: list[str], message: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*COMMAND_ARGS[command], *options]) == 2
    assert message in one_error_line(capsys)
    assert not fake_api[API_FUNCTION[command]].calls


def test_executor_is_made_on_first_use_and_closed() -> None:
    executor = CliExecutor("sequential", None, None)
    assert executor._made is None
    with executor as ex:
        assert sorted(ex.imap_unordered(str, [2, 1])) == ["1", "2"]
        assert ex.n_workers == 1
    assert executor._made is None


def _use_executor(scenario: Any, *, executor: CliExecutor, **kwargs: Any) -> None:
    list(executor.imap_unordered(str, [1]))


def test_unreachable_scheduler_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(api, "run", _use_executor)
    assert main(["run", "baseline", "--scheduler", "tcp://127.0.0.1:notaport"]) == 2
    assert "cannot reach the Dask scheduler 'tcp://127.0.0.1:notaport'" in one_error_line(capsys)


def test_scheduler_without_dask_is_one_line(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(api, "run", _use_executor)
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # as if not installed
    assert main(["run", "baseline", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "dask.distributed is not installed" in one_error_line(capsys)


# ------------------------------------------------------------------ --set values


@pytest.mark.parametrize(("text", "key", "value"), [
    ("policy.automation_tax=0.1", "policy.automation_tax", 0.1),
    ("years=3", "years", 3),
    ("regional_centre.enabled=true", "regional_centre.enabled", True),
    ("economies=['VNM', 'THA']", "economies", ["VNM", "THA"]),
    ('name="quoted"', "name", "quoted"),
    ("name=plain", "name", "plain"),
    ("name=a=b", "name", "a=b"),
    (" years = 3 ", "years", 3),
    ("name=1\nyears = 2", "name", "1\nyears = 2"),  # one value, not a TOML document
    ("economy.vnm.policy.automation_tax=0", "economy.vnm.policy.automation_tax", 0),
])
def test_set_values_are_toml_else_strings(text: str, key: str, value: Any) -> None:
    assignment = parse_assignment(text)
    assert (assignment.key, assignment.value, assignment.text) == (key, value, text)


@pytest.mark.parametrize("text", ["years", "=3", "policy..tax=1", "a b=1", ".years=1",
                                  "years.=1"])
def test_set_without_a_dotted_key_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="expected KEY=VALUE"):
        parse_assignment(text)


# ------------------------------------------------------------------ effects, through the API


def _capture_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def run_scenario(scenario: Any, **kwargs: Any) -> None:
        raise Captured(scenario)

    monkeypatch.setattr(api, "run_scenario", run_scenario)


def test_run_options_and_set_reach_the_scenario(monkeypatch: pytest.MonkeyPatch) -> None:
    _capture_run(monkeypatch)
    with pytest.raises(Captured) as info:
        main(["run", "baseline", "--economies", "vnm,tha", "--seed", "7", "--replicates", "3",
              "--start-year", "2015", "--years", "2", "--workers-per-agent", "9000",
              "--set", "policy.automation_tax=0.1",
              "--set", "economy.vnm.training.duration_months=6", "--quiet"])
    scenario = info.value.values[0]
    assert scenario.economies == ("VNM", "THA")
    assert (scenario.seed, scenario.replicates, scenario.start_year, scenario.years,
            scenario.workers_per_agent) == (7, 3, 2015, 2, 9000.0)
    assert scenario.defaults.policy.automation_tax == 0.1
    assert scenario.settings_for("VNM").training.duration_months == 6
    assert scenario.settings_for("THA").training.duration_months != 6


def test_set_applies_after_the_options(monkeypatch: pytest.MonkeyPatch) -> None:
    _capture_run(monkeypatch)
    with pytest.raises(Captured) as info:
        main(["run", "baseline", "--economies", "VNM", "--years", "2", "--set", "years=3"])
    assert info.value.values[0].years == 3


def _capture_store(monkeypatch: pytest.MonkeyPatch, module: Any) -> None:
    def open_store(name: str, specs: Any, master_seed: int, definition: dict[str, Any],
                   *args: Any) -> None:
        raise Captured(specs, master_seed, definition)

    monkeypatch.setattr(module, "open_store", open_store)


def test_batch_seed_and_set_reach_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    _capture_store(monkeypatch, batch_workflow)
    with pytest.raises(Captured) as info:
        main(["batch", str(BATCH), "--seed", "3", "--set", "policy.automation_tax=0.2",
              "--set", "policy.capacity_building.share_of_gdp=0.5", "--quiet"])
    specs, master_seed, definition = info.value.values
    assert master_seed == 3 and definition["seed"] == 3
    assert definition["updates"] == {"policy.automation_tax": 0.2,
                                     "policy.capacity_building.share_of_gdp": 0.5}
    assert {s.scenario.defaults.policy.automation_tax for s in specs} == {0.2}
    # The sweep applies on top of --set.
    assert {s.scenario.defaults.policy.capacity_building.share_of_gdp for s in specs} == {
        0.0, 0.005}
    assert {s.name for s in specs} == {"baseline", "hiring_subsidy"}


def test_compare_seed_and_set_reach_every_option(monkeypatch: pytest.MonkeyPatch) -> None:
    _capture_store(monkeypatch, comparison_workflow)
    with pytest.raises(Captured) as info:
        main(["compare", str(COMPARE), "--seed", "5", "--economies", "vnm", "--years", "1",
              "--replicates", "2", "--set", "policy.automation_tax=0.2", "--quiet"])
    specs, master_seed, definition = info.value.values
    assert master_seed == 5
    assert definition["updates"] == {"policy.automation_tax": 0.2}
    assert {s.scenario.economies for s in specs} == {("VNM",)}
    assert {s.scenario.defaults.policy.automation_tax for s in specs} == {0.2}


def test_sensitivity_options_and_set_reach_every_run(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    _capture_store(monkeypatch, sensitivity_workflow)
    with pytest.raises(Captured) as info:
        main(["sensitivity", str(SENSITIVITY), "--n", "4", "--seed", "9", "--replicates", "1",
              "--years", "1", "--workers-per-agent", "30000", "--economies", "vnm",
              "--set", "labour_market.long_term_months=6", "--out", str(tmp_path / "sa"),
              "--quiet"])
    specs, master_seed, definition = info.value.values
    assert master_seed == 9 and definition["n"] == 4 and definition["seed"] == 9
    assert definition["updates"] == {"labour_market.long_term_months": 6}
    assert {s.replicate for s in specs} == {0}
    assert {(s.scenario.economies, s.scenario.years, s.scenario.workers_per_agent)
            for s in specs} == {(("VNM",), 1, 30000.0)}
    assert {s.scenario.defaults.labour_market.long_term_months for s in specs} == {6}
    # The factors still vary on top of --set.
    assert len({s.scenario.defaults.policy.automation_tax for s in specs}) > 1


def test_calibrate_options_and_set_reach_the_fit(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    def fit(self: calibration_workflow.Calibrator) -> None:
        # no data needed to set up: any value of every target series
        self.observations = pd.DataFrame({t: [1.0] for t in TARGET_SERIES}, index=[2005])
        self._setup()
        raise Captured(self)

    monkeypatch.setattr(calibration_workflow.Calibrator, "fit", fit)
    with pytest.raises(Captured) as info:
        main(["calibrate", str(CALIBRATION), "--economies", "vnm", "--seed", "4",
              "--train-until", "2015", "--set", "labour_market.long_term_months=6",
              "--out", str(tmp_path / "cal"), "--quiet"])
    calibrator = info.value.values[0]
    assert calibrator.economy == "VNM"
    assert calibrator.cfg_.seed == 4 and calibrator.cfg_.train_until == 2015
    assert calibrator._base.settings_for("VNM").labour_market.long_term_months == 6
    assert calibrator.out == tmp_path / "cal" / "train_until_2015"


def test_lower_case_codes_in_files(tmp_path: Path) -> None:
    path = tmp_path / "lower.toml"
    path.write_text(f"""\
extends = {json.dumps(str(SCENARIO_DIR / "baseline.toml"))}
name = "lower"
economies = ["vnm", "tha"]
[economy.vnm.training]
duration_months = 6
[economy.VNM.policy]
automation_tax = 0.1
""")
    scenario = load_scenario(path)
    assert scenario.economies == ("VNM", "THA")
    vnm = scenario.settings_for("VNM")
    assert (vnm.training.duration_months, vnm.policy.automation_tax) == (6, 0.1)


def test_misspelt_code_in_a_file_names_the_closest(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text('name = "typo"\neconomies = ["VMN"]\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert "key 'economies.0'" in message and "did you mean 'VNM'?" in message


# ------------------------------------------------------------------ bad values


def _results_folder(root: Path) -> Path:
    """A results folder with one tiny stored run."""
    (root / "parts").mkdir(parents=True)
    pd.DataFrame({"run_id": ["r0"] * 2, "scenario": ["s"] * 2, "replicate": [0, 0],
                  "economy": ["VNM"] * 2, "step": [0, 1], "year": [2023, 2023],
                  "unemployment_rate": [2.0, 2.1]}).to_parquet(root / "parts" / "r0.parquet")
    return root


BAD_VALUES: list[tuple[list[str], list[str]]] = [
    (["run", "baseline", "--years", "ten"], ["argument --years: invalid int value: 'ten'"]),
    (["run", "baseline", "--replicates", "-2"],
     ["key 'replicates'", "greater than or equal to 1", "(got -2)"]),
    (["run", "baseline", "--seed", "-1"], ["key 'seed'", "(got -1)"]),
    (["run", "baseline", "--start-year", "1990"],
     ["baseline: key 'start_year'", "greater than or equal to 2000", "(got 1990)"]),
    (["run", "baseline", "--workers-per-agent", "nan"], ["key 'workers_per_agent'"]),
    (["run", "baseline", "--economies", "VMN"],
     ["key 'economies.0'", "unknown economy code; did you mean 'VNM'?", "(got 'VMN')"]),
    (["run", "baseline", "--economies", "XYZ"], ["unknown economy code (codes: BRN, KHM"]),
    (["run", "baseline", "--economies", ","], ["argument --economies"]),
    (["run", "basline"], ["basline: file not found", "no scenario 'basline'; "
                                                     "did you mean 'baseline'?"]),
    (["run", "baseline", "--set", "automation_tax"], ["argument --set: expected KEY=VALUE"]),
    (["run", "baseline", "--set", "policy.automation_taxx=0.1"],
     ["--set: key 'policy.automation_taxx': unknown key"]),
    (["run", "baseline", "--set", "policy.automation_tax=lots"],
     ["--set: key 'policy.automation_tax'", "(got 'lots')"]),
    (["run", "baseline", "--set", "economy.VMN.policy.automation_tax=0.1"],
     ["--set: key 'economy.VMN'", "did you mean 'VNM'?"]),
    (["run", "baseline", "--set", "years.x=1"], ["--set: key 'years.x'", "not a table"]),
    (["batch", str(BATCH), "--seed", "-1"], ["smoke.toml (with options): key 'seed'"]),
    (["batch", str(BATCH), "--set", "policy.foo=1"],
     ["--set (scenario ../baseline.toml): key 'policy.foo': unknown key"]),
    (["batch", str(BATCH), "--resume"], ["unrecognized arguments: --resume"]),
    (["compare", str(COMPARE), "--seed", "-1"], ["key 'seed'"]),
    (["compare", str(COMPARE), "--economies", "vmn"], ["did you mean 'VNM'?"]),
    (["compare", str(COMPARE), "--set", "policy.foo=1"], ["--set (option ", "'policy.foo'"]),
    (["sensitivity", str(SENSITIVITY), "--n", "3"], ["(with options): key 'n'"]),
    (["sensitivity", str(SENSITIVITY), "--seed", "-1"], ["(with options): key 'seed'"]),
    (["sensitivity", str(SENSITIVITY), "--economies", "VMN"], ["did you mean 'VNM'?"]),
    (["calibrate", str(CALIBRATION), "--seed", "-1"], ["--seed: key 'seed'"]),
    (["calibrate", str(CALIBRATION), "--economies", "vmn"],
     ["--economies: key 'economies.0'", "did you mean 'VNM'?"]),
    (["calibrate", str(CALIBRATION), "--train-until", "2030"], ["--train-until"]),
    (["summarize", "{results}", "--metrics", "foo"],
     ["--metrics: unknown metric 'foo'", "unemployment_rate"]),
    (["summarize", "{results}", "--metrics", "unemploymnt_rate"],
     ["did you mean 'unemployment_rate'?"]),
    (["summarize", "{results}", "--metrics", ","], ["--metrics: no metric given"]),
    (["fly"], ["invalid choice: 'fly'"]),
]
"""(command line, what its one error line says)."""


@pytest.mark.parametrize(("argv", "expected"), BAD_VALUES,
                         ids=[" ".join(a[:1] + a[2:]) for a, _ in BAD_VALUES])
def test_bad_value_is_one_line_exit_2_and_writes_nothing(
        argv: list[str], expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # results would go to ./outputs
    results = _results_folder(tmp_path / "results")
    argv = [a.replace("{results}", str(results)) for a in argv]
    assert main(argv) == 2
    line = one_error_line(capsys)
    for text in expected:
        assert text in line
    assert not (tmp_path / "outputs").exists()
    assert not (results / "summary").exists()


def test_summarize_known_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_folder(tmp_path / "results")
    assert main(["summarize", str(results), "--metrics", "unemployment_rate"]) == 0
    assert str(results / "summary" / "summary.csv") in capsys.readouterr().out


# ------------------------------------------------------------------ the real command


def _module_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "displacement_sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_python_m_displacement_sim(tmp_path: Path) -> None:
    version = _module_cli("--version", cwd=tmp_path)
    assert version.returncode == 0
    assert version.stdout.strip() == f"displacement-sim {__version__}"
    typo = _module_cli("run", "basline", cwd=tmp_path)
    assert typo.returncode == 2 and "Traceback" not in typo.stderr
    assert typo.stderr.strip().splitlines() == [
        "error: basline: file not found, and no scenario 'basline'; did you mean 'baseline'?"]
    assert not (tmp_path / "outputs").exists()
