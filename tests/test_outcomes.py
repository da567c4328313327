"""The registry of indicators and outcomes: complete, valid, one definition per name, in the docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd
import pytest
from conftest import run_model, tiny_scenario

from displacement_sim import outcomes
from displacement_sim.analysis import compare, outputs
from displacement_sim.model import METRICS, reporters
from displacement_sim.model.workers import COHORT_MONTHS
from displacement_sim.outcomes import (
    INDICATORS,
    REFERENCE_RATIOS,
    RENAMED,
    RUN_OUTCOMES,
    Reduce,
    RunOutcome,
    monthly,
)
from displacement_sim.reporting import report

DOCS = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"


@pytest.fixture(scope="module")
def run() -> pd.DataFrame:
    """One tidy run of two economies (VNM, SGP) with training, over three years."""
    s = tiny_scenario(years=3, policy={"capacity_building": {"share_of_gdp": 0.01}})
    df = run_model(s, seed=4).results()
    df.insert(0, "run_id", "tiny-r0000")
    df.insert(1, "scenario", "tiny")
    df.insert(2, "replicate", 0)
    df.insert(3, "seed", 4)
    return df


# ----------------------------------------------------------------------- completeness


def test_every_column_the_model_writes_is_declared_and_every_declared_one_is_written(run):
    written = [c for c in run.columns if c not in ("run_id", "scenario", "replicate", "seed",
                                                   "economy", "step", "year")]
    assert written == list(INDICATORS)
    assert list(METRICS) == list(INDICATORS)
    assert METRICS["employment_rate"] == INDICATORS["employment_rate"].definition


def test_the_model_and_the_registry_share_their_dimensions():
    assert outcomes.COHORT_MONTHS == COHORT_MONTHS
    assert reporters.DEMAND_EFFECTS == outcomes.DEMAND_EFFECTS


def test_units_kinds_directions_and_weights_are_valid():
    for ind in INDICATORS.values():
        assert ind.unit in get_args(outcomes.IndicatorUnit), ind.name
        assert ind.kind in get_args(outcomes.Kind), ind.name
        assert ind.better in (None, *get_args(outcomes.Direction)), ind.name
        assert ind.label and ind.definition, ind.name
        if ind.unit == "share":
            assert ind.kind == "ratio", ind.name
        for w in ind.weights:
            assert INDICATORS[w].kind == "count", (ind.name, w)
    for o in RUN_OUTCOMES.values():
        assert o.unit in get_args(outcomes.OutcomeUnit), o.name
        assert o.better in get_args(outcomes.Direction), o.name
        assert o.label and o.definition and o.needs, o.name
        assert set(o.columns) <= set(INDICATORS), o.name
    for r in REFERENCE_RATIOS.values():
        assert r.gain in RUN_OUTCOMES and r.cost in RUN_OUTCOMES
        assert r.unit.startswith("USD per ")


def test_one_name_per_quantity():
    names = outcomes.outcome_names()
    assert len(set(names)) == len(names)
    assert not set(RENAMED) & set(names)
    assert set(RENAMED.values()) <= set(names)


@pytest.mark.parametrize(("field", "value"), [("unit", "percent"), ("better", "more")])
def test_an_invalid_outcome_declaration_is_refused(field, value):
    kw = {"unit": "share", "better": "higher"} | {field: value}
    with pytest.raises(ValueError, match=field):
        RunOutcome("x_peak", "X", definition="x", compute=Reduce("peak", "employment_rate"),
                   **kw)


def test_an_outcome_must_read_declared_indicators():
    with pytest.raises(ValueError, match="undeclared"):
        RunOutcome("x", "X", "share", "higher", "x", Reduce("peak", "no_such_column"))


def test_names_are_checked_and_former_names_say_what_they_became():
    assert outcomes.check_name("unemployment_rate_peak") == "unemployment_rate_peak"
    with pytest.raises(ValueError, match="'peak_unemployment_rate' was renamed to "
                                         "'unemployment_rate_peak'"):
        outcomes.check_name("peak_unemployment_rate")
    with pytest.raises(ValueError, match="unknown outcome 'nope'"):
        outcomes.check_name("nope")
    assert outcomes.resolve("reemployed_within_12m") == "reemployed_12m"


# ----------------------------------------------------------------------- one definition


def _same(a: float, b: float) -> bool:
    return a == b or (np.isnan(a) and np.isnan(b))


def test_sensitivity_and_comparison_compute_the_same_numbers(run):
    table = compare.run_outcomes(run).set_index("economy")
    for economy in ("VNM", "SGP"):
        for name in RUN_OUTCOMES:
            assert _same(outputs.outcome(run, name, economy), table.loc[economy, name]), name
        # The former sensitivity names are refused, saying what they became.
        for old, new in RENAMED.items():
            with pytest.raises(ValueError, match=f"renamed to '{new}'"):
                outputs.outcome(run, old, economy)
    assert np.isfinite(table["unemployment_rate_peak"]).all()
    assert np.isfinite(table["reemployed_12m"]).any()


def test_the_peak_leaves_month_zero_out(run):
    d = run[run["economy"] == "VNM"].copy()
    peak = outputs.outcome(d, "unemployment_rate_peak", "VNM")
    assert peak == d.loc[d["step"] >= 1, "unemployment_rate"].max()
    d.loc[d["step"] == 0, "unemployment_rate"] = 0.99
    assert outputs.outcome(d, "unemployment_rate_peak", "VNM") == peak
    assert compare.run_outcomes(d)["unemployment_rate_peak"].iloc[0] == peak


def test_pooled_economies_sum_people_before_taking_ratios(run):
    first = run[run["step"] >= 1]
    by_step = first.groupby("step")[["employed", "unemployed", "labour_force"]].sum()
    expected = (by_step["unemployed"] / (by_step["employed"] + by_step["unemployed"])).max()
    assert outputs.outcome(run, "unemployment_rate_peak") == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(monthly(run, "employed"), by_step["employed"].to_numpy())
    cost = outputs.outcome(run, "programme_cost_usd")
    assert cost == pytest.approx(sum(outputs.outcome(run, "programme_cost_usd", e)
                                     for e in ("VNM", "SGP")))


def test_a_ratio_without_weights_cannot_be_pooled(run):
    assert not RUN_OUTCOMES["urban_rural_gap"].pools
    assert RUN_OUTCOMES["unemployment_rate_peak"].pools
    assert np.isfinite(outputs.outcome(run, "urban_rural_gap", "VNM"))
    with pytest.raises(ValueError, match="cannot be pooled"):
        outputs.outcome(run, "urban_rural_gap", "all")


def test_reference_ratios_follow_the_direction_of_their_gain():
    reemp = REFERENCE_RATIOS["cost_per_reemployed_usd"]
    assert reemp.value(3e6, 1e6, 1_500, 1_000) == 4000.0
    ltu = REFERENCE_RATIOS["cost_per_ltu_year_avoided_usd"]
    assert ltu.value(3e6, 1e6, 800.0, 1000.0) == 10_000.0  # 200 person-years fewer
    assert np.isnan(ltu.value(3e6, 1e6, 1200.0, 1000.0))
    assert (reemp.cost, reemp.gain) == ("programme_cost_usd", "displaced_reemployed")
    with pytest.raises(ValueError, match="reference run"):
        outputs.outcome(pd.DataFrame({"economy": ["VNM"], "step": [1]}),
                        "cost_per_reemployed_usd")


def test_views_of_the_registry():
    assert compare.MEASURES is RUN_OUTCOMES
    assert compare.Measure is RunOutcome
    assert compare.PATH_METRICS["employment_rate"] == ("Employment rate", "higher")
    assert "participation_rate" not in compare.PATH_METRICS  # no direction
    assert compare.RATIOS["cost_per_reemployed_usd"][2] == "displaced_reemployed"
    assert compare.HEADLINE == tuple(n for n, o in RUN_OUTCOMES.items() if o.headline)
    assert dict(outputs.OUTCOME_COLUMNS)["employment_rate_horizon"] == (
        "employment_rate", "labour_force")
    assert outputs.needed_columns(["reemployed_12m"]) == [
        "cohort_12m_employed", "cohort_12m_size", "economy", "step"]
    assert report.HEADLINE["employment_rate"][0] == INDICATORS["employment_rate"].label


# ----------------------------------------------------------------------- adding an outcome


def test_an_outcome_registered_once_is_compared_analysed_and_documented(run, monkeypatch):
    new = RunOutcome("employment_rate_low", "Lowest employment rate", "share", "higher",
                     "lowest monthly `employment_rate` over months 1 to the horizon",
                     lambda r: float(np.nanmin(monthly(r, "employment_rate"))),
                     needs=("employment_rate",))
    monkeypatch.setitem(RUN_OUTCOMES, new.name, new)
    expected = run.loc[(run["economy"] == "VNM") & (run["step"] >= 1), "employment_rate"].min()
    # The comparison ...
    assert "employment_rate_low" in compare.MEASURES
    table = compare.run_outcomes(run)
    assert table.set_index("economy").loc["VNM", "employment_rate_low"] == expected
    other = table.assign(scenario="other")
    pairs = compare.paired_differences(pd.concat([table, other]), "tiny")
    summary = compare.summarize_pairs(pairs).set_index("measure")
    assert summary.loc["employment_rate_low", "label"].iloc[0] == "Lowest employment rate"
    # ... the sensitivity analysis ...
    assert "employment_rate_low" in outcomes.outcome_names()
    assert outcomes.check_name("employment_rate_low") == "employment_rate_low"
    assert "employment_rate_low" in outputs.OUTCOMES
    assert outputs.outcome(run, "employment_rate_low", "VNM") == expected
    assert "employment_rate" in outputs.needed_columns(["employment_rate_low"])
    # ... and the docs.
    assert "`employment_rate_low` | Lowest employment rate" in outcomes.markdown_tables()[
        "run_outcomes"]


# ----------------------------------------------------------------------- docs


def test_docs_outputs_md_is_generated_from_the_registry():
    text = DOCS.read_text(encoding="utf-8")
    assert set(outcomes.generated_blocks(text)) == set(outcomes.markdown_tables())
    assert outcomes.update_markdown(text) == text, (
        f"docs/outputs.md is out of date with displacement_sim/outcomes.py; run "
        f"`{outcomes.REGENERATE}`")


def test_every_indicator_is_in_the_docs():
    text = outcomes.update_markdown(DOCS.read_text(encoding="utf-8"))
    for ind in INDICATORS.values():
        assert f"`{(ind.family or ind).name}`" in text, ind.name


def test_docs_list_the_headline_columns_of_the_run_summary():
    text = DOCS.read_text(encoding="utf-8")
    block = text[text.index("The headline columns of `summary.csv` are"):]
    block = block[:block.index("\n\n", block.index("- "))]
    assert re.findall(r"^- `(\w+)`$", block, re.MULTILINE) == list(report.HEADLINE_INDICATORS)


def test_the_run_summary_can_show_every_indicator_unit():
    assert set(get_args(outcomes.IndicatorUnit)) <= set(report.UNIT_FORMAT)
