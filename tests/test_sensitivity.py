"""Sensitivity pipeline: checked on the Ishigami function, then on the model at tiny scale."""

import numpy as np
import pytest

from displacement_sim.analysis.factors import scale_sample
from displacement_sim.analysis.sensitivity import (
    AnalysisFile,
    analyse_outcomes,
    draw_sample,
    ishigami,
    ishigami_indices,
    load_analysis,
)
from displacement_sim.api import sensitivity as run_sensitivity
from displacement_sim.cli import main
from displacement_sim.errors import ScenarioError
from displacement_sim.studies import Factor

PI = float(np.pi)


def _ishigami_spec(method="sobol", n=1024, seed=0, **kw):
    factors = [{"name": f"x{i}", "path": f"automation.x{i}", "bounds": [-PI, PI]}
               for i in (1, 2, 3)]
    return AnalysisFile.model_validate({
        "name": "ishigami", "base": "baseline", "method": method, "n": n, "seed": seed,
        "replicates": 1, "factor": factors,
        "output": [{"name": "y", "outcome": "unemployment_rate_peak"}], **kw})


def ishigami_evaluator(spec, sample):
    return {"y": ishigami(sample)[:, None]}


def test_ishigami_sobol_matches_analytic_indices(tmp_path):
    spec = _ishigami_spec()
    res = run_sensitivity(spec, out=tmp_path, evaluator=ishigami_evaluator, progress=False)
    truth = ishigami_indices()
    for kind in ("S1", "ST"):
        got = res.indices[res.indices["index"] == kind].set_index("factor")["value"]
        np.testing.assert_allclose(got[["x1", "x2", "x3"]].to_numpy(), truth[kind], atol=0.05)
    assert (tmp_path / "indices.csv").is_file()
    assert (tmp_path / "figures" / "y.png").is_file()
    assert "x2" in (tmp_path / "summary.md").read_text() or "x1" in (
        tmp_path / "summary.md").read_text()


def test_ishigami_regression_exact_values(tmp_path):
    """Same seed, same indices: pinned to guard the pipeline against silent changes."""
    a = run_sensitivity(_ishigami_spec(n=256), out=tmp_path / "a",
                        evaluator=ishigami_evaluator, progress=False).indices
    b = run_sensitivity(_ishigami_spec(n=256), out=tmp_path / "b",
                        evaluator=ishigami_evaluator, progress=False).indices
    np.testing.assert_allclose(a["value"], b["value"], rtol=1e-12)
    c = run_sensitivity(_ishigami_spec(n=256, seed=1), out=tmp_path / "c",
                        evaluator=ishigami_evaluator, progress=False).indices
    assert not np.allclose(a["value"], c["value"])


def test_seed_zero_is_a_seed():
    s0 = draw_sample(_ishigami_spec(n=64, seed=0))
    s0b = draw_sample(_ishigami_spec(n=64, seed=0))
    s1 = draw_sample(_ishigami_spec(n=64, seed=1))
    np.testing.assert_array_equal(s0, s0b)
    assert not np.array_equal(s0, s1)


@pytest.mark.parametrize("method,n,index,ranking", [
    ("morris", 64, "mu_star", None),
    ("fast", 512, "S1", ["x2", "x1", "x3"]),
    ("delta", 1024, "delta", None),
    ("pawn", 1024, "pawn_median", None),
])
def test_other_methods_rank_ishigami_factors(method, n, index, ranking):
    spec = _ishigami_spec(method=method, n=n, resamples=10)
    unit = draw_sample(spec)
    sample = scale_sample(spec.factor, unit)
    res = analyse_outcomes(spec, unit, sample, ishigami_evaluator(spec, sample))
    got = res.indices[res.indices["index"] == index].set_index("factor")["value"]
    # x3 alone has no main effect: every method puts it last or near-last.
    if ranking:
        assert list(got.sort_values(ascending=False).index) == ranking
    else:
        assert got["x3"] < max(got["x1"], got["x2"])


def test_convergence_flags_small_samples():
    spec = _ishigami_spec(n=16, convergence_tolerance=0.01)
    unit = draw_sample(spec)
    res = analyse_outcomes(spec, unit, scale_sample(spec.factor, unit),
                           ishigami_evaluator(spec, scale_sample(spec.factor, unit)))
    assert res.convergence["unconverged"].any()
    assert set(res.convergence["n"]) == {4, 8, 16}


def test_noise_share_reported_for_replicates():
    spec = _ishigami_spec(n=64)
    unit = draw_sample(spec)
    sample = scale_sample(spec.factor, unit)
    rng = np.random.default_rng(0)
    y = ishigami(sample)
    noisy = {"y": y[:, None] + rng.normal(0, 3.0, size=(len(y), 4))}
    res = analyse_outcomes(spec, unit, sample, noisy)
    share = res.noise.loc[0, "noise_share"]
    expected = 9.0 / 4 / np.var(noisy["y"].mean(1), ddof=1)
    assert share == pytest.approx(expected, rel=0.35)


def test_factor_distributions():
    u = np.linspace(0.01, 0.99, 50)
    f = Factor(name="a", path="p", distribution="loguniform", bounds=(0.01, 1.0))
    x = f.ppf(u)
    assert x.min() >= 0.01 and x.max() <= 1.0
    assert np.all(np.diff(np.log(x)) > 0)
    t = Factor(name="b", path="p", distribution="triangular", bounds=(0.0, 1.0), mode=0.2)
    assert 0 <= t.ppf(np.array([0.5]))[0] <= 1
    with pytest.raises(ValueError):
        Factor(name="c", path="p", bounds=(1.0, 0.0))


def test_bad_analysis_file_names_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nbase = "baseline"\nmethdo = "sobol"\n'
                   '[[factor]]\nname="a"\npath="p"\nbounds=[0,1]\n'
                   '[[factor]]\nname="b"\npath="q"\nbounds=[0,1]\n'
                   '[[output]]\nname="o"\noutcome="unemployment_rate_peak"\n')
    with pytest.raises(ScenarioError, match=r"bad\.toml.*methdo"):
        load_analysis(bad)


def test_sobol_n_must_be_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        _ishigami_spec(n=100)


@pytest.mark.slow
def test_shipped_analysis_runs_end_to_end_from_cli(tmp_path, capsys):
    out = tmp_path / "sa"
    code = main(["sensitivity", "scenarios/sensitivity/capacity_building.toml", "--n", "4",
                 "--replicates", "2", "--years", "1", "--workers-per-agent", "100000",
                 "--economies", "VNM,THA",
                 "--executor", "sequential", "--out", str(out), "--quiet"])
    assert code == 0
    for name in ("indices.csv", "convergence.csv", "noise.csv", "summary.md"):
        assert (out / name).is_file(), name
    assert "What drives each outcome" in capsys.readouterr().out
    # Resume: every model run is stored, so a second call recomputes nothing.
    runs = sorted((out / "runs" / "parts").glob("*.parquet"))
    mtimes = [p.stat().st_mtime_ns for p in runs]
    assert main(["sensitivity", "scenarios/sensitivity/capacity_building.toml", "--n", "4",
                 "--replicates", "2", "--years", "1", "--workers-per-agent", "100000",
                 "--economies", "VNM,THA",
                 "--executor", "sequential", "--out", str(out), "--quiet"]) == 0
    assert [p.stat().st_mtime_ns for p in runs] == mtimes
