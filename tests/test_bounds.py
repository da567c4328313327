"""Validation matches what the model can take: every value that passes runs, to finite results.

Issue 11, item 4: no infinite or NaN number in any file format; bounds on every numeric
setting the model cannot take at 0 or beyond some value; strict integers in every study file;
upper bounds on replicates, sample sizes, agents and memory; month settings bounded so the
model's narrow month counters cannot overflow; sweeping ``seed`` refused with a clear line.

The boundary test builds its cases from the schema itself, so a bound added later is run at
its edge too.
"""

from __future__ import annotations

import math
import sys
import time
import types
import typing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import nonfinite_metrics
from pydantic import BaseModel, ValidationError

from displacement_sim.analysis.sensitivity import AnalysisFile, load_analysis
from displacement_sim.cli import main
from displacement_sim.config import (
    MAX_AGENTS_PER_ECONOMY,
    MAX_MONTHS,
    MAX_REPLICATES,
    MAX_RUNS,
    EconomySettings,
    Scenario,
    deep_merge,
)
from displacement_sim.constants import LATEST_OBSERVED_YEAR
from displacement_sim.errors import ScenarioError
from displacement_sim.model import DisplacementModel
from displacement_sim.model import inputs as model_inputs
from displacement_sim.model.inputs import check_drivers, check_inputs, check_resources
from displacement_sim.model.workers import Workers
from displacement_sim.scenarios import format_validation_error, validate, with_updates
from displacement_sim.studies import (
    BatchFile,
    CalibrationFile,
    ComparisonFile,
    load_calibration_file,
    load_comparison,
)

ROOT = Path(__file__).resolve().parents[1]

EDGE: dict[str, Any] = {
    "name": "edge", "economies": ["VNM"], "years": 1, "workers_per_agent": 1e9,
    "min_agents_per_economy": 100, "firms_per_sector": 2, "burn_in_months": 12,
    # Every programme on, so that the settings of each are exercised.
    "policy": {"capacity_building": {"share_of_gdp": 0.005},
               "benefits": {"replacement_rate": 0.5, "max_months": 6},
               "hiring_subsidy": {"share_of_wage": 0.3}},
    "regional_centre": {"enabled": True, "members": ["VNM"],
                        "contribution_share_of_gdp": 0.001},
}
"""A tiny scenario (file layout) with every programme on: one economy, one year."""


# ------------------------------------------------------------------ the schema's numeric leaves


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """The base type of an annotation (``X | None`` and ``Annotated`` removed), its metadata."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    meta: list[Any] = []
    if typing.get_origin(annotation) is typing.Annotated:
        annotation, *rest = typing.get_args(annotation)
        for r in rest:
            meta.extend(getattr(r, "metadata", [r]))
    return annotation, meta


def numeric_leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()
                   ) -> list[tuple[tuple[str, ...], type, list[Any], str, Any]]:
    """Every int or float setting of ``model``: (path, type, constraints, shape, default);
    shape is ``"value"``, ``"tuple"`` (each item) or ``"dict"`` (each value)."""
    out = []
    for name, field in model.model_fields.items():
        base, meta = _unwrap(field.annotation)
        meta = meta + list(field.metadata)
        path = (*prefix, name)
        if isinstance(base, type) and issubclass(base, BaseModel):
            out.extend(numeric_leaves(base, path))
            continue
        shape = "value"
        origin = typing.get_origin(base)
        if origin is tuple:
            base, meta, shape = *_unwrap(typing.get_args(base)[0]), "tuple"
        elif origin is dict:
            base, meta, shape = *_unwrap(typing.get_args(base)[1]), "dict"
        if base in (int, float):
            out.append((path, base, meta, shape, field.default))
    return out


def _bounds(meta: list[Any]) -> dict[str, float]:
    found = {}
    for m in meta:
        for attr in ("ge", "gt", "le", "lt"):
            if getattr(m, attr, None) is not None:
                found[attr] = getattr(m, attr)
    return found


def _shaped(shape: str, value: Any, default: Any, every: bool = True) -> Any:
    if shape == "tuple" and default is None:
        default = (2000, 2023)  # an optional pair (natural_rate_years): a valid one to vary
    if shape == "tuple":
        return [value] * len(default) if every else [value, *default[1:]]
    if shape == "dict":
        return {"C": value}
    return value


def _nest(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for key in reversed(path):
        value = {key: value}
    return value


def _edge_values(base: type, bounds: dict[str, float]) -> list[Any]:
    """The extreme values a setting's bounds allow."""
    if base is int:
        return [int(bounds[k]) for k in ("ge", "le") if k in bounds]
    values: list[Any] = []
    if "ge" in bounds:
        values.append(float(bounds["ge"]))
    if "gt" in bounds:
        values.append(math.nextafter(float(bounds["gt"]), math.inf))
    if "le" in bounds:
        values.append(float(bounds["le"]))
    if "lt" in bounds:
        values.append(math.nextafter(float(bounds["lt"]), -math.inf))
    return values


