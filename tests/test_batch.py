"""Tests of batches: batch files, expansion, seeds, executors, the results store and the CLI.

Every batch here is tiny (two economies, one simulated year, 20,000 people per worker agent,
five firms per sector), so that one run takes a few hundredths of a second and the whole module,
worker start-up included, stays well under a minute and a half on two cores.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from scipy import stats

import displacement_sim.workflows.executors as executors_module
import displacement_sim.workflows.runs as runner_module
from displacement_sim import ScenarioError, StoreError
from displacement_sim.analysis.summary import summarize
from displacement_sim.cli import main
from displacement_sim.scenarios import SCENARIO_DIR
from displacement_sim.seeding import run_seed
from displacement_sim.studies import load_batch_file
from displacement_sim.workflows.batch import expand_batch, run_batch
from displacement_sim.workflows.execute import execute, manifest_for
from displacement_sim.workflows.executors import (
    DaskExecutor,
    Executor,
    ExecutorError,
    ProcessExecutor,
    SequentialExecutor,
)
from displacement_sim.workflows.runs import RunSpec, scenario_key
from displacement_sim.workflows.store import ResultsStore

ROOT = Path(__file__).resolve().parents[1]

SHARE = "policy.capacity_building.share_of_gdp"
RATE = "economy.VNM.policy.benefits.replacement_rate"

TINY_SETTINGS = "min_agents_per_economy = 300\nfirms_per_sector = 5\n"
"""Settings added to each shipped scenario that the test scenarios extend."""

SMALL: dict[str, Any] = {"years": 1, "economies": ["VNM", "SGP"], "workers_per_agent": 20000}
"""Batch-level overrides that keep every run small."""


# ------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two small scenarios, ``tiny_a`` (extends baseline) and ``tiny_b`` (hiring subsidy)."""
    folder = tmp_path_factory.mktemp("scenarios")
    for name, parent in (("tiny_a", "baseline.toml"), ("tiny_b", "hiring_subsidy.toml")):
        (folder / f"{name}.toml").write_text(
            f'extends = "{SCENARIO_DIR / parent}"\nname = "{name}"\n{TINY_SETTINGS}')
    return folder


def toml_value(value: Any) -> str:
    """A TOML literal of a string, number, boolean or list of those (JSON spells them alike)."""
    return json.dumps(value)


