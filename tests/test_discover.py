"""Tests of scenario discovery: PRIM on a planted box, the cases read from a tiny real sweep,
the command's files, and bad input refused in one line with nothing written.

The sweep is tiny (two economies, one simulated year, 20,000 people per worker agent, five
firms per sector, 8 runs), so the module runs in seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from displacement_sim import api
from displacement_sim.analysis.discovery import fails, find_box, in_box, parse_threshold
from displacement_sim.cli import main
from displacement_sim.errors import DisplacementSimError
from displacement_sim.scenarios import SCENARIO_DIR
from displacement_sim.workflows.discovery import load_cases, parse_option

SHARE = "policy.capacity_building.share_of_gdp"
DECLINE = "automation.cost_decline_per_year"
OUTCOME = "employment_rate_horizon"
FILES = {"trajectory.csv", "box.csv", "cases.csv", "summary.md", "discovery.png"}


# ------------------------------------------------------------------ PRIM on planted boxes


def planted(n: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "c": rng.random(n),
                         "economy": rng.choice(["VNM", "THA", "PHL"], n)})


def test_prim_finds_a_planted_box() -> None:
    x = planted()
    failing = ((x["a"] > 0.7) & (x["b"] < 0.3)).to_numpy()
    d = find_box(x, failing)
    chosen = d.trajectory.loc[d.chosen]
    assert chosen["coverage"] >= 0.9 and chosen["density"] >= 0.9
    lim = d.limits.set_index("parameter")
    assert set(lim.index[lim["restricted"]]) == {"a", "b"}
    assert lim.loc["a", "low"] == pytest.approx(0.7, abs=0.05)
    assert lim.loc["b", "high"] == pytest.approx(0.3, abs=0.05)
    assert lim.loc["a", "high"] == lim.loc["a", "range_high"]  # not peeled from above
    inside = in_box(x, d.limits)
    assert (inside & failing).sum() / failing.sum() == pytest.approx(chosen["coverage"])
    assert (inside & failing).sum() / inside.sum() == pytest.approx(chosen["density"])


def test_prim_finds_a_categorical_restriction() -> None:
    x = planted(seed=4)
    failing = ((x["economy"] == "THA") & (x["c"] > 0.5)).to_numpy()
    d = find_box(x, failing)
    lim = d.limits.set_index("parameter")
    assert set(lim.index[lim["restricted"]]) == {"economy", "c"}
    assert lim.loc["economy", "values"] == "THA"
    chosen = d.trajectory.loc[d.chosen]
    assert chosen["coverage"] >= 0.9 and chosen["density"] >= 0.9


def test_trajectory_starts_with_every_case() -> None:
    x = planted()
    failing = (x["a"] > 0.5).to_numpy()
    t = find_box(x, failing).trajectory
    assert t.loc[0, "mass"] == 1.0 and t.loc[0, "coverage"] == 1.0
    assert t.loc[0, "density"] == pytest.approx(failing.mean())
    assert t["chosen"].sum() == 1


def test_no_failing_case_is_refused() -> None:
    with pytest.raises(DisplacementSimError, match="no case fails"):
        find_box(planted(), np.zeros(600, bool))


def test_every_case_failing_is_refused() -> None:
    with pytest.raises(DisplacementSimError, match="every case fails"):
        find_box(planted(), np.ones(600, bool))


@pytest.mark.parametrize(("text", "relative", "offset"), [
    ("reference", True, 0.0), ("reference+0.02", True, 0.02), ("reference-0.5", True, -0.5),
    ("0.6", False, 0.6), ("0", False, 0.0)])
def test_parse_threshold(text: str, relative: bool, offset: float) -> None:
    t = parse_threshold(text)
    assert (t.relative, t.offset) == (relative, offset)


def test_fails_follows_the_direction_of_better() -> None:
    v, t = np.array([0.1, 0.2, 0.3]), np.full(3, 0.2)
    assert fails(v, t, "higher").tolist() == [True, False, False]
    assert fails(v, t, "lower").tolist() == [False, False, True]


def test_parse_option() -> None:
    assert parse_option(f"{SHARE}=0.005,scenario=tiny") == {SHARE: 0.005, "scenario": "tiny"}


# ------------------------------------------------------------------ a tiny real sweep


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 spending levels x 2 automation cost declines x 2 replicates, Viet Nam and Singapore."""
    folder = tmp_path_factory.mktemp("discover")
    (folder / "tiny.toml").write_text(
        f'extends = "{SCENARIO_DIR / "baseline.toml"}"\nname = "tiny"\n'
        "min_agents_per_economy = 300\nfirms_per_sector = 5\n")
    (folder / "sweep.toml").write_text(
        'name = "tiny_sweep"\nscenarios = ["tiny.toml"]\nreplicates = 2\nseed = 7\nyears = 1\n'
        'economies = ["VNM", "SGP"]\nworkers_per_agent = 20000\n'
        f'[sweep]\nmode = "grid"\n[sweep.parameters]\n"{SHARE}" = [0.0, 0.005]\n'
        f'"{DECLINE}" = [0.03, 0.12]\n')
    api.batch(folder / "sweep.toml", out=folder / "out", executor="sequential",
              progress=False)
    return folder / "out"


