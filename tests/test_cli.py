"""End-to-end tests of the command line (``displacement_sim.cli``).

Most tests call ``cli.main([...])`` in-process (it returns the exit code); two run the real
``python -m displacement_sim.cli`` in a subprocess to see its exit code and raw stderr. The main
run is the shipped baseline on two economies at a coarse scale; the other runs use a standalone
tiny scenario file (300 agents for Singapore, five firms per sector), which is faster.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import TINY_TOML

from displacement_sim import __version__
from displacement_sim.cli import main
from displacement_sim.scenarios import load_scenario
from displacement_sim.workflows import runs as runner
from displacement_sim.workflows.store import read_results

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("unemployment_by_economy", "labour_demand_decomposition", "employment_by_sector",
           "displaced_vs_reskilled", "cohort_outcomes")
ARGS = ("--economies", "VNM,SGP", "--years", "1", "--replicates", "2",
        "--workers-per-agent", "20000", "--executor", "sequential", "--quiet")
"""The options of every run under test."""


def cli_run(scenario: Path | str, out: Path, *extra: str) -> int:
    return main(["run", str(scenario), *ARGS, "--out", str(out), *extra])


def subprocess_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "displacement_sim.cli", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``run baseline`` (with figures) through ``cli.main``; returns its results folder."""
    out = tmp_path_factory.mktemp("runs") / "first"
    assert cli_run("baseline", out) == 0
    return out


# ------------------------------------------------------------------ what a run writes


def test_run_writes_parts(first_run: Path) -> None:
    parts = sorted((first_run / "parts").glob("*.parquet"))
    assert len(parts) == 2
    df = read_results(first_run)
    assert set(df["economy"]) == {"VNM", "SGP"}
    assert set(df["replicate"]) == {0, 1}
    assert df["step"].max() == 12
    assert {p.stem for p in parts} == set(df["run_id"])
    assert set(runner.KEY_COLUMNS) <= set(df.columns)
    assert not list(first_run.glob("errors/*.json"))


def test_run_writes_manifest(first_run: Path) -> None:
    manifest = json.loads((first_run / "manifest.json").read_text())
    assert manifest["package_version"] == __version__
    assert manifest["complete"] is True and manifest["failed"] == []
    scenario = load_scenario("baseline", economies=["VNM", "SGP"], years=1, replicates=2,
                             workers_per_agent=20000.0)
    (entry,) = manifest["scenarios"].values()
    assert entry["config_hash"] == scenario.config_hash()
    assert manifest["master_seed"] == scenario.seed
    df = read_results(first_run)
    seeds = df.groupby("run_id")["seed"].unique()
    assert len(manifest["runs"]) == 2
    for run in manifest["runs"]:
        assert list(seeds[run["run_id"]]) == [run["seed"]]  # every row carries its run's seed
    assert len({run["seed"] for run in manifest["runs"]}) == 2


def test_run_writes_summary_and_figures(first_run: Path) -> None:
    summary = (first_run / "summary.md").read_text()
    assert "Viet Nam" in summary and "Singapore" in summary
    for name in FIGURES:
        png = first_run / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert len(list((first_run / "figures").glob("*.png"))) == len(FIGURES)


def test_same_seed_twice_gives_identical_results(first_run: Path, tmp_path: Path) -> None:
    assert cli_run("baseline", tmp_path / "again", "--no-figures") == 0
    a, b = read_results(first_run), read_results(tmp_path / "again")
    pd.testing.assert_frame_equal(a, b)
    assert sorted(p.name for p in (first_run / "parts").iterdir()) == sorted(
        p.name for p in (tmp_path / "again" / "parts").iterdir())


def test_seed_option_is_passed_through(first_run: Path, tmp_path: Path) -> None:
    assert cli_run("baseline", tmp_path / "other", "--seed", "5", "--no-figures") == 0
    a, b = read_results(first_run), read_results(tmp_path / "other")
    assert json.loads((tmp_path / "other" / "manifest.json").read_text())["master_seed"] == 5
    assert set(a["seed"]).isdisjoint(set(b["seed"]))
    assert not a["employed"].equals(b["employed"])