def write_batch(path: Path, scenarios: list[str | Path], sweep: dict[str, list] | None = None,
                mode: str = "zip", **fields: Any) -> Path:
    """Write a batch file with ``SMALL`` settings unless ``fields`` replace them."""
    fields = {"name": "t", "replicates": 2, "seed": 7, **SMALL, **fields}
    lines = [f"scenarios = {toml_value([str(s) for s in scenarios])}"]
    lines += [f"{k} = {toml_value(v)}" for k, v in fields.items() if v is not None]
    if sweep is not None:
        lines += ["[sweep]", f"mode = {toml_value(mode)}", "[sweep.parameters]"]
        lines += [f"{toml_value(k)} = {toml_value(v)}" for k, v in sweep.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def two_scenarios(scenario_dir: Path) -> list[Path]:
    return [scenario_dir / "tiny_a.toml", scenario_dir / "tiny_b.toml"]


def specs_of(batch: Path) -> list[RunSpec]:
    bf, path = load_batch_file(batch)
    return expand_batch(bf, path.parent)


def batch_error(batch: Path) -> str:
    """The message of the ``ScenarioError`` that ``run_batch`` raises before any run."""
    with pytest.raises(ScenarioError) as info:
        run_batch(batch, out=batch.parent / "never-written", executor="sequential",
                  progress=False)
    assert not (batch.parent / "never-written").exists()
    return str(info.value)


def run_with(make: Callable[[], Executor], batch: Path, out: Path
             ) -> tuple[ResultsStore, dict[str, Any]]:
    """Run ``batch`` into ``out`` through the executor that ``make`` builds."""
    bf, path = load_batch_file(batch)
    specs = expand_batch(bf, path.parent)
    store = ResultsStore(out)
    store.open(manifest_for(bf.name, specs, bf.seed, bf.model_dump(mode="json")))
    with make() as ex:
        summary = execute(specs, store, ex, progress=False)
    return store, summary


def assert_same_table(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    return env


@pytest.fixture(scope="module")
def ref_batch(scenario_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference batch: 2 scenarios x 2 zipped sweep points x 2 replicates = 8 runs."""
    folder = tmp_path_factory.mktemp("ref")
    return write_batch(folder / "ref.toml", two_scenarios(scenario_dir),
                       {SHARE: [0.0, 0.005], RATE: [0.0, 0.5]}, name="ref")


@pytest.fixture(scope="module")
def ref_store(ref_batch: Path) -> ResultsStore:
    """The reference batch, run sequentially. Tests that change the folder copy it first."""
    store, summary = run_with(SequentialExecutor, ref_batch, ref_batch.parent / "out")
    assert summary == {"total": 8, "skipped": 0, "done": 8, "failed": 0}
    return store


@pytest.fixture(scope="module")
def executor_tables(ref_batch: Path) -> Callable[[str], pd.DataFrame]:
    """The reference batch's table through a named executor, computed once per name."""
    makers: dict[str, Callable[[], Executor]] = {
        "processes-1": lambda: ProcessExecutor(n_workers=1),
        "processes-2": lambda: ProcessExecutor(n_workers=2),
        "dask-2": lambda: DaskExecutor(n_workers=2),
    }
    cache: dict[str, pd.DataFrame] = {}

    def table(name: str) -> pd.DataFrame:
        if name not in cache:
            store, summary = run_with(makers[name], ref_batch, ref_batch.parent / name)
            assert summary["done"] == 8 and summary["failed"] == 0
            cache[name] = store.read()
        return cache[name]

    return table


# ------------------------------------------------------------------ batch file validation


def test_unknown_key(tmp_path: Path, scenario_dir: Path) -> None:
    path = write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir), replicats=3)
    msg = batch_error(path)
    assert str(path) in msg
    assert "'replicats'" in msg
    assert "unknown key" in msg


def test_empty_scenarios(tmp_path: Path) -> None:
    path = write_batch(tmp_path / "b.toml", [])
    msg = batch_error(path)
    assert str(path) in msg
    assert "'scenarios'" in msg


def test_zero_replicates(tmp_path: Path, scenario_dir: Path) -> None:
    path = write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir), replicates=0)
    msg = batch_error(path)
    assert str(path) in msg
    assert "'replicates'" in msg
    assert "(got 0)" in msg


def test_zip_sweep_unequal_lengths(tmp_path: Path, scenario_dir: Path) -> None:
    path = write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir),
                       {SHARE: [0.0, 0.005], RATE: [0.0, 0.3, 0.5]}, mode="zip")
    msg = batch_error(path)
    assert str(path) in msg
    assert "'sweep'" in msg
    assert "equal length" in msg


def test_sweep_path_not_in_config(tmp_path: Path, scenario_dir: Path) -> None:
    scenario = scenario_dir / "tiny_a.toml"
    path = write_batch(tmp_path / "b.toml", [scenario], {"policy.no_such_policy.share": [0.1]})
    msg = batch_error(path)
    assert str(scenario) in msg
    assert "'policy.no_such_policy'" in msg
    assert "unknown key" in msg


def test_sweep_path_through_a_value(tmp_path: Path, scenario_dir: Path) -> None:
    scenario = scenario_dir / "tiny_a.toml"
    path = write_batch(tmp_path / "b.toml", [scenario], {"years.first": [1]})
    msg = batch_error(path)
    assert str(scenario) in msg
    assert "'years.first'" in msg
    assert "not a table" in msg


def test_scenario_file_missing(tmp_path: Path) -> None:
    path = write_batch(tmp_path / "b.toml", ["no_such_scenario_xyz.toml"])
    msg = batch_error(path)
    assert "no_such_scenario_xyz.toml" in msg
    assert "not found" in msg


def test_batch_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    msg = batch_error(path)
    assert str(path) in msg
    assert "not found" in msg


@pytest.mark.parametrize("case", ["missing scenario", "bad sweep path"])
def test_scenario_and_sweep_errors_name_the_batch_file(tmp_path: Path, scenario_dir: Path,
                                                        case: str) -> None:
    if case == "missing scenario":
        path = write_batch(tmp_path / "b.toml", ["no_such_scenario_xyz.toml"])
    else:
        path = write_batch(tmp_path / "b.toml", [scenario_dir / "tiny_a.toml"],
                           {"policy.no_such_policy.share": [0.1]})
    assert str(path) in batch_error(path)


# ------------------------------------------------------------------ expansion and seeds


