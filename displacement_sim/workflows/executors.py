"""Executors: sequential, local processes and dask.distributed, behind one interface.

Each is a context manager with ``imap_unordered(fn, items)``, which yields ``fn(item)`` as each
finishes, in any order, keeping at most a bounded number of tasks in flight so that memory stays
flat however many items there are. Results carry their own keys (``run_id``).

Workflows accept any of (:func:`executor_for`):

- one of these executors (:class:`SequentialExecutor`, :class:`ProcessExecutor`,
  :class:`DaskExecutor`);
- any :class:`concurrent.futures.Executor` (a ``ProcessPoolExecutor`` of your own, for
  instance);
- a ``dask.distributed.Client``, for instance one of a dask-jobqueue or Kubernetes cluster,
  whose dashboard then shows the runs;
- a name (``"sequential"``, ``"processes"``, ``"dask"``), as the command line passes it.

What the caller hands in stays the caller's: a workflow closes only executors it made itself.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import re
import socket
import struct
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, Literal

from displacement_sim.errors import DisplacementSimError

ExecutorName = Literal["sequential", "processes", "dask"]


class ExecutorError(DisplacementSimError):
    """An executor cannot start (for example, an unreachable Dask scheduler)."""


class Executor:
    """Base class: a context manager that maps a function over items."""

    n_workers: int = 1

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release workers."""

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        """Yield ``fn(item)`` for each item, in completion order."""
        raise NotImplementedError


class SequentialExecutor(Executor):
    """Runs everything in this process, one item after another."""

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        for item in items:
            yield fn(item)


def _bounded(submit: Callable[[Any], Future], wait_fn: Callable, items: Iterable[Any],
             in_flight: int) -> Iterator[Any]:
    """Submit items keeping at most ``in_flight`` pending; yield results as they finish."""
    pending: set = set()
    it = iter(items)
    exhausted = False
    while True:
        while not exhausted and len(pending) < in_flight:
            try:
                pending.add(submit(next(it)))
            except StopIteration:
                exhausted = True
        if not pending:
            return
        done, pending = wait_fn(pending)
        for fut in done:
            yield fut.result()


