"""Fuzz the command line with mutated scenario, batch, comparison, sensitivity and calibration
files, and command-line options; summarise the outcomes.

Usage::

    .venv/bin/python benchmarks/fuzz.py [--cases 10000] [--seed 0] [--workers 2]
                                        [--timeout 60] [--out outputs/fuzz]

Each case is drawn from ``(seed, case number)`` alone, so any case can be replayed
(``--only N``). It starts from a small valid file of one of the five formats (one economy, one
year, a few hundred agents), applies one to three mutations (a value replaced by another type,
an extreme or non-finite number, a path, a deleted, unknown or misspelt key, a table replaced by
a value; or damage to the bytes: truncation, a non-UTF-8 byte, deep nesting, a 300-character
``extends``, a FIFO, a directory or ``/dev/zero`` in place of the file; or a mutated
command-line option) and runs ``displacement_sim.cli.main`` on it in a worker process with a
time limit and a memory limit. Outcomes:

- ``ok``: exit 0, and every number in the results is finite;
- ``error``: exit 2 with one line on stderr and nothing written in the output folder;
- ``traceback``: an exception escaped, or stderr holds a traceback;
- ``hang``: the time limit passed with no sign of progress: neither in the model's monthly
  steps nor with any run stored anywhere in the output folder (blocked on a file, a lock, a
  socket; a loop that never ends); the record names where the time ran out;
- ``slow``: the time limit passed while a valid study was computing: the model stepping, or
  runs already stored (e.g. ``workers_per_agent = 7`` makes millions of agents, or
  ``replicates = 1991`` thousands of runs); not a defect, counted apart;
- ``nonfinite``: exit 0 with NaN or infinite results;
- ``wrote_on_error``: exit 2, but the output folder was written;
- ``other_exit``: any other exit code.

The summary (counts by outcome and format, and up to 20 examples of each bad outcome with the
case number to replay) goes to ``<out>/summary.json`` and ``<out>/summary.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import math
import multiprocessing
import os
import random
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
import tomllib
import traceback
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
FORMATS = ("scenario", "batch", "comparison", "sensitivity", "calibration", "options")
BAD = ("traceback", "hang", "nonfinite", "wrote_on_error", "other_exit")
GOOD = ("ok", "error", "slow")
MODEL = str(REPO / "displacement_sim" / "model")

POOL: tuple[object, ...] = (
    0, -1, 1, 2, 3.0, 0.5, -0.5, 1e-300, 1e9, 1e308, -1e308, 2**15, 2**31, 2**63 - 1, -2**63,
    math.inf, -math.inf, math.nan, True, False, "", "x", "1", "VNM", "vnm", "XXX", "..", "a/b",
    "../../etc", "/dev/zero", "é" * 3, "x" * 300, [], [1, 2], ["VNM", "VNM"], {}, {"a": 1},
    1_000_000_000, 32_768, 65_536, 2000, 1991, 2100,
)
"""Values a mutation puts in place of another."""

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


# ----------------------------------------------------------------------------- TOML writing


def _key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(data: dict) -> str:
    """A TOML document for ``data`` (every table inline: simple and always valid)."""
    return "".join(f"{_key(k)} = {_value(v)}\n" for k, v in data.items())


# ----------------------------------------------------------------------------- base files


def _small_scenario(extra: dict | None = None) -> dict:
    base = {"extends": str(SCENARIOS / "baseline.toml"), "name": "fz", "economies": ["VNM"],
            "years": 1, "workers_per_agent": 1e9, "min_agents_per_economy": 300,
            "firms_per_sector": 3, "burn_in_months": 12, "seed": 1}
    base.update(extra or {})
    return base


def _shipped_sections(rng: random.Random) -> dict:
    """The parameter sections of a random shipped scenario (so mutations reach its keys)."""
    files = sorted(SCENARIOS.glob("*.toml"))
    raw = tomllib.loads(rng.choice(files).read_text())
    return {k: v for k, v in raw.items() if isinstance(v, dict)}


def base_file(fmt: str, folder: Path, rng: random.Random) -> dict:
    """A small valid file of ``fmt``; scenario files it names are written into ``folder``."""
    tiny = folder / "tiny.toml"
    tiny.write_text(to_toml(_small_scenario()))
    if fmt == "scenario":
        return _small_scenario(_shipped_sections(rng))
    if fmt == "batch":
        return {"name": "fzb", "scenarios": [str(tiny)], "replicates": 1, "seed": 1,
                "years": 1, "economies": ["VNM"], "workers_per_agent": 1e9,
                "sweep": {"mode": "grid", "parameters": {
                    "policy.capacity_building.share_of_gdp": [0.0, 0.001]}}}
    if fmt == "comparison":
        other = folder / "tiny_b.toml"
        other.write_text(to_toml(_small_scenario(
            {"name": "fz_b", "policy": {"capacity_building": {"share_of_gdp": 0.002}}})))
        return {"name": "fzc", "economies": ["VNM"], "years": 1, "replicates": 2, "seed": 1,
                "workers_per_agent": 1e9, "min_agents_per_economy": 300,
                "firms_per_sector": 3, "reference": "a",
                "options": {"a": {"scenario": str(tiny)},
                            "b": {"scenario": str(other), "label": "more"}}}
    if fmt == "sensitivity":
        return {"name": "fzs", "base": str(tiny), "economies": ["VNM"], "years": 1,
                "workers_per_agent": 1e9, "min_agents_per_economy": 300, "method": "morris",
                "n": 4, "replicates": 1, "seed": 1,
                "factor": [{"name": "share", "path": "policy.capacity_building.share_of_gdp",
                            "bounds": [0.0, 0.01]},
                           {"name": "decline", "path": "automation.cost_decline_per_year",
                            "bounds": [0.02, 0.12]}],
                "output": [{"name": "o", "outcome": "unemployment_rate_peak",
                            "economy": "VNM"}]}
    if fmt == "calibration":
        return {"name": "fzk", "base": str(tiny), "economies": ["VNM"], "start_year": 2010,
                "end_year": 2012, "min_agents_per_economy": 300, "firms_per_sector": 3,
                "replicates": 1, "seed": 1, "popsize": 2, "maxiter": 1,
                "parameter": [{"name": "okun", "path": "labour_market.okun_elasticity",
                               "bounds": [0.1, 0.8]}],
                "target": [{"series": "unemployment_rate"}]}
    raise ValueError(fmt)


# ----------------------------------------------------------------------------- mutations


def _leaves(data: object, prefix: tuple = ()) -> list[tuple]:
    out: list[tuple] = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((*prefix, k))
            out.extend(_leaves(v, (*prefix, k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((*prefix, i))
            out.extend(_leaves(v, (*prefix, i)))
    return out


def _parent(data: object, path: tuple) -> object:
    for p in path[:-1]:
        data = data[p]  # type: ignore[index]
    return data


def mutate(data: dict, rng: random.Random) -> str:
    """Apply one mutation to ``data`` in place; return what it did."""
    paths = _leaves(data)
    path = rng.choice(paths)
    parent = _parent(data, path)
    key = path[-1]
    kind = rng.choice(("value", "value", "value", "delete", "unknown", "typo", "table"))
    where = ".".join(str(p) for p in path)
    if kind == "value":
        v = copy.deepcopy(rng.choice(POOL))
        parent[key] = v  # type: ignore[index]
        return f"{where} = {v!r}"[:120]
    if kind == "delete":
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)  # type: ignore[union-attr]
        return f"delete {where}"
    if kind == "unknown":
        target = parent if isinstance(parent, dict) else data
        target["zz_unknown"] = 1
        return f"unknown key beside {where}"
    if kind == "typo" and isinstance(parent, dict) and isinstance(key, str) and key:
        i = rng.randrange(len(key))
        new = key[:i] + key[i + 1:] if len(key) > 1 else key + "x"
        parent[new] = parent.pop(key)
        return f"typo {where} -> {new}"
    parent[key] = {"x": 1} if rng.random() < 0.5 else 7  # type: ignore[index]
    return f"table/value swap at {where}"


def damage(path: Path, text: str, rng: random.Random) -> str:
    """Write ``text`` to ``path`` with damage to its bytes or its kind; return what."""
    kind = rng.choice(("truncate", "byte", "nesting", "long_extends", "fifo", "directory",
                       "dev_zero", "empty"))
    if kind == "truncate":
        path.write_text(text[:rng.randrange(max(len(text), 1))])
    elif kind == "byte":
        raw = text.encode()
        i = rng.randrange(max(len(raw), 1))
        path.write_bytes(raw[:i] + b"\xff\xfe" + raw[i:])
    elif kind == "nesting":
        path.write_text(text + "deep = " + "[" * 1000 + "]" * 1000 + "\n")
    elif kind == "long_extends":
        path.write_text('extends = "' + "x" * 300 + '.toml"\n' + text)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    else:
        path.write_text("")
    return f"damage: {kind}"


OPTION_VALUES = ("-1", "0", "ten", "1e9", "", ",", "vnm", "XXX", "inf", "nan", "2**40",
                 "99999999999999999999", "..", "/", "a=b", "policy.x=1", "years=3",
                 "policy.capacity_building.share_of_gdp=inf", "seed=-5")
OPTIONS = ("--years", "--replicates", "--seed", "--economies", "--start-year",
           "--workers-per-agent", "--workers", "--set", "--n", "--min-agents-per-economy",
           "--metrics", "--scheduler", "--executor", "--out")


def make_case(seed: int, case: int, folder: Path) -> tuple[str, list[str], str]:
    """Write case ``case`` into ``folder``; return its format, argv and description."""
    return build_case(FORMATS[case % len(FORMATS)], random.Random(f"{seed}-{case}"), folder)


def build_case(fmt: str, rng: random.Random, folder: Path) -> tuple[str, list[str], str]:
    """Write a case of ``fmt`` drawn with ``rng`` into ``folder``; return its format, argv and
    description (what the test suite drives with hypothesis's random)."""
    out = folder / "out"
    if fmt == "options":
        command = rng.choice(("run", "batch", "compare", "sensitivity", "calibrate",
                              "summarize"))
        files = {"run": "tiny.toml", "batch": "b.toml", "compare": "c.toml",
                 "sensitivity": "s.toml", "calibrate": "k.toml", "summarize": "out"}
        for name, f in (("batch", "b.toml"), ("comparison", "c.toml"),
                        ("sensitivity", "s.toml"), ("calibration", "k.toml")):
            (folder / f).write_text(to_toml(base_file(name, folder, rng)))
        argv = [command, str(folder / files[command])]
        if command != "summarize":
            argv += ["--out", str(out), "--executor", "sequential", "--quiet"]
        picked = [(rng.choice(OPTIONS), rng.choice(OPTION_VALUES))
                  for _ in range(rng.randint(1, 2))]
        for opt, val in picked:
            argv += [opt, val]
        return fmt, argv, f"{command} " + " ".join(f"{o} {v!r}" for o, v in picked)
    data = base_file(fmt, folder, rng)
    what = [mutate(data, rng) for _ in range(rng.randint(1, 3))]
    path = folder / f"{fmt}.toml"
    text = to_toml(data)
    if rng.random() < 0.12:
        what.append(damage(path, text, rng))
    else:
        path.write_text(text)
    command = {"scenario": "run", "batch": "batch", "comparison": "compare",
               "sensitivity": "sensitivity", "calibration": "calibrate"}[fmt]
    argv = [command, str(path), "--out", str(out), "--executor", "sequential", "--quiet"]
    if fmt == "scenario":
        argv.append("--no-figures")
    return fmt, argv, "; ".join(what)


# ----------------------------------------------------------------------------- running


def _finite(folder: Path) -> bool:
    import numpy as np
    import pandas as pd

    for part in folder.rglob("*.parquet"):
        df = pd.read_parquet(part)
        num = df.select_dtypes("number").to_numpy(dtype=float)
        # NaN is how a share with no one to take it of is reported (e.g. no cohort yet);
        # an infinite value never is.
        if np.isinf(num).any():
            return False
    return True


class CaseTimeout(BaseException):
    """The time limit of a case (a BaseException, so the code under test cannot catch it)."""


_TIMED_OUT: dict[str, bool] = {}
"""Set by the alarm: whether the time ran out, and whether the model was stepping then."""


def _alarm(signum: int, frame: object) -> None:
    # Where the time ran out is read here, from the interrupted frame: an exception raised
    # inside a compiled kernel can come back wrapped in another (SystemError) and be handled
    # as a failed run, so the classification cannot wait for it.
    stepping, where = False, []
    f = frame
    while f is not None:
        stepping = stepping or f.f_code.co_filename.startswith(MODEL)
        where.append(f"{Path(f.f_code.co_filename).name}:{f.f_lineno} {f.f_code.co_name}")
        f = f.f_back
    _TIMED_OUT.setdefault("stepping", stepping)
    _TIMED_OUT.setdefault("where", " < ".join(where[:4]))
    signal.setitimer(signal.ITIMER_REAL, 1.0)  # again, if the code under test swallowed it
    raise CaseTimeout("fuzz case time limit")


def run_case(args: tuple[int, int, float]) -> dict:
    """Build and run case ``case`` of ``seed`` in a new folder; return its record."""
    seed, case, timeout = args
    return run_built(lambda folder: make_case(seed, case, folder), timeout, case)


def run_built(build, timeout: float, case: int | None = None) -> dict:
    """Run the case ``build(folder)`` writes, in a new folder that is removed after; return its
    record (format, outcome, exit code, seconds, what was mutated, the last line of stderr)."""
    folder = Path(tempfile.mkdtemp(prefix=f"fuzz{case}-"))
    here = os.getcwd()
    try:
        # Relative paths a mutation puts in (e.g. --out 0) land in the case's folder.
        os.chdir(folder)
        fmt, argv, what = build(folder)
        from displacement_sim.cli import main

        err, outbuf = io.StringIO(), io.StringIO()
        _TIMED_OUT.clear()
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(outbuf):
                code = main(argv)
            outcome = None
        except CaseTimeout:
            code, outcome = None, None
        except SystemExit as exc:
            code, outcome = exc.code, None
        except BaseException:  # noqa: BLE001 - what the fuzzer is looking for
            code, outcome = None, "traceback"
            err.write(traceback.format_exc())
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.perf_counter() - start
        text = err.getvalue()
        out = folder / "out"
        if _TIMED_OUT:
            # A valid run that is still computing (in the model's steps, or with runs already
            # stored) is slow, not hung; anything else that runs out of time is a hang.
            progress = out.is_dir() and any(out.rglob("*.parquet"))
            outcome = "slow" if _TIMED_OUT["stepping"] or progress else "hang"
            text += f"time limit at {_TIMED_OUT['where']}\n"
        elif outcome is None:
            if "Traceback (most recent call last)" in text:
                outcome = "traceback"
            elif code == 0:
                outcome = "ok" if _finite(out) else "nonfinite"
            elif code == 2:
                written = out.exists() and any(out.iterdir())
                outcome = "wrote_on_error" if written else "error"
            else:
                outcome = "other_exit"
        return {"case": case, "format": fmt, "outcome": outcome, "exit": code,
                "seconds": round(seconds, 3), "what": what, "argv": " ".join(argv[:2]),
                "stderr": text.strip().splitlines()[-1][:300] if text.strip() else ""}
    finally:
        os.chdir(here)
        shutil.rmtree(folder, ignore_errors=True)


def _init_worker(memory_gb: float) -> None:
    limit = int(memory_gb * 2**30)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def summarise(rows: list[dict], seconds: float) -> tuple[dict, str]:
    by = Counter(r["outcome"] for r in rows)
    by_format: dict[str, Counter] = {}
    for r in rows:
        by_format.setdefault(r["format"], Counter())[r["outcome"]] += 1
    examples = {k: [r for r in rows if r["outcome"] == k][:20] for k in (*BAD, "slow")
                if by.get(k)}
    summary = {"cases": len(rows), "seconds": round(seconds, 1), "outcomes": dict(by),
               "by_format": {f: dict(c) for f, c in by_format.items()}, "examples": examples}
    cols = (*GOOD, *BAD)
    lines = [f"# Fuzzing: {len(rows)} cases in {seconds / 60:.1f} min", "",
             "| format | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for f in FORMATS:
        c = by_format.get(f, Counter())
        lines.append(f"| {f} | " + " | ".join(str(c.get(k, 0)) for k in cols) + " |")
    lines.append("| **all** | " + " | ".join(f"**{by.get(k, 0)}**" for k in cols) + " |")
    for k, ex in examples.items():
        lines += ["", f"## {k}", ""]
        lines += [f"- case {r['case']} ({r['format']}): {r['what']} -> {r['stderr']}"
                  for r in ex]
    return summary, "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--memory-gb", type=float, default=4.0)
    ap.add_argument("--out", type=Path, default=REPO / "outputs" / "fuzz")
    ap.add_argument("--only", type=int, help="replay one case and print its record")
    args = ap.parse_args()
    if args.only is not None:
        _init_worker(args.memory_gb)  # the limit the case had in the pool
        print(json.dumps(run_case((args.seed, args.only, args.timeout)), indent=2))
        return 0
    start = time.perf_counter()
    rows: list[dict] = []
    ctx = multiprocessing.get_context("forkserver")
    with ctx.Pool(args.workers, initializer=_init_worker, initargs=(args.memory_gb,),
                  maxtasksperchild=200) as pool:
        jobs = ((args.seed, i, args.timeout) for i in range(args.cases))
        for n, row in enumerate(pool.imap_unordered(run_case, jobs, chunksize=4), 1):
            rows.append(row)
            if n % 500 == 0:
                bad = sum(r["outcome"] in BAD for r in rows)
                print(f"{n} cases, {bad} bad, {time.perf_counter() - start:.0f} s",
                      file=sys.stderr)
    rows.sort(key=lambda r: r["case"])
    summary, md = summarise(rows, time.perf_counter() - start)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    (args.out / "cases.jsonl").write_text("".join(json.dumps(r, default=str) + "\n"
                                                  for r in rows))
    (args.out / "summary.md").write_text(md)
    print(md)
    return 0 if not any(summary["outcomes"].get(k) for k in BAD) else 1


if __name__ == "__main__":
    sys.exit(main())
