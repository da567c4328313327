"""Command line: parse, delegate to the Python API, report errors in one line.

Every option reaches :mod:`displacement_sim.api` unchanged and is validated there like the
file it overrides; a bad value is one line ``error: ...`` and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

from displacement_sim import __version__
from displacement_sim.errors import DisplacementSimError
from displacement_sim.files import lock_scope
from displacement_sim.workflows.executors import Executor, ExecutorError

EXIT_USAGE = 2


class UsageError(DisplacementSimError):
    """A command line that the parser rejects (unknown option, value of the wrong type)."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other error of the CLI."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


class Assignment(NamedTuple):
    """One ``--set KEY=VALUE``: a dotted config path and its value, parsed as TOML."""

    key: str
    value: Any
    text: str
    """As typed (for the command that reproduces a report)."""


_KEY = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


def parse_assignment(text: str) -> Assignment:
    """Parse ``KEY=VALUE``: the value is TOML (``0.1``, ``true``, ``[1, 2]``, ``"x"``), else
    a plain string (``--set name=mine``).

    >>> parse_assignment("policy.automation_tax=0.1")
    Assignment(key='policy.automation_tax', value=0.1, text='policy.automation_tax=0.1')
    >>> parse_assignment("name=mine").value
    'mine'
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not _KEY.fullmatch(key):
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE with a dotted config path as KEY, e.g. "
            f"policy.automation_tax=0.1; got {text!r}")
    try:
        doc = tomllib.loads(f"v = {value.strip()}")
    except tomllib.TOMLDecodeError:
        doc = {}
    parsed = doc["v"] if set(doc) == {"v"} else value
    return Assignment(key, parsed, text)


def _codes(text: str) -> list[str]:
    """Comma-separated ISO3 codes (validated, case-insensitively, where the file's are)."""
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise argparse.ArgumentTypeError(f"expected comma-separated ISO3 codes such as "
                                         f"VNM,THA; got {text!r}")
    return codes


def _years(text: str) -> list[int]:
    """Comma-separated calendar years (each checked against the file by the workflow)."""
    parts = [c.strip() for c in text.split(",") if c.strip()]
    if not parts or not all(c.isdigit() and len(c) == 4 for c in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated years such as "
                                         f"2010,2013,2016; got {text!r}")
    return [int(c) for c in parts]


def _add_set_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--set", type=parse_assignment, action="append", default=[],
                   metavar="KEY=VALUE", dest="updates",
                   help=f"set a config value in {what}, as a scenario file would: a dotted "
                        "path and a TOML value, e.g. policy.capacity_building.share_of_gdp=0.005"
                        " or economy.VNM.training.duration_months=6 (repeatable)")


