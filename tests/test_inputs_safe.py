"""Inputs read safely (``displacement_sim.inputs_safe``): every file a user names, whatever it
is, ends quickly in its contents or one line ``error: <file>: <what was wrong>``, exit code 2,
nothing written.

Each test reproduces one defect of the old reader (a traceback, a hang or memory exhaustion).
The FIFO and ``/dev/zero`` cases run the real command in a subprocess with a time limit (and a
memory limit), so that the old behaviour fails the test instead of hanging the suite.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import TINY_TOML

from displacement_sim.cli import main
from displacement_sim.errors import DataError, ScenarioError
from displacement_sim.inputs_safe import (
    MAX_DEPTH,
    TOML_LIMIT,
    nesting_depth,
    read_bytes,
    read_toml_file,
)
from displacement_sim.scenarios import load_scenario, read_toml
from displacement_sim.studies import load_batch_file

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("error: ")
    return err[0]


def _cli_exits_2_writing_nothing(argv: list[str], cwd: Path,
                                 capsys: pytest.CaptureFixture[str]) -> str:
    """Run ``main(argv)`` from ``cwd``: exit 2, one error line, no ``outputs/``."""
    before = os.getcwd()
    os.chdir(cwd)
    try:
        code = main(argv)
    finally:
        os.chdir(before)
    line = one_error_line(capsys)
    assert code == 2, line
    assert not (cwd / "outputs").exists()
    return line


def _limited_cli(*args: str, cwd: Path, timeout: float = 60,
                 memory: int = 2 << 30) -> subprocess.CompletedProcess[str]:
    """The real command with a time limit and an address-space limit."""
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "displacement_sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=limit)


# ------------------------------------------------------------------ encoding


def test_non_utf8_byte_in_a_scenario_is_one_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(TINY_TOML.encode() + 'description = "Vi\xeat Nam"\n'.encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.toml: not UTF-8 text \(byte 0xea at "
                                            r"line 6, column 18\)"):
        load_scenario(bad)
    line = _cli_exits_2_writing_nothing(["run", str(bad), "--executor", "sequential"],
                                        tmp_path, capsys)
    assert "not UTF-8" in line


def test_non_utf8_byte_in_a_batch_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "batch.toml"
    bad.write_bytes(b'name = "b\xff"\nscenarios = ["baseline"]\n')
    with pytest.raises(ScenarioError, match=r"batch\.toml: not UTF-8 text \(byte 0xff"):
        load_batch_file(bad)


def test_non_utf8_data_file_is_one_line(tmp_path: Path) -> None:
    from displacement_sim.data import load_profile

    data = tmp_path / "data"
    data.mkdir()
    for f in (REPO / "calibration" / "data").glob("*.csv"):
        (data / f.name).write_bytes(f.read_bytes())
    robots = data / "robot_density_ifr.csv"
    robots.write_bytes(robots.read_bytes().replace(b"IFR", b"IF\xd2", 1))
    with pytest.raises(DataError, match=r"robot_density_ifr\.csv: not UTF-8 text"):
        load_profile("SGP", 2023, data_dir=data)


# ------------------------------------------------------------------ nesting


def test_deep_nesting_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text(TINY_TOML + "x = " + "[" * 1000 + "]" * 1000 + "\n")
    with pytest.raises(ScenarioError, match=r"deep\.toml: tables or arrays nested too deeply"):
        load_scenario(deep)
    _cli_exits_2_writing_nothing(["run", str(deep)], tmp_path, capsys)


def test_nesting_below_the_parser_limit_is_refused_after_parsing(tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(ScenarioError, match=rf"nested 101 levels deep \(at most {MAX_DEPTH}\)"):
        read_toml(deep)


def test_nesting_depth_needs_no_recursion() -> None:
    value: list = []
    for _ in range(10 * sys.getrecursionlimit()):
        value = [value]
    assert nesting_depth(value) == 10 * sys.getrecursionlimit() + 1


def test_shipped_files_are_within_the_depth_limit() -> None:
    for path in [*SCENARIO_DIR.rglob("*.toml"), *(REPO / "calibration").rglob("*.toml")]:
        read_toml_file(path)


# ------------------------------------------------------------------ names


def test_long_name_in_extends_is_one_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{"a" * 300}.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    msg = str(info.value)
    assert msg.startswith(f"{child}: key 'extends': ")
    assert "file name too long (305 bytes in one name" in msg
    _cli_exits_2_writing_nothing(["run", str(child)], tmp_path, capsys)


def test_long_scenario_name_on_the_command_line_is_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _cli_exits_2_writing_nothing(["run", "b" * 300], tmp_path, capsys)
    assert "file name too long" in line


def test_long_batch_file_name_is_one_line(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    line = _cli_exits_2_writing_nothing(["batch", "c" * 300 + ".toml"], tmp_path, capsys)
    assert "file name too long" in line


# ------------------------------------------------------------------ not regular files


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory, not a regular file"):
        read_toml(tmp_path)


@pytest.mark.parametrize("command", ["run", "batch"])
def test_fifo_is_refused_without_blocking(command: str, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    # No writer ever opens the FIFO: the old reader blocked for ever in open().
    result = _limited_cli(command, str(fifo), cwd=tmp_path, timeout=30)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {fifo}: is a FIFO (named pipe), not a regular file (expected a TOML file)"]
    assert not (tmp_path / "outputs").exists()
    with pytest.raises(ScenarioError, match=r"pipe\.toml: is a FIFO \(named pipe\), not a "
                                            r"regular file"):
        read_toml(fifo)


def test_fifo_in_extends_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "parent.toml")
    (tmp_path / "child.toml").write_text('extends = "parent.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError, match="is a FIFO"):
        load_scenario(tmp_path / "child.toml")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("command", ["run", "batch", "compare", "sensitivity", "calibrate"])
def test_dev_zero_is_refused_before_reading(command: str, tmp_path: Path) -> None:
    # The old reader read /dev/zero until memory ran out (a MemoryError under this limit).
    result = _limited_cli(command, "/dev/zero", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines() == [
        "error: /dev/zero: is a character device, not a regular file (expected a TOML file)"]
    assert not (tmp_path / "outputs").exists()


def test_dev_zero_in_extends_is_refused(tmp_path: Path) -> None:
    (tmp_path / "child.toml").write_text('extends = "/dev/zero"\nname = "c"\n')
    with pytest.raises(ScenarioError, match=r"/dev/zero: is a character device"):
        load_scenario(tmp_path / "child.toml")


def test_data_dir_fifo_is_refused(tmp_path: Path) -> None:
    from displacement_sim.data import load_profile

    data = tmp_path / "data"
    data.mkdir()
    for f in (REPO / "calibration" / "data").glob("*.csv"):
        (data / f.name).write_bytes(f.read_bytes())
    (data / "robot_density_ifr.csv").unlink()
    os.mkfifo(data / "robot_density_ifr.csv")
    with pytest.raises(DataError, match=r"robot_density_ifr\.csv: not a regular file"):
        load_profile("SGP", 2023, data_dir=data)


# ------------------------------------------------------------------ size


def test_file_over_the_size_limit_is_refused_from_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * TOML_LIMIT + b"\n")
    with pytest.raises(ScenarioError, match=rf"big\.toml: too large \({TOML_LIMIT + 3:,} "
                                            rf"bytes; a TOML file may hold at most "
                                            rf"{TOML_LIMIT:,}\)"):
        read_toml(big)


def test_read_bytes_stops_at_the_limit(tmp_path: Path) -> None:
    f = tmp_path / "f.csv"
    f.write_bytes(b"a,b\n1,2\n")
    assert read_bytes(f, 8) == b"a,b\n1,2\n"
    with pytest.raises(DataError, match=r"f\.csv: too large \(8 bytes; data may hold at most 7"):
        read_bytes(f, 7, "data", DataError)