def _exit_with_parent(parent_pid: int, interval: float = 1.0) -> None:
    """Worker initialiser: end this worker when the coordinator that started it is gone.

    A SIGKILLed coordinator cannot shut its pool down; without this, workers would block for
    ever writing results to a pipe that no one reads.
    """
    import threading
    import time

    def watch() -> None:
        # The coordinator may not be our parent (forkserver), so ask whether it still exists.
        while True:
            time.sleep(interval)
            try:
                os.kill(parent_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # pragma: no cover - the pid now belongs to someone else
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _context() -> multiprocessing.context.BaseContext:
    """A forkserver that has imported the model already (fast worker start), else spawn.

    Both start workers from a clean interpreter, unlike fork; neither changes the global start
    method.
    """
    try:
        ctx = multiprocessing.get_context("forkserver")
    except ValueError:  # pragma: no cover - platforms without forkserver
        return multiprocessing.get_context("spawn")
    ctx.set_forkserver_preload(["displacement_sim.workflows.runs"])
    return ctx


class ProcessExecutor(Executor):
    """Local worker processes (forkserver or spawn context), one per core by default.

    Parameters
    ----------
    n_workers : int, optional
        Number of worker processes (default: the number of cores).
    """

    def __init__(self, n_workers: int | None = None) -> None:
        self.n_workers = n_workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(max_workers=self.n_workers, mp_context=_context(),
                                         initializer=_exit_with_parent,
                                         initargs=(os.getpid(),))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        def wait_fn(pending: set) -> tuple[set, set]:
            done, rest = wait(pending, return_when=FIRST_COMPLETED)
            return done, rest

        try:
            yield from _bounded(lambda x: self._pool.submit(fn, x), wait_fn, items,
                                2 * self.n_workers)
        except BrokenProcessPool as exc:
            raise ExecutorError(f"a worker process died ({exc}); finished runs are stored: "
                                "run the same command again to resume") from None


class FuturesExecutor(Executor):
    """Any :class:`concurrent.futures.Executor`, which stays open: its owner closes it.

    Parameters
    ----------
    pool : concurrent.futures.Executor
        The pool; at most twice its ``_max_workers`` (else twice the number of cores) tasks
        are in flight.
    """

    def __init__(self, pool: concurrent.futures.Executor) -> None:
        self._pool = pool
        self.n_workers = int(getattr(pool, "_max_workers", None) or os.cpu_count() or 1)

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        def wait_fn(pending: set) -> tuple[set, set]:
            done, rest = wait(pending, return_when=FIRST_COMPLETED)
            return done, rest

        yield from _bounded(lambda x: self._pool.submit(fn, x), wait_fn, items,
                            2 * self.n_workers)


_ADDRESS = re.compile(r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://)?"
                      r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):(?P<port>[0-9]{1,5})")

PROBE_TIMEOUT = 5.0
"""Seconds a scheduler has to answer the probe of :func:`probe_scheduler`."""

_HANDSHAKE_LIMIT = 1 << 16
"""Largest Dask handshake accepted by the probe, in bytes (a real one is about 100)."""

DASHBOARD_ADDRESS = "127.0.0.1:8787"
"""Where a LocalCluster's dashboard is served: this machine only (another free port if 8787
is taken)."""


def parse_scheduler_address(address: str) -> tuple[str, int]:
    """Host and port of a Dask scheduler address ``tcp://HOST:PORT`` (or ``HOST:PORT``).

    Parameters
    ----------
    address : str
        The address as given (``--scheduler``).

    Returns
    -------
    tuple of (str, int)
        The host (an IPv6 address without its brackets) and the port.

    Raises
    ------
    ExecutorError
        If the address is not ``tcp://HOST:PORT`` with a port from 1 to 65535, or names
        another protocol (``tls://``, ``ucx://``, ``inproc://``, ...): only TCP is supported.

    Examples
    --------
    >>> parse_scheduler_address("tcp://10.0.0.5:8786")
    ('10.0.0.5', 8786)
    >>> parse_scheduler_address("[::1]:8786")
    ('::1', 8786)
    """
    match = _ADDRESS.fullmatch(address.strip()) if isinstance(address, str) else None
    scheme = (match["scheme"] or "tcp").lower() if match else None
    if match is None or not 0 < int(match["port"]) < 65536:
        if isinstance(address, str) and "://" in address and not address.lower().startswith(
                "tcp://"):
            scheme = address.split("://", 1)[0].lower()
        else:
            raise ExecutorError(f"cannot reach the Dask scheduler {address!r}: expected "
                                "tcp://HOST:PORT with a port from 1 to 65535")
    if scheme != "tcp":
        raise ExecutorError(f"cannot use the Dask scheduler {address!r}: only tcp://HOST:PORT "
                            f"addresses are supported, not {scheme}://")
    return match["host"].strip("[]"), int(match["port"])


def _recv_exact(sock: socket.socket, n: int, deadline: float) -> bytes:
    """Exactly ``n`` bytes from ``sock`` before ``deadline``: TimeoutError, EOFError."""
    chunks, got = [], 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        sock.settimeout(left)
        chunk = sock.recv(min(n - got, 1 << 16))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def probe_scheduler(address: str, timeout: float = PROBE_TIMEOUT) -> str:
    """Check, within ``timeout`` seconds, that a Dask scheduler answers at ``address``.

    A Dask scheduler speaks first: on each connection it sends a small handshake. The probe
    connects, reads that handshake with a bounded size and a deadline, decodes it with Dask's
    own protocol and closes the connection; anything else (no answer, a web server, a stray
    byte stream announcing exabytes) is refused in one line, before any result is written.

    Parameters
    ----------
    address : str
        ``tcp://HOST:PORT`` (``HOST:PORT`` means the same).
    timeout : float
        Seconds for the connection and the handshake together (default
        :data:`PROBE_TIMEOUT`).

    Returns
    -------
    str
        The address, as ``tcp://HOST:PORT``.

    Raises
    ------
    ExecutorError
        If the address is malformed or not TCP, the host is unknown, nothing listens there,
        or what answers is not a Dask scheduler.
    """
    host, port = parse_scheduler_address(address)
    try:
        import dask.distributed  # noqa: F401 - no use probing without it
    except ImportError as exc:
        raise ExecutorError(f"dask.distributed is not installed ({exc})") from None
    where = f"the Dask scheduler {address!r}"
    deadline = time.monotonic() + timeout
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror:
        raise ExecutorError(f"cannot reach {where}: unknown host {host!r}") from None
    except TimeoutError:
        raise ExecutorError(f"cannot reach {where}: no connection within {timeout:g} s") \
            from None
    except OSError as exc:
        raise ExecutorError(f"cannot reach {where}: {exc.strerror or exc}") from None
    not_dask = f"{address!r} is not a Dask scheduler"
    with sock:
        try:
            (size,) = struct.unpack("Q", _recv_exact(sock, struct.calcsize("Q"), deadline))
            if size > _HANDSHAKE_LIMIT:
                raise ExecutorError(f"{not_dask}: it answered with data that is not a Dask "
                                    "handshake")
            from distributed.protocol import loads
            from distributed.protocol.utils import unpack_frames

            frames, missing = unpack_frames(_recv_exact(sock, size, deadline), partial=True)
            if sum(missing) > _HANDSHAKE_LIMIT:
                raise ExecutorError(f"{not_dask}: it answered with data that is not a Dask "
                                    "handshake")
            frames = [*frames, *(_recv_exact(sock, n, deadline) for n in missing)]
            message = loads(frames, deserialize=False)
        except TimeoutError:
            raise ExecutorError(f"{not_dask}: it sent no Dask handshake within {timeout:g} s "
                                "(a Dask scheduler answers at once)") from None
        except (EOFError, ConnectionError):
            raise ExecutorError(f"{not_dask}: it closed the connection without a Dask "
                                "handshake") from None
        except ExecutorError:
            raise
        except Exception:  # noqa: BLE001 - whatever the bytes were, they were not Dask's
            raise ExecutorError(f"{not_dask}: it answered with data that is not a Dask "
                                "handshake") from None
    if not isinstance(message, dict) or "compression" not in message:
        raise ExecutorError(f"{not_dask}: it answered with data that is not a Dask handshake")
    return f"tcp://{host}:{port}"


def _local_cluster(n_workers: int | None, dashboard: bool) -> Any:
    """A LocalCluster on this machine only; without ``dashboard``, its web server serves no
    page at all (only a port on 127.0.0.1 stays open, which Dask always opens)."""
    import dask
    from dask.distributed import LocalCluster

    kwargs: dict[str, Any] = {"n_workers": n_workers or os.cpu_count() or 1,
                              "threads_per_worker": 1, "processes": True, "host": "127.0.0.1"}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        if dashboard:
            return LocalCluster(dashboard_address=DASHBOARD_ADDRESS, **kwargs)
        with dask.config.set({"distributed.scheduler.http.routes": [],
                              "distributed.worker.http.routes": []}):
            return LocalCluster(dashboard_address="127.0.0.1:0",
                                scheduler_kwargs={"dashboard": False}, **kwargs)


class DaskExecutor(Executor):
    """dask.distributed: a ``client`` you hand in (left open), a ``scheduler`` address
    (``tcp://HOST:PORT``) to connect to, or else a LocalCluster started for the runs.

    A scheduler address is probed first (:func:`probe_scheduler`), so that an address where
    no Dask scheduler answers fails in a few seconds with one line. A LocalCluster listens on
    127.0.0.1 only; its dashboard, at :attr:`dashboard_link`, is served unless ``dashboard``
    is false.

    Parameters
    ----------
    n_workers : int, optional
        Workers of the LocalCluster, one thread each (default: the number of cores).
    scheduler : str, optional
        Address of a running scheduler (``tcp://HOST:PORT``).
    connect_timeout : float
        Seconds to wait for ``scheduler`` (default 10).
    client : dask.distributed.Client, optional
        A client to run on; it is not closed.
    dashboard : bool
        Serve the dashboard of the LocalCluster, on 127.0.0.1 (default ``True``); it does
        not apply to a ``scheduler`` or ``client``, whose cluster serves its own.

    Attributes
    ----------
    dashboard_link : str or None
        Where the cluster's dashboard is served (``None`` if it is not).

    Raises
    ------
    ExecutorError
        If the scheduler cannot be reached or is not a Dask scheduler, or the cluster cannot
        start.
    """

    def __init__(self, n_workers: int | None = None, scheduler: str | None = None,
                 connect_timeout: float = 10.0, client: Any = None,
                 dashboard: bool = True) -> None:
        try:
            from dask.distributed import Client
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExecutorError(f"dask.distributed is not installed ({exc})") from None
        self._cluster = None
        self._owns_client = client is None
        if scheduler and client is None:
            scheduler = probe_scheduler(scheduler, min(PROBE_TIMEOUT, connect_timeout))
        try:
            if client is not None:
                self._client = client
            elif scheduler:
                self._client = Client(scheduler, timeout=connect_timeout)
            else:
                self._cluster = _local_cluster(n_workers, dashboard)
                self._client = Client(self._cluster)
            info = self._client.scheduler_info()
        except Exception as exc:  # noqa: BLE001 - any failure to start is one line
            if self._cluster is not None:
                self._cluster.close()
            what = (f"cannot reach the Dask scheduler {scheduler!r}" if scheduler else
                    "cannot start a local Dask cluster")
            raise ExecutorError(f"{what}: {type(exc).__name__}: {exc}") from None
        self.n_workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))
        served = (info.get("services") or {}).get("dashboard")
        self.dashboard_link: str | None = None
        if served and (dashboard or self._cluster is None):
            try:
                self.dashboard_link = self._client.dashboard_link
            except Exception:  # noqa: BLE001 - a link template Dask cannot format
                self.dashboard_link = None

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        from dask.distributed import wait as dask_wait

        def wait_fn(pending: set) -> tuple[set, set]:
            res = dask_wait(list(pending), return_when="FIRST_COMPLETED")
            return set(res.done), set(res.not_done)

        yield from _bounded(lambda x: self._client.submit(fn, x, pure=False), wait_fn, items,
                            2 * self.n_workers)


