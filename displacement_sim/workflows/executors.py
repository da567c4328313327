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


class DaskExecutor(Executor):
    """dask.distributed: a ``client`` you hand in (left open), a ``scheduler`` address
    (``tcp://HOST:PORT``) to connect to, or else a LocalCluster started for the runs.

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

    Raises
    ------
    ExecutorError
        If the scheduler cannot be reached or the cluster cannot start.
    """

    def __init__(self, n_workers: int | None = None, scheduler: str | None = None,
                 connect_timeout: float = 10.0, client: Any = None) -> None:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise ExecutorError(f"dask.distributed is not installed ({exc})") from None
        self._cluster = None
        self._owns_client = client is None
        try:
            if client is not None:
                self._client = client
            elif scheduler:
                self._client = Client(scheduler, timeout=connect_timeout)
            else:
                self._cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1,
                                             threads_per_worker=1, processes=True,
                                             dashboard_address=None)
                self._client = Client(self._cluster)
        except (OSError, TimeoutError, ValueError) as exc:
            if self._cluster is not None:
                self._cluster.close()
            raise ExecutorError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
        info = self._client.scheduler_info()
        self.n_workers = max(1, sum(w.get("nthreads", 1) for w in info["workers"].values()))

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
                  scheduler: str | None = None) -> Executor:
    """Build an executor by name; a ``scheduler`` address implies ``dask``.

    Parameters
    ----------
    name : {"processes", "sequential", "dask"}
        The executor (default ``"processes"``; with one worker, sequential).
    n_workers : int, optional
        Number of workers (default: the number of cores).
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://HOST:PORT``); implies ``"dask"``.

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
        return DaskExecutor(n_workers)
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
