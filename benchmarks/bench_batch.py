"""Throughput, parallel efficiency and coordinator memory of batches.

Usage (from the repository root)::

    PYTHONPATH=. python benchmarks/bench_batch.py [--runs 200] [--memory-runs 500 2000]

(a) Runs per minute of a ``--runs`` batch at the smoke settings (baseline and hiring subsidy,
    two zipped sweep points, VNM and SGP, one year, 20,000 people per agent) in this process
    (``SequentialExecutor``) and on 1 and 2 ``ProcessExecutor`` workers. Worker start-up is
    excluded: the pool is entered and every worker has run one spec (imports and data loaded)
    before the clock starts; the cold time, start-up included, is shown apart. The parallel
    efficiency is ``(rate2 / rate1) / 2``. The coordinator's CPU time per run and the time it
    spends writing each result (the workers encode Parquet; the coordinator writes the bytes)
    show where the rest goes.
(b) Peak memory of the coordinator for ``--memory-runs`` tiny runs on 2 process workers, each in
    a fresh child process: tracemalloc peak while expanding the batch and while running it, and
    the child's peak resident memory (``ru_maxrss``, coordinator only).

Prints Markdown tables. Other processes on the machine skew the rates; ``--repeat`` keeps the
best of several measurements and the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from displacement_sim.studies import load_batch_file
from displacement_sim.workflows.batch import expand_batch
from displacement_sim.workflows.execute import execute, manifest_for
from displacement_sim.workflows.executors import Executor, ProcessExecutor, SequentialExecutor
from displacement_sim.workflows.runs import RunSpec, timed_run
from displacement_sim.workflows.store import ResultsStore

ROOT = Path(__file__).resolve().parents[1]
SMOKE = ROOT / "scenarios" / "batches" / "smoke.toml"


# ------------------------------------------------------------------ helpers run in workers


def warm(spec: RunSpec) -> int:
    """Run one spec (imports, data cache), then hold the worker so that each gets one."""
    timed_run(spec)
    time.sleep(0.5)
    return os.getpid()


def cpu_timed_run(spec: RunSpec) -> tuple[str, Any, str | None, float]:
    """``timed_run``, reporting the worker's CPU seconds instead of wall seconds."""
    start = time.process_time()
    run_id, df, error, _ = timed_run(spec)
    return run_id, df, error, time.process_time() - start


class TimedStore(ResultsStore):
    """A store that adds up the time spent writing results."""

    write_seconds = 0.0

    def write_run_bytes(self, run_id: str, data: bytes) -> None:
        start = time.perf_counter()
        super().write_run_bytes(run_id, data)
        self.write_seconds += time.perf_counter() - start


class Recording(Executor):
    """Wraps an executor; runs ``timed_run`` as ``cpu_timed_run`` and records its CPU time."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.n_workers = inner.n_workers
        self.seconds: list[float] = []

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        fn = cpu_timed_run if fn is timed_run else fn
        for result in self.inner.imap_unordered(fn, items):
            self.seconds.append(result[3])
            yield result


def smoke_specs(n_runs: int, seed: int) -> list[RunSpec]:
    """``n_runs`` specs of the smoke batch (its 4 variants, replicated)."""
    bf, path = load_batch_file(SMOKE)
    bf = bf.model_copy(update={"replicates": -(-n_runs // 4), "seed": seed})
    return expand_batch(bf, path.parent)[:n_runs]


def make(n_workers: int) -> Executor:
    return SequentialExecutor() if n_workers == 0 else ProcessExecutor(n_workers)


def measure(n_workers: int, specs: list[RunSpec], warm_specs: list[RunSpec]
            ) -> dict[str, float]:
    """One throughput measurement; ``n_workers == 0`` runs in this process."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with make(n_workers) as ex:
            n = max(1, n_workers)
            pids = list(ex.imap_unordered(warm, warm_specs[:n]))
            assert n_workers == 0 or len(set(pids)) == n, "a worker took two warm-up runs"
            t1 = time.perf_counter()
            rec = Recording(ex)
            store = TimedStore(Path(tmp) / "out")
            store.open(manifest_for("bench", specs, 0, {}))
            cpu0 = time.process_time()
            t2 = time.perf_counter()
            execute(specs, store, rec, progress=False)
            t3 = time.perf_counter()
            cpu = time.process_time() - cpu0
            failed = store.failed()
            assert len(store.done()) == len(specs), f"{len(failed)} runs failed: {failed}"
    runs = len(specs)
    wall = t3 - t2
    return {
        "rate": 60 * runs / wall,
        "wall": wall,
        "startup": t1 - t0 - 0.5,
        "cold_rate": 60 * runs / (t1 - t0 - 0.5 + wall),
        "coord_cpu_ms": 1000 * cpu / runs,
        "write_ms": 1000 * store.write_seconds / runs,
        "run_cpu_ms": 1000 * sum(rec.seconds) / runs,
    }


def best(n_workers: int, specs: list[RunSpec], warm_specs: list[RunSpec], repeat: int
         ) -> dict[str, float]:
    results = [measure(n_workers, specs, warm_specs) for _ in range(repeat)]
    return max(results, key=lambda r: r["rate"])


