"""``displacement-sim validate``: a tiny run through the workflow layer, resume, errors.

The scoring itself is tested in tests/test_validation_analysis.py; here the workflow: fits up
to each origin, ex-ante forecasts over the near-optimal sets, the tables, page and figures it
writes, and that a repeated command reads its runs back.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from displacement_sim.cli import main
from displacement_sim.resources import scenario_dir
from displacement_sim.workflows.validation import validate

TINY = {
    "name": "tiny_validation", "base": str(scenario_dir() / "no_active_policy.toml"),
    "economies": ["VNM"], "start_year": 2009, "end_year": 2016,
    "min_agents_per_economy": 300, "firms_per_sector": 3, "replicates": 1, "seed": 2,
    "popsize": 2, "maxiter": 1, "parameter_sets": 2,
    "parameter": [{"name": "exit_rate_unemployed", "path": "labour_market.exit_rate_unemployed",
                   "bounds": [0.02, 0.2]}],
    "target": [{"series": "unemployment_rate"}, {"series": "share_A"},
               {"series": "share_C"}, {"series": "participation_female"}],
}


def _write(tmp_path: Path, data: dict) -> Path:
    lines = []
    tables = []
    for k, v in data.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            tables.append((k, v))
        else:
            lines.append(f"{k} = {json.dumps(v)}")
    for k, rows in tables:
        for row in rows:
            lines.append(f"[[{k}]]")
            lines += [f"{a} = {json.dumps(b)}" for a, b in row.items()]
    path = tmp_path / "validation.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("val")
    path = _write(tmp, TINY)
    result = validate(path, [2012, 2014], out=tmp / "out", executor="sequential",
                      progress=False, docs=tmp / "docs" / "validation.md")
    return tmp, path, result


def test_every_origin_is_fitted_forecast_and_scored(tiny):
    tmp, _, result = tiny
    t = result.table
    assert sorted(t["origin"].unique()) == [2012, 2014]
    assert set(t["series"]) == {"unemployment_rate", "share_A", "share_C",
                                "participation_female"}
    assert (t["horizon"] >= 1).all() and (t["year"] == t["origin"] + t["horizon"]).all()
    assert t["year"].max() == 2016
    assert (t["model_p05"] <= t["model"] + 1e-9).all() and (t["model"] <= t["model_p95"]
                                                             + 1e-9).all()
    # The near-optimal sets: up to parameter_sets vectors per origin, forecasts over all.
    for (_origin, iso), near in result.fits.items():
        assert iso == "VNM" and 1 <= len(near) <= 2
    head = result.scores["headline"]
    assert {"2012", "2014", "all"} <= set(head["origin"])


def test_forecasts_are_ex_ante_and_run_over_the_parameter_sets(tiny):
    tmp, _, result = tiny
    manifest = json.loads((tmp / "out" / "origin_2012" / "forecast" / "VNM" /
                           "written.jsonl").read_text().splitlines()[0])
    assert manifest  # the store records what it wrote
    parts = sorted((tmp / "out" / "origin_2012" / "forecast" / "VNM" / "parts").glob("*"))
    assert len(parts) == len(result.fits[(2012, "VNM")])  # one replicate per set
    from displacement_sim.workflows.store import ResultsStore

    store = ResultsStore(tmp / "out" / "origin_2012" / "forecast" / "VNM")
    df = store.read_run(parts[0].stem, columns=["step"])
    assert df["step"].max() >= 12 * (2016 - 2012)


def test_tables_page_and_figures_are_written(tiny):
    tmp, _, _ = tiny
    out = tmp / "out"
    for name in ("forecasts", "errors", "by_series", "by_origin", "headline", "coverage",
                 "near_optimal"):
        assert (out / "tables" / f"{name}.csv").stat().st_size > 0
    page = (out / "validation.md").read_text()
    assert page.startswith("# ") and "At origin 2012" in page.splitlines()[2]
    assert "At origin 2014" in page and "90%" in page
    assert (out / "figures" / "validation_VNM.png").stat().st_size > 1000
    docs = tmp / "docs"
    assert "(validation/validation_VNM.png)" in (docs / "validation.md").read_text()
    assert (docs / "validation" / "validation_VNM.png").is_file()
    by_series = pd.read_csv(out / "tables" / "by_series.csv")
    assert {"dm_p_persistence", "coverage", "beats_trend"} <= set(by_series.columns)


def test_a_repeated_command_reads_every_run_back(tiny):
    tmp, path, result = tiny
    parts = sorted((tmp / "out").rglob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    again = validate(path, [2012, 2014], out=tmp / "out", executor="sequential",
                     progress=False)
    assert [p.stat().st_mtime_ns for p in parts] == stamps
    pd.testing.assert_frame_equal(again.table, result.table)


@pytest.mark.parametrize("origins,expected", [
    ("2010", "--origins: 2010 is outside 2011-2015"),
    ("2016", "--origins: 2016 is outside 2011-2015"),
    ("twenty", "expected comma-separated years"),
])
def test_bad_origins_are_one_line_and_exit_2(tmp_path, capsys, origins, expected):
    path = _write(tmp_path, TINY)
    assert main(["validate", str(path), "--origins", origins, "--out",
                 str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and expected in err, err
    assert not (tmp_path / "out").exists()