def middle_threshold(sweep: Path) -> float:
    """A level between the option's lowest and highest outcome, so some cases fail."""
    values = np.sort(load_cases(sweep, OUTCOME, f"{SHARE}=0.005", need_reference=False).value)
    return float((values[0] + values[-1]) / 2)


def test_cases_come_from_the_declarations(sweep: Path) -> None:
    c = load_cases(sweep, OUTCOME, f"{SHARE}=0.005")
    assert list(c.params.columns) == ["economy", DECLINE]  # the sweep's free parameter
    assert sorted(c.params[DECLINE].unique()) == [0.03, 0.12]
    assert sorted(c.params["economy"].unique()) == ["SGP", "VNM"]
    assert c.replicates.tolist() == [2, 2, 2, 2]
    assert c.reference == f"{SHARE}=0"
    assert c.outcome.better == "higher"
    runs = pd.read_parquet(sweep / "parts")
    last = runs[runs["step"] == runs.groupby("run_id")["step"].transform("max")]
    want = last[(last[SHARE] == 0.005) & (last[DECLINE] == 0.12) & (last["economy"] == "VNM")]
    row = c.params.index[(c.params["economy"] == "VNM") & (c.params[DECLINE] == 0.12)][0]
    assert c.value[row] == pytest.approx(want["employment_rate"].mean(), rel=1e-12)


