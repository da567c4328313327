"""Failures end cleanly: one line naming the file that is wrong, the right exit code (2 for bad
input, 1 for runs that failed), and nothing written when the input is at fault.

Each test reproduces one defect of issue 11:

- a bad key in a file that another extends (``calibration/calibrated/VNM.toml`` under
  ``baseline.toml``) was reported against the file that extends it;
- sensitivity and calibration errors about a path named the analysis, not the file;
- a damaged data file, or a start year without data, failed every run of a batch, a
  comparison or a sensitivity analysis (exit 1, output written) instead of exit 2 with nothing
  written;
- the delta method crashed after all its runs (an ``IndexError`` on a small sample, a
  ``ValueError`` from SALib on a degenerate outcome);
- ``calibrate`` when every run fails ended in an unrelated error about a missing part;
- ``summarize`` on a file, a FIFO or a damaged or empty folder gave a traceback.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_TOML

from displacement_sim.analysis.factors import scale_sample
from displacement_sim.analysis.sensitivity import AnalysisFile, analyse_outcomes, draw_sample
from displacement_sim.api import sensitivity as api_sensitivity
from displacement_sim.cli import main
from displacement_sim.data import DATA_DIR_ENV, DEFAULT_DATA_DIR
from displacement_sim.errors import CalibrationError, ScenarioError
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario
from displacement_sim.workflows import runs as runner
from displacement_sim.workflows.calibration import Calibrator

REPO = Path(__file__).resolve().parents[1]
PI = float(np.pi)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def _in(folder: Path, argv: list[str]) -> int:
    before = os.getcwd()
    os.chdir(folder)
    try:
        return main(argv)
    finally:
        os.chdir(before)


# ------------------------------------------------------------------ the file that is wrong


@pytest.fixture
def shipped_layout(tmp_path: Path) -> Path:
    """A copy of ``scenarios/baseline.toml`` and ``calibration/calibrated/`` in their layout."""
    (tmp_path / "scenarios").mkdir()
    shutil.copy(SCENARIO_DIR / "baseline.toml", tmp_path / "scenarios" / "baseline.toml")
    shutil.copytree(REPO / "calibration" / "calibrated", tmp_path / "calibration" / "calibrated")
    return tmp_path


def test_bad_key_in_a_calibrated_file_names_that_file(shipped_layout: Path) -> None:
    vnm = shipped_layout / "calibration" / "calibrated" / "VNM.toml"
    # A table the shipped file does not have (it holds the fitted [economy.VNM.labour_market]).
    vnm.write_text(vnm.read_text() + "\n[economy.VNM.training]\nduration_monthz = 6\n")
    baseline = shipped_layout / "scenarios" / "baseline.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(baseline)
    assert str(info.value) == (
        f"{vnm}: key 'economy.VNM.training.duration_monthz': unknown key (check the "
        f"spelling; see docs/scenarios.md for the keys) (through 'extends' of {baseline})")


def test_bad_value_in_a_calibrated_file_names_that_file(shipped_layout: Path) -> None:
    tha = shipped_layout / "calibration" / "calibrated" / "THA.toml"
    tha.write_text(tha.read_text() + "\n[economy.THA.training]\nbase_completion = 7\n")
    with pytest.raises(ScenarioError, match=rf"^{tha}: key 'economy.THA.training."
                                            r"base_completion': .*\(got 7\) \(through "):
        load_scenario(shipped_layout / "scenarios" / "baseline.toml")


def test_bad_key_of_the_file_itself_names_it(shipped_layout: Path) -> None:
    baseline = shipped_layout / "scenarios" / "baseline.toml"
    baseline.write_text(baseline.read_text() + "\n[training]\nduration_montsh = 3\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(baseline)
    assert str(info.value).startswith(f"{baseline}: key 'training.duration_montsh': ")
    assert "through" not in str(info.value)


def test_an_option_overrides_the_parents_value(tmp_path: Path) -> None:
    """A bad value from an option (``--years``) is the option's, not the parent's."""
    (tmp_path / "p.toml").write_text(TINY_TOML)
    (tmp_path / "c.toml").write_text('extends = "p.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "c.toml", years=0)
    assert str(info.value).startswith(f"{tmp_path / 'c.toml'}: key 'years': ")


SENSITIVITY = """\
name = "sa"
base = "{base}"
economies = ["BRN"]
years = 1
workers_per_agent = 1e12
min_agents_per_economy = 200
method = "delta"
n = {n}
replicates = 1
seed = 1

[[factor]]
name = "tax"
path = "{path}"
bounds = [0.0, 0.5]

