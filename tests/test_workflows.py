"""One workflow layer: the same scenario and seed are the same runs through every entry point.

``run``, a batch file, a comparison and a sensitivity analysis's reference run build their
specs through the one seed policy (:mod:`displacement_sim.seeding`), so the same scenario with
the same master seed gives the same run ids and the same results, on any executor.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pandas as pd
import pytest

from displacement_sim import api
from displacement_sim.errors import ScenarioError
from displacement_sim.outcomes import REFERENCE_RATIOS
from displacement_sim.scenarios import SCENARIO_DIR, load_scenario
from displacement_sim.workflows.batch import run_scenario
from displacement_sim.workflows.execute import check_unique
from displacement_sim.workflows.executors import (
    ExecutorError,
    FuturesExecutor,
    SequentialExecutor,
    executor_for,
)
from displacement_sim.workflows.runs import make_specs
from displacement_sim.workflows.store import ResultsStore

SEED = 11
SETTINGS = f"""economies = ["VNM"]
years = 1
workers_per_agent = 1e9
min_agents_per_economy = 300
firms_per_sector = 4
burn_in_months = 24
seed = {SEED}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("workflows")
    base = (SCENARIO_DIR / "no_active_policy.toml").resolve()
    (root / "tiny.toml").write_text(f'extends = "{base}"\nname = "tiny"\n{SETTINGS}')
    (root / "batch.toml").write_text(
        f'name = "b"\nscenarios = ["tiny.toml"]\nreplicates = 2\nseed = {SEED}\n')
    (root / "cmp.toml").write_text(
        f'name = "c"\neconomies = ["VNM"]\nyears = 1\nreplicates = 2\nseed = {SEED}\n'
        'reference = "a"\n[options.a]\nscenario = "tiny.toml"\n'
        '[options.b]\nscenario = "tiny.toml"\nlabel = "the same scenario again"\n')
    outcome = next(iter(REFERENCE_RATIOS))
    (root / "sa.toml").write_text(
        f'name = "s"\nbase = "tiny.toml"\nmethod = "sobol"\nn = 4\nreplicates = 2\n'
        f'seed = {SEED}\n'
        '[[factor]]\nname = "share"\npath = "policy.capacity_building.share_of_gdp"\n'
        'bounds = [0.0, 0.01]\n'
        '[[factor]]\nname = "subsidy"\npath = "policy.hiring_subsidy.share_of_wage"\n'
        'bounds = [0.0, 0.5]\n'
        f'[[output]]\nname = "cost"\noutcome = "{outcome}"\neconomy = "VNM"\n')
    return root


def _parts(store: ResultsStore) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in store.parts.glob("*.parquet")}


def _same_numbers(a: pd.DataFrame, b: pd.DataFrame) -> None:
    # Labels (the option or analysis name, the sweep point) differ; the numbers may not.
    cols = [c for c in a.columns if c not in ("scenario", "variant") and c in b.columns]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True),
                                  b[cols].reset_index(drop=True), check_exact=True)


def test_same_scenario_and_seed_same_runs_through_every_entry_point(folder: Path) -> None:
    ran = api.run(folder / "tiny.toml", out=folder / "run", executor="sequential",
                  progress=False, figures=False, replicates=2)
    batch, _ = api.batch(folder / "batch.toml", out=folder / "batch", executor="sequential",
                         progress=False)
    cmp = api.compare(folder / "cmp.toml", out=folder / "cmp", executor="sequential",
                      progress=False)
    api.sensitivity(folder / "sa.toml", out=folder / "sa", executor="sequential",
                    progress=False)
    reference = _parts(ran.store)
    assert len(reference) == 2
    for other in (batch, cmp.store, ResultsStore(folder / "sa" / "runs")):
        parts = _parts(other)
        assert set(reference) <= set(parts), (sorted(reference), sorted(parts))
        for run_id, df in reference.items():
            _same_numbers(df, parts[run_id])
    # The two options of the comparison are the same runs, run once, reported under each.
    assert len(_parts(cmp.store)) == 2
    assert set(cmp.results["scenario"]) == {"a", "b"}


def test_master_seed_and_pairing_are_part_of_the_run_id() -> None:
    s = load_scenario("no_active_policy", economies=["VNM"])
    paired = make_specs(s, 2, master_seed=1)
    other_seed = make_specs(s, 2, master_seed=2)
    own = make_specs(s, 2, master_seed=1, common_random_numbers=False)
    ids = [x.run_id for x in paired + other_seed + own]
    assert len(set(ids)) == 6
    assert paired[0].run_id.endswith("-s1-r0000") and own[0].run_id.endswith("-s1i-r0000")
    # Common random numbers: the seed depends on the replicate only.
    assert make_specs(load_scenario("baseline", economies=["VNM"]), 1, 1)[0].seed == \
        paired[0].seed
    with pytest.raises(ScenarioError, match="identical"):
        check_unique(paired + paired, "test")


def test_any_concurrent_futures_executor_runs_the_same(folder: Path, tmp_path: Path) -> None:
    scenario = load_scenario(folder / "tiny.toml", replicates=2)
    a, _ = run_scenario(scenario, out=tmp_path / "a", executor=SequentialExecutor(),
                        progress=False)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        b, _ = run_scenario(scenario, out=tmp_path / "b", executor=pool, progress=False)
        # What the caller hands in stays open.
        assert pool.submit(lambda: 1).result() == 1
    pa, pb = _parts(a), _parts(b)
    assert set(pa) == set(pb)
    for run_id in pa:
        _same_numbers(pa[run_id], pb[run_id])


def test_executor_for_wraps_and_rejects() -> None:
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool, \
            executor_for(pool) as ex:
        assert isinstance(ex, FuturesExecutor) and ex.n_workers == 3
        assert sorted(ex.imap_unordered(abs, [-2, 1, -3])) == [1, 2, 3]
    own = SequentialExecutor()
    with executor_for(own) as ex:
        assert ex is own
    with pytest.raises(ExecutorError, match="cannot run on"), executor_for(42):
        pass


def test_a_dask_client_handed_in_runs_and_stays_open(folder: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    scenario = load_scenario(folder / "tiny.toml", replicates=1)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        store, summary = run_scenario(scenario, out=tmp_path / "d", executor=client,
                                      progress=False)
        assert summary["done"] == 1
        assert client.status == "running"
    ref, _ = run_scenario(scenario, out=tmp_path / "s", executor="sequential", progress=False)
    (run_id, df), = _parts(store).items()
    _same_numbers(df, _parts(ref)[run_id])