def _add_executor_options(p: argparse.ArgumentParser, force: bool = True) -> None:
    p.add_argument("--executor", choices=("sequential", "processes", "dask"), default=None,
                   help="where runs execute (default: local processes; dask with --scheduler)")
    p.add_argument("--workers", type=int, default=None, dest="n_workers",
                   help="number of local worker processes or Dask workers, at least 1 "
                        "(default: one per core)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address tcp://HOST:PORT (implies --executor dask); "
                        "checked before anything is written")
    p.add_argument("--no-dashboard", action="store_false", dest="dashboard",
                   help="with --executor dask: serve no dashboard (by default the local "
                        "cluster's dashboard is served on 127.0.0.1 and its address printed)")
    if force:
        p.add_argument("--force", action="store_true",
                       help="replace the results of a different study in the output folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``displacement-sim``."""
    parser = _Parser(
        prog="displacement-sim",
        description="Agent-based model of automation, displacement and reskilling in the "
                    "eleven ASEAN-US economies.")
    parser.add_argument("--version", action="version", version=f"displacement-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the replicates of one scenario")
    run.add_argument("scenario", help="scenario file, or a name in scenarios/")
    run.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    run.add_argument("--replicates", type=int, help="runs of the scenario")
    run.add_argument("--economies", type=_codes,
                     help="comma-separated ISO3 codes, e.g. VNM,THA (any case)")
    run.add_argument("--start-year", type=int, help="first simulated year")
    run.add_argument("--years", type=int, help="horizon in years")
    run.add_argument("--workers-per-agent", type=float,
                     help="people per worker agent (the scale)")
    run.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
    run.add_argument("--no-figures", action="store_true", help="write no figures")
    _add_set_option(run, "the scenario")
    _add_executor_options(run)

    batch = sub.add_parser("batch", help="run a batch file (or resume it: stored runs are "
                                         "skipped, failed runs retried)")
    batch.add_argument("file", type=Path, help="batch file, e.g. scenarios/batches/...")
    batch.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
    batch.add_argument("--seed", type=int, help="override the master seed")
    _add_set_option(batch, "every scenario of the batch (the sweeps apply on top)")
    _add_executor_options(batch)

    summ = sub.add_parser("summarize", help="summaries and fan charts of a results folder")
    summ.add_argument("results", type=Path, help="a results folder, e.g. outputs/baseline")
    summ.add_argument("--metrics", help="comma-separated metrics (default: all)")

    disc = sub.add_parser("discover", help="scenario discovery (PRIM): where in a sweep or "
                                           "sensitivity output does an option fail a threshold; "
                                           "docs/discovery.md")
    disc.add_argument("results", type=Path,
                      help="output folder of batch or sensitivity, e.g. outputs/capacity_sweep")
    disc.add_argument("--option",
                      help="batch: KEY=VALUE[,KEY=VALUE] of sweep parameters or scenario, or a "
                           "scenario name; sensitivity: its name (default) or <name>-ref")
    disc.add_argument("--outcome", required=True,
                      help="a run outcome (docs/outputs.md, 'Run outcomes'), e.g. reemployed_24m")
    disc.add_argument("--threshold", required=True,
                      help="a number, 'reference', or 'reference+X'/'reference-X': a case fails "
                           "when the option is worse than it (the outcome's direction of better)")
    disc.add_argument("--reference",
                      help="the option to compare with, same keys as --option (default: the first "
                           "value of each; sensitivity: its reference runs)")
    disc.add_argument("--economy",
                      help="one economy (ISO3) or 'all' to pool (default: each economy a case)")
    disc.add_argument("--out", type=Path, help="folder for the files (default: RESULTS/discovery)")
    disc.add_argument("--min-density", type=float, default=0.8,
                      help="the chosen box is the largest coverage with at least this density "
                           "(default 0.8)")
    disc.add_argument("--peel-alpha", type=float, default=0.05,
                      help="share of the cases peeled off per step (default 0.05)")
    disc.add_argument("--mass-min", type=float, default=0.05,
                      help="smallest share of the cases in a box (default 0.05)")

    sens = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib)")
    sens.add_argument("file", type=Path, help="analysis file, e.g. scenarios/sensitivity/...")
    sens.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
    sens.add_argument("--n", type=int, help="override the base sample size")
    sens.add_argument("--replicates", type=int, help="override replicates per sample point")
    sens.add_argument("--seed", type=int, help="override the master seed")
    sens.add_argument("--years", type=int, help="override the horizon")
    sens.add_argument("--workers-per-agent", type=float, help="override the scale")
    sens.add_argument("--economies", type=_codes,
                      help="override the economies (comma-separated ISO3)")
    _add_set_option(sens, "the base scenario (the factors are sampled on top)")
    _add_executor_options(sens)

    cal = sub.add_parser("calibrate", help="calibrate economies against labour statistics")
    cal.add_argument("file", type=Path, help="calibration file, e.g. calibration/calibration.toml")
    cal.add_argument("--economies", type=_codes,
                     help="comma-separated ISO3 codes (default: the file's)")
    cal.add_argument("--train-until", type=int,
                     help="fit on years up to YEAR; score later years out of sample")
    cal.add_argument("--seed", type=int, help="override the master seed (runs and optimiser)")
    cal.add_argument("--out", type=Path, help="folder for candidate runs and tables")
    cal.add_argument("--update-shipped", action="store_true",
                     help="also write the fits over the shipped calibration/calibrated/<ISO3>.toml "
                          "that the baseline uses (default: only <out>/.../params/)")
    cal.add_argument("--docs", type=Path,
                     help="also write the calibration page here (e.g. docs/calibration.md), "
                          "figures beside it")
    cal.add_argument("--replay", type=Path,
                     help="with --docs: show on the page the scores of this results folder of a "
                          "run over observed years (e.g. the output of run baseline "
                          "--start-year 2005 --years 18)")
    _add_set_option(cal, "the base scenario (the free parameters apply on top)")
    _add_executor_options(cal, force=False)  # candidate runs are keyed by what they are

    val = sub.add_parser("validate", help="out of sample: fit up to each origin, forecast "
                                          "the years after it, score against benchmarks")
    val.add_argument("file", type=Path, help="calibration file, e.g. calibration/calibration.toml")
    val.add_argument("--origins", type=_years, required=True,
                     help="comma-separated forecast origins, e.g. 2010,2013,2016")
    val.add_argument("--economies", type=_codes,
                     help="comma-separated ISO3 codes (default: the file's)")
    val.add_argument("--drivers", choices=("ex_ante", "observed"), default="ex_ante",
                     help="forecasts see the drivers only up to the origin (default) or the "
                          "observed ones (a conditional forecast)")
    val.add_argument("--seed", type=int, help="override the master seed (runs and optimiser)")
    val.add_argument("--out", type=Path, help="results folder (default: "
                                              "outputs/validation/<name>)")
    val.add_argument("--docs", type=Path,
                     help="also write the page here (e.g. docs/validation.md), figures beside it")
    val.add_argument("--notes", type=Path,
                     help="markdown file with the reasons found for where the model does worse "
                          "(quoted under 'Why')")
    _add_set_option(val, "the base scenario (the free parameters apply on top)")
    _add_executor_options(val, force=False)  # runs are keyed by what they are

    cmp_ = sub.add_parser("compare", help="compare policy options against a reference; "
                                          "writes an HTML and Markdown report")
    cmp_.add_argument("file", type=Path,
                      help="comparison file, e.g. scenarios/compare/reskilling_options.toml")
    cmp_.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
    cmp_.add_argument("--report-dir", type=Path,
                      help="folder for <name>.html, <name>.md and figures "
                           "(default: <out>/report)")
    cmp_.add_argument("--seed", type=int, help="override the master seed")
    cmp_.add_argument("--replicates", type=int, help="override the replicates (at least 2)")
    cmp_.add_argument("--economies", type=_codes,
                      help="override the economies (comma-separated ISO3)")
    cmp_.add_argument("--start-year", type=int, help="override the start year")
    cmp_.add_argument("--years", type=int, help="override the horizon")
    cmp_.add_argument("--workers-per-agent", type=float, help="override the scale")
    cmp_.add_argument("--min-agents-per-economy", type=int,
                      help="override the minimum agents per economy")
    _add_set_option(cmp_, "every option's scenario")
    _add_executor_options(cmp_)

    brf = sub.add_parser("brief", help="one A4 page per economy (PDF, HTML, CSV, Excel) for "
                                       "policymakers, from a comparison's output folder")
    brf.add_argument("comparison", type=Path,
                     help="output folder of `displacement-sim compare`, e.g. "
                          "outputs/reskilling_options")
    brf.add_argument("--economy", action="append", type=_codes, dest="economy",
                     help="ISO3 code, or ASEAN for the comparison's ASEAN members pooled; "
                          "repeatable or comma-separated (default: every economy of the "
                          "comparison, and ASEAN when it has two or more ASEAN members)")
    brf.add_argument("--out", type=Path, help="folder of the pages (default: "
                                              "<comparison>/brief)")
    brf.add_argument("--sensitivity", type=Path,
                     help="output folder of `displacement-sim sensitivity`: the assumptions "
                          "that move the result most")
    brf.add_argument("--validation", type=Path,
                     help="output folder of `displacement-sim validate`: how far forecasts "
                          "held out of sample")
    brf.add_argument("--discount-rate", type=float,
                     help="real discount rate a year for discounted totals (default 0.03: US "
                          "OMB Circular A-4, WHO-CHOICE; an assumption for ASEAN economies)")

    dash = sub.add_parser("dashboard", help="serve the policy dashboard (Mesa SolaraViz) on "
                                            "this machine; docs/dashboard.md")
    dash.add_argument("--economy", default="VNM", help="economy shown first (ISO3, any case)")
    dash.add_argument("--host", default="127.0.0.1",
                      help="address to listen on (default 127.0.0.1: this machine only)")
    dash.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    dash.add_argument("--store", type=Path,
                      help="results folder of the dashboard's runs (default outputs/dashboard)")
    dash.add_argument("--replicates", type=int, default=4, help="runs per setting (default 4)")
    dash.add_argument("--years", type=int, default=5, help="horizon in years (default 5)")
    dash.add_argument("--agents", type=int, default=2000,
                      help="worker agents per run (default 2000)")
    dash.add_argument("--precompute", type=_codes, metavar="ECONOMIES",
                      help="first store current policy's runs of these economies "
                           "(comma-separated ISO3, or ALL), so the page shows them at once")
    dash.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


