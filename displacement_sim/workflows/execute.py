"""The one way runs execute: specs in, results into a store, on any executor.

Every workflow (``run``, batch files, comparisons, sensitivity analyses, calibration) builds
its run specs, claims a store (:func:`open_store`) and calls :func:`execute`. Runs already in
the store are skipped, so every workflow resumes; a failed run is recorded and retried next
time; the store's manifest says whether everything it lists is done.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from tqdm.auto import tqdm

from displacement_sim.errors import ScenarioError, StoreError
from displacement_sim.files import confined
from displacement_sim.resources import output_dir
from displacement_sim.workflows.executors import ExecutorLike, executor_for
from displacement_sim.workflows.runs import RunSpec, timed_run
from displacement_sim.workflows.store import ResultsStore

log = logging.getLogger(__name__)


def definition_hash(specs: Sequence[RunSpec], master_seed: int) -> str:
    """Hash of what a study computes: its run ids and seeds.

    Parameters
    ----------
    specs : sequence of RunSpec
        The study's runs.
    master_seed : int
        The study's master seed.

    Returns
    -------
    str
        SHA-256 hex digest.
    """
    text = json.dumps([[s.run_id, s.seed] for s in specs] + [master_seed])
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_for(name: str, specs: Sequence[RunSpec], master_seed: int,
                 definition: dict[str, Any]) -> dict[str, Any]:
    """The manifest of a study: its definition, resolved scenarios, run keys and seeds.

    Parameters
    ----------
    name : str
        The study's name.
    specs : sequence of RunSpec
        The study's runs.
    master_seed : int
        The study's master seed.
    definition : dict
        What the study is, as its file gives it (stored as is).

    Returns
    -------
    dict
        The manifest, JSON-serialisable.
    """
    scenarios = {}
    for s in specs:
        scenarios.setdefault(s.key, {"name": s.name, "params": s.params,
                                     "config_hash": s.scenario.config_hash(),
                                     "config": s.scenario.model_dump(mode="json")})
    return {
        "name": name,
        "definition": definition,
        "definition_hash": definition_hash(specs, master_seed),
        "master_seed": master_seed,
        "scenarios": scenarios,
        "runs": [{"run_id": s.run_id, "scenario": s.name, "replicate": s.replicate,
                  "seed": s.seed, "scenario_key": s.key, "params": s.params}
                 for s in specs],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def check_unique(specs: Sequence[RunSpec], source: str) -> None:
    """Raise a one-line error if two specs are the same run.

    Parameters
    ----------
    specs : sequence of RunSpec
        The runs.
    source : str
        Names the study in the error message.

    Raises
    ------
    ScenarioError
        If two specs have the same run id.
    """
    ids = [s.run_id for s in specs]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise ScenarioError(f"{source}: two runs are identical (same scenario settings, seed "
                            f"and replicate, e.g. {dup}); check for duplicate sweep values, "
                            "scenarios or options")


def open_store(name: str, specs: Sequence[RunSpec], master_seed: int,
               definition: dict[str, Any], out: str | Path | None = None,
               force: bool = False) -> ResultsStore:
    """Claim the results folder ``out`` (default ``./outputs/<name>``) for these runs.

    Parameters
    ----------
    name : str
        The study's name.
    specs : sequence of RunSpec
        The study's runs.
    master_seed : int
        The study's master seed.
    definition : dict
        What the study is, stored in the manifest.
    out : str or Path, optional
        The results folder (default ``./outputs/<name>``).
    force : bool
        Clear the results of a different study in ``out`` (default ``False``).

    Returns
    -------
    ResultsStore
        The store, with the study's manifest written.

    Raises
    ------
    StoreError
        If the folder holds the results of a different study and ``force`` is not set,
        another command writes it, or it (or a folder in it) cannot be written.
    """
    check_unique(specs, name)
    if out is None:
        base = output_dir()
        if confined(base, base / name) == base.resolve() or Path(name).name != name:
            raise StoreError(f"{name!r}: not a name for a results folder in {base}")
        out = base / name
    store = ResultsStore(out)
    store.open(manifest_for(name, specs, master_seed, definition), force=force)
    return store


def execute(specs: Sequence[RunSpec], store: ResultsStore, executor: ExecutorLike = None,
            *, progress: bool = True, desc: str = "runs",
            on_result: Callable[[str, bool], None] | None = None) -> dict[str, int]:
    """Run the specs that ``store`` does not hold yet, writing each result as it finishes.

    Parameters
    ----------
    specs : sequence of RunSpec
        The runs.
    store : ResultsStore
        Where results go; runs already in it are skipped.
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        Where runs execute (:func:`~displacement_sim.workflows.executors.executor_for`);
        default local processes. What the caller hands in stays open.
    progress : bool
        Show a progress bar.
    desc : str
        Label of the progress bar.
    on_result : callable, optional
        Called with ``(run_id, ok)`` after each run.

    Returns
    -------
    dict
        Runs ``total``, ``skipped`` (already stored), ``done`` now and ``failed`` now.
    """
    stored, rejected = store.verify()
    ids = {s.run_id for s in specs}
    redo = [(rel, why) for rel, why in rejected.items() if PurePosixPath(rel).stem in ids]
    if redo:
        more = f" (and {len(redo) - 1} more)" if len(redo) > 1 else ""
        log.warning("%s: computing %d stored run(s) again, whose part is damaged or was not "
                    "written by this study: %s: %s%s", store.root, len(redo), *redo[0], more)
    todo = [s for s in specs if s.run_id not in stored]
    by_id = {s.run_id: s for s in todo}
    summary = {"total": len(specs), "skipped": len(specs) - len(todo), "done": 0, "failed": 0}
    bar = tqdm(total=len(specs), initial=summary["skipped"], desc=desc, unit="run",
               disable=not progress, dynamic_ncols=True)
    try:
        if todo:
            with executor_for(executor) as ex:
                for run_id, data, error, seconds in ex.imap_unordered(timed_run, todo):
                    if error is None:
                        store.write_run_bytes(run_id, data)
                        summary["done"] += 1
                    else:
                        spec = by_id[run_id]
                        store.write_error(run_id, error, {
                            "scenario": spec.name, "replicate": spec.replicate,
                            "seed": spec.seed, "params": spec.params, "seconds": seconds})
                        summary["failed"] += 1
                    if on_result is not None:
                        on_result(run_id, error is None)
                    bar.update(1)
    finally:
        bar.close()
    manifest = store.read_manifest()
    if manifest is not None:
        listed = {r["run_id"] for r in manifest.get("runs", [])}
        failed = store.failed()
        store.update_manifest(complete=not failed and listed <= store.done(),
                              failed=sorted(failed))
    return summary