[[factor]]
name = "cost_decline"
path = "automation.cost_decline_per_year"
bounds = [0.02, 0.15]

[[output]]
name = "u"
outcome = "unemployment_rate_peak"
economy = "BRN"
"""


def _analysis(tmp_path: Path, base: str = "baseline", path: str = "policy.automation_tax",
              n: int = 32) -> Path:
    f = tmp_path / "sa.toml"
    f.write_text(SENSITIVITY.format(base=base, path=path, n=n))
    return f


def test_sensitivity_factor_path_error_names_the_file(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    f = _analysis(tmp_path, path="policy.automation_taxx")
    assert _in(tmp_path, ["sensitivity", str(f), "--executor", "sequential"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {f}: key 'factor.0.path': 'policy.automation_taxx' at 0 "
                           "(tax): key 'policy.automation_taxx': unknown key")
    assert not (tmp_path / "outputs").exists()


def test_sensitivity_factor_range_error_names_the_file(tmp_path: Path) -> None:
    f = _analysis(tmp_path, path="training.base_completion")
    f.write_text(f.read_text().replace("bounds = [0.0, 0.5]", "bounds = [0.5, 1.5]", 1))
    with pytest.raises(ScenarioError, match=rf"^{f}: key 'factor.0.path': "
                                            r"'training.base_completion' at 1.5 \(tax\): "):
        api_sensitivity(f, out=tmp_path / "out", executor="sequential", progress=False)
    assert not (tmp_path / "out").exists()


def test_sensitivity_base_error_names_the_file(tmp_path: Path) -> None:
    f = _analysis(tmp_path, base="baselinx")
    with pytest.raises(ScenarioError, match=rf"^{f}: key 'base': baselinx: file not found, "
                                            r"and no scenario 'baselinx'; did you mean "):
        api_sensitivity(f, out=tmp_path / "out", executor="sequential", progress=False)
    assert not (tmp_path / "out").exists()


CALIBRATION = """\
name = "cal"
base = "{base}"
economies = ["SGP"]
start_year = 2006
end_year = 2008
min_agents_per_economy = 100
firms_per_sector = 2
replicates = 1
popsize = 2
maxiter = 1

[[parameter]]
name = "okun"
path = "{path}"
bounds = [0.1, 0.8]

[[target]]
series = "unemployment_rate"
scale = 0.5
"""


def _calibration(tmp_path: Path, base: str = "no_active_policy",
                 path: str = "labour_market.okun_elasticity") -> Path:
    f = tmp_path / "cal.toml"
    f.write_text(CALIBRATION.format(base=base, path=path))
    return f


def test_calibration_parameter_path_error_names_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _calibration(tmp_path, path="labour_market.okun_elastcity")
    assert _in(tmp_path, ["calibrate", str(f), "--executor", "sequential", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"error: {f}: key 'parameter.0.path': "
                           "'labour_market.okun_elastcity' at its lower bound 0.1 (okun): key "
                           "'economy.SGP.labour_market.okun_elastcity': unknown key")
    assert not (tmp_path / "outputs").exists()


def test_calibration_base_error_names_the_file(tmp_path: Path) -> None:
    f = _calibration(tmp_path, base="no_activ_policy")
    with pytest.raises(CalibrationError, match=rf"^{f}: key 'base': .*no_activ_policy: file "
                                               r"not found"):
        Calibrator(f, "SGP", out=tmp_path / "out", executor="sequential",
                   progress=False).fit()
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ data: before anything runs


@pytest.fixture
def bad_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``$DISPLACEMENT_SIM_DATA``: a copy of the data with one malformed year."""
    data = tmp_path / "data"
    shutil.copytree(DEFAULT_DATA_DIR, data)
    robots = data / "robot_density_ifr.csv"
    lines = robots.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace(",2016,", ",20x6,", 1)
    robots.write_text("".join(lines))
    monkeypatch.setenv(DATA_DIR_ENV, str(data))
    return robots


@pytest.fixture
def study(tmp_path: Path) -> Path:
    """A batch file and a comparison file over the tiny scenario, in ``tmp_path``."""
    (tmp_path / "tiny.toml").write_text(TINY_TOML)
    (tmp_path / "b.toml").write_text('name = "b"\nscenarios = ["tiny.toml"]\n')
    (tmp_path / "c.toml").write_text(
        'name = "c"\nreference = "a"\neconomies = ["SGP"]\nyears = 1\nreplicates = 2\n'
        '[options.a]\nscenario = "tiny.toml"\n[options.b]\nscenario = "tiny2.toml"\n')
    (tmp_path / "tiny2.toml").write_text(
        'extends = "tiny.toml"\nname = "tiny2"\n[policy]\nautomation_tax = 0.1\n')
    return tmp_path


