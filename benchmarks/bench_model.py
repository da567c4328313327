"""Speed and memory of the full 11-economy model, 10 simulated years.

Usage: ``./dev sim``-style environment, then::

    .venv/bin/python benchmarks/bench_model.py [--agents 10000 100000 1000000] [--years 10]

Each scale runs in a fresh subprocess so that its peak resident memory (``ru_maxrss``) is its
own. Agents are the rows of the worker table: the working-age population (labour force and
inactive). Prints agent-steps per second (stepping only; set-up, which includes the burn-in, is
timed apart), state bytes per agent and peak memory, as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one(agents: int, years: int, seed: int) -> dict:
    from displacement_sim.model import DisplacementModel
    from displacement_sim.model.inputs import load_inputs
    from displacement_sim.scenarios import load_scenario

    scenario = load_scenario("baseline", years=years)
    inputs = load_inputs(scenario)
    # Agents are the working-age population (15+): the labour force and the inactive.
    k = int(inputs.histories["USA"].years.searchsorted(inputs.us_profile.year))
    population = sum((h.labour_force[k].sum(axis=1) / h.participation[k]).sum()
                     for h in inputs.histories.values())
    scenario = load_scenario("baseline", workers_per_agent=population / agents,
                             min_agents_per_economy=10, years=years)
    t0 = time.perf_counter()
    model = DisplacementModel(scenario, seed=seed, inputs=inputs)
    t1 = time.perf_counter()
    model.run_months(12 * years)
    t2 = time.perf_counter()
    n = model.workers.n
    steps = 12 * years
    return {
        "agents": n,
        "months": steps,
        "setup_s": t1 - t0,
        "step_s": t2 - t1,
        "agent_steps_per_s": n * steps / (t2 - t1),
        "ns_per_agent_step": 1e9 * (t2 - t1) / (n * steps),
        "state_bytes_per_agent": model.workers.nbytes() / n,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one(args.child, args.years, args.seed)))
        return
    print("| agents | months | set-up (s) | stepping (s) | agent-steps/s | ns/agent-step "
          "| state bytes/agent | peak RSS (MiB) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.agents:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--years",
                              str(args.years), "--seed", str(args.seed)],
                             check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {r['agents']:,} | {r['months']} | {r['setup_s']:.2f} | {r['step_s']:.2f} "
              f"| {r['agent_steps_per_s'] / 1e6:.1f} M | {r['ns_per_agent_step']:.0f} "
              f"| {r['state_bytes_per_agent']:.0f} | {r['peak_rss_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
