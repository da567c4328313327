"""Policy comparisons: paired analysis, cost-effectiveness, the report, the file and the CLI."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from displacement_sim.analysis.compare import (
    HEADLINE,
    HEADLINE_RATIO,
    MEASURES,
    PATH_METRIC,
    PATH_METRICS,
    RATIOS,
    TRAINEES_COUNTED,
    compare,
    cost_effectiveness,
    cost_effectiveness_pairs,
    fieller_interval,
    paired_differences,
    programme_effect,
    run_outcomes,
    summarize_pairs,
)
from displacement_sim.api import compare as run_comparison
from displacement_sim.cli import main
from displacement_sim.constants import ECONOMY_NAMES
from displacement_sim.errors import ScenarioError
from displacement_sim.model.workers import COHORT_MONTHS
from displacement_sim.reporting.comparison_report import build_report, render_markdown
from displacement_sim.scenarios import SCENARIO_DIR, validate
from displacement_sim.studies import load_comparison
from displacement_sim.workflows.comparison import option_scenarios

BASE_TOML = """\
name = "tiny_base"
economies = ["VNM"]
years = 2
min_agents_per_economy = 300
firms_per_sector = 5
"""

TRAIN_TOML = """\
extends = "base.toml"
name = "tiny_train"
[policy.capacity_building]
share_of_gdp = 0.01
"""

COMPARISON_TOML = """\
name = "tiny_cmp"
description = "Two identical options and a training programme."
economies = ["VNM", "SGP"]
years = 2
replicates = 3
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


def _write_files(folder: Path, comparison: str = COMPARISON_TOML) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "base.toml").write_text(BASE_TOML)
    (folder / "train.toml").write_text(TRAIN_TOML)
    path = folder / "cmp.toml"
    path.write_text(comparison)
    return path


@pytest.fixture(scope="module")
def tiny_comparison(tmp_path_factory):
    """One tiny comparison run: base, an identical copy, and a training programme."""
    folder = tmp_path_factory.mktemp("cmp")
    path = _write_files(folder)
    result = run_comparison(path, out=folder / "out", executor="sequential", progress=False,
                            report_dir=folder / "report", command="displacement-sim compare x")
    return result, folder


# ----------------------------------------------------------------------- paired analysis


def test_identical_options_have_zero_paired_differences(tiny_comparison):
    result, _ = tiny_comparison
    c = result.comparison
    d = c.differences[c.differences["option"] == "same"]
    assert set(d["measure"]) == set(MEASURES)
    defined = d[d["n"] > 0]
    assert not defined.empty
    assert (defined["mean_difference"] == 0.0).all()
    with_ci = defined[defined["n"] > 1]  # one pair has no interval
    assert not with_ci.empty
    assert (with_ci["ci_low"] == 0.0).all() and (with_ci["ci_high"] == 0.0).all()
    assert (defined["p_better"] == 0.0).all()  # ties are not "better"
    paths = c.paths[c.paths["option"] == "same"]
    assert (paths["metric"] == "employment_rate").all()
    assert (paths["mean_difference"] == 0.0).all()
    eff = c.effect[(c.effect["option"] == "same") & (c.effect["method"] == "displaced")
                   & (c.effect["n"] > 0)]
    assert (eff["mean_difference"] == 0.0).all()
    ce = c.cost_effectiveness[c.cost_effectiveness["option"] == "same"]
    assert (ce["status"] == "no gain").all() and ce["value"].isna().all()


def test_options_share_seeds_replicate_by_replicate(tiny_comparison):
    result, _ = tiny_comparison
    seeds = result.comparison.outcomes.groupby("replicate")["seed"].nunique()
    assert (seeds == 1).all()
    assert result.comparison.outcomes["seed"].nunique() == 3


def test_training_option_differs_and_has_trainees(tiny_comparison):
    result, _ = tiny_comparison
    c = result.comparison
    cost = c.differences[(c.differences["option"] == "train")
                         & (c.differences["measure"] == "programme_cost_usd")]
    assert (cost["mean_difference"] > 0).all()
    trainees = c.effect[(c.effect["option"] == "train") & (c.effect["method"] == "trainees")
                        & (c.effect["months"] == 6)]
    assert (trainees["group_size"] > 0).any()