SETTINGS = numeric_leaves(EconomySettings)
TOP_LEVEL = [leaf for leaf in numeric_leaves(Scenario) if leaf[0][0] not in ("defaults",)]


def _edge_scenario(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    data = deep_merge(EDGE, _nest(path, value))
    if path[:2] == ("automation", "s_curve"):
        data = deep_merge(data, {"automation": {"mode": "s_curve"}})
    return data


def boundary_cases() -> list[tuple[tuple[str, ...], Any]]:
    cases = []
    for path, base, meta, shape, default in SETTINGS:
        if shape == "tuple" and default is None:
            continue  # an optional pair (natural_rate_years): its edges are listed below
        for value in _edge_values(base, _bounds(meta)):
            cases.append((path, _shaped(shape, value, default)))
    cases += [(("labour_market", "skill_wage_ratio"), [0.01, 1.0, 100.0]),
              (("labour_market", "skill_wage_ratio"), [100.0, 1.0, 0.01]),
              (("drivers", "elasticity_since"), LATEST_OBSERVED_YEAR),
              (("drivers", "observed_until"), LATEST_OBSERVED_YEAR),
              (("drivers", "flat"), True),
              # The natural rate's line over all the observed years, and over the last five.
              (("labour_market", "natural_rate_years"), [1991, 2025]),
              (("labour_market", "natural_rate_years"), [2021, 2025])]
    for path in (("regional_centre", "contribution_share_of_gdp"),
                 ("regional_centre", "contribution_usd")):
        cases += [(path, 0.0), (path, 1.0 if "share" in path[1] else 1e15)]
    cases += [(("regional_centre", "cost_per_trainee_usd"), 1.0),
              (("regional_centre", "cost_per_trainee_usd"), 1e9),
              (("burn_in_months",), 0), (("min_agents_per_economy",), 10),
              (("firms_per_sector",), 1), (("workers_per_agent",), 5e-324)]
    # Where the model counts from the data, the largest scale a run takes here: people per
    # agent far above the population (every economy then gets min_agents agents).
    # elasticity_since after the start year (the latest observed year here), and
    # observed_until before it, are refused before a run (tested in test_drivers.py).
    return [c for c in cases if (c[0] != ("drivers", "elasticity_since")
                                 or c[1] <= LATEST_OBSERVED_YEAR)
            and (c[0] != ("drivers", "observed_until") or c[1] >= LATEST_OBSERVED_YEAR)]


def _id(case: tuple[tuple[str, ...], Any]) -> str:
    return f"{'.'.join(case[0])}={case[1]}"


@pytest.mark.parametrize("case", boundary_cases(), ids=_id)
def test_a_value_that_passes_validation_runs_to_finite_results(
        case: tuple[tuple[str, ...], Any]) -> None:
    path, value = case
    data = _edge_scenario(path, value)
    if path == ("workers_per_agent",):
        data["workers_per_agent"] = 1e9  # a tiny scale is refused for memory: tested below
    scenario = validate(data, "edge")
    model = DisplacementModel(scenario, seed=1)
    model.run_months(12)
    assert nonfinite_metrics(model.results()) == [], _id(case)


def test_the_boundary_cases_cover_every_numeric_setting() -> None:
    covered = {c[0] for c in boundary_cases()}
    bounded = {leaf[0] for leaf in SETTINGS if _bounds(leaf[2])}
    assert bounded <= covered
    assert len(bounded) == len(SETTINGS)  # every numeric setting has a bound


def _beyond(base: type, bounds: dict[str, float]) -> list[Any]:
    """Values just outside a setting's bounds."""
    out: list[Any] = []
    for key, value in bounds.items():
        if base is int:
            out.append(int(value) - 1 if key == "ge" else int(value) + 1 if key == "le"
                       else int(value))
        elif key in ("ge", "lt"):
            out.append(math.nextafter(float(value), -math.inf) if key == "ge" else float(value))
        else:
            out.append(math.nextafter(float(value), math.inf) if key == "le" else float(value))
    return out


@pytest.mark.parametrize(("path", "value"), [
    (leaf[0], _shaped(leaf[3], v, leaf[4], every=False)) for leaf in SETTINGS
    for v in _beyond(leaf[1], _bounds(leaf[2]))], ids=lambda x: str(x))
def test_a_value_beyond_a_bound_is_refused_naming_the_key(path: tuple[str, ...],
                                                          value: Any) -> None:
    with pytest.raises(ScenarioError) as err:
        validate(deep_merge(EDGE, _nest(path, value)), "edge.toml")
    msg = str(err.value)
    assert msg.startswith("edge.toml: key '" + ".".join(path)) and "\n" not in msg


# ------------------------------------------------------------------ no inf or NaN anywhere


INF_CASES = [(path, _shaped(shape, bad, default, every=False))
             for path, base, _, shape, default
             in SETTINGS + TOP_LEVEL if base is float
             for bad in (math.inf, -math.inf, math.nan)]


@pytest.mark.parametrize(("path", "value"), INF_CASES, ids=lambda x: str(x))
def test_no_setting_takes_an_infinite_or_nan_number(path: tuple[str, ...], value: Any) -> None:
    with pytest.raises(ScenarioError, match=r"key '" + r"\.".join(path)):
        validate(deep_merge(EDGE, _nest(path, value)), "edge.toml")


@pytest.mark.parametrize("path", [("labour_market", "skill_gap_penalty"),
                                  ("policy", "automation_tax")], ids=".".join)
def test_a_per_economy_inf_is_refused_naming_the_economy_and_value(path: tuple[str, ...]
                                                                    ) -> None:
    data = deep_merge(EDGE, {"economy": {"VNM": _nest(path, math.inf)}})
    with pytest.raises(ScenarioError) as err:
        validate(data, "edge.toml")
    assert str(err.value) == (f"edge.toml: key 'economy.VNM.{'.'.join(path)}': Input should "
                              "be a finite number (got inf)")


def _analysis() -> dict[str, Any]:
    spec, _ = load_analysis(ROOT / "scenarios/sensitivity/capacity_building.toml")
    return spec.model_dump()


def _calibration() -> dict[str, Any]:
    cfg, _ = load_calibration_file(ROOT / "calibration/calibration.toml")
    return cfg.model_dump()


def _comparison() -> dict[str, Any]:
    cmp, _ = load_comparison(ROOT / "scenarios/compare/reskilling_options.toml")
    return cmp.model_dump()


def _batch() -> dict[str, Any]:
    return {"name": "b", "scenarios": ["baseline"], "replicates": 2, "seed": 1, "years": 2}


STUDY_FILES = {"batch": (BatchFile, _batch), "comparison": (ComparisonFile, _comparison),
               "calibration": (CalibrationFile, _calibration),
               "analysis": (AnalysisFile, _analysis)}


def _set(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``data`` with ``key`` (``a.0.b`` indexes lists) set to ``value``."""
    out = deep_merge(data, {})
    node: Any = out
    *head, last = key.split(".")
    for k in head:
        node = node[int(k)] if isinstance(node, list) else node[k]
        if isinstance(node, dict | list):
            continue
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


@pytest.mark.parametrize(("fmt", "key", "value"), [
    ("batch", "workers_per_agent", math.inf),
    ("comparison", "confidence", math.nan),
    ("comparison", "workers_per_agent", math.inf),
    ("calibration", "tol", math.inf),
    ("calibration", "target.0.scale", math.inf),
    ("calibration", "parameter.0.bounds", [0.1, math.inf]),
    ("analysis", "convergence_tolerance", math.inf),
    ("analysis", "factor.0.bounds", [0.0, math.inf]),
    ("analysis", "factor.0.mode", math.nan),
])
def test_study_files_take_no_infinite_or_nan_number(fmt: str, key: str, value: Any) -> None:
    schema, base = STUDY_FILES[fmt]
    data = base()
    if key == "factor.0.mode":
        data = _set(data, "factor.0.distribution", "triangular")
    with pytest.raises(ValidationError) as err:
        schema.model_validate(_set(data, key, value))
    assert "finite number" in format_validation_error(f"{fmt}.toml", err.value)


# ------------------------------------------------------------------ strict integers


def integer_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every integer key of a file format (``int``, ``Annotated[int, ...]``, ``int | None``),
    also of the tables it nests (``key.0.sub`` for the first of a list of tables)."""
    keys = []
    for name, field in model.model_fields.items():
        base, _ = _unwrap(field.annotation)
        if typing.get_origin(base) is list:
            base, _ = _unwrap(typing.get_args(base)[0])
            name = f"{name}.0"
        if base is int:
            keys.append(prefix + name)
        elif isinstance(base, type) and issubclass(base, BaseModel):
            keys.extend(integer_keys(base, f"{prefix}{name}."))
    return keys


INTEGER_KEYS = [(fmt, key) for fmt, (schema, _) in STUDY_FILES.items()
                for key in integer_keys(schema)]
"""Every integer key of every study file format, from the schemas."""


def test_the_integer_keys_are_found_in_the_schemas() -> None:
    """The list the next test runs on holds at least the keys known when it was written."""
    known = {
        "batch": {"replicates", "seed", "years"},
        "comparison": {"replicates", "years", "seed", "start_year", "min_agents_per_economy",
                       "firms_per_sector"},
        "calibration": {"popsize", "maxiter", "refits", "start_year", "replicates", "seed",
                        "end_year", "train_until", "min_agents_per_economy",
                        "firms_per_sector", "parameter_sets"},
        "analysis": {"n", "morris_levels", "resamples", "replicates", "seed", "years",
                     "min_agents_per_economy"},
    }
    assert {(fmt, key) for fmt, keys in known.items() for key in keys} <= set(INTEGER_KEYS)
    assert ("batch", "workers_per_agent") not in INTEGER_KEYS  # a float


def _valid_integer(schema: type[BaseModel], data: dict[str, Any], key: str) -> int:
    """The file's value of ``key``, or, where it has none (``None``), one that the format
    takes there."""
    node: Any = data
    for k in key.split("."):
        node = node[int(k)] if isinstance(node, list) else node[k]
    if node is not None:
        return node
    field = schema.model_fields.get(key)  # (bounds of a nested key: not looked up)
    bounds = {} if field is None else _bounds(_unwrap(field.annotation)[1]
                                                + list(field.metadata))
    low, high = bounds.get("ge", 1), bounds.get("le", bounds.get("ge", 1) + 100)
    for value in (low, high, (low + high) // 2):
        try:
            schema.model_validate(_set(data, key, value))
        except ValidationError:
            continue
        return value
    raise AssertionError(f"no integer between {low} and {high} is valid for {key!r}")


@pytest.mark.parametrize(("fmt", "key"), INTEGER_KEYS, ids=[f"{f}.{k}" for f, k in INTEGER_KEYS])
@pytest.mark.parametrize("bad", ["1", True, 3.0], ids=["string", "bool", "float"])
def test_every_file_format_refuses_a_non_integer_for_an_integer(fmt: str, key: str,
                                                                bad: Any) -> None:
    schema, base = STUDY_FILES[fmt]
    data = base()
    valid = _valid_integer(schema, data, key)
    schema.model_validate(_set(data, key, valid))  # the value itself is right
    value = {"1": str(valid), True: True, 3.0: float(valid)}[bad]
    with pytest.raises(ValidationError) as err:
        schema.model_validate(_set(data, key, value))
    msg = format_validation_error(f"{fmt}.toml", err.value)
    assert msg == f"{fmt}.toml: key '{key}': Input should be a valid integer (got {value!r})"


def test_a_strict_integer_error_is_one_line_from_the_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    text = (ROOT / "scenarios/sensitivity/capacity_building.toml").read_text()
    (tmp_path / "sa.toml").write_text(
        text.replace('base = "../', f'base = "{ROOT}/scenarios/').replace("\nn = ", "\nn = 2.0#"))
    assert main(["sensitivity", "sa.toml", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "key 'n': Input should be a valid integer" in err
    assert not (tmp_path / "outputs").exists()


# ------------------------------------------------------------------ upper bounds


@pytest.mark.parametrize(("fmt", "key", "value"), [
    ("batch", "replicates", MAX_REPLICATES + 1),
    ("comparison", "replicates", MAX_REPLICATES + 1),
    ("calibration", "replicates", MAX_REPLICATES + 1),
    ("analysis", "replicates", MAX_REPLICATES + 1),
    ("analysis", "n", 2**17),
    ("calibration", "popsize", 101),
    ("calibration", "maxiter", 1001),
    ("calibration", "refits", 101),
    ("calibration", "min_agents_per_economy", MAX_AGENTS_PER_ECONOMY + 1),
    ("comparison", "min_agents_per_economy", 1_000_000_000),
])
def test_counts_have_an_upper_bound(fmt: str, key: str, value: int) -> None:
    schema, base = STUDY_FILES[fmt]
    with pytest.raises(ValidationError) as err:
        schema.model_validate({**base(), key: value})
    assert f"key '{key}': Input should be less than or equal to" in format_validation_error(
        fmt, err.value)


def test_min_agents_of_a_billion_is_refused() -> None:
    with pytest.raises(ScenarioError, match="key 'min_agents_per_economy': Input should be "
                       "less than or equal to 10000000"):
        validate({**EDGE, "min_agents_per_economy": 1_000_000_000}, "edge.toml")


def test_an_analysis_of_more_than_a_million_runs_is_refused() -> None:
    data = {**_analysis(), "n": 2**15, "replicates": 4}  # 32,768 x 13 points x 4 x 2
    with pytest.raises(ValidationError, match="more than 1,000,000"):
        AnalysisFile.model_validate(data)


def test_a_batch_of_more_than_a_million_runs_is_refused_without_listing_them() -> None:
    sweep = {f"policy.benefits.replacement_rate{i}": [0.1 * k for k in range(10)]
             for i in range(9)}  # 10^9 grid points: listing them would not end
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=f"more than {MAX_RUNS:,}"):
        BatchFile.model_validate({**_batch(), "sweep": {"parameters": sweep}})
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------ memory


def test_a_tiny_workers_per_agent_is_refused_with_the_memory_it_needs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('name = "tiny"\neconomies = ["VNM"]\nyears = 1\n'
                                     "workers_per_agent = 0.001\n")
    assert main(["run", "s.toml", "--executor", "sequential", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert "key 'workers_per_agent': this run needs about" in err and "the machine has" in err
    assert not (tmp_path / "outputs").exists()


def test_memory_is_estimated_before_the_run_and_refused_with_both_figures(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_inputs, "machine_memory", lambda: 8 * 10**9)
    big = validate({"name": "big", "workers_per_agent": 1e12,
                    "min_agents_per_economy": MAX_AGENTS_PER_ECONOMY}, "big.toml")
    with pytest.raises(ScenarioError) as err:
        check_inputs([big], "big.toml")
    msg = str(err.value)
    assert msg.startswith("big.toml: key 'workers_per_agent': this run needs about ")
    assert msg.endswith("the machine has 8.0 GB: raise workers_per_agent or lower "
                        "min_agents_per_economy")
    need = float(msg.split("needs about ")[1].split(" GB")[0].replace(",", ""))
    assert 11 * MAX_AGENTS_PER_ECONOMY * 40 / 1e9 < need < 1e3  # more than the state alone
    # The model checks the same before it allocates anything (direct use of the class).
    with pytest.raises(ScenarioError, match="the machine has 8.0 GB"):
        DisplacementModel(big, seed=1)


def test_the_memory_estimate_covers_what_a_small_run_uses() -> None:
    scenario = validate({**EDGE, "min_agents_per_economy": 20_000}, "edge")
    check_resources(scenario, "edge")  # fits
    agents = model_inputs.agent_rows(scenario, model_inputs.load_inputs(scenario))
    model = DisplacementModel(scenario, seed=1)
    assert agents.sum() == pytest.approx(model.workers.n, rel=0.05)
    assert model_inputs.BYTES_PER_AGENT >= 2 * model.workers.nbytes() / model.workers.n


# ------------------------------------------------------------------ dtypes wide enough


def test_month_settings_fit_the_month_counters() -> None:
    w = Workers.empty(1)
    longest = MAX_MONTHS + Scenario.model_fields["burn_in_months"].metadata[-1].le
    # Months in status run over the burn-in and the horizon; the months of displacement,
    # training and the end of a subsidy (month + subsidy months) run to twice the horizon.
    assert np.iinfo(w.months_in_status.dtype).max >= longest
    for counter in ("displaced_month", "training_start", "subsidy_until"):
        assert np.iinfo(getattr(w, counter).dtype).max >= 2 * MAX_MONTHS
    for path in (("policy", "hiring_subsidy", "months"), ("policy", "benefits", "max_months"),
                 ("labour_market", "long_term_months")):
        leaf = next(leaf for leaf in SETTINGS if leaf[0] == path)
        assert _bounds(leaf[2])["le"] == MAX_MONTHS


def test_hiring_subsidy_months_beyond_the_counter_are_refused() -> None:
    for months in (32_768, 2**63 - 1):
        with pytest.raises(ScenarioError, match="hiring_subsidy.months': Input should be less"):
            validate(deep_merge(EDGE, {"policy": {"hiring_subsidy": {"months": months}}}), "e")


def test_the_longest_hiring_subsidy_pays_like_any_subsidy_longer_than_the_run() -> None:
    base = validate({**EDGE, "economies": ["USA", "SGP"], "years": 2,
                     "min_agents_per_economy": 300,
                     "automation": {"cost_ratio_usa": 0.3, "adoption_hazard": 0.5}}, "e")
    spending = {}
    for months in (24, MAX_MONTHS):
        model = DisplacementModel(with_updates(base, {"policy.hiring_subsidy.months": months}),
                                  seed=2)
        model.run_months(24)
        spending[months] = model.results()["spending_subsidy_usd"].sum()
    assert spending[24] > 0 and spending[MAX_MONTHS] == spending[24]


# ------------------------------------------------------------------ relations and the data


def test_gamma_v_of_zero_is_refused() -> None:
    with pytest.raises(ScenarioError, match="key 'labour_market.gamma_v': Input should be "
                       "greater than or equal to 0.001"):
        validate(deep_merge(EDGE, {"labour_market": {"gamma_v": 0.0}}), "edge.toml")


def test_no_flow_out_of_employment_at_all_is_refused() -> None:
    data = deep_merge(EDGE, {"labour_market": {"separation_rate": 0.0,
                                               "exit_rate_employed": 0.0}})
    with pytest.raises(ScenarioError, match="separation_rate and exit_rate_employed cannot "
                       "both be 0"):
        validate(data, "edge.toml")
    one = deep_merge(EDGE, {"economy": {"VNM": {"labour_market": {"separation_rate": 0.0}}},
                            "labour_market": {"exit_rate_employed": 0.0}})
    with pytest.raises(ScenarioError, match="economy.VNM.labour_market"):
        validate(one, "edge.toml")


def test_a_skill_gap_penalty_of_inf_is_one_line_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text('name = "s"\neconomies = ["VNM"]\nyears = 1\n'
                                     "[labour_market]\nskill_gap_penalty = inf\n")
    assert main(["run", "s.toml", "--executor", "sequential", "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == (
        "error: s.toml: key 'labour_market.skill_gap_penalty': Input should be a finite number "
        "(got inf)")
    assert not (tmp_path / "outputs").exists()


def test_a_per_economy_inf_in_a_sweep_is_one_line_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "b.toml").write_text(
        'name = "b"\nscenarios = ["baseline"]\nreplicates = 1\nseed = 1\nyears = 1\n'
        'economies = ["VNM"]\nworkers_per_agent = 1e9\n[sweep.parameters]\n'
        '"economy.VNM.policy.automation_tax" = [0.0, inf]\n')
    assert main(["batch", "b.toml", "--executor", "sequential", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.endswith(
        "key 'economy.VNM.policy.automation_tax': Input should be a finite number (got inf)")
    assert not (tmp_path / "outputs").exists()  # no manifest, so no Infinity in one


def test_sweeping_the_seed_is_refused_with_one_line_saying_why() -> None:
    for key in ("seed", "replicates"):
        with pytest.raises(ValidationError) as err:
            BatchFile.model_validate({**_batch(), "sweep": {"parameters": {key: [1, 2]}}})
        msg = format_validation_error("b.toml", err.value)
        assert msg.startswith(f"b.toml: key 'sweep.parameters': '{key}' cannot be swept: the "
                              f"batch file's '{key}' applies to every variant")
        assert "\n" not in msg


def test_an_elasticity_window_after_the_start_year_is_refused_before_writing() -> None:
    late = validate(deep_merge(EDGE, {"drivers": {"elasticity_since": 2100}}), "e")
    with pytest.raises(ScenarioError, match="e.toml: key 'drivers.elasticity_since': "
                       "since_year .2100. is after until_year"):
        check_inputs([late], "e.toml")
    own = validate(deep_merge(EDGE, {"economy": {"VNM": {"drivers": {"elasticity_since":
                                                                      2100}}}}), "e")
    with pytest.raises(ScenarioError, match="key 'economy.VNM.drivers.elasticity_since'"):
        check_drivers(own, "e.toml")


def test_a_horizon_that_compounds_the_labour_force_past_reason_is_refused() -> None:
    long = validate({"name": "long", "economies": ["BRN"], "years": 100}, "long.toml")
    with pytest.raises(ScenarioError, match=r"long.toml: key 'years': the working-age "
                       r"population of BRN would grow [\d,]+-fold in 100 years"):
        check_drivers(long, "long.toml")
    held = with_updates(long, {"drivers.labour_force_growth": 0.0})
    check_drivers(held, "long.toml")


def test_the_longest_horizon_runs_to_finite_results() -> None:
    scenario = validate({**EDGE, "years": 100, "drivers": {"labour_force_growth": 0.01}}, "e")
    check_inputs([scenario], "e")
    model = DisplacementModel(scenario, seed=1)
    model.run_months(1200)
    df = model.results()
    assert len(df) == 1201 and nonfinite_metrics(df) == []


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))


def test_a_process_limit_on_memory_is_respected_like_the_machines(tmp_path: Path) -> None:
    # Found by the fuzzer: under `ulimit -v` a run that fits the machine died with a
    # MemoryError (exit 1, output written); the estimate now takes the least of the machine,
    # the container and the address space the process may still map.
    import subprocess

    (tmp_path / "s.toml").write_text(
        'name = "big"\neconomies = ["VNM"]\nyears = 1\nworkers_per_agent = 3.0\n')
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, "
            "3 * 2**30)); from displacement_sim.cli import main; sys.exit(main(['run', "
            "'s.toml', '--executor', 'sequential', '--quiet', '--no-figures']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "address-space limit leaves" in proc.stderr and proc.stderr.count("\n") == 1
    assert not (tmp_path / "outputs").exists()