def test_cli_writes_table_plot_and_summary(sweep: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    level = middle_threshold(sweep)
    out = tmp_path / "disc"
    code = main(["discover", str(sweep), "--option", f"{SHARE}=0.005", "--outcome", OUTCOME,
                 "--threshold", f"{level!r}", "--out", str(out)])
    assert code == 0
    assert {p.name for p in out.iterdir()} == FILES
    traj = pd.read_csv(out / "trajectory.csv")
    assert {"box", "coverage", "density", "mass", "restricted", "chosen"} <= set(traj.columns)
    assert traj["chosen"].sum() == 1
    box = pd.read_csv(out / "box.csv")
    assert set(box["parameter"]) == {"economy", DECLINE}
    cases = pd.read_csv(out / "cases.csv")
    assert cases["fails"].tolist() == (cases[OUTCOME] < level).tolist()
    summary = (out / "summary.md").read_text()
    assert "coverage" in summary and "density" in summary and OUTCOME in summary
    assert (out / "discovery.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "cases fail" in capsys.readouterr().out


def test_default_folder_is_listed_in_the_store(sweep: Path) -> None:
    level = middle_threshold(sweep)
    r = api.discover(sweep, OUTCOME, repr(level), f"{SHARE}=0.005")
    assert {p.name for p in r.paths} == FILES
    listed = [json.loads(line)["path"] for line in
              (sweep / "written.jsonl").read_text().splitlines()]
    assert "discovery/summary.md" in listed


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], out: Path) -> str:
    code = main([*argv, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    return err


def test_folder_that_is_not_a_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.txt").write_text("not results")
    err = refused(["discover", str(tmp_path), "--option", f"{SHARE}=0.005", "--outcome",
                   OUTCOME, "--threshold", "0.5"], capsys, tmp_path / "disc")
    assert "not a sweep or sensitivity output" in err and "expected" in err


def test_unknown_outcome(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                         ) -> None:
    err = refused(["discover", str(sweep), "--option", f"{SHARE}=0.005", "--outcome",
                   "employment_rate_horizn", "--threshold", "0.5"], capsys, tmp_path / "d")
    assert "unknown outcome 'employment_rate_horizn'" in err
    assert "did you mean 'employment_rate_horizon'" in err


def test_unknown_option_value(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                              ) -> None:
    err = refused(["discover", str(sweep), "--option", f"{SHARE}=0.05", "--outcome", OUTCOME,
                   "--threshold", "0.5"], capsys, tmp_path / "d")
    assert f"{SHARE}=0.05 is not in this batch" in err and "0, 0.005" in err


def test_unknown_option_key(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                            ) -> None:
    err = refused(["discover", str(sweep), "--option", "policy.automation_tax=0.1",
                   "--outcome", OUTCOME, "--threshold", "0.5"], capsys, tmp_path / "d")
    assert "unknown key 'policy.automation_tax'" in err and DECLINE in err


def test_threshold_no_case_fails(sweep: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["discover", str(sweep), "--option", f"{SHARE}=0.005", "--outcome", OUTCOME,
                   "--threshold", "-1"], capsys, tmp_path / "d")
    assert "--threshold -1: no case fails" in err and "expected a threshold that some" in err


def test_bad_threshold(sweep: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["discover", str(sweep), "--option", f"{SHARE}=0.005", "--outcome", OUTCOME,
                   "--threshold", "refrence"], capsys, tmp_path / "d")
    assert "expected a number" in err


def test_option_that_is_the_reference(sweep: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["discover", str(sweep), "--option", f"{SHARE}=0", "--outcome", OUTCOME,
                   "--threshold", "reference"], capsys, tmp_path / "d")
    assert "is the reference" in err


def test_nothing_written_in_the_results_on_bad_input(
        sweep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(sweep) for p in sweep.rglob("*"))
    listed = (sweep / "written.jsonl").read_text()
    code = main(["discover", str(sweep), "--option", f"{SHARE}=0.005", "--outcome", OUTCOME,
                 "--threshold", "-1"])
    assert code == 2 and "error:" in capsys.readouterr().err
    assert sorted(p.relative_to(sweep) for p in sweep.rglob("*")) == before
    assert (sweep / "written.jsonl").read_text() == listed


# ------------------------------------------------------------------ a tiny sensitivity sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Sobol sample of two factors (N = 4: 24 points), with reference runs, in Viet Nam."""
    folder = tmp_path_factory.mktemp("discover_sa")
    (folder / "tiny.toml").write_text(
        f'extends = "{SCENARIO_DIR / "baseline.toml"}"\nname = "tiny"\n'
        "min_agents_per_economy = 300\nfirms_per_sector = 5\n")
    (folder / "sa.toml").write_text(
        'name = "tiny_sa"\nbase = "tiny.toml"\neconomies = ["VNM"]\nyears = 1\n'
        'workers_per_agent = 20000\nmethod = "sobol"\nn = 4\nreplicates = 1\nseed = 3\n'
        '[[factor]]\nname = "share"\npath = "policy.capacity_building.share_of_gdp"\n'
        'bounds = [0.0, 0.01]\nlabel = "Capacity-building spending"\n'
        'unit = "share of GDP a year"\n'
        '[[factor]]\nname = "decline"\npath = "automation.cost_decline_per_year"\n'
        'bounds = [0.02, 0.15]\nlabel = "Automation cost decline"\n'
        '[[output]]\nname = "cost"\noutcome = "cost_per_reemployed_usd"\n')
    api.sensitivity(folder / "sa.toml", out=folder / "out", executor="sequential",
                    progress=False)
    return folder / "out"


def test_sensitivity_cases_are_the_sample_points(sample: Path) -> None:
    c = load_cases(sample, OUTCOME)
    points = pd.read_csv(sample / "sample.csv")
    assert list(c.params.columns) == ["share", "decline"]  # the file's factors
    assert c.labels["share"] == "Capacity-building spending (share of GDP a year)"
    assert len(c.params) == len(points.drop_duplicates(["share", "decline"]))
    assert c.reference == "tiny_sa-ref"
    assert c.reference_value is not None and np.isfinite(c.reference_value).all()


def test_sensitivity_cli(sample: Path, tmp_path: Path) -> None:
    values = np.sort(load_cases(sample, "programme_cost_usd", need_reference=False).value)
    level = float((values[0] + values[-1]) / 2)
    out = tmp_path / "disc"
    code = main(["discover", str(sample), "--outcome", "programme_cost_usd", "--threshold",
                 repr(level), "--out", str(out)])
    assert code == 0
    box = pd.read_csv(out / "box.csv").set_index("parameter")
    assert bool(box.loc["share", "restricted"])  # spending is what drives its cost
    assert not bool(box.loc["decline", "restricted"])


def test_sensitivity_unknown_option(sample: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    err = refused(["discover", str(sample), "--option", "tiny", "--outcome", OUTCOME,
                   "--threshold", "0.5"], capsys, tmp_path / "d")
    assert "unknown option 'tiny'" in err and "tiny_sa, tiny_sa-ref" in err
