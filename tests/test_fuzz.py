"""The project's fuzzer, bounded for the suite: mutated shipped files end cleanly.

``benchmarks/fuzz.py`` runs 10,000 cases and summarises them (docs/hardening.md); here
hypothesis drives the same case builder with its own random, so a failing case is shrunk to
the fewest mutations that still fail, and every case must end as a project error (exit 2, one
line, nothing written) or a run with finite results.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]


def _load_fuzzer():
    spec = importlib.util.spec_from_file_location("fuzz", REPO / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzzer()


def _check(record: dict) -> None:
    assert record["outcome"] in fuzz.GOOD, (
        f"{record['format']} case ({record['what']}) ended as {record['outcome']} "
        f"with exit {record['exit']}: {record['stderr']}")
    if record["outcome"] == "error":
        assert record["stderr"] and "\n" not in record["stderr"]


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(fuzz.FORMATS), rnd=st.randoms(use_true_random=False))
def test_mutated_files_and_options_end_in_a_clean_error_or_a_finite_run(fmt, rnd):
    record = fuzz.run_built(lambda folder: fuzz.build_case(fmt, rnd, folder), timeout=20.0)
    _check(record)


@pytest.mark.parametrize("fmt", [f for f in fuzz.FORMATS if f != "options"])
def test_the_unmutated_base_files_run(fmt, tmp_path, monkeypatch):
    # Without this, every mutated case could be an error for a reason no mutation made.
    monkeypatch.chdir(tmp_path)
    rng = random.Random(0)
    data = fuzz.base_file(fmt, tmp_path, rng)
    path = tmp_path / "case.toml"
    path.write_text(fuzz.to_toml(data))
    command = {"scenario": "run", "batch": "batch", "comparison": "compare",
               "sensitivity": "sensitivity", "calibration": "calibrate"}[fmt]
    from displacement_sim.cli import main

    assert main([command, str(path), "--out", str(tmp_path / "out"), "--executor",
                 "sequential", "--quiet"]) == 0
    assert fuzz._finite(tmp_path / "out")


def test_a_timeout_outside_the_model_is_a_hang_and_inside_it_is_slow(monkeypatch):
    # The classification the 10,000-case summary rests on: a program blocked outside the
    # model (reading a FIFO, waiting on a lock or socket) is a hang; a valid run with millions
    # of agents that is still stepping when the time runs out is slow, not a defect.
    import time

    import displacement_sim.cli

    with monkeypatch.context() as m:
        m.setattr(displacement_sim.cli, "main", lambda argv: time.sleep(5))
        record = fuzz.run_built(lambda folder: ("scenario", [], "blocked"), timeout=0.2)
    assert record["outcome"] == "hang"

    def big(folder):
        data = fuzz._small_scenario({"workers_per_agent": 5.0, "years": 5})
        (folder / "big.toml").write_text(fuzz.to_toml(data))
        return "scenario", ["run", str(folder / "big.toml"), "--out", str(folder / "out"),
                            "--executor", "sequential", "--quiet", "--no-figures"], "big"

    assert fuzz.run_built(big, timeout=3.0)["outcome"] == "slow"
