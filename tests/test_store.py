"""Tests of the results store (``workflows/store.py``) and the file guards (``files.py``).

Each test reproduces a defect of the store found by hand and by fuzzing (issue 11, "Data loss",
"Damaged results go unnoticed", read-only ``parts/`` or ``figures/``): it failed before the
store listed what it wrote, checked parts, locked its folder and confined its writes.
Runs are tiny (two economies, one year, 20,000 people per agent), a few hundredths of a second
each.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import TINY_TOML

from displacement_sim import StoreError
from displacement_sim.cli import main
from displacement_sim.files import (
    atomic_write_bytes,
    confined,
    lock_folder,
    remove,
    unlock_folder,
    writing,
)
from displacement_sim.studies import load_batch_file
from displacement_sim.workflows.batch import expand_batch, run_batch
from displacement_sim.workflows.execute import open_store
from displacement_sim.workflows.store import ResultsStore, read_results

REPO = Path(__file__).resolve().parents[1]

RUN_ARGS = ("--economies", "VNM,SGP", "--years", "1", "--replicates", "2",
            "--workers-per-agent", "20000", "--executor", "sequential", "--quiet")
"""Options of every ``run`` under test."""

NOT_ROOT = pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")


# ------------------------------------------------------------------ helpers


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny scenario file."""
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


def write_batch(folder: Path, tiny: Path, seed: int = 7, name: str = "b",
                replicates: int = 3) -> Path:
    path = folder / f"{name}-{seed}.toml"
    path.write_text(f"name = {json.dumps(name)}\nscenarios = [{json.dumps(str(tiny))}]\n"
                    f"replicates = {replicates}\nseed = {seed}\nyears = 1\n"
                    'economies = ["VNM", "SGP"]\nworkers_per_agent = 20000\n')
    return path