class CliExecutor(Executor):
    """The executor the options ask for, made on first use (so that a bad input fails
    before workers or a Dask cluster start) and closed after the command."""

    def __init__(self, name: str, n_workers: int | None, scheduler: str | None,
                 dashboard: bool = True) -> None:
        self.name, self.requested_workers, self.scheduler = name, n_workers, scheduler
        self.dashboard = dashboard
        self._made: Executor | None = None

    def _executor(self) -> Executor:
        if self._made is None:
            from displacement_sim.workflows.executors import make_executor

            self._made = make_executor(self.name, self.requested_workers,  # type: ignore[arg-type]
                                       self.scheduler, dashboard=self.dashboard)
            link = getattr(self._made, "dashboard_link", None)
            if link:
                where = ("served by the scheduler" if self.scheduler else
                         "this machine only; --no-dashboard turns it off")
                print(f"Dask dashboard: {link} ({where})", file=sys.stderr)
        return self._made

    @property
    def n_workers(self) -> int:  # type: ignore[override]
        return self._executor().n_workers

    def imap_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[Any]:
        return self._executor().imap_unordered(fn, items)

    def close(self) -> None:
        if self._made is not None:
            self._made.close()
            self._made = None


def _executor(args: argparse.Namespace) -> CliExecutor:
    """The executor of ``--executor``, ``--workers``, ``--scheduler`` and ``--no-dashboard``,
    checked together; a scheduler address is probed now, before anything is written (once:
    :func:`main` calls this before the command, which gets the same executor)."""
    made = getattr(args, "cli_executor", None)
    if made is not None:
        return made
    name, n, scheduler = args.executor, args.n_workers, args.scheduler
    if not args.dashboard and (scheduler is not None or name != "dask"):
        raise ExecutorError("--no-dashboard applies to --executor dask without --scheduler "
                            "(a running cluster serves its own dashboard)")
    if n is not None and n < 1:
        raise ExecutorError(f"--workers must be at least 1, got {n}")
    if scheduler is not None:
        if name not in (None, "dask"):
            raise ExecutorError(f"--scheduler implies --executor dask; it cannot be combined "
                                f"with --executor {name}")
        if n is not None:
            raise ExecutorError("--workers does not apply with --scheduler: the cluster's "
                                "workers run the runs")
        name = "dask"
    if name == "sequential" and n is not None and n > 1:
        raise ExecutorError(f"--workers {n} needs --executor processes or dask "
                            "(sequential runs in this process)")
    if scheduler is not None:
        from displacement_sim.workflows.executors import probe_scheduler

        probe_scheduler(scheduler)
    args.cli_executor = CliExecutor(name or "processes", n, scheduler, args.dashboard)
    return args.cli_executor