def test_rerun_into_same_folder_resumes(tiny_file: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "resume"
    assert cli_run(tiny_file, out, "--no-figures") == 0
    before = read_results(out)
    capsys.readouterr()
    assert cli_run(tiny_file, out, "--no-figures") == 0
    assert "0 runs done, 2 already stored" in capsys.readouterr().out
    pd.testing.assert_frame_equal(before, read_results(out))


# ------------------------------------------------------------------ errors


def test_bad_scenario_exits_2_with_one_line(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY_TOML + "[training]\nbase_completon = 0.5\n")
    out = tmp_path / "out"
    assert cli_run(bad, out) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "training.base_completon" in lines[0]
    assert not out.exists()


def test_bad_scenario_in_subprocess_has_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY_TOML + "[automation]\nadoption_hazrd = 0.1\n")
    proc = subprocess_cli("run", str(bad), *ARGS, "--out", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(bad) in lines[0] and "automation.adoption_hazrd" in lines[0]
    assert not (tmp_path / "out").exists()


def test_missing_scenario_file_exits_2(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_run(tmp_path / "missing.toml", tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "missing.toml" in err and "not found" in err
    assert not (tmp_path / "out").exists()


def test_folder_of_another_batch_needs_force(tiny_file: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "shared"
    assert cli_run(tiny_file, out, "--seed", "1", "--no-figures") == 0
    first = read_results(out)
    capsys.readouterr()
    assert cli_run(tiny_file, out, "--seed", "2", "--no-figures") == 2
    err = capsys.readouterr().err
    assert "--force" in err and str(out) in err and "Traceback" not in err
    pd.testing.assert_frame_equal(first, read_results(out))  # nothing replaced
    assert cli_run(tiny_file, out, "--seed", "2", "--no-figures", "--force") == 0
    replaced = read_results(out)
    assert set(replaced["seed"]).isdisjoint(set(first["seed"]))
    assert len(replaced) == len(first)  # old parts removed, not mixed in
    assert json.loads((out / "manifest.json").read_text())["master_seed"] == 2


def test_failed_runs_exit_1_and_are_reported(tiny_file: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def boom(spec: runner.RunSpec) -> pd.DataFrame:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(runner, "run_one", boom)
    assert cli_run(tiny_file, tmp_path / "fail", "--no-figures") == 1
    captured = capsys.readouterr()
    assert "model exploded" in captured.out + captured.err


def only_the_records(out: Path, failed: list[str]) -> None:
    """``out`` holds what a study whose every run failed writes: its manifest (not complete,
    every run failed), the list of written files, an error record per run and an empty
    ``parts/``; no summary, figure, history, table or report."""
    errors = {f"errors/{run_id}.json" for run_id in failed}
    assert {str(p.relative_to(out)) for p in out.rglob("*")} == {
        ".lock", "manifest.json", "written.jsonl", "parts", "errors", *errors}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False
    assert manifest["failed"] == sorted(failed) == sorted(r["run_id"] for r in manifest["runs"])
    for run_id in failed:
        record = json.loads((out / "errors" / f"{run_id}.json").read_text())
        assert record["run_id"] == run_id and record["error"].endswith("model exploded")


def test_every_run_failing_is_exit_1_and_writes_only_the_records(
        tiny_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11: a run whose every replicate failed must not write a summary, figures or a
    history (from no results), and must say where the errors are, with no traceback."""
    def boom(spec: runner.RunSpec) -> pd.DataFrame:
        raise RuntimeError("model exploded")

    monkeypatch.setattr(runner, "run_one", boom)
    out = tmp_path / "fail"
    # With figures, from a year that has observations: a success writes figures/ and history.md.
    assert cli_run(tiny_file, out, "--start-year", "2020") == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    *each, last = captured.err.rstrip("\n").splitlines()
    assert last == f"no run succeeded; errors are in {out / 'errors'}"
    failed = sorted(ln.split(": ")[1] for ln in each)
    assert len(failed) == 2
    assert each == [f"  failed: {run_id}: RuntimeError: model exploded" for run_id in failed]
    only_the_records(out, failed)


# ------------------------------------------------------------------ the real command


@pytest.mark.slow
def test_subprocess_run_end_to_end(first_run: Path, tmp_path: Path) -> None:
    proc = subprocess_cli("run", "baseline", *ARGS, "--out", "sub", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "2 runs done" in proc.stdout
    out = tmp_path / "sub"
    assert (out / "manifest.json").is_file() and (out / "summary.md").is_file()
    for name in FIGURES:
        assert (out / "figures" / f"{name}.png").is_file()
    # Same seed as the in-process run: the same results, whatever the process.
    pd.testing.assert_frame_equal(read_results(first_run), read_results(out))


def test_summarize_command(first_run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summarize", str(first_run), "--metrics", "unemployment_rate"]) == 0
    printed = capsys.readouterr().out
    assert (first_run / "summary" / "summary.csv").is_file()
    assert "summary.csv" in printed


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fly"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err and len(err.strip().splitlines()) == 1


def test_start_year_without_driver_data_is_a_usage_error(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "none"
    assert main(["run", "baseline", "--start-year", "2025", "--years", "1", "--out",
                 str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "key 'start_year'" in err and "no real GDP data" in err and "Traceback" not in err
    assert not out.exists()