def test_grid_sweep_is_the_product(tmp_path: Path, scenario_dir: Path) -> None:
    shares, rates = [0.0, 0.005], [0.0, 0.3, 0.5]
    specs = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir),
                                 {SHARE: shares, RATE: rates}, mode="grid"))
    assert len(specs) == 2 * 6 * 2
    for name in ("tiny_a", "tiny_b"):
        points = {(s.params[SHARE], s.params[RATE]) for s in specs if s.name == name}
        assert points == {(a, b) for a in shares for b in rates}
    s = next(s for s in specs if s.params == {SHARE: 0.005, RATE: 0.3})
    assert s.scenario.defaults.policy.capacity_building.share_of_gdp == 0.005
    assert s.scenario.settings_for("VNM").policy.benefits.replacement_rate == 0.3


def test_zip_sweep_pairs(tmp_path: Path, scenario_dir: Path) -> None:
    specs = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir),
                                 {SHARE: [0.0, 0.005], RATE: [0.1, 0.5]}, mode="zip"))
    assert len(specs) == 2 * 2 * 2
    assert {(s.params[SHARE], s.params[RATE]) for s in specs} == {(0.0, 0.1), (0.005, 0.5)}


def test_run_ids_unique_and_stable(ref_batch: Path) -> None:
    first, second = specs_of(ref_batch), specs_of(ref_batch)
    ids = [s.run_id for s in first]
    assert len(set(ids)) == len(ids) == 8
    assert ids == [s.run_id for s in second]
    assert [s.seed for s in first] == [s.seed for s in second]


def test_seeds_follow_the_one_policy(ref_batch: Path, tmp_path: Path,
                                     scenario_dir: Path) -> None:
    """Common random numbers by default (replicate r shares its seed across variants); with
    ``common_random_numbers = false`` every variant draws its own, and its run id says so."""
    bf, _ = load_batch_file(ref_batch)
    for s in specs_of(ref_batch):
        assert s.seed == run_seed(bf.seed, s.replicate)
        assert s.run_id.endswith(f"-s{bf.seed}-r{s.replicate:04d}")
    assert len({s.seed for s in specs_of(ref_batch)}) == 2
    own = specs_of(write_batch(tmp_path / "own.toml", two_scenarios(scenario_dir),
                               {SHARE: [0.0, 0.005], RATE: [0.0, 0.5]},
                               common_random_numbers=False))
    for s in own:
        assert s.seed == run_seed(7, s.replicate, scenario_key(s.scenario))
        assert f"-s7i-r{s.replicate:04d}" in s.run_id
    assert len({s.seed for s in own}) == 8


def test_seeds_do_not_depend_on_order(tmp_path: Path, scenario_dir: Path) -> None:
    sweep = {SHARE: [0.0, 0.005], RATE: [0.0, 0.5]}
    forward = specs_of(write_batch(tmp_path / "f.toml", two_scenarios(scenario_dir), sweep))
    backward = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir)[::-1],
                                    {k: v[::-1] for k, v in sweep.items()}))
    assert [s.run_id for s in forward] != [s.run_id for s in backward]
    assert {s.run_id: s.seed for s in forward} == {s.run_id: s.seed for s in backward}


def test_more_replicates_keep_earlier_seeds(tmp_path: Path, scenario_dir: Path) -> None:
    two = specs_of(write_batch(tmp_path / "a.toml", two_scenarios(scenario_dir), replicates=2))
    three = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir), replicates=3,
                                 description="a longer batch"))
    seeds = {s.run_id: s.seed for s in three}
    assert all(seeds[s.run_id] == s.seed for s in two)


def test_master_seed_changes_every_seed(tmp_path: Path, scenario_dir: Path) -> None:
    a = specs_of(write_batch(tmp_path / "a.toml", two_scenarios(scenario_dir), seed=1))
    b = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir), seed=2))
    # The master seed is part of the run id: a run id identifies a result.
    assert all(x.run_id != y.run_id for x, y in zip(a, b, strict=True))
    assert all(x.seed != y.seed for x, y in zip(a, b, strict=True))


def test_number_spelling_does_not_change_run_ids(tmp_path: Path, scenario_dir: Path) -> None:
    scenarios = [scenario_dir / "tiny_a.toml"]
    as_int = specs_of(write_batch(tmp_path / "a.toml", scenarios, {RATE: [0]}))
    as_float = specs_of(write_batch(tmp_path / "b.toml", scenarios, {RATE: [0.0]}))
    assert [(s.run_id, s.seed) for s in as_int] == [(s.run_id, s.seed) for s in as_float]