def make_executor(name: ExecutorName = "processes", n_workers: int | None = None,
                  scheduler: str | None = None, dashboard: bool = True) -> Executor:
    """Build an executor by name; a ``scheduler`` address implies ``dask``.

    Parameters
    ----------
    name : {"processes", "sequential", "dask"}
        The executor (default ``"processes"``; with one worker, sequential).
    n_workers : int, optional
        Number of workers (default: the number of cores).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``); implies ``"dask"``.
    dashboard : bool
        Serve the dashboard of a local Dask cluster, on 127.0.0.1 (default ``True``).

    Returns
    -------
    Executor
        A new executor; the caller closes it.

    Raises
    ------
    ExecutorError
        For an unknown name, fewer than one worker, or a scheduler that cannot be reached.
    """
    if n_workers is not None and n_workers < 1:
        raise ExecutorError(f"--workers must be at least 1, got {n_workers}")
    if scheduler:
        return DaskExecutor(n_workers, scheduler)
    if name == "sequential" or (name == "processes" and n_workers == 1):
        return SequentialExecutor()
    if name == "processes":
        return ProcessExecutor(n_workers)
    if name == "dask":
        return DaskExecutor(n_workers, dashboard=dashboard)
    raise ExecutorError(f"unknown executor {name!r}: expected sequential, processes or dask")