def _outcomes(cost_ref, cost_opt, reemp_ref, reemp_opt, ltu_ref=None, ltu_opt=None):
    """A hand-made outcomes table: one economy, a reference and one option."""
    n = len(cost_ref)
    rows = []
    for option, cost, reemp, ltu in (("ref", cost_ref, reemp_ref, ltu_ref),
                                     ("opt", cost_opt, reemp_opt, ltu_opt)):
        for r in range(n):
            row = {"scenario": option, "replicate": r, "seed": 100 + r, "economy": "VNM",
                   **dict.fromkeys(MEASURES, 0.0)}
            row["programme_cost_usd"] = cost[r]
            row["displaced_reemployed"] = reemp[r]
            row["long_term_unemployed_years"] = ltu[r] if ltu is not None else 0.0
            rows.append(row)
    return pd.DataFrame(rows)


def test_cost_per_reemployed_worker_hand_computed():
    # Pair 0: USD 2 million more for 500 more re-employed; pair 1: USD 4 million for 1,000;
    # pair 2: USD 3 million for 750. Each costs USD 4,000 per additional worker re-employed,
    # and so does mean extra cost / mean gain (3e6 / 750); with no spread around that ratio,
    # Fieller's interval is the single point.
    out = _outcomes([1e6, 1e6, 2e6], [3e6, 5e6, 5e6], [1000, 1000, 1250], [1500, 2000, 2000],
                    ltu_ref=[400.0, 600.0, 500.0], ltu_opt=[300.0, 500.0, 400.0])
    pairs = cost_effectiveness_pairs(out, "ref")
    per = pairs[pairs["ratio"] == "cost_per_reemployed_usd"]
    np.testing.assert_allclose(per["value"], [4000.0, 4000.0, 4000.0])
    np.testing.assert_allclose(per["extra_cost_usd"], [2e6, 4e6, 3e6])
    np.testing.assert_allclose(per["gain"], [500.0, 1000.0, 750.0])
    ce = cost_effectiveness(out, "ref").set_index("ratio")
    row = ce.loc["cost_per_reemployed_usd"]
    assert row["value"] == pytest.approx(4000.0)
    assert row["ci_low"] == pytest.approx(4000.0) and row["ci_high"] == pytest.approx(4000.0)
    assert row["status"] == "ok" and row["pairs_with_gain"] == 3
    assert row["extra_cost_usd"] == pytest.approx(3e6) and row["gain"] == pytest.approx(750.0)
    # 100 fewer long-term-unemployed person-years in each pair: 3e6 / 100 = USD 30,000.
    ltu = ce.loc["cost_per_ltu_year_avoided_usd"]
    assert ltu["value"] == pytest.approx(30_000.0)
    assert ltu["gain"] == pytest.approx(100.0)
    # Two pairs only: the same ratio, but the gain's interval includes zero (t with 1 degree
    # of freedom), so the ratio's interval is unbounded.
    two = cost_effectiveness(out[out["replicate"] < 2], "ref").set_index("ratio")
    assert two.loc["cost_per_reemployed_usd", "value"] == pytest.approx(4000.0)
    assert two.loc["cost_per_reemployed_usd", "status"] == "gain uncertain"


def test_no_gain_is_reported_as_no_gain_not_a_number():
    out = _outcomes([0.0, 0.0, 0.0], [5e6, 5e6, 5e6], [1000, 1000, 1000], [900, 1000, 950])
    pairs = cost_effectiveness_pairs(out, "ref")
    per = pairs[pairs["ratio"] == "cost_per_reemployed_usd"]
    assert per["value"].isna().all()  # no pair gains: no ratio in any pair
    row = cost_effectiveness(out, "ref").set_index("ratio").loc["cost_per_reemployed_usd"]
    assert row["status"] == "no gain" and np.isnan(row["value"])
    from displacement_sim.reporting.comparison_report import fmt_ratio

    assert fmt_ratio(row) == "no gain"


def test_gain_at_no_extra_cost_is_said_so():
    out = _outcomes([1e6, 1e6, 1e6], [1e6, 1e6, 1e6], [1000, 1000, 1000], [1100, 1150, 1120])
    row = cost_effectiveness(out, "ref").set_index("ratio").loc["cost_per_reemployed_usd"]
    assert row["status"] == "no extra cost" and row["value"] == 0.0
    from displacement_sim.reporting.comparison_report import fmt_ratio

    assert fmt_ratio(row) == "no extra cost"