def test_duplicate_runs_error_names_the_batch_file(tmp_path: Path, scenario_dir: Path) -> None:
    path = write_batch(tmp_path / "b.toml", [scenario_dir / "tiny_a.toml"], {SHARE: [0.0, 0.0]})
    msg = batch_error(path)
    assert "identical" in msg
    assert str(path) in msg


def test_common_random_numbers(tmp_path: Path, scenario_dir: Path) -> None:
    specs = specs_of(write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir),
                                 {SHARE: [0.0, 0.005]}, replicates=3,
                                 common_random_numbers=True))
    assert len({s.run_id for s in specs}) == len(specs) == 12
    for r in range(3):
        assert len({s.seed for s in specs if s.replicate == r}) == 1
    assert len({s.seed for s in specs}) == 3


# ------------------------------------------------------------------ executors


@pytest.mark.slow
@pytest.mark.parametrize("name", ["processes-2", "dask-2"])
def test_executor_gives_the_sequential_table(ref_store: ResultsStore,
                                             executor_tables: Callable[[str], pd.DataFrame],
                                             name: str) -> None:
    assert_same_table(executor_tables(name), ref_store.read())


def test_one_or_two_process_workers_same_table(
        executor_tables: Callable[[str], pd.DataFrame]) -> None:
    assert_same_table(executor_tables("processes-1"), executor_tables("processes-2"))


def die_on_two(x: int) -> int:
    """Run in a worker: the worker process dies abruptly on item 2 (as if OOM-killed)."""
    if x == 2:
        os._exit(3)
    return x


def test_dead_process_worker_is_an_executor_error() -> None:
    with pytest.raises(ExecutorError), ProcessExecutor(n_workers=1) as ex:
        list(ex.imap_unordered(die_on_two, range(4)))


