"""Out-of-sample validation: benchmarks, the forecast table, Diebold-Mariano tests, scores, the
page and its figures (analysis.validation, reporting.validation_report)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from displacement_sim.analysis.validation import (
    BENCHMARKS,
    ar1_fit,
    benchmark_forecasts,
    diebold_mariano,
    diebold_mariano_panel,
    forecast_table,
    score,
    series_group,
)
from displacement_sim.errors import DataError
from displacement_sim.reporting.validation_report import (
    plot_validation_paths,
    validation_markdown,
)

# ------------------------------------------------------------------------------ benchmarks


def test_persistence_is_the_last_observed_value():
    h = pd.Series([3.0, 1.0, 2.0, np.nan], index=[2012, 2010, 2011, 2013])
    f = benchmark_forecasts(h, [2014, 2016])
    assert f["year"].tolist() == [2014, 2016]
    assert f["persistence"].tolist() == [3.0, 3.0]  # 2012: the last year with a value


def test_trend_is_exact_on_a_linear_series_and_not_clipped():
    years = np.arange(2005, 2014)
    h = pd.Series(90.0 + 2.5 * (years - 2005), index=years)
    f = benchmark_forecasts(h, [2014, 2020])
    np.testing.assert_allclose(f["trend"], [90.0 + 2.5 * 9, 90.0 + 2.5 * 15])
    assert f["trend"].iloc[-1] > 100  # a share's trend may leave [0, 100]


def test_ar1_recovers_phi_and_iterates():
    rng = np.random.default_rng(7)
    c, phi, n = 2.0, 0.6, 4000
    y = np.empty(n)
    y[0] = c / (1 - phi)
    for t in range(1, n):
        y[t] = c + phi * y[t - 1] + rng.normal(0.0, 1.0)
    h = pd.Series(y, index=np.arange(n))
    c_hat, phi_hat = ar1_fit(h)
    assert phi_hat == pytest.approx(phi, abs=0.04)
    assert c_hat == pytest.approx(c, abs=0.3)
    f = benchmark_forecasts(h, [n, n + 1, n + 3])
    assert not f["ar1_fallback"].any()
    f1 = c_hat + phi_hat * y[-1]
    f2 = c_hat + phi_hat * f1
    f4 = c_hat + phi_hat * (c_hat + phi_hat * f2)
    np.testing.assert_allclose(f["ar1"], [f1, f2, f4], rtol=1e-12)


def test_ar1_uses_consecutive_years_only():
    # 2010-2013 follow y_t = 1 + 0.5 y_{t-1} exactly; 2020, after a gap, pairs with no year
    h = pd.Series([4.0, 3.0, 2.5, 2.25, 10.0], index=[2010, 2011, 2012, 2013, 2020])
    assert ar1_fit(h) == pytest.approx((1.0, 0.5))
    # five years but two consecutive pairs only
    h = pd.Series([4.0, 3.0, 2.5, 2.25, 2.0], index=[2010, 2011, 2013, 2014, 2016])
    assert ar1_fit(h) is None


@pytest.mark.parametrize("values", [[1.0, 2.0, 3.0],            # fewer than 4 years
                                    [5.0, 5.0, 5.0, 5.0, 5.0],  # degenerate
                                    [1.0, 2.0, 4.0, 8.0, 16.0]])  # explosive, phi = 2
def test_ar1_falls_back_to_persistence(values):
    h = pd.Series(values, index=2000 + np.arange(len(values)))
    f = benchmark_forecasts(h, [2010, 2011])
    assert f["ar1_fallback"].all()
    assert f["ar1"].tolist() == [values[-1]] * 2


def test_benchmark_refuses_a_year_inside_the_history():
    with pytest.raises(DataError, match="not after"):
        benchmark_forecasts(pd.Series([1.0, 2.0], index=[2010, 2011]), [2011])


# -------------------------------------------------------------------------- forecast table


def _observed(economies=("VNM", "SGP"), series=("unemployment_rate", "share_A"),
              years=range(2005, 2021), seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame([{"economy": e, "series": s, "year": y,
                          "value": 10 + 0.3 * (y - 2005) + rng.normal(0, 0.5)}
                         for e in economies for s in series for y in years])


def _simulated(observed, origins, shift=0.2, half_width=1.0):
    rows = []
    for o in origins:
        for r in observed.itertuples():
            if r.year > o:
                m = r.value + shift
                rows.append({"economy": r.economy, "series": r.series, "origin": o,
                             "year": r.year, "mean": m, "p05": m - half_width,
                             "p95": m + half_width})
    return pd.DataFrame(rows)


def test_forecast_table_horizons_and_rows():
    obs = _observed()
    obs = obs[~((obs["economy"] == "VNM") & (obs["year"] == 2018))]  # a missing observation
    sim = _simulated(_observed(), [2012, 2015])
    t = forecast_table(obs, sim, [2012, 2015])
    assert list(t.columns[:13]) == ["economy", "series", "origin", "year", "horizon",
                                    "observed", "model", "model_p05", "model_p95",
                                    "persistence", "trend", "ar1", "ar1_fallback"]
    assert (t["horizon"] == t["year"] - t["origin"]).all()
    assert t["horizon"].min() == 1
    assert not ((t["economy"] == "VNM") & (t["year"] == 2018)).any()
    # 2 economies x 2 series x (8 + 5 years), less VNM 2018 at both origins, both series
    assert len(t) == 2 * 2 * 13 - 2 * 2


def test_no_leakage_after_the_origin():
    obs = _observed()
    sim = _simulated(obs, [2012])
    before = forecast_table(obs, sim, [2012])
    changed = obs.copy()
    changed.loc[changed["year"] > 2012, "value"] += 100.0
    after = forecast_table(changed, sim, [2012])
    for b in BENCHMARKS:
        np.testing.assert_array_equal(before[b], after[b])
    assert not np.allclose(before["observed"], after["observed"])


def test_fit_start_bounds_the_training_window():
    obs = _observed()
    sim = _simulated(obs, [2012])
    base = forecast_table(obs, sim, [2012], fit_start=2008)
    early = obs.copy()
    early.loc[early["year"] < 2008, "value"] += 50.0
    np.testing.assert_array_equal(base["trend"],
                                  forecast_table(early, sim, [2012], fit_start=2008)["trend"])
    inside = obs.copy()
    inside.loc[inside["year"] == 2009, "value"] += 50.0
    assert not np.allclose(base["trend"],
                           forecast_table(inside, sim, [2012], fit_start=2008)["trend"])


def test_forecast_table_refuses_an_origin_without_forecasts():
    obs = _observed()
    with pytest.raises(DataError, match="2016"):
        forecast_table(obs, _simulated(obs, [2012]), [2012, 2016])


# -------------------------------------------------------------------------- Diebold-Mariano

E_MODEL = [1.0, -1.0, 2.0, 0.0, 1.0]
E_BENCH = [2.0, 1.0, -2.0, 1.0, 2.0]
# squared loss: d = [1-4, 1-1, 4-4, 0-1, 1-4] = [-3, 0, 0, -1, -3]; mean -1.4
# centred [-1.6, 1.4, 1.4, 0.4, -1.6]: g0 = 9.2 / 5 = 1.84
# g1 = (1.4*-1.6 + 1.4*1.4 + 0.4*1.4 + -1.6*0.4) / 5 = -0.36 / 5 = -0.072


def test_dm_against_a_hand_computation():
    stat, p = diebold_mariano(E_MODEL, E_BENCH, h=1)
    hand = -1.4 / math.sqrt(1.84 / 5) * math.sqrt((5 + 1 - 2) / 5)
    assert stat == pytest.approx(hand, rel=1e-12)
    assert stat == pytest.approx(-2.0642, abs=1e-4)
    assert p == pytest.approx(2 * stats.t.sf(abs(hand), 4), rel=1e-12)
    stat2, _ = diebold_mariano(E_MODEL, E_BENCH, h=2)
    hand2 = -1.4 / math.sqrt((1.84 - 2 * 0.072) / 5) * math.sqrt((5 + 1 - 4 + 2 / 5) / 5)
    assert stat2 == pytest.approx(hand2, rel=1e-12)


def test_dm_sign_and_loss():
    stat, _ = diebold_mariano(E_MODEL, E_BENCH)
    assert stat < 0  # the model has the smaller loss
    assert diebold_mariano(E_BENCH, E_MODEL)[0] == pytest.approx(-stat)
    # absolute loss: d = [-1, 0, 0, -1, -1]
    abs_stat, _ = diebold_mariano(E_MODEL, E_BENCH, loss="absolute")
    d = np.array([-1.0, 0.0, 0.0, -1.0, -1.0])
    hand = d.mean() / math.sqrt(np.mean((d - d.mean()) ** 2) / 5) * math.sqrt(4 / 5)
    assert abs_stat == pytest.approx(hand, rel=1e-12)


def test_dm_falls_back_to_bartlett_weights():
    # d = 0.5 + (1, -1, 1, -1, 1, -1): g0 = 1, g1 = -5/6, so g0 + 2 g1 < 0;
    # Bartlett with h = 2: g0 + 2 (1/2) g1 = 1/6
    d = 0.5 + np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    e_model, e_bench = d + 2.0, np.full(6, 2.0)  # absolute loss gives d
    stat, _ = diebold_mariano(e_model, e_bench, h=2, loss="absolute")
    hand = 0.5 / math.sqrt((1 / 6) / 6) * math.sqrt((6 + 1 - 4 + 2 / 6) / 6)
    assert stat == pytest.approx(hand, rel=1e-12)


def test_dm_is_nan_when_it_cannot_be_computed():
    assert all(math.isnan(x) for x in diebold_mariano([1.0, 2.0], [2.0, 1.0]))
    assert all(math.isnan(x) for x in diebold_mariano(E_MODEL, E_MODEL))  # d = 0
    with pytest.raises(ValueError, match="shape"):
        diebold_mariano([1.0, 2.0, 3.0], [1.0, 2.0])


def test_dm_panel_with_one_origin_is_the_dm_test():
    for h in (1, 2, 3):
        assert diebold_mariano_panel(E_MODEL, E_BENCH, [2013] * 5, h) == pytest.approx(
            diebold_mariano(E_MODEL, E_BENCH, h=h))


def test_dm_panel_pools_autocovariances_within_origins():
    # origin 2013: d = [-3, 0, 0]; origin 2016: d = [-1, -3]; mean -1.4 over n = 5
    # centred: [-1.6, 1.4, 1.4] and [0.4, -1.6]; g0 = 9.2 / 5
    # g1 within origins only: (1.4*-1.6 + 1.4*1.4 + -1.6*0.4) / 5 = -0.92 / 5
    origins = [2013, 2013, 2013, 2016, 2016]
    stat, p = diebold_mariano_panel(E_MODEL, E_BENCH, origins, h=2)
    var = (9.2 - 2 * 0.92) / 5
    hand = -1.4 / math.sqrt(var / 5) * math.sqrt((5 + 1 - 4 + 2 / 5) / 5)
    assert stat == pytest.approx(hand, rel=1e-12)
    assert p == pytest.approx(2 * stats.t.sf(abs(hand), 1), rel=1e-12)  # G - 1 = 1
    assert stat != pytest.approx(diebold_mariano(E_MODEL, E_BENCH, h=2)[0])


def test_dm_size_and_power_by_simulation():
    """Under equal accuracy the 5% test rejects about 5% of the time; a better forecast is
    found significantly better (a negative statistic)."""
    rng = np.random.default_rng(2024)
    reps, n = 600, 40
    null = [diebold_mariano(rng.standard_normal(n), rng.standard_normal(n))[1]
            for _ in range(reps)]
    assert 0.025 <= np.mean(np.array(null) < 0.05) <= 0.08
    better = [diebold_mariano(0.6 * rng.standard_normal(n), rng.standard_normal(n))
              for _ in range(200)]
    assert np.mean([s < 0 and p < 0.05 for s, p in better]) > 0.8


def test_dm_panel_size_with_few_origins():
    """Overlapping forecasts (random-walk errors over 8 horizons) from 3 origins: with G - 1
    degrees of freedom the test keeps its size; with n - 1 it would reject too often."""
    rng = np.random.default_rng(11)
    g, horizons, reps = 3, 8, 600
    origins = np.repeat(np.arange(g), horizons)
    rejected_g, rejected_n = 0, 0
    for _ in range(reps):
        e_model = np.cumsum(rng.standard_normal((g, horizons)), axis=1).ravel()
        e_bench = np.cumsum(rng.standard_normal((g, horizons)), axis=1).ravel()
        stat, p = diebold_mariano_panel(e_model, e_bench, origins, horizons, "absolute")
        rejected_g += p < 0.05
        rejected_n += 2 * stats.t.sf(abs(stat), g * horizons - 1) < 0.05
    assert 0.005 <= rejected_g / reps <= 0.06
    assert rejected_n / reps > 0.08


# ----------------------------------------------------------------------------------- scores


def _table(errors, origins=(2013, 2016), horizons=3):
    """A forecast table with observed 0 and given absolute errors: errors[(economy, series)]
    maps each forecaster to its error, or to a dict origin -> error."""
    rows = []
    for (economy, series), errs in errors.items():
        for o in origins:
            for k in range(1, horizons + 1):
                row = {"economy": economy, "series": series, "origin": o, "year": o + k,
                       "horizon": k, "observed": 0.0}
                for f in ("model", *BENCHMARKS):
                    e = errs[f][o] if isinstance(errs[f], dict) else errs[f]
                    row[f] = e * (1 if k % 2 else -1)  # alternate the sign, same |error|
                row["model_p05"], row["model_p95"] = row["model"] - 0.5, row["model"] + 0.5
                rows.append(row)
    return pd.DataFrame(rows)


WINS = {"model": 1.0, "persistence": 2.0, "trend": 3.0, "ar1": 4.0}
LOSES = {"model": 2.0, "persistence": 1.0, "trend": 1.0, "ar1": 1.0}


def test_score_counts_on_a_constructed_table():
    t = _table({
        ("VNM", "unemployment_rate"): WINS,
        ("SGP", "unemployment_rate"): LOSES,
        ("USA", "unemployment_rate"): {"model": 1.0, "persistence": 1.0, "trend": 0.5,
                                       "ar1": 3.0},  # a tie is not a win
        # VNM shares: wins share_A by 2, loses share_B by 1: group mean 2.5 < 3.0, beaten
        ("VNM", "share_A"): {"model": 1.0, "persistence": 3.0, "trend": 3.0, "ar1": 3.0},
        ("VNM", "share_B"): {"model": 4.0, "persistence": 3.0, "trend": 3.0, "ar1": 3.0},
        # SGP shares: wins share_A by 0.5, loses share_B by 2: mean 3.0 > 2.25, not beaten
        ("SGP", "share_A"): {"model": 1.0, "persistence": 1.5, "trend": 1.5, "ar1": 1.5},
        ("SGP", "share_B"): {"model": 5.0, "persistence": 3.0, "trend": 3.0, "ar1": 3.0},
    })
    s = score(t)
    bs = s["by_series"].set_index(["economy", "series"])
    assert bs.loc[("VNM", "unemployment_rate"), ["beats_persistence", "beats_trend",
                                                 "beats_ar1"]].tolist() == [True] * 3
    assert not bs.loc[("SGP", "unemployment_rate"), "beats_persistence"]
    assert bs.loc[("USA", "unemployment_rate"), ["beats_persistence", "beats_trend",
                                                 "beats_ar1"]].tolist() == [False, False, True]
    assert bs.loc[("VNM", "share_A"), "mae_model"] == pytest.approx(1.0)
    assert bs.loc[("VNM", "share_A"), "n"] == 6 and bs.loc[("VNM", "share_A"), "n_origins"] == 2
    assert bs.loc[("SGP", "share_B"), "rmse_persistence"] == pytest.approx(3.0)
    h = s["headline"]
    h_all = h[h["origin"] == "all"].set_index(["group", "benchmark"])
    assert (h_all.loc[("unemployment", "persistence"), "economies_beaten"],
            h_all.loc[("unemployment", "persistence"), "economies"]) == (1, 3)
    assert h_all.loc[("unemployment", "ar1"), "economies_beaten"] == 2
    assert (h_all.loc[("sector_shares", "persistence"), "economies_beaten"],
            h_all.loc[("sector_shares", "persistence"), "economies"]) == (1, 2)
    assert (h_all.loc[("sector_shares", "persistence"), "pairs_beaten"],
            h_all.loc[("sector_shares", "persistence"), "pairs"]) == (2, 4)
    assert (h_all.loc[("all", "persistence"), "pairs_beaten"],
            h_all.loc[("all", "persistence"), "pairs"]) == (3, 7)
    assert set(h["origin"]) == {"2013", "2016", "all"}


def test_score_by_origin_reports_every_origin():
    t = _table({("VNM", "unemployment_rate"): {
        "model": {2013: 1.0, 2016: 3.0}, "persistence": 2.0, "trend": 2.0, "ar1": 2.0}})
    s = score(t)
    bo = s["by_origin"].set_index("origin")
    assert bo.loc[2013, "beats_persistence"] and not bo.loc[2016, "beats_persistence"]
    h = s["headline"].set_index(["origin", "group", "benchmark"])
    assert h.loc[("2013", "unemployment", "trend"), "economies_beaten"] == 1
    assert h.loc[("2016", "unemployment", "trend"), "economies_beaten"] == 0
    assert h.loc[("all", "unemployment", "trend"), "economies_beaten"] == 0  # MAE 2.0 = 2.0
    e = s["errors"]
    assert e["horizon"].tolist() == [1, 2, 3]
    assert e["mae_model"].tolist() == pytest.approx([2.0, 2.0, 2.0])
    assert e["rmse_model"].tolist() == pytest.approx([math.sqrt(5.0)] * 3)


def test_score_dm_sign_follows_the_mae():
    rng = np.random.default_rng(3)
    rows = []
    for o in (2010, 2012, 2014, 2016):
        for k in range(1, 6):
            e = rng.normal(0, 1)
            rows.append({"economy": "VNM", "series": "share_C", "origin": o, "year": o + k,
                         "horizon": k, "observed": 0.0, "model": 0.2 * e,
                         "model_p05": -1.0, "model_p95": 1.0,
                         "persistence": 2.0 * e + 1.0, "trend": 3.0 * e - 1.0,
                         "ar1": 0.2 * e})
    s = score(pd.DataFrame(rows))["by_series"].iloc[0]
    assert s["dm_stat_persistence"] < 0 and s["dm_p_persistence"] < 0.05
    assert s["dm_stat_trend"] < 0
    assert math.isnan(s["dm_stat_ar1"])  # the same forecast: no test
    assert not s["beats_ar1"]


def test_coverage_on_a_constructed_band():
    t = _table({("VNM", "unemployment_rate"): WINS, ("VNM", "share_A"): WINS})
    # observed 0; the band is model +- 0.5 with |model| = 1: nothing inside
    t.loc[t["series"] == "share_A", ["model_p05", "model_p95"]] = [-1.0, 0.0]  # 0 on the edge
    t.loc[(t["series"] == "share_A") & (t["horizon"] == 3), ["model_p05", "model_p95"]] = [
        np.nan, np.nan]
    s = score(t)
    c = s["coverage"].set_index(["origin", "group"])
    assert c.loc[("all", "unemployment"), "coverage"] == 0.0
    assert c.loc[("all", "unemployment"), "n"] == 6
    assert (c.loc[("all", "sector_shares"), "coverage"], c.loc[("all", "sector_shares"), "n"]
            ) == (1.0, 4)
    assert c.loc[("all", "all"), "coverage"] == pytest.approx(4 / 10)
    assert s["by_series"].set_index("series").loc["share_A", "n"] == 6  # MAE keeps all rows


def test_score_uses_a_common_sample():
    t = _table({("VNM", "unemployment_rate"): WINS})
    t.loc[0, "trend"] = np.nan
    t.loc[0, "model"] = 100.0  # this row is not scored at all
    s = score(t)
    assert s["by_series"]["n"].iloc[0] == 5
    assert s["by_series"]["mae_model"].iloc[0] == pytest.approx(1.0)


def test_series_groups():
    assert series_group("unemployment_rate") == "unemployment"
    assert series_group("share_LMN") == "sector_shares"
    assert series_group("participation_female") == "participation"
    assert series_group("share_industry") == "sector_groups"
    assert series_group("wage_index") == "wage_index"


# ------------------------------------------------------------------------------------ page

META = {"origins": [2013, 2016], "fit_start": 2005, "end_year": 2023,
        "economies": ["VNM", "SGP", "USA"], "replicates": 4, "parameter_sets": 3,
        "drivers": "observed", "command": "displacement-sim validate v.toml", "seconds": 61.5}


def _lines(md):
    return [line for line in md.splitlines() if line.strip()]


def test_page_leads_with_counts_and_says_does_not():
    t = _table({("VNM", "unemployment_rate"): WINS, ("SGP", "unemployment_rate"): LOSES,
                ("USA", "unemployment_rate"): LOSES,
                ("VNM", "share_A"): WINS, ("SGP", "share_A"): WINS, ("USA", "share_A"): LOSES})
    md = validation_markdown(score(t), {**META, "reasons": []}, {})
    lines = _lines(md)
    assert lines[0] == "# Out-of-sample validation"
    lead = lines[1]
    assert lead.startswith("At origin 2013 the model beats persistence in 1 of 3 economies "
                           "for unemployment and 2 of 3 for sector shares;")
    assert "At origin 2016" in lead and "Pooling all origins, the model beats" in lead
    assert ("The model does not beat persistence in most economies for unemployment at "
            "origins 2013 and 2016.") in lead
    assert "does not beat both persistence and the linear trend" in lead
    assert "for sector shares at" not in lead  # 2 of 3 beaten for shares at both origins
    assert lines[2] == "## Why"
    assert lines[3] == "No reason has been established for this result."
    assert "## Coverage of the 90% band" in md and "too narrow" in md
    assert "Viet Nam" in md and "2.00" in md  # MAE of SGP's model, two decimals
    assert "- Forecast origins (last fitted year): 2013, 2016" in md


def test_page_gives_the_reasons_it_is_given():
    t = _table({("VNM", "unemployment_rate"): LOSES, ("VNM", "share_A"): LOSES})
    md = validation_markdown(score(t), {"reasons": ["Drivers held at their 2013 values."]}, {})
    assert "- Drivers held at their 2013 values." in md
    assert "No reason has been established" not in md


def test_page_when_the_model_wins_everywhere():
    t = _table({(e, s): WINS for e in ("VNM", "SGP") for s in ("unemployment_rate",
                                                                "share_A", "share_B")})
    t[["model_p05", "model_p95"]] = [[-5.0, 5.0]] * len(t)
    md = validation_markdown(score(t), META, {"VNM": "validation/validation_VNM.png"})
    lead = _lines(md)[1]
    assert "does not" not in lead
    assert ("The model beats both persistence and the linear trend in most economies for "
            "unemployment and for sector shares at every origin.") in lead
    assert "## Why" not in md
    assert "too wide" in md
    assert "![VNM held-out paths](validation/validation_VNM.png)" in md


def test_page_says_when_a_key_group_is_missing():
    t = _table({("VNM", "unemployment_rate"): WINS})
    lead = _lines(validation_markdown(score(t), {}, {}))[1]
    assert "No held-out observation of sector shares was scored" in lead
    assert "does not beat both" in lead


def test_page_reports_an_origin_with_nothing_scored():
    t = _table({("VNM", "unemployment_rate"): WINS}, origins=(2013,))
    md = validation_markdown(score(t), {"origins": [2013, 2019]}, {})
    assert "At origin 2019 no held-out observation was scored." in md


# --------------------------------------------------------------------------------- figures


def test_plots_are_written(tmp_path):
    obs = _observed(series=("unemployment_rate", "participation_female", "share_A",
                            "share_services"))
    t = forecast_table(obs, _simulated(obs, [2012, 2015]), [2012, 2015])
    paths = plot_validation_paths(t, obs, tmp_path / "fig")
    assert [p.name for p in paths] == ["validation_SGP.png", "validation_VNM.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 1000
    one = plot_validation_paths(t, obs, tmp_path / "one", economies=["VNM"],
                                series=["share_A"])
    assert [p.name for p in one] == ["validation_VNM.png"]
    assert not list((tmp_path / "fig").glob(".*tmp"))  # no temporary file left


def test_page_half_of_the_economies_is_not_most():
    t = _table({("VNM", "unemployment_rate"): WINS, ("SGP", "unemployment_rate"): LOSES,
                ("VNM", "share_A"): WINS, ("SGP", "share_A"): WINS})
    lead = _lines(validation_markdown(score(t), {}, {}))[1]
    assert "beats persistence in 1 of 2 economies for unemployment" in lead
    assert ("The model does not beat persistence in most economies for unemployment at "
            "origins 2013 and 2016.") in lead
    assert "for sector shares at" not in lead