def throughput(n_runs: int, repeat: int) -> None:
    specs = smoke_specs(n_runs, seed=11)
    warm_specs = smoke_specs(4, seed=12)
    print(f"\n### (a) Throughput: {n_runs} runs, smoke settings, best of {repeat} "
          f"(load average before: {os.getloadavg()[0]:.2f}, {os.cpu_count()} cores)\n")
    print("| executor | runs/min | wall (s) | start-up (s) | runs/min incl. start-up "
          "| worker CPU/run (ms) | coordinator CPU/run (ms) | write_run wall/run (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    rows: dict[str, dict[str, float]] = {}
    for label, n in (("sequential (in process)", 0), ("processes, 1 worker", 1),
                     ("processes, 2 workers", 2)):
        r = best(n, specs, warm_specs, repeat)
        rows[label] = r
        startup = f"{r['startup']:.2f}" if n else "-"
        print(f"| {label} | {r['rate']:.0f} | {r['wall']:.2f} | {startup} "
              f"| {r['cold_rate']:.0f} | {r['run_cpu_ms']:.1f} | {r['coord_cpu_ms']:.1f} "
              f"| {r['write_ms']:.1f} |", flush=True)
    eff = rows["processes, 2 workers"]["rate"] / rows["processes, 1 worker"]["rate"] / 2
    cold = rows["processes, 2 workers"]["cold_rate"] / rows["processes, 1 worker"]["cold_rate"] / 2
    print(f"\nParallel efficiency (rate2 / rate1) / 2: **{100 * eff:.0f}%** "
          f"(start-up included: {100 * cold:.0f}%)")


# ------------------------------------------------------------------ worker start-up


def startup(repeat: int) -> None:
    """Seconds from creating the executor until every worker has finished one run."""
    specs = smoke_specs(4, seed=12)
    print(f"\n### Worker start-up: executor created -> every worker has done one run "
          f"(best of {repeat}; 0.5 s hold excluded)\n")
    print("| workers | seconds |")
    print("|---:|---:|")
    for n in (1, 2):
        best_s = float("inf")
        for _ in range(repeat):
            t0 = time.perf_counter()
            with ProcessExecutor(n) as ex:
                list(ex.imap_unordered(warm, specs[:n]))
                best_s = min(best_s, time.perf_counter() - t0 - 0.5)
        print(f"| {n} | {best_s:.2f} |", flush=True)


# ------------------------------------------------------------------ coordinator memory


TINY_SCENARIO = 'extends = "{parent}"\nname = "{name}"\nmin_agents_per_economy = 50\n' \
                'firms_per_sector = 2\n'


def memory_child(n_runs: int) -> dict[str, float]:
    """Run ``n_runs`` tiny runs on 2 process workers; report the coordinator's memory."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenarios = []
        for name, parent in (("mem_a", "baseline.toml"), ("mem_b", "hiring_subsidy.toml")):
            path = folder / f"{name}.toml"
            path.write_text(TINY_SCENARIO.format(parent=ROOT / "scenarios" / parent, name=name))
            scenarios.append(path.name)
        batch = folder / "mem.toml"
        batch.write_text(
            f'name = "mem"\nscenarios = {json.dumps(scenarios)}\nreplicates = {n_runs // 4}\n'
            'seed = 3\nyears = 1\neconomies = ["SGP"]\nworkers_per_agent = 1e9\n'
            '[sweep]\nmode = "zip"\n[sweep.parameters]\n'
            '"policy.capacity_building.share_of_gdp" = [0.0, 0.005]\n')
        rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        bf, path = load_batch_file(batch)
        specs = expand_batch(bf, path.parent)
        store = ResultsStore(folder / "out")
        manifest = manifest_for(bf.name, specs, bf.seed, bf.model_dump(mode="json"))
        store.open(manifest)
        _, expand_peak = tracemalloc.get_traced_memory()
        manifest_kib = store.manifest_path.stat().st_size / 1024
        del manifest
        with ProcessExecutor(2) as ex:
            tracemalloc.reset_peak()
            start = time.perf_counter()
            summary = execute(specs, store, ex, progress=False)
            wall = time.perf_counter() - start
            current, run_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert summary["done"] == len(specs) == n_runs
    return {"runs": n_runs, "expand_peak_mib": expand_peak / 2**20,
            "run_peak_mib": run_peak / 2**20, "after_mib": current / 2**20,
            "manifest_kib": manifest_kib, "rss_start_mib": rss_start,
            "rss_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "wall": wall}


def memory(sizes: list[int]) -> None:
    print("\n### (b) Coordinator memory, tiny runs (SGP, 1 year, 50 agents), 2 workers\n")
    print("| runs | tracemalloc peak: expand + manifest (MiB) | tracemalloc peak: running (MiB) "
          "| traced after (MiB) | manifest.json (KiB) | RSS after imports (MiB) "
          "| peak RSS (MiB) | wall (s) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(n)], check=True,
                             capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"| {r['runs']:,} | {r['expand_peak_mib']:.2f} | {r['run_peak_mib']:.2f} "
              f"| {r['after_mib']:.2f} | {r['manifest_kib']:.0f} | {r['rss_start_mib']:.0f} "
              f"| {r['rss_peak_mib']:.0f} | {r['wall']:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--memory-runs", type=int, nargs="*", default=[500, 2000])
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child)))
        return
    if not args.skip_throughput:
        throughput(args.runs, args.repeat)
        startup(args.repeat)
    if args.memory_runs:
        memory(args.memory_runs)


if __name__ == "__main__":
    main()
