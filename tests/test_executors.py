"""Executors (``displacement_sim.workflows.executors``): a Dask scheduler address is checked
in a few seconds before anything is written, and a local Dask cluster says where its dashboard
is, serves it on 127.0.0.1 only, and can serve none.

The two fake endpoints are plain TCP servers in this process: one answers every connection
with bytes that are not Dask's (the old client read its first eight bytes as a frame length
and tried to allocate exabytes), one accepts and never answers (the old client waited 60 s
and more). The command runs in a subprocess with a time limit, so the old behaviour fails the
test instead of hanging it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import TINY_TOML

from displacement_sim.cli import main
from displacement_sim.workflows.executors import (
    DaskExecutor,
    ExecutorError,
    parse_scheduler_address,
    probe_scheduler,
)

REPO = Path(__file__).resolve().parents[1]


def _serve(answer: bytes | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that sends ``answer`` to each connection (``None``: never
    says anything) and keeps it open; yields its port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)
            if answer is not None:
                try:
                    conn.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        server.close()


@pytest.fixture
def garbage_port() -> Iterator[int]:
    yield from _serve(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, not dask" * 20)


@pytest.fixture
def silent_port() -> Iterator[int]:
    yield from _serve(None)


def _cli(*args: str, cwd: Path, timeout: float = 40) -> tuple[subprocess.CompletedProcess[str],
                                                             float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]), "MPLBACKEND": "Agg"}
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "displacement_sim", *args], cwd=cwd,
                            env=env, capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


@pytest.fixture
def tiny_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_TOML)
    return path


# ------------------------------------------------------------------ non-Dask endpoints


@pytest.mark.parametrize("command", ["run", "batch"])
def test_endpoint_answering_garbage_is_refused_quickly(command: str, garbage_port: int,
                                                       tiny_file: Path, tmp_path: Path) -> None:
    target = str(tiny_file)
    if command == "batch":
        (tmp_path / "b.toml").write_text('name = "b"\nscenarios = ["tiny.toml"]\n')
        target = str(tmp_path / "b.toml")
    address = f"tcp://127.0.0.1:{garbage_port}"
    result, seconds = _cli(command, target, "--scheduler", address, "--out", "out",
                           cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        f"error: {address!r} is not a Dask scheduler: it answered with data that is not a "
        "Dask handshake"]
    assert seconds < 10
    assert not (tmp_path / "out").exists()  # no manifest, nothing


def test_endpoint_that_never_answers_is_refused_within_seconds(silent_port: int,
                                                               tiny_file: Path,
                                                               tmp_path: Path) -> None:
    address = f"tcp://127.0.0.1:{silent_port}"
    result, seconds = _cli("run", str(tiny_file), "--scheduler", address, "--out", "out",
                           cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == [
        f"error: {address!r} is not a Dask scheduler: it sent no Dask handshake within 5 s "
        "(a Dask scheduler answers at once)"]
    assert seconds < 10
    assert not (tmp_path / "out").exists()


def test_probe_bounds_what_it_reads(garbage_port: int, silent_port: int) -> None:
    with pytest.raises(ExecutorError, match="not a Dask handshake"):
        probe_scheduler(f"tcp://127.0.0.1:{garbage_port}", timeout=2)
    start = time.monotonic()
    with pytest.raises(ExecutorError, match="no Dask handshake within 0.5 s"):
        probe_scheduler(f"127.0.0.1:{silent_port}", timeout=0.5)
    assert time.monotonic() - start < 3


def test_closed_port_is_refused() -> None:
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ExecutorError, match=rf"cannot reach the Dask scheduler "
                                            rf"'tcp://127.0.0.1:{port}': "):
        probe_scheduler(f"tcp://127.0.0.1:{port}")


# ------------------------------------------------------------------ addresses


@pytest.mark.parametrize("address", ["tls://127.0.0.1:8786", "ucx://127.0.0.1:8786",
                                     "inproc://127.0.0.1/1/2", "ws://h:1"])
def test_other_protocols_are_refused_in_one_line(address: str, tiny_file: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The old command wrote the manifest, then dask raised a TypeError (no security given).
    assert main(["run", str(tiny_file), "--scheduler", address, "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    scheme = address.split("://")[0]
    assert err == [f"error: cannot use the Dask scheduler {address!r}: only tcp://HOST:PORT "
                   f"addresses are supported, not {scheme}://"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["tcp://h", "tcp://h:0", "tcp://h:65536", "tcp://:1",
                                     "tcp://h:1/x", "h 1:2", ""])
def test_malformed_addresses_are_refused(address: str) -> None:
    with pytest.raises(ExecutorError, match="expected tcp://HOST:PORT"):
        parse_scheduler_address(address)


def test_unknown_host_is_one_line() -> None:
    with pytest.raises(ExecutorError, match="unknown host 'no-such-host.invalid'"):
        probe_scheduler("tcp://no-such-host.invalid:8786")


# ------------------------------------------------------------------ a real local cluster


def _status(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_local_cluster_dashboard_is_local_and_can_be_off() -> None:
    with DaskExecutor(1) as ex:
        info = ex._client.scheduler_info()
        assert ex._client.scheduler.address.startswith("tcp://127.0.0.1:")
        port = info["services"]["dashboard"]
        assert ex.dashboard_link == f"http://127.0.0.1:{port}/status"
        assert _status(f"http://127.0.0.1:{port}/health") == 200
        # A real scheduler passes the probe.
        assert probe_scheduler(ex._client.scheduler.address) == ex._client.scheduler.address
        for worker in info["workers"]:
            assert worker.startswith("tcp://127.0.0.1:")
    with DaskExecutor(1, dashboard=False) as ex:
        port = ex._client.scheduler_info()["services"]["dashboard"]
        assert ex.dashboard_link is None
        for page in ("/status", "/health", "/info/main/workers.html", "/metrics"):
            assert _status(f"http://127.0.0.1:{port}{page}") == 404


def _process_tree(pid: int) -> set[int]:
    """``pid`` and every process it started, and they started (from ``/proc``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue  # ended meanwhile
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = set(), [pid]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(children.get(pid, []))
    return tree


def _listening(pids: set[int]) -> dict[int, set[ipaddress.IPv4Address | ipaddress.IPv6Address]]:
    """The TCP ports that the processes ``pids`` listen on, and the addresses of each: what
    the kernel has bound (``/proc/net/tcp`` and ``tcp6``), whatever a link or a log says."""
    inodes = set()
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:["):-1])
    found: dict[int, set[ipaddress.IPv4Address | ipaddress.IPv6Address]] = {}
    for table in ("tcp", "tcp6"):
        path = Path("/proc/net") / table
        rows = path.read_text().splitlines()[1:] if path.exists() else []
        for row in rows:
            fields = row.split()
            if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                continue
            hex_addr, hex_port = fields[1].split(":")
            raw = b"".join(bytes.fromhex(hex_addr[i:i + 8])[::-1]  # 32-bit words, host order
                           for i in range(0, len(hex_addr), 8))
            found.setdefault(int(hex_port, 16), set()).add(ipaddress.ip_address(raw))
    return found


def _loopback(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    mapped = getattr(addr, "ipv4_mapped", None)
    return (mapped or addr).is_loopback


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
@pytest.mark.parametrize("dashboard", [True, False], ids=["dashboard", "no-dashboard"])
def test_local_cluster_listens_on_this_machine_only(dashboard: bool) -> None:
    """Every port of a local cluster (scheduler, dashboard, workers, their nannies and web
    servers) is bound to 127.0.0.1, not to every interface: the link text alone would not
    show a dashboard on ``:8787``, which anyone on the network can open."""
    with DaskExecutor(1, dashboard=dashboard) as ex:
        info = ex._client.scheduler_info()
        ports = {int(info["address"].rsplit(":", 1)[1]), *info["services"].values()}
        for address, worker in info["workers"].items():
            ports |= {int(address.rsplit(":", 1)[1]), *worker.get("services", {}).values()}
            if worker.get("nanny"):
                ports.add(int(worker["nanny"].rsplit(":", 1)[1]))
        bound = _listening(_process_tree(os.getpid()))
        assert ports <= set(bound), (ports, bound)  # every port of the cluster is seen
        assert len(ports) >= 4  # scheduler, dashboard, worker, nanny
        assert {port: addrs for port, addrs in bound.items()
                if not all(map(_loopback, addrs))} == {}


def test_cli_says_where_the_dashboard_is(tiny_file: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    common = ["run", str(tiny_file), "--executor", "dask", "--workers", "1", "--quiet",
              "--no-figures", "--replicates", "1"]
    assert main([*common, "--out", str(tmp_path / "a")]) == 0
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "dashboard" in ln]
    assert len(lines) == 1
    assert lines[0].startswith("Dask dashboard: http://127.0.0.1:")
    assert "--no-dashboard turns it off" in lines[0]
    assert main([*common, "--no-dashboard", "--out", str(tmp_path / "b")]) == 0
    assert "dashboard" not in capsys.readouterr().err


@pytest.mark.parametrize("options", [[], ["--executor", "processes"],
                                     ["--scheduler", "tcp://127.0.0.1:1"]])
def test_no_dashboard_needs_a_local_dask_cluster(options: list[str], tiny_file: Path,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tiny_file), *options, "--no-dashboard", "--out",
                 str(tmp_path / "out")]) == 2
    assert "--no-dashboard applies to --executor dask" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