@pytest.fixture(scope="module")
def batch(tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_batch(tmp_path_factory.mktemp("batch"), tiny)


@pytest.fixture(scope="module")
def reference(batch: Path) -> ResultsStore:
    """The batch, run once; tests that change a folder copy it first."""
    store, summary = run_batch(batch, out=batch.parent / "ref", executor="sequential",
                               progress=False)
    assert summary["done"] == 3
    return store


def copy_of(store: ResultsStore, to: Path) -> ResultsStore:
    shutil.copytree(store.root, to)
    return ResultsStore(to)


def cli(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error:") and "Traceback" not in err
    return lines[0]


def snapshot(folder: Path, lock: bool = True) -> dict[str, tuple[int, int, bytes]]:
    """Every file under ``folder``: size, modification time and content (the lock file,
    where the command that takes it writes its process id, unless ``lock`` is off)."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file() and (lock or p.name != ".lock")}


def a_part(store: ResultsStore) -> Path:
    return sorted(store.parts.glob("*.parquet"))[1]


# ------------------------------------------------------------------ confinement


def test_confined_refuses_dot_dot_and_links_out(tmp_path: Path) -> None:
    root = tmp_path / "out"
    (root / "figures").mkdir(parents=True)
    assert confined(root, root / "figures" / "a.png") == (root / "figures" / "a.png").resolve()
    with pytest.raises(StoreError, match="outside the output folder"):
        confined(root, root / ".." / "elsewhere.png")
    (tmp_path / "outside").mkdir()
    (root / "link").symlink_to(tmp_path / "outside")
    with pytest.raises(StoreError, match="outside the output folder"):
        confined(root, root / "link" / "a.png")
    with pytest.raises(StoreError, match="outside the output folder"):
        confined(root, root / "link", follow=True)
    # A link that is itself the file is replaced, not followed.
    (root / "file_link.png").symlink_to(tmp_path / "outside" / "x.png")
    assert confined(root, root / "file_link.png").parent == root.resolve()


def test_writes_in_a_session_stay_inside(tmp_path: Path) -> None:
    from displacement_sim.files import atomic_write_text

    root = tmp_path / "out"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "figures").symlink_to(tmp_path / "outside")
    with writing(root), pytest.raises(StoreError, match="outside the output folder"):
        atomic_write_text(root / "figures" / "a.txt", "x")
    assert not list((tmp_path / "outside").iterdir())


@pytest.mark.parametrize("name", ["..", "a/b", "."])
@pytest.mark.parametrize("command", ["run", "batch"])
def test_name_that_is_not_a_folder_name_is_refused(name: str, command: str, tmp_path: Path,
                                                   tiny: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``name = ".."`` sent results to the project root, and ``--force`` deleted its
    ``figures/``; now it is one line, exit 2, and nothing is written anywhere."""
    work = tmp_path / "work" / "project"
    work.mkdir(parents=True)
    (work / "figures").mkdir()
    (work / "figures" / "mine.png").write_bytes(b"the user's")
    if command == "run":
        path = work / "s.toml"
        path.write_text(TINY_TOML.replace('name = "tiny"', f"name = {json.dumps(name)}"))
        argv = ["run", path, *RUN_ARGS, "--force"]
    else:
        path = write_batch(work, tiny).rename(work / "b.toml")
        path.write_text(path.read_text().replace('name = "b"', f"name = {json.dumps(name)}"))
        argv = ["batch", path, "--executor", "sequential", "--quiet", "--force"]
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    assert cli(*argv) == 2
    assert "name" in one_line(capsys)
    assert snapshot(tmp_path) == before
    assert not (work / "outputs").exists()


@pytest.mark.parametrize("folder", ["figures", "parts"])
def test_folder_linked_out_of_the_results_is_refused(folder: str, tiny: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (out / folder).symlink_to(outside)
    assert cli("run", tiny, *RUN_ARGS, "--out", out) == 2
    assert "outside the output folder" in one_line(capsys)
    assert not list(outside.iterdir())
    assert not (out / "manifest.json").exists()


# ------------------------------------------------------------------ --force removes only ours


def test_force_keeps_the_users_files(tiny: Path, tmp_path: Path) -> None:
    """``--force`` deleted ``figures/`` whole, with a file the user had put there."""
    out = tmp_path / "out"
    assert cli("run", tiny, *RUN_ARGS, "--out", out, "--seed", "1") == 0
    ours = sorted(p.name for p in (out / "figures").iterdir())
    assert ours
    first_seeds = set(read_results(out)["seed"])
    (out / "figures" / "my_notes.png").write_bytes(b"mine")
    (out / "parts" / "my_table.parquet").write_bytes(b"mine too")
    (out / "README.txt").write_text("what this folder is")
    assert cli("run", tiny, *RUN_ARGS, "--out", out, "--seed", "2", "--force") == 0
    assert (out / "figures" / "my_notes.png").read_bytes() == b"mine"
    assert (out / "parts" / "my_table.parquet").read_bytes() == b"mine too"
    assert (out / "README.txt").read_text() == "what this folder is"
    assert sorted(p.name for p in (out / "figures").iterdir()) == sorted([*ours,
                                                                          "my_notes.png"])
    assert set(read_results(out)["seed"]).isdisjoint(first_seeds)  # old runs gone
    assert json.loads((out / "manifest.json").read_text())["master_seed"] == 2


def test_written_files_are_listed(reference: ResultsStore, tmp_path: Path) -> None:
    store = copy_of(reference, tmp_path / "out")
    assert cli("summarize", store.root, "--metrics", "unemployment_rate") == 0
    listed = {json.loads(line)["path"] for line in store.index_path.read_text().splitlines()}
    assert {f"parts/{p.name}" for p in store.parts.glob("*.parquet")} <= listed
    assert "summary/summary.csv" in listed and "summary/summary.parquet" in listed
    for line in store.index_path.read_text().splitlines():
        rec = json.loads(line)
        assert (store.root / rec["path"]).stat().st_size == rec["size"]


def test_clear_removes_the_old_manifests_runs_without_a_list(reference: ResultsStore,
                                                             tmp_path: Path) -> None:
    """A folder written before files were listed: ``--force`` removes the parts and error
    records of the runs its manifest names, and nothing else."""
    store = copy_of(reference, tmp_path / "out")
    store.index_path.unlink()
    (store.parts / "someone_elses.parquet").write_bytes(b"x")
    store.clear()
    assert [p.name for p in store.parts.iterdir()] == ["someone_elses.parquet"]
    assert not store.manifest_path.exists()


def test_remove_leaves_files_the_store_did_not_write(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "out")
    store.claim()
    ours, theirs = store.root / "report" / "a.png", store.root / "report" / "b.png"
    from displacement_sim.files import atomic_write_bytes

    with store.recording():
        atomic_write_bytes(ours, b"png")
    theirs.write_bytes(b"user's png")
    with store.recording():
        assert remove(ours) and not remove(theirs)
    assert not ours.exists() and theirs.read_bytes() == b"user's png"
    store.close()


# ------------------------------------------------------------------ one writer at a time


@pytest.mark.parametrize("force", [False, True])
def test_second_writer_fails_at_once(force: bool, reference: ResultsStore, batch: Path,
                                     tiny: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """``--force`` on a folder that another batch was writing: both exited 0, and the first
    batch's results were gone. Now the second writer stops with one line, changing nothing."""
    store = copy_of(reference, tmp_path / "out")
    other = write_batch(tmp_path, tiny, seed=9, name="other")
    fd = os.open(store.root / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        before = snapshot(store.root)
        for path in (batch, other):
            argv = ["batch", path, "--out", store.root, "--executor", "sequential", "--quiet"]
            assert cli(*argv, *(["--force"] if force else [])) == 2
            assert "another displacement-sim command" in one_line(capsys)
            assert snapshot(store.root) == before
        assert cli("summarize", store.root) == 2
        assert "another displacement-sim command" in one_line(capsys)
        assert snapshot(store.root) == before
    finally:
        os.close(fd)
    assert cli("batch", other, "--out", store.root, "--executor", "sequential", "--quiet",
               "--force") == 0


def test_lock_is_released_when_the_command_ends(reference: ResultsStore, batch: Path,
                                                tmp_path: Path) -> None:
    store = copy_of(reference, tmp_path / "out")
    assert cli("batch", batch, "--out", store.root, "--executor", "sequential", "--quiet") == 0
    fd = os.open(store.root / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    finally:
        os.close(fd)
    lock_folder(store.root)
    lock_folder(store.root)  # the same process may take it again
    unlock_folder(store.root)


def cli_env() -> dict[str, str]:
    return {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


@pytest.mark.slow
def test_force_from_a_second_process_cannot_destroy_a_running_batch(
        tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write_batch(tmp_path, tiny, seed=3, name="first", replicates=8)
    second = write_batch(tmp_path, tiny, seed=4, name="second", replicates=1)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "displacement_sim.cli", "batch", str(first),
                             "--out", str(out), "--executor", "sequential", "--quiet"],
                            cwd=REPO, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    store = ResultsStore(out)
    try:
        deadline = time.monotonic() + 60
        while not store.done():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert cli("batch", second, "--out", out, "--executor", "sequential", "--quiet",
                   "--force") == 2
        assert "another displacement-sim command (process " in one_line(capsys)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    bf, path = load_batch_file(first)
    assert store.done() == {s.run_id for s in expand_batch(bf, path.parent)}
    assert json.loads(store.manifest_path.read_text())["name"] == "first"


# ------------------------------------------------------------------ damaged parts


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def empty(path: Path) -> None:
    path.write_bytes(b"")


def flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [truncate, empty, flip], ids=["truncated", "emptied",
                                                                  "bit-flipped"])
def test_damaged_part_is_detected_and_recomputed(
        damage, reference: ResultsStore, batch: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    """A truncated or emptied part counted as stored, the batch was marked complete and
    ``summarize`` crashed with a pyarrow traceback; flipped bytes changed values silently."""
    store = copy_of(reference, tmp_path / "out")
    part = a_part(store)
    damage(part)

    with pytest.raises(StoreError, match="damaged") as info:
        read_results(store.root)
    assert str(part) in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(StoreError, match="damaged"):
        ResultsStore(store.root).read_run(part.stem)
    assert cli("summarize", store.root) == 2
    assert str(part) in one_line(capsys)
    assert part.stem not in ResultsStore(store.root).done()

    with caplog.at_level(logging.WARNING):
        _, summary = run_batch(batch, out=store.root, executor="sequential", progress=False)
    assert summary == {"total": 3, "skipped": 2, "done": 1, "failed": 0}
    assert f"parts/{part.name}" in caplog.text and "again" in caplog.text
    assert store.read_manifest()["complete"] is True
    pd.testing.assert_frame_equal(store.read(), reference.read(), check_exact=True)


def test_part_of_another_master_seed_is_recomputed(reference: ResultsStore, batch: Path,
                                                   tiny: Path, tmp_path: Path) -> None:
    """A part from a batch with another master seed, under this batch's run id, was accepted
    as this batch's result."""
    other, _ = run_batch(write_batch(tmp_path, tiny, seed=8), out=tmp_path / "other",
                         executor="sequential", progress=False)
    store = copy_of(reference, tmp_path / "out")
    target = a_part(store)
    shutil.copyfile(a_part(other), target)
    assert target.stem not in store.done()
    _, summary = run_batch(batch, out=store.root, executor="sequential", progress=False)
    assert summary["skipped"] == 2 and summary["done"] == 1
    pd.testing.assert_frame_equal(store.read(), reference.read(), check_exact=True)


def test_unlisted_part_is_left_out_of_reads(reference: ResultsStore, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    store = copy_of(reference, tmp_path / "out")
    shutil.copyfile(a_part(store), store.parts / "stranger.parquet")
    with caplog.at_level(logging.WARNING):
        table = store.read()
    assert "stranger" not in set(table["run_id"]) and "stranger.parquet" in caplog.text
    assert "stranger" not in store.done()
    pd.testing.assert_frame_equal(table, reference.read(), check_exact=True)


def test_folder_without_a_list_is_read_with_a_one_line_error(tmp_path: Path) -> None:
    """Parts assembled by hand (no ``written.jsonl``) are read as they are; a broken one is a
    one-line error naming it, not a pyarrow traceback."""
    parts = tmp_path / "out" / "parts"
    parts.mkdir(parents=True)
    pd.DataFrame({"run_id": ["r0"], "economy": ["VNM"], "step": [0]}).to_parquet(
        parts / "r0.parquet")
    assert len(read_results(tmp_path / "out")) == 1
    (parts / "r1.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(StoreError, match="r1.parquet: not a readable Parquet file"):
        read_results(tmp_path / "out")


def test_torn_line_of_the_list_is_skipped(reference: ResultsStore, batch: Path,
                                          tmp_path: Path) -> None:
    """A kill while a line is appended leaves half a line: its part counts as not stored,
    and the lines after it are read."""
    store = copy_of(reference, tmp_path / "out")
    lines = store.index_path.read_text().splitlines()
    store.index_path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    assert len(ResultsStore(store.root).done()) == 2
    _, summary = run_batch(batch, out=store.root, executor="sequential", progress=False)
    assert summary["done"] == 1
    assert len(ResultsStore(store.root).done()) == 3
    assert all(json.loads(line) for line in store.index_path.read_text().splitlines())


def test_temporary_files_of_a_kill_are_removed(reference: ResultsStore, batch: Path,
                                               tmp_path: Path) -> None:
    """Kills left temporary files behind (5 in 20 trials)."""
    store = copy_of(reference, tmp_path / "out")
    (store.root / "figures").mkdir()
    left = [store.parts / ".x-r0001.parquet.ab12cd_9.tmp", store.root / ".manifest.json.zz"
            "yyxx00.tmp", store.root / "figures" / ".a.png.q1w2e3r4.tmp"]
    for path in left:
        path.write_bytes(b"half")
    users = [store.root / ".notes.tmp", store.root / "figures" / "draft.tmp"]
    for path in users:
        path.write_bytes(b"mine")
    _, summary = run_batch(batch, out=store.root, executor="sequential", progress=False)
    assert summary["skipped"] == 3
    assert not any(p.exists() for p in left)
    assert all(p.read_bytes() == b"mine" for p in users)


# ------------------------------------------------------------------ strict JSON


def test_manifest_is_strict_json(reference: ResultsStore, batch: Path, tmp_path: Path) -> None:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in the manifest")

    json.loads(reference.manifest_path.read_text(), parse_constant=refuse)
    bf, path = load_batch_file(batch)
    specs = expand_batch(bf, path.parent)
    out = tmp_path / "out"
    with pytest.raises(StoreError, match=r"key 'definition.share' is inf"):
        open_store("b", specs, 7, {"share": float("inf")}, out)
    assert not out.exists()
    store = copy_of(reference, tmp_path / "copy")
    before = store.manifest_path.read_bytes()
    with pytest.raises(StoreError, match="not a finite number"):
        store.update_manifest(extra=[1.0, float("nan")])
    assert store.manifest_path.read_bytes() == before


def test_manifest_with_infinity_needs_force(reference: ResultsStore, batch: Path,
                                            tmp_path: Path) -> None:
    store = copy_of(reference, tmp_path / "out")
    store.manifest_path.write_text(store.manifest_path.read_text().replace(
        '"master_seed": 7', '"master_seed": Infinity'))
    with pytest.raises(StoreError, match="unreadable manifest.*--force"):
        run_batch(batch, out=store.root, executor="sequential", progress=False)
    _, summary = run_batch(batch, out=store.root, executor="sequential", progress=False,
                           force=True)
    assert summary["done"] == 3


# ------------------------------------------------------------------ folders that cannot be written


@NOT_ROOT
@pytest.mark.parametrize("folder", ["parts", "errors"])
def test_read_only_store_folder_stops_before_anything(
        folder: str, reference: ResultsStore, batch: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only ``parts/`` gave a PermissionError traceback after the manifest was
    written."""
    store = copy_of(reference, tmp_path / "out")
    store.parts.joinpath(a_part(store).name).unlink()  # one run to do
    (store.root / folder).mkdir(exist_ok=True)
    before = snapshot(store.root, lock=False)
    (store.root / folder).chmod(0o500)
    try:
        assert cli("batch", batch, "--out", store.root, "--executor", "sequential",
                   "--quiet") == 2
        line = one_line(capsys)
        assert str(store.root / folder) in line and "cannot write" in line
        assert snapshot(store.root, lock=False) == before
    finally:
        (store.root / folder).chmod(0o700)


@NOT_ROOT
def test_read_only_figures_stops_before_the_runs(tiny: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only ``figures/`` gave a PermissionError traceback after every run was
    written."""
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures").chmod(0o500)
    try:
        assert cli("run", tiny, *RUN_ARGS, "--out", out) == 2
        line = one_line(capsys)
        assert str(out / "figures") in line and "cannot write" in line
        assert not (out / "manifest.json").exists() and not (out / "parts").exists()
    finally:
        (out / "figures").chmod(0o700)


def refuse_writes(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` act as a read-only folder does for a user who is not root, also when
    the tests run as root (which ignores permission bits): ``os.access`` denies writing, and
    creating a file or a folder in it fails with EACCES (files that exist can still be
    opened, as in a folder with mode 0o500)."""
    folder = folder.resolve()
    real_access, real_open, real_mkdir = os.access, os.open, os.mkdir

    def parent_is_folder(path: Any) -> bool:
        return Path(os.path.realpath(os.path.dirname(os.path.abspath(path)))) == folder

    def denied(path: Any) -> PermissionError:
        return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fspath(path))

    def access(path: Any, mode: int, **kwargs: Any) -> bool:
        if mode & os.W_OK and "dir_fd" not in kwargs and Path(os.path.realpath(path)) == folder:
            return False
        return real_access(path, mode, **kwargs)

    def open_(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        if flags & os.O_CREAT and "dir_fd" not in kwargs and parent_is_folder(path) \
                and not os.path.lexists(path):
            raise denied(path)
        return real_open(path, flags, mode, **kwargs)

    def mkdir(path: Any, mode: int = 0o777, **kwargs: Any) -> None:
        if "dir_fd" not in kwargs and parent_is_folder(path):
            raise denied(path)
        real_mkdir(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "mkdir", mkdir)


def test_refuse_writes_acts_as_a_read_only_folder(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in for a read-only folder that the tests below use as root."""
    (tmp_path / "ro").mkdir()
    (tmp_path / "ro" / "old.txt").write_text("old")
    refuse_writes(monkeypatch, tmp_path / "ro")
    assert not os.access(tmp_path / "ro", os.W_OK | os.X_OK)
    assert os.access(tmp_path, os.W_OK | os.X_OK)
    with pytest.raises(PermissionError):
        (tmp_path / "ro" / "sub").mkdir()
    with pytest.raises(StoreError, match="cannot write here"):
        atomic_write_bytes(tmp_path / "ro" / "new.txt", b"new")
    atomic_write_bytes(tmp_path / "new.txt", b"new")  # next to it: allowed
    os.close(os.open(tmp_path / "ro" / "old.txt", os.O_RDWR | os.O_CREAT))
    assert sorted(p.name for p in (tmp_path / "ro").iterdir()) == ["old.txt"]


@pytest.mark.parametrize("folder", [".", "parts", "errors"], ids=["out", "parts", "errors"])
def test_unwritable_store_folder_stops_before_anything_even_as_root(
        folder: str, reference: ResultsStore, batch: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """As :func:`test_read_only_store_folder_stops_before_anything`, for any user: a folder of
    the store that cannot be written stops ``batch`` before it writes anything (it gave a
    PermissionError traceback after the manifest was written)."""
    store = copy_of(reference, tmp_path / "out")
    store.parts.joinpath(a_part(store).name).unlink()  # one run to do
    (store.root / folder).mkdir(exist_ok=True)
    (store.root / ".lock").touch()  # (the lock file of a folder that was written before)
    before = snapshot(store.root, lock=False)
    refuse_writes(monkeypatch, store.root / folder)
    assert cli("batch", batch, "--out", store.root, "--executor", "sequential", "--quiet") == 2
    line = one_line(capsys)
    named = store.root if folder == "." else store.root / folder
    assert f"error: {named}: cannot write results here" in line
    assert snapshot(store.root, lock=False) == before
    assert not list(store.root.rglob("*.tmp"))


def test_unwritable_figures_stops_the_run_before_its_runs_even_as_root(
        tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As :func:`test_read_only_figures_stops_before_the_runs`, for any user: it gave a
    PermissionError traceback after every run was written."""
    out = tmp_path / "out"
    (out / "figures").mkdir(parents=True)
    (out / "figures" / "mine.png").write_bytes(b"the user's")
    refuse_writes(monkeypatch, out / "figures")
    assert cli("run", tiny, *RUN_ARGS, "--out", out) == 2
    line = one_line(capsys)
    assert f"error: {out / 'figures'}: cannot write results here" in line
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == [
        ".lock", "figures", "figures/mine.png"]
    assert (out / "figures" / "mine.png").read_bytes() == b"the user's"


@NOT_ROOT
def test_read_only_folder_outside_a_store_is_one_line(tmp_path: Path) -> None:
    from displacement_sim.files import atomic_write_text

    folder = tmp_path / "report"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="cannot write here"):
            atomic_write_text(folder / "a.md", "x")
    finally:
        folder.chmod(0o700)
