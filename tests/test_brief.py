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


# ----------------------------------------------------------------------------- the ASEAN page


@pytest.fixture(scope="module")
def asean(tmp_path_factory):
    """A tiny comparison of two ASEAN members and the US, and its briefs by default."""
    folder = tmp_path_factory.mktemp("asean")
    (folder / "base.toml").write_text(BASE_TOML)
    (folder / "train.toml").write_text(TRAIN_TOML)
    (folder / "cmp.toml").write_text(COMPARISON_TOML.replace('"VNM", "USA"',
                                                             '"VNM", "PHL", "USA"'))
    out = folder / "out"
    run_comparison(folder / "cmp.toml", out=out, executor="sequential", progress=False)
    assert main(["brief", str(out)]) == 0
    return out


def _pooled(runs: pd.DataFrame, column: str, members=("VNM", "PHL")) -> pd.Series:
    """By hand: a count summed over the members, per option, replicate and month."""
    d = runs[runs["economy"].isin(members)]
    return d.groupby(["scenario", "replicate", "step"])[column].sum()


def test_asean_page_is_written_by_default_as_one_a4_page_with_its_bottom_line(asean, tmp_path):
    names = {p.name for p in (asean / "brief").iterdir()}
    for code in ("VNM", "PHL", "USA", "ASEAN"):
        assert {f"{code}.pdf", f"{code}.html", f"{code}_options.csv", f"{code}_groups.csv",
                f"{code}.xlsx"} <= names
    pdf = asean / "brief" / "ASEAN.pdf"
    subprocess.run([_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "p")],
                   check=True, capture_output=True)
    assert len(sorted(tmp_path.glob("p*.png"))) == 1
    page = (asean / "brief" / "ASEAN.html").read_text()
    line = _bottom_line(page)
    assert len(re.findall(r"[.!?](\s|$)", line)) == 2, line
    assert "the Philippines and Viet Nam" in line
    text = _pdf_text(pdf)
    assert " ".join(line.split()) in text
    assert "ASEAN (the Philippines and Viet Nam pooled)" in text  # the title names the members
    assert "United States is not in the aggregate" in page
    # What cannot be pooled is said, not left out silently.
    assert "Not shown, urban and rural workers" in page and "cannot be pooled" in page
    groups = pd.read_csv(asean / "brief" / "ASEAN_groups.csv")
    assert {"Women", "Men", "Aged 15-24"} <= set(groups["group"])
    book = openpyxl.load_workbook(asean / "brief" / "ASEAN.xlsx", read_only=True)
    assert book.sheetnames == ["options", "groups"]