def test_uncertain_gain_has_an_unbounded_interval():
    # Gains of +900 and -700: positive on average, but not distinguishable from zero.
    out = _outcomes([0.0, 0.0], [1e6, 1e6], [1000, 1000], [1900, 300])
    row = cost_effectiveness(out, "ref").set_index("ratio").loc["cost_per_reemployed_usd"]
    assert row["status"] == "gain uncertain"
    assert row["value"] == pytest.approx(1e6 / 100.0)
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])


def test_fieller_interval_contains_the_ratio_and_shrinks_to_it_without_noise():
    rng = np.random.default_rng(0)
    y = 100.0 + rng.normal(0, 10, 20)
    x = 50.0 * y + rng.normal(0, 200, 20)
    ratio, lo, hi = fieller_interval(x, y)
    assert lo < ratio < hi
    assert lo < 50.0 < hi
    assert fieller_interval(3.0 * y, y) == pytest.approx((3.0, 3.0, 3.0))


def test_unpaired_seeds_are_refused():
    out = _outcomes([0.0, 0.0], [1.0, 1.0], [1, 1], [2, 2])
    out.loc[out["scenario"] == "opt", "seed"] += 1
    with pytest.raises(ValueError, match="not paired"):
        paired_differences(out, "ref")


def test_programme_effect_pools_trainee_months_by_size():
    # Two months of trainees 6 months after their start: 10 people at 50%, 30 at 100%.
    rows = []
    for option in ("none", "prog"):
        for step in (0, 1, 2):
            row = {"run_id": f"{option}-r0", "scenario": option, "replicate": 0, "seed": 1,
                   "economy": "VNM", "step": step}
            for k in (6, 12, 24, 36):
                for p in ("trainee", "cohort"):
                    row[f"{p}_{k}m_size"] = 0.0
                    row[f"{p}_{k}m_employed"] = np.nan
            row["cohort_6m_size"] = 100.0
            row["cohort_6m_employed"] = 0.6
            if option == "prog" and step >= 1:
                row["trainee_6m_size"] = 10.0 if step == 1 else 30.0
                row["trainee_6m_employed"] = 0.5 if step == 1 else 1.0
            rows.append(row)
    df = pd.DataFrame(rows)
    eff = programme_effect(df, "none").set_index(["method", "months"])
    got = eff.loc[("trainees", 6)]
    assert got["mean_option"] == pytest.approx((10 * 0.5 + 30 * 1.0) / 40)
    assert got["mean_difference"] == pytest.approx(0.875 - 0.6)
    assert got["group_size"] == pytest.approx(40.0)
    assert eff.loc[("trainees", 12), "n"] == 0
    assert eff.loc[("displaced", 6), "mean_difference"] == pytest.approx(0.0)


def _results(runs, steps=3, start_year=2025):
    """A hand-made tidy results table: one row per run, economy and month.

    ``runs`` maps ``(option, replicate)`` to a function of the month that returns the people
    ``(employed, unemployed, in_training)``; rates are computed from them as the model does.
    Every other column the comparison needs is a constant.
    """
    rows = []
    for (option, r), people in runs.items():
        for step in range(steps + 1):
            emp, unemp, train = people(step)
            lf = emp + unemp + train
            row = {"run_id": f"{option}-r{r}", "scenario": option, "replicate": r,
                   "seed": 100 + r, "economy": "VNM", "step": step,
                   "year": start_year + step // 12, "employed": emp, "unemployed": unemp,
                   "in_training": train, "labour_force": lf,
                   "employment_rate": emp / lf,
                   "unemployment_rate_incl_training": (unemp + train) / lf,
                   "unemployment_rate": unemp / (emp + unemp),
                   "unemployment_rate_urban": unemp / (emp + unemp),
                   "unemployment_rate_rural": unemp / (emp + unemp),
                   "long_term_unemployed_share": 0.25, "displaced_reemployed": 10.0,
                   "displaced_unemployed": 5.0, "displaced_cumulative": 20.0,
                   "displaced_income_loss_usd": 1e3, "spending_total_usd": 1e4 * train}
            for k in COHORT_MONTHS:
                for p in ("trainee", "cohort"):
                    row[f"{p}_{k}m_size"] = 10.0
                    row[f"{p}_{k}m_employed"] = 0.5
            rows.append(row)
    return pd.DataFrame(rows)


