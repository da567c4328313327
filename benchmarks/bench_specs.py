"""How long building the run specs of a large study takes, before its first run starts.

Usage::

    .venv/bin/python benchmarks/bench_specs.py [--runs 10000]

Two cases, each ``--runs`` specs with their run ids (which hash every economy's settings):

- **batch**: ``workflows.batch.expand_batch`` on the baseline (eleven economies, a per-economy
  override for the United States) with a sweep of ``runs / 100`` points x 100 replicates;
- **sensitivity**: what ``workflows.sensitivity.model_evaluator`` does for every sample point
  of the shipped analysis (twelve factors, four economies, one replicate; its Sobol sample,
  with ``n`` large enough for ``--runs`` points): the sample row applied with
  ``scenarios.with_updates`` and its spec made with ``make_specs``.

It prints the seconds (best of ``--repeat``) and microseconds per spec of each.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from displacement_sim.analysis.factors import row_updates, scale_sample
from displacement_sim.analysis.sensitivity import draw_sample, load_analysis
from displacement_sim.resources import scenario_dir
from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.studies import BatchFile
from displacement_sim.workflows.batch import expand_batch
from displacement_sim.workflows.runs import make_specs


def batch_specs(runs: int) -> float:
    points = max(runs // 100, 1)
    bf = BatchFile.model_validate({
        "name": "bench", "scenarios": ["baseline"], "replicates": runs // points, "seed": 1,
        "sweep": {"parameters": {"policy.capacity_building.share_of_gdp":
                                 [i / 1e4 for i in range(points)]}}})
    start = time.perf_counter()
    specs = expand_batch(bf, Path.cwd(), "bench")
    ids = [s.run_id for s in specs]
    assert len(set(ids)) == len(ids) == points * (runs // points)
    return time.perf_counter() - start


def sensitivity_specs(runs: int) -> float:
    spec, path = load_analysis(scenario_dir() / "sensitivity" / "capacity_building.toml")
    base = load_scenario(spec.base, path.parent, economies=spec.economies, years=spec.years)
    n = 4
    while spec.model_copy(update={"n": n}).points < runs:
        n *= 2
    unit = draw_sample(spec.model_copy(update={"n": n}))[:runs]  # the analysis's own sample
    sample = scale_sample(spec.factor, unit)
    start = time.perf_counter()
    ids = []
    for row in sample:
        variant = with_updates(base, row_updates(spec.factor, row), "bench sample")
        ids += [r.run_id for r in make_specs(variant, 1, spec.seed)]
    assert len(ids) == runs
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many (default 3)")
    args = ap.parse_args()
    for name, fn in (("batch", batch_specs), ("sensitivity", sensitivity_specs)):
        fn(min(args.runs, 200))  # warm the data and scenario caches
        seconds = min(fn(args.runs) for _ in range(args.repeat))
        print(f"{name:12s} {args.runs:,} specs: {seconds:.2f} s "
              f"({1e6 * seconds / args.runs:.0f} us per spec)")


if __name__ == "__main__":
    main()