def test_asean_numbers_are_sums_over_members_then_ratios(asean):
    from displacement_sim.analysis.brief import round_to
    from displacement_sim.reporting.brief import aggregate_inputs, load_inputs

    inputs = load_inputs(asean)
    pooled = aggregate_inputs(inputs)
    assert pooled.members == {"ASEAN": ("PHL", "VNM")}
    runs, c = inputs.results, pooled.comparison
    last = runs["step"].max()

    # Employment rate at the horizon: summed employed / summed labour force, run by run.
    employed, lf = _pooled(runs, "employed"), _pooled(runs, "labour_force")
    rate = (employed / lf).xs(last, level="step")
    diff = (rate.xs("train") - rate.xs("base")).to_numpy()
    d = c.differences.set_index(["option", "measure"]).loc[("train", "employment_rate_horizon")]
    assert d["mean_difference"] == pytest.approx(diff.mean(), rel=1e-12)
    half = 12.706204736174707 * diff.std(ddof=1) / np.sqrt(2)  # t(0.975, 1 df)
    assert d["ci_high"] == pytest.approx(diff.mean() + half, rel=1e-9)
    # ... which is not the mean of the members' own differences.
    own = inputs.comparison.differences
    own = own[(own["option"] == "train") & (own["measure"] == "employment_rate_horizon")
              & own["economy"].isin(["VNM", "PHL"])]
    assert abs(own["mean_difference"].mean() - diff.mean()) > 1e-6
    shown = pd.read_csv(asean / "brief" / "ASEAN_options.csv").set_index("option")
    v = round_supported(100 * diff.mean(), 100 * d["ci_low"], 100 * d["ci_high"])[0]
    assert shown.loc["Training", "employment rate change at the horizon (percentage points)"] \
        == v

    # Cost per additional displaced worker re-employed: summed extra cost / summed gain.
    spend = _pooled(runs[runs["step"] >= 1], "spending_total_usd").groupby(
        ["scenario", "replicate"]).sum()
    back = _pooled(runs, "displaced_reemployed").xs(last, level="step")
    extra = (spend.xs("train") - spend.xs("base")).mean()
    gain = (back.xs("train") - back.xs("base")).mean()
    ce = c.cost_effectiveness.set_index(["option", "ratio"]).loc[
        ("train", "cost_per_reemployed_usd")]
    assert ce["extra_cost_usd"] == pytest.approx(extra, rel=1e-12)
    assert ce["gain"] == pytest.approx(gain, rel=1e-12)
    assert ce["value"] == pytest.approx(extra / gain, rel=1e-12) if gain > 0 \
        else np.isnan(ce["value"])
    # Per long-term-unemployment year avoided: long-term unemployed people summed over the
    # members and months 1 to the horizon, / 12.
    ltu = _pooled(runs[runs["step"] >= 1].assign(
        ltu=lambda t: t["long_term_unemployed_share"] * t["unemployed"]), "ltu").groupby(
        ["scenario", "replicate"]).sum() / 12.0
    avoided = (ltu.xs("base") - ltu.xs("train")).mean()
    ce = c.cost_effectiveness.set_index(["option", "ratio"]).loc[
        ("train", "cost_per_ltu_year_avoided_usd")]
    assert ce["gain"] == pytest.approx(avoided, rel=1e-12)
    assert ce["value"] == pytest.approx(extra / avoided, rel=1e-12) if avoided > 0 \
        else np.isnan(ce["value"])

    # Cost a year as a share of the members' summed GDP.
    gdp = inputs.gdp_usd["VNM"] + inputs.gdp_usd["PHL"]
    assert pooled.gdp_usd["ASEAN"] == pytest.approx(gdp)
    share = 100 * spend.xs("train").mean() / inputs.years / gdp
    assert shown.loc["Training", "programme cost a year (% of GDP)"] == round_to(
        share, supported_step(share))

    # Women's employment to population: employed women summed over summed women of working
    # age (labour force / participation rate), not the mean of the two economies' ratios.
    women = runs.assign(pop_F=runs["labour_force_F"] / runs["participation_rate_F"],
                        emp_F=lambda t: t["employment_to_population_F"] * t["pop_F"])
    e2p = (_pooled(women, "emp_F") / _pooled(women, "pop_F")).xs(last, level="step")
    got = pooled.results.set_index(["scenario", "replicate", "step"])[
        "employment_to_population_F"].xs(last, level="step")
    assert np.allclose(got.loc[e2p.index], e2p, rtol=1e-12)


def test_pooling_one_economy_gives_its_own_comparison(asean):
    from displacement_sim.analysis.brief import pool_economies
    from displacement_sim.analysis.compare import compare
    from displacement_sim.reporting.brief import load_inputs

    inputs = load_inputs(asean)
    c = inputs.comparison
    own = compare(pool_economies(inputs.results, ["PHL"], "PHL"), c.reference,
                  c.counterfactual, c.options, c.confidence)
    for name in ("outcomes", "differences", "cost_effectiveness", "paths"):
        stored = getattr(c, name)
        stored = stored[stored["economy"] == "PHL"].reset_index(drop=True)
        pd.testing.assert_frame_equal(getattr(own, name).reset_index(drop=True), stored,
                                      check_dtype=False, rtol=1e-9)


