"""Time of a Sobol analysis of 10 factors (scenarios/sensitivity/capacity_building.toml).

Runs the shipped analysis at its recommended SA scale with a base sample of ``--n`` (default 16:
192 sample points x 2 replicates = 384 model runs) on ``--workers`` processes, then reports the
measured model runs per second and the time that N = 256 (3,072 points, 6,144 runs) takes at
that rate, and at the full scale of the baseline (all 11 economies, 10 years, 5,000 people per
agent), whose run time is measured on a few runs. Pass ``--n 256`` to time the whole analysis.

    .venv/bin/python benchmarks/bench_sensitivity.py [--n 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from displacement_sim.analysis.sensitivity import AnalysisFile, load_analysis
from displacement_sim.scenarios import load_scenario
from displacement_sim.workflows.executors import ProcessExecutor
from displacement_sim.workflows.runs import make_specs, run_one
from displacement_sim.workflows.sensitivity import run_sensitivity

FILE = Path(__file__).resolve().parents[1] / "scenarios" / "sensitivity" / "capacity_building.toml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    spec, _ = load_analysis(FILE)
    spec = AnalysisFile.model_validate({**spec.model_dump(), "n": args.n,
                                        "base": str(FILE.parent / spec.base)})
    d = len(spec.factor)
    points = args.n * (d + 2)
    runs = points * spec.replicates
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with ProcessExecutor(args.workers) as ex:
            run_sensitivity(spec, out=Path(tmp) / "sa", executor=ex, progress=False)
        elapsed = time.perf_counter() - t0
    rate = runs / elapsed
    full_runs = 256 * (d + 2) * spec.replicates
    base = load_scenario("baseline")
    t0 = time.perf_counter()
    for s in make_specs(base, 2):
        run_one(s)
    per_full_run = (time.perf_counter() - t0) / 2
    print(f"| setting | value |\n|---|---|\n"
          f"| factors | {d} |\n| replicates per point | {spec.replicates} |\n"
          f"| SA scale | {', '.join(spec.economies or [])}; {spec.years} years; "
          f"{spec.workers_per_agent:g} people per agent |\n"
          f"| measured: N = {args.n} ({runs} runs) on {args.workers} workers | {elapsed:.0f} s "
          f"({rate:.2f} runs/s, including sampling, analysis and plots) |\n"
          f"| N = 256 ({full_runs} runs) at SA scale, at that rate | "
          f"{full_runs / rate / 60:.0f} min |\n"
          f"| one run at full baseline scale (11 economies, 10 years) | {per_full_run:.1f} s |\n"
          f"| N = 256 at full baseline scale on {args.workers} workers | "
          f"{full_runs * per_full_run / args.workers / 3600:.1f} h |")


if __name__ == "__main__":
    main()