def test_headline_measures_come_first_and_are_declared():
    assert list(MEASURES)[:4] == ["employment_rate_horizon", "employment_rate_mean",
                                  "unemployment_rate_incl_training_horizon",
                                  "unemployment_rate_incl_training_peak"]
    assert MEASURES["employment_rate_horizon"].label == "Employment rate at the horizon"
    assert [MEASURES[m].better for m in list(MEASURES)[:4]] == ["higher", "higher",
                                                                "lower", "lower"]
    assert all(MEASURES[m].unit == "share" for m in list(MEASURES)[:4])
    assert "trainees not counted" in MEASURES["unemployment_rate_horizon"].label
    assert "trainees not counted" in MEASURES["unemployment_rate_peak"].label
    assert HEADLINE[0] == "employment_rate_horizon" and set(HEADLINE) <= set(MEASURES)
    assert HEADLINE_RATIO in RATIOS and PATH_METRIC in PATH_METRICS


def test_employment_measures_hand_computed():
    # Month 0 (the common start) is left out: its rates are extreme on purpose.
    people = {0: (50.0, 50.0, 0.0), 1: (90.0, 10.0, 0.0), 2: (90.0, 4.0, 6.0),
              3: (95.0, 2.0, 3.0)}
    out = run_outcomes(_results({("ref", 0): people.__getitem__}))
    row = out.iloc[0]
    assert row["employment_rate_horizon"] == pytest.approx(0.95)
    assert row["employment_rate_mean"] == pytest.approx((0.90 + 0.90 + 0.95) / 3)
    assert row["unemployment_rate_incl_training_horizon"] == pytest.approx(0.05)
    assert row["unemployment_rate_incl_training_peak"] == pytest.approx(0.10)
    assert row["unemployment_rate_horizon"] == pytest.approx(2.0 / 97.0)
    assert row["unemployment_rate_peak"] == pytest.approx(0.10)
    assert list(out.columns) == ["scenario", "replicate", "seed", "economy", *MEASURES]


def test_enrolling_the_unemployed_does_not_improve_the_headline_measures():
    # The option moves 5 of the reference's 10 unemployed into training, nothing else: the
    # unemployment rate (trainees not counted) falls, the headline measures do not move.
    def ref(step):
        return 90.0, 10.0, 0.0

    def opt(step):
        return (90.0, 5.0, 5.0) if step >= 1 else (90.0, 10.0, 0.0)

    df = _results({("ref", 0): ref, ("ref", 1): ref, ("opt", 0): opt, ("opt", 1): opt})
    diffs = summarize_pairs(paired_differences(run_outcomes(df), "ref")).set_index("measure")
    for m in ("employment_rate_horizon", "employment_rate_mean",
              "unemployment_rate_incl_training_horizon",
              "unemployment_rate_incl_training_peak"):
        assert diffs.loc[m, "mean_difference"] == pytest.approx(0.0, abs=1e-12), m
        assert diffs.loc[m, "p_better"] == 0.0, m
    assert diffs.loc["unemployment_rate_horizon", "mean_difference"] == pytest.approx(
        5.0 / 95.0 - 0.10)
    assert diffs.loc["unemployment_rate_horizon", "p_better"] == 1.0


def test_higher_employment_rate_counts_as_better():
    def ref(step):
        return 90.0, 10.0, 0.0

    def opt(step):
        return (92.0, 8.0, 0.0) if step >= 2 else (90.0, 10.0, 0.0)

    df = _results({("ref", 0): ref, ("ref", 1): ref, ("opt", 0): opt, ("opt", 1): opt})
    diffs = summarize_pairs(paired_differences(run_outcomes(df), "ref")).set_index("measure")
    assert diffs.loc["employment_rate_horizon", "mean_difference"] == pytest.approx(0.02)
    assert diffs.loc["employment_rate_horizon", "p_better"] == 1.0
    assert diffs.loc["employment_rate_mean", "mean_difference"] == pytest.approx(0.04 / 3)
    assert diffs.loc["unemployment_rate_incl_training_peak", "mean_difference"] == 0.0
    assert diffs.loc["unemployment_rate_incl_training_horizon", "p_better"] == 1.0


def test_outcomes_need_the_employment_rate_column():
    df = _results({("ref", 0): lambda step: (90.0, 10.0, 0.0)}).drop(
        columns="employment_rate")
    with pytest.raises(ValueError, match="employment_rate"):
        run_outcomes(df)