@pytest.mark.parametrize("command", ["run", "batch", "compare", "sensitivity"])
def test_damaged_data_file_is_exit_2_and_writes_nothing(
        command: str, bad_data: Path, study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = {"run": "tiny.toml", "batch": "b.toml", "compare": "c.toml",
              "sensitivity": str(_analysis(study))}[command]
    assert _in(study, [command, target, "--executor", "sequential", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "robot_density_ifr.csv: line 2, column year: '20x6' is not a number" in line
    assert not (study / "outputs").exists()


@pytest.mark.parametrize("command", ["batch", "compare", "sensitivity"])
def test_start_year_without_data_is_exit_2_and_writes_nothing(
        command: str, study: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = study / "tiny.toml"
    tiny.write_text(tiny.read_text() + "start_year = 2030\n")
    target = {"batch": "b.toml", "compare": "c.toml",
              "sensitivity": str(_analysis(study, base="tiny.toml"))}[command]
    argv = [command, target, "--executor", "sequential", "--quiet"]
    if command == "compare":
        argv += ["--start-year", "2030"]
    assert _in(study, argv) == 2
    assert "no ILOEST sector employment for year 2030" in one_error_line(capsys)
    assert not (study / "outputs").exists()


# ------------------------------------------------------------------ the delta method


def _ishigami(method: str = "delta", n: int = 32) -> AnalysisFile:
    factors = [{"name": f"x{i}", "path": f"automation.x{i}", "bounds": [-PI, PI]}
               for i in (1, 2, 3)]
    return AnalysisFile.model_validate({
        "name": "ishigami", "base": "baseline", "method": method, "n": n, "seed": 0,
        "replicates": 1, "resamples": 10, "factor": factors,
        "output": [{"name": "y", "outcome": "unemployment_rate_peak"}]})


def test_delta_with_a_small_sample_is_refused_before_its_runs(tmp_path: Path) -> None:
    # The old code ran every run, then crashed in the convergence table (IndexError).
    f = _analysis(tmp_path, n=16)
    calls = []

    def evaluator(spec: AnalysisFile, sample: np.ndarray) -> dict[str, np.ndarray]:
        calls.append(len(sample))
        return {"u": sample[:, :1]}

    with pytest.raises(ScenarioError, match=rf"^{f}: key 'n': method = 'delta' needs n of at "
                                            r"least 30 .* \(got 16\)"):
        api_sensitivity(f, out=tmp_path / "out", evaluator=evaluator, progress=False)
    assert not calls and not (tmp_path / "out").exists()


def test_delta_without_an_index_is_skipped_not_a_crash() -> None:
    spec = _ishigami().model_copy(update={"n": 16})  # as a file could not give it
    unit = draw_sample(spec)
    sample = scale_sample(spec.factor, unit)
    y = np.sin(sample[:, 0]) + 7 * np.sin(sample[:, 1]) ** 2
    res = analyse_outcomes(spec, unit, sample, {"y": y[:, None]})
    assert "the delta method gave no index for any factor" in res.skipped["y"]
    assert res.indices.empty


def test_delta_on_a_degenerate_outcome_is_skipped_not_a_crash(tmp_path: Path) -> None:
    # SALib raises "Singular matrix" when one point alone differs (the old code: a traceback
    # after every run).
    spec = _ishigami()

    def evaluator(spec: AnalysisFile, sample: np.ndarray) -> dict[str, np.ndarray]:
        y = np.zeros(len(sample))
        y[-1] = 1.0
        return {"y": y[:, None]}

    res = api_sensitivity(spec, out=tmp_path / "out", evaluator=evaluator, progress=False)
    assert "the delta method cannot analyse this outcome" in res.skipped["y"]
    assert "not analysed" in (tmp_path / "out" / "summary.md").read_text()


def test_delta_leaves_the_warning_machinery_as_it_was() -> None:
    import warnings

    spec = _ishigami(n=64)
    unit = draw_sample(spec)
    sample = scale_sample(spec.factor, unit)
    y = np.sin(sample[:, 0]) + 7 * np.sin(sample[:, 1]) ** 2
    before = (warnings.formatwarning, list(warnings.filters))
    analyse_outcomes(spec, unit, sample, {"y": y[:, None]})
    assert (warnings.formatwarning, list(warnings.filters)) == before


@pytest.mark.slow
def test_delta_runs_the_model_to_its_indices(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = _analysis(tmp_path)
    assert _in(tmp_path, ["sensitivity", str(f), "--executor", "sequential", "--quiet",
                          "--out", str(tmp_path / "out")]) == 0
    indices = pd.read_csv(tmp_path / "out" / "indices.csv")
    assert set(indices["index"]) == {"delta"}
    assert "Bin Merge" not in capsys.readouterr().err


# ------------------------------------------------------------------ runs that all fail


def _boom(spec: runner.RunSpec) -> pd.DataFrame:
    raise ValueError("the model cannot take this")


def test_calibrate_when_every_run_fails_is_one_line_exit_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "run_one", _boom)
    f = _calibration(tmp_path)
    out = tmp_path / "out"
    assert _in(tmp_path, ["calibrate", str(f), "--executor", "sequential", "--quiet",
                          "--out", str(out)]) == 1
    line = one_error_line(capsys)
    assert line.startswith("error: SGP: every candidate run failed (")
    assert "ValueError: the model cannot take this" in line
    assert str(out / "full" / "SGP" / "errors") in line
    assert not list(out.rglob("*.csv")) and not list(out.rglob("params/*.toml"))


def test_sensitivity_when_runs_fail_is_one_line_exit_1(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "run_one", _boom)
    f = _analysis(tmp_path)
    assert _in(tmp_path, ["sensitivity", str(f), "--executor", "sequential", "--quiet",
                          "--out", str(tmp_path / "out")]) == 1
    line = one_error_line(capsys)
    assert "model runs failed, e.g. " in line and "the model cannot take this" in line
    runs = tmp_path / "out" / "runs"
    assert f"their errors are in {runs / 'errors'}" in line
    _only_the_records(tmp_path / "out", runs)


def _only_the_records(out: Path, runs: Path) -> list[str]:
    """The study folder ``out`` holds only the records of runs that all failed, in ``runs``:
    the manifest (not complete, every run failed), the list of written files, an error record
    per run and an empty ``parts/``; no table, summary, figure or report. Returns the run ids."""
    manifest = json.loads((runs / "manifest.json").read_text())
    ids = sorted(r["run_id"] for r in manifest["runs"])
    assert ids and manifest["complete"] is False and manifest["failed"] == ids
    expected = {".lock", "manifest.json", "written.jsonl", "parts", "errors",
                *(f"errors/{run_id}.json" for run_id in ids)}
    inside = "." if runs == out else str(runs.relative_to(out))
    assert {str(p.relative_to(out)) for p in out.rglob("*")} - {inside} == {
        os.path.normpath(f"{inside}/{rel}") for rel in expected}
    for run_id in ids:
        record = json.loads((runs / "errors" / f"{run_id}.json").read_text())
        assert record["run_id"] == run_id
        assert record["error"] == "ValueError: the model cannot take this"
    return ids


def test_compare_when_runs_fail_is_one_line_exit_1(
        study: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "run_one", _boom)
    out = study / "out"
    assert _in(study, ["compare", "c.toml", "--executor", "sequential", "--quiet",
                       "--out", str(out)]) == 1
    line = one_error_line(capsys)
    ids = _only_the_records(out, out)  # no report/, no comparison/ tables
    assert len(ids) == 4  # two options x two replicates
    assert line == (f"error: 4 of 4 runs failed (first: {ids[0]}: ValueError: the model "
                    f"cannot take this); errors are in {out / 'errors'}; run the same command "
                    "to retry them")


# ------------------------------------------------------------------ summarize


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("results")
    (folder / "tiny.toml").write_text(TINY_TOML)
    assert main(["run", str(folder / "tiny.toml"), "--executor", "sequential", "--quiet",
                 "--no-figures", "--replicates", "1", "--out", str(folder / "r")]) == 0
    return folder / "r"


def _summarize_fails(target: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["summarize", str(target)]) == 2
    line = one_error_line(capsys)
    if target.is_dir():
        assert not (target / "summary").exists()
    return line


def test_summarize_a_file_or_fifo_is_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    os.mkfifo(tmp_path / "fifo")
    for target in (tmp_path / "file", tmp_path / "fifo"):
        assert "not a folder (expected a results folder" in _summarize_fails(target, capsys)


def test_summarize_an_empty_folder_is_one_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert "no results" in _summarize_fails(tmp_path, capsys)


@pytest.mark.parametrize("damage", ["truncated", "emptied", "garbage"])
def test_summarize_a_damaged_part_is_one_line(damage: str, results: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "r"
    shutil.copytree(results, copy)
    part = next((copy / "parts").glob("*.parquet"))
    data = part.read_bytes()
    part.write_bytes({"truncated": data[:100], "emptied": b"",
                      "garbage": b"not parquet at all"}[damage])
    line = _summarize_fails(copy, capsys)
    assert part.name in line
