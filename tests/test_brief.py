"""The policymaker's brief: one A4 page per economy, the same bottom line in PDF, HTML and the
long report, tables with units, rounding, and bad input refused in one line."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from displacement_sim.analysis.brief import (
    round_supported,
    significant_digits,
    supported_step,
    verdict,
)
from displacement_sim.api import compare as run_comparison
from displacement_sim.cli import main

BASE_TOML = """\
name = "brief_base"
economies = ["VNM"]
years = 2
min_agents_per_economy = 300
firms_per_sector = 5
"""

TRAIN_TOML = """\
extends = "base.toml"
name = "brief_train"
[policy.capacity_building]
share_of_gdp = 0.01
"""

COMPARISON_TOML = """\
name = "brief_cmp"
description = "A training programme against current policy."
economies = ["VNM", "USA"]
years = 2
replicates = 2
seed = 5
workers_per_agent = 1e9
reference = "base"

[options.base]
scenario = "base.toml"
label = "Current policy"

[options.same]
scenario = "base.toml"
label = "Same as current"

[options.train]
scenario = "train.toml"
label = "Training"
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing: CI must `apt-get install -y poppler-utils`")
        pytest.skip(f"{name} not installed (Debian: apt-get install -y poppler-utils)")
    return path


@pytest.fixture(scope="module")
def briefs(tmp_path_factory):
    """A tiny comparison (2 economies, 2 replicates, 2 years) and its briefs."""
    folder = tmp_path_factory.mktemp("brief")
    (folder / "base.toml").write_text(BASE_TOML)
    (folder / "train.toml").write_text(TRAIN_TOML)
    (folder / "cmp.toml").write_text(COMPARISON_TOML)
    out = folder / "out"
    run_comparison(folder / "cmp.toml", out=out, executor="sequential", progress=False)
    assert main(["brief", str(out), "--economy", "vnm", "--economy", "USA"]) == 0
    return out