def test_economy_asean_in_any_case_with_a_validation_per_member(asean, tmp_path):
    val = tmp_path / "val"
    (val / "tables").mkdir(parents=True)
    pd.DataFrame({"economy": ["VNM", "VNM"], "series": ["unemployment", "share_A"],
                  "group": ["unemployment", "sector_shares"], "mae_model": [0.61, 1.2],
                  "mae_persistence": [0.52, 2.9]}).to_csv(val / "tables" / "by_series.csv",
                                                          index=False)
    out = tmp_path / "pages"
    assert main(["brief", str(asean), "--economy", "Asean", "--out", str(out),
                 "--validation", str(val)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "ASEAN.html", "ASEAN.pdf", "ASEAN.xlsx", "ASEAN_groups.csv", "ASEAN_options.csv"]
    page = (out / "ASEAN.html").read_text()
    assert "no pooled track record" in page and "1 of 2 series in Viet Nam" in page
    assert "does not cover the Philippines" in page


def test_a_single_asean_member_writes_no_asean_page_by_default(briefs, tmp_path):
    out = tmp_path / "pages"
    assert main(["brief", str(briefs), "--out", str(out)]) == 0
    assert {p.stem.split("_")[0] for p in out.iterdir()} == {"VNM", "USA"}


def test_asean_without_an_asean_member_is_refused(tmp_path, capsys):
    (tmp_path / "base.toml").write_text(BASE_TOML)
    (tmp_path / "train.toml").write_text(TRAIN_TOML)
    (tmp_path / "cmp.toml").write_text(COMPARISON_TOML.replace('"VNM", "USA"', '"USA"'))
    out = tmp_path / "out"
    run_comparison(tmp_path / "cmp.toml", out=out, executor="sequential", progress=False)
    err = _refused(["brief", str(out), "--economy", "asean"], capsys, out)
    assert "--economy ASEAN" in err and "no ASEAN member" in err and "expected" in err
    assert not (out / "brief").exists()


# ------------------------------------------------------- a bottom line ranked by employment


def _employment_comparison(rows: list[tuple[str, float, float, float]]):
    """A Comparison whose differences hold only the mean employment rate over the run."""
    from displacement_sim.analysis.compare import Comparison

    diff = pd.DataFrame([{"economy": "PHL", "option": o, "measure": "employment_rate_mean",
                          "n": 10, "mean_difference": m, "ci_low": lo, "ci_high": hi}
                         for o, m, lo, hi in rows])
    empty = pd.DataFrame()
    return Comparison(reference="typhoon", counterfactual="typhoon",
                      options=("typhoon", *(r[0] for r in rows)), outcomes=empty, pairs=empty,
                      differences=diff, cost_pairs=empty, cost_effectiveness=empty,
                      paths=empty, effect=empty, bottom_line="employment")


def test_employment_bottom_line_ranks_by_the_mean_employment_rate():
    from displacement_sim.reporting.brief import bottom_line

    labels = {"typhoon": "Typhoon", "fast": "Fast recovery", "none": "No typhoon",
              "odd": "Odd option"}
    c = _employment_comparison([("fast", 0.0017, 0.0015, 0.0019),
                                ("none", 0.0067, 0.0063, 0.0071),
                                ("odd", 0.0030, -0.0010, 0.0070)])
    line = bottom_line(c, "PHL", labels, 2028, 5.0)
    assert line.startswith("In the Philippines, No typhoon gives the highest employment rate")
    assert "about 0.67 points above typhoon" in line
    # The others in order, with the interval's word: the one whose interval holds zero is not
    # called higher.
    assert line.index("Odd option") < line.index("Fast recovery")
    assert "Fast recovery, +0.17 points (likely higher)" in line
    assert "Odd option, +0.3 points (cannot be told from current policy)" in line
    none = bottom_line(_employment_comparison([("odd", 0.003, -0.001, 0.007)]), "PHL", labels,
                       2028, 5.0)
    assert "no option raises the employment rate" in none


def test_a_comparison_file_sets_the_bottom_line_and_rejects_unknown_measures(tmp_path, capsys):
    (tmp_path / "base.toml").write_text(BASE_TOML)
    (tmp_path / "train.toml").write_text(TRAIN_TOML)
    text = COMPARISON_TOML.replace('"VNM", "USA"', '"VNM"').replace(
        'reference = "base"', 'reference = "base"\nbottom_line = "employment"')
    (tmp_path / "cmp.toml").write_text(text)
    out = tmp_path / "out"
    result = run_comparison(tmp_path / "cmp.toml", out=out, executor="sequential",
                            progress=False)
    assert result.comparison.bottom_line == "employment"
    assert main(["brief", str(out)]) == 0
    line = _bottom_line((out / "brief" / "VNM.html").read_text())
    assert "employment rate" in line and "per additional worker" not in line
    assert line in (out / "report" / "brief_cmp.md").read_text()
    (tmp_path / "bad.toml").write_text(text.replace('"employment"', '"jobs"'))
    assert main(["compare", str(tmp_path / "bad.toml"), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bottom_line" in err[0] and "bad.toml" in err[0]