def test_unreachable_dask_scheduler() -> None:
    start = time.perf_counter()
    with pytest.raises(ExecutorError, match="127.0.0.1:1"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1", connect_timeout=1.0)
    assert time.perf_counter() - start < 30


def test_cli_unreachable_dask_scheduler(ref_batch: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(executors_module, "DaskExecutor",
                        functools.partial(DaskExecutor, connect_timeout=1.0))
    code = main(["batch", str(ref_batch), "--out", str(tmp_path / "out"),
                 "--scheduler", "tcp://127.0.0.1:1", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "tcp://127.0.0.1:1" in lines[0]


def test_malformed_dask_scheduler_address() -> None:
    with pytest.raises(ExecutorError, match="notaport"):
        DaskExecutor(scheduler="tcp://127.0.0.1:notaport", connect_timeout=1.0)


@pytest.mark.parametrize("n_workers", ["-1", "0"])
def test_cli_rejects_workers_below_one(ref_batch: Path, tmp_path: Path, n_workers: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["batch", str(ref_batch), "--out", str(tmp_path / "out"), "--workers",
                 n_workers, "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:")
    assert "--workers" in err


# ------------------------------------------------------------------ resume and interruption


def test_resume_recomputes_only_missing_runs(ref_batch: Path, ref_store: ResultsStore,
                                             tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(ref_store.root, out)
    store = ResultsStore(out)
    removed = sorted(store.parts.glob("*.parquet"))[3]
    removed.unlink()
    _, summary = run_batch(ref_batch, out=out, executor="sequential", progress=False)
    assert summary == {"total": 8, "skipped": 7, "done": 1, "failed": 0}
    assert removed.is_file()
    assert_same_table(store.read(), ref_store.read())
    assert store.read_manifest()["complete"] is True


def check_parts(store: ResultsStore) -> set[str]:
    """Every ``*.parquet`` in ``parts/`` reads; anything else is a hidden temporary file."""
    readable = set()
    for f in store.parts.iterdir():
        if f.suffix == ".parquet" and not f.name.startswith("."):
            pq.read_table(f)
            readable.add(f.stem)
        else:
            assert re.fullmatch(r"\..+\.parquet\..+\.tmp", f.name), f.name
    assert store.done() == readable
    return readable


@pytest.mark.slow
def test_sigkill_then_resume(scenario_dir: Path, tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "kill.toml", two_scenarios(scenario_dir), replicates=6,
                        name="kill", years=2)
    expected = {s.run_id for s in specs_of(batch)}
    assert len(expected) == 12
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "displacement_sim.cli", "batch", str(batch), "--out", str(out),
           "--executor", "sequential", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    store = ResultsStore(out)
    deadline = time.monotonic() + 60
    try:
        while len(store.done()) < 2:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no results within 60 s"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    stored = check_parts(store)
    assert 2 <= len(stored) < 12, "the batch finished before it was killed: make runs longer"
    assert stored <= expected

    rerun = subprocess.run(cmd, cwd=ROOT, env=cli_env(), capture_output=True, text=True,
                           timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{12 - len(stored)} runs done, {len(stored)} already stored, 0 failed" in rerun.stdout
    assert check_parts(store) == expected
    table = store.read()
    assert set(table["run_id"]) == expected
    assert not table.duplicated(["run_id", "economy", "step"]).any()
    assert (table.groupby("run_id").size() == 2 * (12 * 2 + 1)).all()

    clean, _ = run_batch(batch, out=tmp_path / "clean", executor="sequential", progress=False)
    assert_same_table(table, clean.read())


def children_of(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (Linux ``/proc``)."""
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def alive(pids: set[int]) -> set[int]:
    """The processes of ``pids`` that still run (zombies count as gone)."""
    out = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            out.add(pid)
    return out


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_leaves_no_process_workers(scenario_dir: Path, tmp_path: Path) -> None:
    batch = write_batch(tmp_path / "b.toml", two_scenarios(scenario_dir), replicates=20,
                        name="orphans", years=2)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "displacement_sim.cli", "batch", str(batch), "--out", str(out),
         "--executor", "processes", "--workers", "2", "--quiet"],
        cwd=ROOT, env=cli_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = ResultsStore(out)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not store.done():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        workers = children_of(proc.pid)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while alive(workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(workers), "worker processes outlive their coordinator"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in alive(workers):
            os.kill(pid, signal.SIGKILL)


# ------------------------------------------------------------------ failed runs


def test_failed_run_is_recorded_and_retried(ref_batch: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    ids = [s.run_id for s in specs_of(ref_batch)]
    bad = ids[2]
    run_one = runner_module.run_one

    def failing_run_one(spec: RunSpec) -> pd.DataFrame:
        if spec.run_id == bad:
            raise RuntimeError("boom in one run")
        return run_one(spec)

    out = tmp_path / "out"
    args = ["batch", str(ref_batch), "--out", str(out), "--executor", "sequential", "--quiet"]
    monkeypatch.setattr(runner_module, "run_one", failing_run_one)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"failed: {bad}: RuntimeError: boom in one run" in err

    store = ResultsStore(out)
    assert store.done() == set(ids) - {bad}
    record = json.loads((store.errors / f"{bad}.json").read_text())
    spec = next(s for s in specs_of(ref_batch) if s.run_id == bad)
    assert record["run_id"] == bad
    assert record["error"] == "RuntimeError: boom in one run"
    assert (record["scenario"], record["replicate"], record["seed"]) == (
        spec.name, spec.replicate, spec.seed)
    manifest = store.read_manifest()
    assert manifest["complete"] is False and manifest["failed"] == [bad]

    monkeypatch.undo()
    assert main(args) == 0
    assert "1 runs done, 7 already stored, 0 failed" in capsys.readouterr().out
    assert not (store.errors / f"{bad}.json").exists()
    assert store.failed() == {}
    assert store.done() == set(ids)
    assert store.read_manifest()["complete"] is True


def test_batch_whose_every_run_fails_is_exit_1_and_writes_only_the_records(
        ref_batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 11: every run failing is exit 1, no traceback, one line per failed run, and only
    the records (the manifest, not complete; the list of written files; an error per run)."""
    def boom(spec: RunSpec) -> pd.DataFrame:
        raise RuntimeError("boom in every run")

    ids = sorted(s.run_id for s in specs_of(ref_batch))
    out = tmp_path / "out"
    monkeypatch.setattr(runner_module, "run_one", boom)
    assert main(["batch", str(ref_batch), "--out", str(out), "--executor", "sequential",
                 "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"0 runs done, 0 already stored, 8 failed -> {out}\n"
    assert "Traceback" not in captured.err
    assert captured.err.splitlines() == [
        *(f"  failed: {run_id}: RuntimeError: boom in every run" for run_id in ids),
        f"error: 8 runs failed; errors are in {out / 'errors'}, and the same command "
        "retries them"]
    assert {str(p.relative_to(out)) for p in out.rglob("*")} == {
        ".lock", "manifest.json", "written.jsonl", "parts", "errors",
        *(f"errors/{run_id}.json" for run_id in ids)}
    store = ResultsStore(out)
    assert store.done() == set()
    assert store.failed() == {run_id: "RuntimeError: boom in every run" for run_id in ids}
    manifest = store.read_manifest()
    assert manifest["complete"] is False and manifest["failed"] == ids


# ------------------------------------------------------------------ store ownership


def test_store_refuses_another_batch(tmp_path: Path, scenario_dir: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = [scenario_dir / "tiny_a.toml"]
    first = write_batch(tmp_path / "first.toml", scenarios, replicates=1, seed=1, name="first")
    second = write_batch(tmp_path / "second.toml", scenarios, replicates=1, seed=2,
                         name="second")
    out = tmp_path / "out"
    run_batch(first, out=out, executor="sequential", progress=False)
    with pytest.raises(StoreError, match="different batch") as info:
        run_batch(second, out=out, executor="sequential", progress=False)
    assert str(out) in str(info.value)
    assert main(["batch", str(second), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("error:")

    store, summary = run_batch(second, out=out, executor="sequential", force=True,
                               progress=False)
    assert summary["done"] == 1
    seeds = {s.seed for s in specs_of(second)}
    assert set(store.read()["seed"]) == seeds
    assert store.read_manifest()["name"] == "second"


def test_force_removes_the_old_batch_summaries(tmp_path: Path, scenario_dir: Path) -> None:
    scenarios = [scenario_dir / "tiny_a.toml"]
    first = write_batch(tmp_path / "first.toml", scenarios, replicates=1, seed=1, name="first")
    second = write_batch(tmp_path / "second.toml", scenarios, replicates=1, seed=2,
                         name="second")
    out = tmp_path / "out"
    run_batch(first, out=out, executor="sequential", progress=False)
    assert main(["summarize", str(out), "--metrics", "unemployment_rate"]) == 0
    run_batch(second, out=out, executor="sequential", force=True, progress=False)
    assert not (out / "summary").exists()


def test_store_accepts_its_own_batch(ref_batch: Path, ref_store: ResultsStore,
                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(ref_store.root, out)
    _, summary = run_batch(ref_batch, out=out, executor="sequential", progress=False)
    assert summary == {"total": 8, "skipped": 8, "done": 0, "failed": 0}


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_out_folder(ref_batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write"):
            run_batch(ref_batch, out=out, executor="sequential", progress=False)
    finally:
        out.chmod(0o700)


def test_unwritable_out_folder_even_as_root(ref_batch: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """As :func:`test_unwritable_out_folder`, for any user (root ignores permission bits): the
    out folder refuses writes as a read-only one does (``os.access`` denies writing, creating
    a file in it fails with EACCES), so the batch stops with one line and leaves it empty."""
    out = tmp_path / "locked"
    out.mkdir()
    real_access, real_open = os.access, os.open

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and Path(os.path.realpath(path)) == out:
            return False
        return real_access(path, mode, **kwargs)

    def open_(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT and Path(os.path.realpath(path)).parent == out \
                and not os.path.lexists(path):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "open", open_)
    with pytest.raises(StoreError, match="cannot write") as info:
        run_batch(ref_batch, out=out, executor="sequential", progress=False)
    assert str(info.value).startswith(f"{out}: cannot write results here")
    assert list(out.iterdir()) == []


def test_out_folder_under_a_file(ref_batch: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "results"
    with pytest.raises(StoreError, match="cannot write") as info:
        run_batch(ref_batch, out=out, executor="sequential", progress=False)
    assert str(out) in str(info.value)
    assert main(["batch", str(ref_batch), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:")


def test_result_files_follow_the_umask(ref_store: ResultsStore) -> None:
    umask = os.umask(0)
    os.umask(umask)
    for f in [*ref_store.parts.glob("*.parquet"), ref_store.manifest_path]:
        assert f.stat().st_mode & 0o777 == 0o666 & ~umask, f


# ------------------------------------------------------------------ reading results


def test_parts_read_as_one_table(ref_store: ResultsStore) -> None:
    table = ref_store.read()
    parts = ref_store.parts
    by_pandas = pd.read_parquet(parts)
    assert len(by_pandas) == len(table) == 8 * 2 * 13
    assert set(by_pandas["run_id"]) == set(table["run_id"])
    key = ["run_id", "economy", "step"]
    np.testing.assert_array_equal(
        by_pandas.sort_values(key)["unemployment_rate"].to_numpy(),
        table.sort_values(key)["unemployment_rate"].to_numpy())

    by_arrow = pads.dataset(parts, format="parquet").to_table()
    assert by_arrow.num_rows == len(table)
    assert set(by_arrow.column_names) == set(table.columns)

    glob = (parts / "*.parquet").as_posix()
    [(rows, runs, total)] = duckdb.sql(
        f"select count(*), count(distinct run_id), sum(employed) from read_parquet('{glob}')"
    ).fetchall()
    assert (rows, runs) == (len(table), 8)
    assert total == pytest.approx(table["employed"].sum(), rel=1e-12)


def test_mixed_int_float_sweep_reads_as_one_table(tmp_path: Path, scenario_dir: Path) -> None:
    batch = write_batch(tmp_path / "b.toml", [scenario_dir / "tiny_a.toml"], {SHARE: [0, 0.005]},
                        replicates=1)
    store, _ = run_batch(batch, out=tmp_path / "out", executor="sequential", progress=False)
    types = {str(pq.read_schema(f).field(SHARE).type) for f in store.parts.glob("*.parquet")}
    assert types == {"double"}
    glob = (store.parts / "*.parquet").as_posix()
    values = duckdb.sql(f'select distinct "{SHARE}" from read_parquet(\'{glob}\')').fetchall()
    assert sorted(v for (v,) in values) == [0.0, 0.005]
    assert sorted(pd.read_parquet(store.parts)[SHARE].unique()) == [0.0, 0.005]


# ------------------------------------------------------------------ summaries


def test_summarize_known_values() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    base = {"scenario": "s", "variant": "s", "economy": "VNM", "step": 12, "year": 2024}
    df = pd.DataFrame([{**base, "run_id": f"r{i}", "replicate": i, SHARE: share,
                        "unemployment_rate": v + (10 if share else 0)}
                       for share in (0.0, 0.005) for i, v in enumerate(values)])
    out = summarize(df, ["unemployment_rate"])
    assert len(out) == 2
    assert list(out[SHARE]) == [0.0, 0.005]
    row = out.iloc[0]
    assert row["metric"] == "unemployment_rate" and row["n"] == 5
    assert row["mean"] == pytest.approx(3.0)
    assert row["median"] == pytest.approx(3.0)
    assert row["p05"] == pytest.approx(np.quantile(values, 0.05)) == pytest.approx(1.2)
    assert row["p95"] == pytest.approx(4.8)
    half = stats.t.ppf(0.975, 4) * values.std(ddof=1) / np.sqrt(5)
    assert row["ci_low"] == pytest.approx(3.0 - half)
    assert row["ci_high"] == pytest.approx(3.0 + half)
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert out.iloc[1]["mean"] == pytest.approx(13.0)


def test_summarize_single_replicate_has_no_interval() -> None:
    df = pd.DataFrame({"scenario": ["s"], "variant": ["s"], "economy": ["VNM"], "step": [0],
                       "year": [2023], "unemployment_rate": [0.05]})
    row = summarize(df, ["unemployment_rate"]).iloc[0]
    assert row["n"] == 1 and row["mean"] == pytest.approx(0.05)
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])


def test_cli_summarize(ref_store: ResultsStore, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    shutil.copytree(ref_store.root, out)
    assert main(["summarize", str(out), "--metrics", "unemployment_rate"]) == 0
    printed = capsys.readouterr().out.split()
    summary = pd.read_parquet(out / "summary" / "summary.parquet")
    assert str(out / "summary" / "summary.parquet") in printed
    assert set(summary["metric"]) == {"unemployment_rate"}
    table = ref_store.read()
    assert (summary["n"] == 2).all()
    assert len(summary) == len(table) // 2
    expected = table.groupby(["variant", "economy", "step"])["unemployment_rate"].mean()
    got = summary.set_index(["variant", "economy", "step"])["mean"]
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)
    fans = sorted((out / "summary").glob("fan_*.png"))
    assert len(fans) == table["variant"].nunique() == 4
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in fans)