def _pdf_text(pdf: Path) -> str:
    text = subprocess.run([_tool("pdftotext"), "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    return " ".join(text.split())


def _bottom_line(html_text: str) -> str:
    m = re.search(r'<p class="bottom">(.*?)</p>', html_text, re.S)
    assert m, "the HTML has no bottom line"
    return m.group(1).replace("&#x27;", "'").replace("&amp;", "&")


@pytest.mark.parametrize("economy", ["VNM", "USA"])
def test_pdf_is_one_a4_page_whose_text_holds_the_bottom_line(briefs, economy, tmp_path):
    pdf = briefs / "brief" / f"{economy}.pdf"
    subprocess.run([_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "p")],
                   check=True, capture_output=True)
    pages = sorted(tmp_path.glob("p*.png"))
    assert len(pages) == 1
    line = _bottom_line((briefs / "brief" / f"{economy}.html").read_text())
    assert len(re.findall(r"[.!?](\s|$)", line)) == 2, line  # two sentences
    assert " ".join(line.split()) in _pdf_text(pdf)


def test_html_holds_the_sections_and_no_false_precision(briefs):
    page = (briefs / "brief" / "VNM.html").read_text()
    for heading in ("Bottom line", "Options, best value first", "Who is affected",
                    "Assumptions and track record"):
        assert heading in page
    assert "How trainees are counted" in page
    assert "data:image/png;base64," in page  # the chart, embedded
    assert "No sensitivity analysis and no out-of-sample validation were given" in page
    assert "Chance" not in page and "better in 100%" not in page
    # The option identical to current policy is named, not shown as a row of zeros.
    assert "Same as current" in page and "left out" in page
    assert "<td>Same as current</td>" not in page


def test_long_report_leads_with_the_same_bottom_line(tmp_path):
    folder = tmp_path
    (folder / "base.toml").write_text(BASE_TOML)
    (folder / "train.toml").write_text(TRAIN_TOML)
    (folder / "cmp.toml").write_text(COMPARISON_TOML.replace('"VNM", "USA"', '"VNM"'))
    out = folder / "out"
    run_comparison(folder / "cmp.toml", out=out, executor="sequential", progress=False)
    assert main(["brief", str(out)]) == 0
    line = _bottom_line((out / "brief" / "VNM.html").read_text())
    report = (out / "report" / "brief_cmp.md").read_text()
    first = report.index("## Bottom line")
    assert first < report.index("## How to read")
    assert line in report


def test_tables_have_units_in_their_headers(briefs):
    for economy in ("VNM", "USA"):
        for name in ("options", "groups"):
            table = pd.read_csv(briefs / "brief" / f"{economy}_{name}.csv")
            numeric = [c for c in table.columns if table[c].dtype.kind == "f"]
            assert numeric
            for c in numeric:
                assert re.search(r"\((USD|USD per worker|USD per year|% of GDP|%|"
                                 r"percentage points)\)$", c), c
        book = openpyxl.load_workbook(briefs / "brief" / f"{economy}.xlsx", read_only=True)
        assert book.sheetnames == ["options", "groups"]
        header = [c.value for c in next(book["options"].iter_rows(max_row=1))]
        assert header == list(pd.read_csv(briefs / "brief" / f"{economy}_options.csv").columns)


def test_numbers_have_at_most_two_significant_figures(briefs):
    table = pd.read_csv(briefs / "brief" / "VNM_options.csv")
    cols = [c for c in table.columns if table[c].dtype.kind == "f" and c != "rank"]
    values = table[cols].to_numpy(float).ravel()
    values = values[np.isfinite(values)]
    assert values.size
    assert max(significant_digits(v) for v in values) <= 2
    groups = pd.read_csv(briefs / "brief" / "VNM_groups.csv")
    change = [c for c in groups.columns if "percentage points" in c]
    values = groups[change].to_numpy(float).ravel()
    assert max(significant_digits(v) for v in values[np.isfinite(values)]) <= 2
    # Levels are shown to at most one decimal of a percent.
    levels = [c for c in groups.columns if c.endswith("(%)")]
    for v in groups[levels].to_numpy(float).ravel():
        assert round(v, 1) == v


def test_rounding_follows_the_interval():
    assert round_supported(704771.0, 312345.0, 2012345.0) == (700000.0, 300000.0, 2000000.0)
    assert round_supported(704771.0)[0] == 700000.0
    assert round_supported(0.4213, 0.41, 0.43)[0] == 0.42
    assert supported_step(0.4213, -1.2, 2.1) == 1.0
    assert significant_digits(0.000125) == 3


def test_plain_words_never_claim_a_chance_when_zero_is_inside():
    assert verdict(-0.1, 0.3, "higher") == "cannot be told from current policy"
    assert verdict(0.1, 0.3, "higher") == "likely better"
    assert verdict(0.1, 0.3, "lower") == "likely worse"
    assert verdict(np.nan, np.nan, "higher", n=1) == "too few runs to tell"


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def _refused(argv: list[str], capsys, watched: Path) -> str:
    before = _snapshot(watched)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err
    assert _snapshot(watched) == before
    return err


def test_a_folder_that_is_not_a_comparison_output_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("not results")
    err = _refused(["brief", str(tmp_path)], capsys, tmp_path)
    assert "not a comparison output" in err and "displacement-sim compare" in err


def test_an_economy_not_in_the_comparison_is_refused(briefs, capsys):
    err = _refused(["brief", str(briefs), "--economy", "THA"], capsys, briefs)
    assert "'THA' is not in the comparison" in err and "VNM, USA" in err


def test_a_sensitivity_folder_without_indices_is_refused(briefs, tmp_path, capsys):
    err = _refused(["brief", str(briefs), "--sensitivity", str(tmp_path)], capsys, briefs)
    assert "indices.csv" in err


def test_sensitivity_and_validation_are_summarised(briefs, tmp_path):
    sens = tmp_path / "sa"
    sens.mkdir()
    pd.DataFrame({"output": ["reemployed_12m"] * 3, "economy": ["all"] * 3,
                  "factor": ["skill_loss", "cost_decline", "capacity_share"],
                  "index": ["ST"] * 3, "value": [0.8, 0.3, 0.9], "conf": [0.3, 0.1, 0.2],
                  "label": ["Skill loss", "Cost decline", "Spending"]}).to_csv(
        sens / "indices.csv", index=False)
    (sens / "runs").mkdir()
    (sens / "runs" / "manifest.json").write_text(
        '{"definition": {"factor": [{"name": "capacity_share", "path": '
        '"policy.capacity_building.share_of_gdp"}, {"name": "skill_loss", "path": '
        '"labour_market.displaced_skill_loss"}, {"name": "cost_decline", "path": '
        '"automation.cost_decline_per_year"}]}}')
    val = tmp_path / "val"
    (val / "tables").mkdir(parents=True)
    (val / "origin_2012").mkdir()
    pd.DataFrame({"economy": ["VNM", "VNM"], "series": ["unemployment", "share_A"],
                  "group": ["unemployment", "sector_shares"], "mae_model": [0.61, 1.2],
                  "mae_persistence": [0.52, 2.9], "coverage": [0.4, 0.2]}).to_csv(
        val / "tables" / "by_series.csv", index=False)
    out = tmp_path / "pages"
    assert main(["brief", str(briefs), "--economy", "VNM", "--out", str(out),
                 "--sensitivity", str(sens), "--validation", str(val),
                 "--discount-rate", "0.05"]) == 0
    page = (out / "VNM.html").read_text()
    assert "Skill loss (ST 0.8" in page and "Cost decline (ST 0.3" in page
    assert "Spending" not in page  # a policy lever is not an assumption
    assert "forecasts from 2012" in page and "1 of 2 series" in page
    assert "missed by 0.61 points" in page
    assert "discounted at 5%" in page
    assert "No sensitivity analysis" not in page