ExecutorLike = Executor | concurrent.futures.Executor | str | Any
"""What a workflow accepts as ``executor`` (:func:`executor_for`)."""


def _is_dask_client(obj: object) -> bool:
    try:
        from dask.distributed import Client
    except ImportError:  # pragma: no cover - dask is a dependency
        return False
    return isinstance(obj, Client)


@contextmanager
def executor_for(executor: ExecutorLike = None) -> Iterator[Executor]:
    """An :class:`Executor` for what a caller handed in; closes only what it made.

    Parameters
    ----------
    executor : Executor, concurrent.futures.Executor, dask.distributed.Client, str or None
        ``None`` means local processes, one per core; a name is built by
        :func:`make_executor` with its defaults.
    """
    if executor is None or isinstance(executor, str):
        with make_executor(executor or "processes") as made:  # type: ignore[arg-type]
            yield made
    elif isinstance(executor, Executor):
        yield executor
    elif isinstance(executor, concurrent.futures.Executor):
        yield FuturesExecutor(executor)
    elif _is_dask_client(executor):
        with DaskExecutor(client=executor) as wrapped:
            yield wrapped
    else:
        raise ExecutorError(f"cannot run on {type(executor).__name__}: expected an Executor, a "
                            "concurrent.futures.Executor, a dask.distributed.Client or one of "
                            "sequential, processes, dask")