def test_synthetic_report_leads_with_the_employment_rate():
    def ref(step):
        return 90.0, 10.0, 0.0

    def train(step):
        return (90.0 + 0.1 * step, 5.0, 5.0 - 0.1 * step) if step >= 1 else ref(step)

    runs = {(o, r): f for o, f in (("ref", ref), ("train", train)) for r in range(3)}
    df = _results(runs, steps=24)
    c = compare(df, "ref")
    assert (c.paths["metric"] == "employment_rate").all()
    scenario = validate({"name": "synthetic", "economies": ["VNM"], "years": 2}, "synthetic")
    blocks = build_report(c, df, "synthetic", "", {"ref": "Current policy",
                                                    "train": "Training"},
                          {"ref": scenario, "train": scenario})
    md = render_markdown(blocks, "figures")
    lines = md.splitlines()
    assert TRAINEES_COUNTED in lines
    assert lines.index(TRAINEES_COUNTED) < lines.index("## How to read this report")
    overview = lines[lines.index("## Overview"):]
    header = [h.strip() for h in next(x for x in overview if x.startswith("|")).split("|")]
    assert header[1:4] == ["Economy", "Option", "Employment rate at the horizon: change"]
    assert header[4] == "Peak share unemployed or in training: change"
    section = lines[lines.index("### Outcomes against Current policy"):]
    first_row = [x for x in section if x.startswith("|")][2]
    assert first_row.startswith("| Employment rate at the horizon (%; higher is better)")
    assert "### Employment rate over time" in lines
    assert "Unemployment rate at the horizon (trainees not counted)" in md


def test_compare_needs_the_reference_in_the_results(tiny_comparison):
    result, _ = tiny_comparison
    df = result.store.read()
    with pytest.raises(ValueError, match="reference option 'nothere'"):
        compare(df, "nothere")


# ----------------------------------------------------------------------- report


def test_report_is_written_with_every_section(tiny_comparison):
    result, folder = tiny_comparison
    report = folder / "report"
    page = (report / "tiny_cmp.html").read_text()
    md = (report / "tiny_cmp.md").read_text()
    economies = ["VNM", "SGP"]
    sections = ["Policy comparison: tiny_cmp", "How to read this report", "Options", "Overview",
                *[f"{ECONOMY_NAMES[e]} ({e})" for e in economies],
                "Outcomes against Current policy", "Employment rate over time",
                "Cost-effectiveness", "Programme effect over time", "Method and limits"]
    for text in sections:
        assert text in page, text
        assert text in md, text
    # Scale, command, units and captions are stated.
    for text in ("Scale of this run", "displacement-sim compare x", "percentage points",
                 "USD", "replicate pairs", "no gain", "lock-in", TRAINEES_COUNTED,
                 "Unemployment rate at the horizon (trainees not counted)"):
        assert text in md, text
    assert TRAINEES_COUNTED in page
    # Self-contained HTML: three figures per economy, embedded; nothing fetched.
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 * len(economies)
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script" not in page and "<link" not in page
    # The Markdown links to PNG files that exist.
    links = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", md)
    assert len(links) == 3 * len(economies)
    assert all((report / link).is_file() for link in links)
    assert {p.name for p in result.report} >= {"tiny_cmp.html", "tiny_cmp.md"}


def test_tables_are_written(tiny_comparison):
    result, folder = tiny_comparison
    names = {p.stem for p in (folder / "out" / "comparison").glob("*.csv")}
    assert names == {"outcomes", "pairs", "differences", "cost_pairs", "cost_effectiveness",
                     "paths", "effect"}


def test_rerun_resumes_without_running_again(tiny_comparison):
    _, folder = tiny_comparison
    again = run_comparison(folder / "cmp.toml", out=folder / "out", executor="sequential",
                           progress=False, report_dir=folder / "report2")
    # Options with the same settings share their runs (same run ids), so fewer than 3 x 3.
    assert again.runs["done"] == 0 and again.runs["skipped"] == again.runs["total"]
    assert again.runs["total"] == len(set(again.results["run_id"]))


# ----------------------------------------------------------------------- file errors