def _updates(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` values as dotted path -> value (a later one for a key wins)."""
    return {a.key: a.value for a in args.updates}


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from displacement_sim import api
    from displacement_sim.errors import RunError

    try:
        with _executor(args) as ex:
            fitted = api.calibrate(args.file, args.economies, args.train_until, out=args.out,
                                   executor=ex, progress=not args.quiet,
                                   update_shipped=args.update_shipped, seed=args.seed,
                                   updates=_updates(args), docs=args.docs,
                                   command=_command_line(), replay=args.replay)
    except RunError as exc:  # runs failed (not the input): exit 1, as a failed run does
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for iso, cal in fitted.items():
        unident = cal.uncertainty_.loc[~cal.uncertainty_["identified"], "parameter"].tolist()
        print(f"{iso}: loss {cal.loss_:.4g}; " + ", ".join(
            f"{k} = {v:.4g}" for k, v in cal.best_params_.items())
            + (f"; not identified: {', '.join(unident)}" if unident else ""))
        if cal.out_of_sample_ is not None:
            print(cal.out_of_sample_.to_string(index=False))
    return 0


def _command_line() -> str:
    """The command as the user typed it (program name normalised), quoted in pages."""
    return " ".join(["displacement-sim", *sys.argv[1:]])


def _cmd_validate(args: argparse.Namespace) -> int:
    from displacement_sim import api
    from displacement_sim.errors import RunError

    command = _command_line()
    try:
        with _executor(args) as ex:
            result = api.validate(args.file, args.origins, args.economies, out=args.out,
                                  executor=ex, progress=not args.quiet, seed=args.seed,
                                  updates=_updates(args), drivers=args.drivers,
                                  docs=args.docs, notes=args.notes, command=command)
    except RunError as exc:  # runs failed (not the input): exit 1, as a failed run does
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.scores["headline"].to_string(index=False))
    print(f"-> {result.out / 'validation.md'}")
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from displacement_sim import api
    from displacement_sim.errors import RunError
    from displacement_sim.reporting.sensitivity import sensitivity_summary

    overrides = {"n": args.n, "replicates": args.replicates, "seed": args.seed,
                 "years": args.years, "workers_per_agent": args.workers_per_agent,
                 "economies": args.economies}
    try:
        with _executor(args) as ex:
            result = api.sensitivity(args.file, out=args.out, executor=ex, force=args.force,
                                     progress=not args.quiet,
                                     overrides={k: v for k, v in overrides.items()
                                                if v is not None},
                                     updates=_updates(args))
    except RunError as exc:  # runs failed (not the input): exit 1, as a failed run does
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(sensitivity_summary(result))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from displacement_sim import api

    with _executor(args) as ex:
        result = api.run(args.scenario, out=args.out, executor=ex, force=args.force,
                         progress=not args.quiet, figures=not args.no_figures,
                         command="displacement-sim " + " ".join(sys.argv[1:]),
                         updates=_updates(args), seed=args.seed, replicates=args.replicates,
                         economies=args.economies, start_year=args.start_year,
                         years=args.years, workers_per_agent=args.workers_per_agent)
    store, summary = result.store, result.runs
    for run_id, err in sorted(store.failed().items()):
        print(f"  failed: {run_id}: {err}", file=sys.stderr)
    if not store.done():
        print(f"no run succeeded; errors are in {store.errors}", file=sys.stderr)
        return 1
    if result.history is not None:
        print(f"history: {result.history}")
    _report(store.root, summary)
    return 0 if summary["failed"] == 0 else 1


def _report(root: Path, summary: dict) -> None:
    print(f"{summary['done']} runs done, {summary['skipped']} already stored, "
          f"{summary['failed']} failed -> {root}")
    summary_md = root / "summary.md"
    if summary_md.is_file():
        print(summary_md.read_text())


def _cmd_batch(args: argparse.Namespace) -> int:
    from displacement_sim import api

    overrides = {"seed": args.seed} if args.seed is not None else {}
    with _executor(args) as ex:
        store, summary = api.batch(args.file, out=args.out, executor=ex, force=args.force,
                                   progress=not args.quiet, overrides=overrides,
                                   updates=_updates(args))
    print(f"{summary['done']} runs done, {summary['skipped']} already stored, "
          f"{summary['failed']} failed -> {store.root}")
    for run_id, err in sorted(store.failed().items()):
        print(f"  failed: {run_id}: {err}", file=sys.stderr)
    if summary["failed"]:
        print(f"error: {summary['failed']} runs failed; errors are in {store.errors}, and the "
              "same command retries them", file=sys.stderr)
    return 0 if summary["failed"] == 0 else 1


def _cmd_summarize(args: argparse.Namespace) -> int:
    from displacement_sim import api

    metrics = None if args.metrics is None else [
        m.strip() for m in args.metrics.split(",") if m.strip()]
    paths = api.summarize(args.results, metrics)
    for p in paths:
        print(p)
    return 0


def _cmd_discover(args: argparse.Namespace) -> int:
    import shlex

    from displacement_sim import api

    words = ["displacement-sim", "discover", str(args.results)]
    for key in ("option", "outcome", "threshold", "reference", "economy"):
        if getattr(args, key) is not None:
            words += [f"--{key}", str(getattr(args, key))]
    result = api.discover(args.results, args.outcome, args.threshold, args.option,
                          reference=args.reference, economy=args.economy, out=args.out,
                          min_density=args.min_density, peel_alpha=args.peel_alpha,
                          mass_min=args.mass_min,
                          command=" ".join(shlex.quote(w) for w in words))
    chosen = result.discovery.trajectory.loc[result.discovery.chosen]
    print(f"{result.discovery.n_failing} of {result.discovery.n_cases} cases fail; box "
          f"{int(chosen['box'])}: coverage {chosen['coverage']:.2f}, density "
          f"{chosen['density']:.2f}, parameters restricted: {int(chosen['restricted'])}")
    for p in result.paths:
        print(p)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    import shlex

    from displacement_sim import api
    from displacement_sim.errors import RunError

    overrides = {"seed": args.seed, "replicates": args.replicates,
                 "economies": args.economies, "start_year": args.start_year,
                 "years": args.years, "workers_per_agent": args.workers_per_agent,
                 "min_agents_per_economy": args.min_agents_per_economy}
    # The command that reproduces the report (executor options do not change results).
    words = ["displacement-sim", "compare", str(args.file)]
    for key, value in overrides.items():
        if value is not None:
            shown = ",".join(value) if isinstance(value, list) else f"{value:g}" if isinstance(
                value, float) else str(value)
            words += [f"--{key.replace('_', '-')}", shown]
    for assignment in args.updates:
        words += ["--set", assignment.text]
    if args.report_dir is not None:
        words += ["--report-dir", str(args.report_dir)]
    command = " ".join(shlex.quote(w) for w in words)
    try:
        with _executor(args) as ex:
            result = api.compare(args.file, out=args.out, executor=ex, force=args.force,
                                 progress=not args.quiet,
                                 overrides={k: v for k, v in overrides.items() if v is not None},
                                 updates=_updates(args), report_dir=args.report_dir,
                                 command=command)
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    runs = result.runs
    print(f"{runs['done']} runs done, {runs['skipped']} already stored, {runs['failed']} "
          f"failed -> {result.store.root}")
    for path in result.report[:2]:
        print(f"report: {path}")
    print(f"tables: {result.store.root / 'comparison'}")
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from displacement_sim.config import _economy_code
    from displacement_sim.constants import ECONOMIES

    def codes_of(option: str, codes: list[str]) -> list[str]:
        try:
            return [_economy_code(c) for c in codes]
        except ValueError as exc:
            raise UsageError(f"{option}: {exc}") from None

    economy = codes_of("--economy", [args.economy])[0]
    for name in ("replicates", "years", "agents"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, got {args.port}")
    from displacement_sim import api

    codes = None
    if args.precompute:
        codes = list(ECONOMIES) if [c.upper() for c in args.precompute] == ["ALL"] else \
            codes_of("--precompute", args.precompute)
    print(f"dashboard: http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    api.dashboard(economy, host=args.host, port=args.port, store=args.store,
                  replicates=args.replicates, years=args.years, agents=args.agents,
                  precompute=codes, progress=not args.quiet)
    return 0


def _cmd_brief(args: argparse.Namespace) -> int:
    from displacement_sim import api

    economies = [e for group in (args.economy or []) for e in group] or None
    paths = api.brief(args.comparison, economies, out=args.out, sensitivity=args.sensitivity,
                      validation=args.validation, discount_rate=args.discount_rate,
                      command=_command_line())
    for path in paths:
        if path.suffix in (".pdf", ".html"):
            print(path)
    return 0


COMMANDS = {"run": _cmd_run, "batch": _cmd_batch, "summarize": _cmd_summarize,
            "discover": _cmd_discover,
            "sensitivity": _cmd_sensitivity, "calibrate": _cmd_calibrate,
            "validate": _cmd_validate,
            "compare": _cmd_compare, "dashboard": _cmd_dashboard,
            "brief": _cmd_brief}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``displacement-sim``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        if hasattr(args, "scheduler"):  # executor options: checked before the study is read
            _executor(args)
        with lock_scope():  # the results folder stays locked until the command ends
            return COMMANDS[args.command](args)
    except DisplacementSimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: finished runs are stored; run the same command to resume",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