def _error(tmp_path: Path, text: str) -> str:
    path = _write_files(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        cf, p = load_comparison(path)
        option_scenarios(cf, p.parent, str(path))
    return str(exc.value)


def test_error_unknown_key(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace("replicates = 3", "replicates = 3\nyeras = 3"))
    assert "key 'yeras'" in msg and "unknown key" in msg and "cmp.toml" in msg
    assert msg.count("\n") == 0


def test_error_unknown_key_in_an_option(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('label = "Training"', 'lable = "Training"'))
    assert "key 'options.train.lable'" in msg and "unknown key" in msg


def test_error_reference_not_among_options(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('reference = "base"',
                                                   'reference = "current"'))
    assert "key 'reference'" in msg and "'current' is not among the options" in msg


def test_error_counterfactual_not_among_options(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('reference = "base"',
                                                   'reference = "base"\n'
                                                   'counterfactual = "nothing"'))
    assert "key 'counterfactual'" in msg and "'nothing' is not among the options" in msg


def test_error_missing_scenario_file(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('scenario = "train.toml"',
                                                   'scenario = "nothere.toml"'))
    assert "key 'options.train.scenario'" in msg and "file not found: nothere.toml" in msg


def test_error_invalid_option_scenario(tmp_path):
    (tmp_path / "bad.toml").write_text('name = "bad"\nyeras = 3\n')
    msg = _error(tmp_path, COMPARISON_TOML.replace('scenario = "train.toml"',
                                                   'scenario = "bad.toml"'))
    assert "key 'options.train.scenario'" in msg and "key 'yeras'" in msg


def test_error_fewer_than_two_replicates(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace("replicates = 3", "replicates = 1"))
    assert "key 'replicates'" in msg and "greater than or equal to 2" in msg


def test_error_fewer_than_two_options(tmp_path):
    text = COMPARISON_TOML.split("[options.same]")[0]
    msg = _error(tmp_path, text)
    assert "key 'options'" in msg and "at least 2" in msg


def test_error_missing_reference(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('reference = "base"\n', ""))
    assert "key 'reference'" in msg and "required key is missing" in msg


def test_error_unknown_economy(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('["VNM", "SGP"]', '["VNM", "XYZ"]'))
    assert "key 'economies.1'" in msg and "'XYZ'" in msg


def test_error_economy_listed_twice(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace('["VNM", "SGP"]', '["VNM", "VNM"]'))
    assert "key 'economies'" in msg and "listed twice" in msg


def test_error_bad_option_name(tmp_path):
    msg = _error(tmp_path, COMPARISON_TOML.replace("[options.same]", '[options."same one"]'))
    assert "options.same one" in msg and "pattern" in msg


def test_error_options_that_cannot_pair(tmp_path):
    (tmp_path / "coarse.toml").write_text(BASE_TOML.replace("firms_per_sector = 5",
                                                            "firms_per_sector = 7"))
    msg = _error(tmp_path, COMPARISON_TOML.replace('scenario = "train.toml"',
                                                   'scenario = "coarse.toml"'))
    assert "key 'options'" in msg and "'firms_per_sector'" in msg


def test_cli_bad_file_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys):
    path = _write_files(tmp_path, COMPARISON_TOML.replace('reference = "base"',
                                                          'reference = "current"'))
    out = tmp_path / "out"
    code = main(["compare", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and "key 'reference'" in err
    assert not out.exists()


def test_cli_override_is_validated(tmp_path, capsys):
    path = _write_files(tmp_path)
    code = main(["compare", str(path), "--replicates", "1", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "key 'replicates'" in err and not (tmp_path / "o").exists()


# ----------------------------------------------------------------------- shipped file


def test_shipped_comparison_validates_and_resolves():
    path = SCENARIO_DIR / "compare" / "reskilling_options.toml"
    cf, p = load_comparison(path)
    scenarios = option_scenarios(cf, p.parent, str(path))
    assert list(scenarios) == ["no_active_policy", "baseline", "capacity_building",
                               "hiring_subsidy", "regional_centre", "combination"]
    assert cf.reference == "baseline" and cf.counterfactual == "no_active_policy"
    combo = scenarios["combination"]
    assert combo.defaults.policy.capacity_building.share_of_gdp == 0.005
    assert combo.defaults.policy.hiring_subsidy.share_of_wage == 0.3
    assert combo.regional_centre.enabled
    assert all(s.years == cf.years and list(s.economies) == cf.economies
               for s in scenarios.values())


def test_shipped_comparison_runs_from_the_cli_at_tiny_scale(tmp_path, capsys):
    path = SCENARIO_DIR / "compare" / "reskilling_options.toml"
    code = main(["compare", str(path), "--economies", "VNM", "--years", "1",
                 "--replicates", "2", "--workers-per-agent", "1e9",
                 "--min-agents-per-economy", "200", "--out", str(tmp_path / "out"),
                 "--report-dir", str(tmp_path / "report"), "--executor", "sequential",
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "12 runs done" in out
    md = (tmp_path / "report" / "reskilling_options.md").read_text()
    assert "Regional centre of excellence" in md and "Combination" in md
    assert "--economies VNM --years 1" in md
