"""Command line: parse, delegate to the Python API, report errors in one line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from displacement_sim import __version__
from displacement_sim.errors import DisplacementSimError, ScenarioError

EXIT_USAGE = 2


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--executor", choices=("sequential", "processes", "dask"),
                   default="processes", help="where runs execute (default: local processes)")
    p.add_argument("--workers", type=int, default=None, dest="n_workers",
                   help="number of workers (default: one per core)")
    p.add_argument("--scheduler", default=None,
                   help="Dask scheduler address tcp://HOST:PORT (implies --executor dask)")
    p.add_argument("--force", action="store_true",
                   help="replace results of a different batch in the output folder")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``displacement-sim``."""
    parser = argparse.ArgumentParser(
        prog="displacement-sim",
        description="Agent-based model of automation, displacement and reskilling in the "
                    "eleven ASEAN-US economies.")
    parser.add_argument("--version", action="version", version=f"displacement-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the replicates of one scenario")
    run.add_argument("scenario", help="scenario file, or a name in scenarios/")
    run.add_argument("--seed", type=int, help="master seed (default: the scenario's)")
    run.add_argument("--replicates", type=int)
    run.add_argument("--economies", help="comma-separated ISO3 codes, e.g. VNM,THA")
    run.add_argument("--start-year", type=int)
    run.add_argument("--years", type=int)
    run.add_argument("--workers-per-agent", type=float)
    run.add_argument("--out", type=Path, help="results folder (default: outputs/<name>)")
    run.add_argument("--no-figures", action="store_true")
    _add_executor_options(run)

    batch = sub.add_parser("batch", help="run or resume a batch file")
    batch.add_argument("file", type=Path)
    batch.add_argument("--out", type=Path)
    batch.add_argument("--resume", action="store_true",
                       help="resume (the default: stored runs are always skipped)")
    _add_executor_options(batch)

    summ = sub.add_parser("summarize", help="summaries and fan charts of a results folder")
    summ.add_argument("results", type=Path, help="a results folder, e.g. outputs/baseline")
    summ.add_argument("--metrics", help="comma-separated metrics (default: all)")
    sens = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib)")
    sens.add_argument("file", type=Path, help="analysis file, e.g. scenarios/sensitivity/...")
    sens.add_argument("--out", type=Path)
    sens.add_argument("--n", type=int, help="override the base sample size")
    sens.add_argument("--replicates", type=int, help="override replicates per sample point")
    sens.add_argument("--years", type=int, help="override the horizon")
    sens.add_argument("--workers-per-agent", type=float, help="override the scale")
    sens.add_argument("--economies", help="override the economies (comma-separated ISO3)")
    _add_executor_options(sens)
    cal = sub.add_parser("calibrate", help="calibrate economies against labour statistics")
    cal.add_argument("file", type=Path, help="calibration file, e.g. calibration/calibration.toml")
    cal.add_argument("--economies", help="comma-separated ISO3 codes (default: the file's)")
    cal.add_argument("--train-until", type=int,
                     help="fit on years up to YEAR; score later years out of sample")
    cal.add_argument("--out", type=Path, help="folder for candidate runs and tables")
    cal.add_argument("--update-shipped", action="store_true",
                     help="also write the fits over the shipped calibration/calibrated/<ISO3>.toml "
                          "that the baseline uses (default: only <out>/.../params/)")
    _add_executor_options(cal)
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
    cmp_.add_argument("--economies", help="override the economies (comma-separated ISO3)")
    cmp_.add_argument("--start-year", type=int, help="override the start year")
    cmp_.add_argument("--years", type=int, help="override the horizon")
    cmp_.add_argument("--workers-per-agent", type=float, help="override the scale")
    cmp_.add_argument("--min-agents-per-economy", type=int,
                      help="override the minimum agents per economy")
    _add_executor_options(cmp_)
    return parser


def _executor(args: argparse.Namespace):
    """The executor the options ask for (a context manager: closed after the command)."""
    from displacement_sim.workflows.executors import make_executor

    return make_executor(args.executor, args.n_workers, args.scheduler)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from displacement_sim import api

    economies = args.economies.split(",") if args.economies else None
    with _executor(args) as ex:
        fitted = api.calibrate(args.file, economies, args.train_until, out=args.out,
                               executor=ex, progress=not args.quiet,
                               update_shipped=args.update_shipped)
    for iso, cal in fitted.items():
        unident = cal.uncertainty_.loc[~cal.uncertainty_["identified"], "parameter"].tolist()
        print(f"{iso}: loss {cal.loss_:.4g}; " + ", ".join(
            f"{k} = {v:.4g}" for k, v in cal.best_params_.items())
            + (f"; not identified: {', '.join(unident)}" if unident else ""))
        if cal.out_of_sample_ is not None:
            print(cal.out_of_sample_.to_string(index=False))
    return 0


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from displacement_sim import api
    from displacement_sim.analysis.sensitivity import AnalysisFile, load_analysis
    from displacement_sim.reporting.sensitivity import sensitivity_summary
    from displacement_sim.scenarios import format_validation_error

    spec, path = load_analysis(args.file)
    updates = {k: v for k, v in {"n": args.n, "replicates": args.replicates, "years": args.years,
                                 "workers_per_agent": args.workers_per_agent,
                                 "economies": args.economies.split(",") if args.economies
                                 else None}.items()
               if v is not None}
    if updates:
        from pydantic import ValidationError

        try:
            spec = AnalysisFile.model_validate({**spec.model_dump(), **updates})
        except ValidationError as exc:
            raise ScenarioError(format_validation_error(f"{args.file} (with options)", exc)
                                ) from None
    spec = spec.model_copy(update={"base": str(_resolve_base(path, spec.base))})
    with _executor(args) as ex:
        result = api.sensitivity(spec, out=args.out, executor=ex, force=args.force,
                                 progress=not args.quiet)
    print(sensitivity_summary(result))
    return 0


def _resolve_base(path: Path, base: str) -> Path | str:
    candidate = path.parent / base
    return candidate if candidate.is_file() else base


def _cmd_run(args: argparse.Namespace) -> int:
    from displacement_sim import api
    from displacement_sim.model.inputs import check_drivers
    from displacement_sim.scenarios import load_scenario

    economies = args.economies.split(",") if args.economies else None
    scenario = load_scenario(args.scenario, seed=args.seed, replicates=args.replicates,
                             economies=economies, start_year=args.start_year, years=args.years,
                             workers_per_agent=args.workers_per_agent)
    check_drivers(scenario, str(args.scenario))
    with _executor(args) as ex:
        result = api.run(scenario, out=args.out, executor=ex, force=args.force,
                         progress=not args.quiet, figures=not args.no_figures,
                         command="displacement-sim " + " ".join(sys.argv[1:]))
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

    with _executor(args) as ex:
        store, summary = api.batch(args.file, out=args.out, executor=ex, force=args.force,
                                   progress=not args.quiet)
    print(f"{summary['done']} runs done, {summary['skipped']} already stored, "
          f"{summary['failed']} failed -> {store.root}")
    for run_id, err in sorted(store.failed().items()):
        print(f"  failed: {run_id}: {err}", file=sys.stderr)
    return 0 if summary["failed"] == 0 else 1


def _cmd_summarize(args: argparse.Namespace) -> int:
    from displacement_sim import api

    metrics = args.metrics.split(",") if args.metrics else None
    paths = api.summarize(args.results, metrics)
    for p in paths:
        print(p)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    import shlex

    from displacement_sim import api
    from displacement_sim.errors import RunError

    overrides = {"seed": args.seed, "replicates": args.replicates,
                 "economies": args.economies.split(",") if args.economies else None,
                 "start_year": args.start_year, "years": args.years,
                 "workers_per_agent": args.workers_per_agent,
                 "min_agents_per_economy": args.min_agents_per_economy}
    # The command that reproduces the report (executor options do not change results).
    words = ["displacement-sim", "compare", str(args.file)]
    for key, value in overrides.items():
        if value is not None:
            shown = ",".join(value) if isinstance(value, list) else f"{value:g}" if isinstance(
                value, float) else str(value)
            words += [f"--{key.replace('_', '-')}", shown]
    if args.report_dir is not None:
        words += ["--report-dir", str(args.report_dir)]
    command = " ".join(shlex.quote(w) for w in words)
    try:
        with _executor(args) as ex:
            result = api.compare(args.file, out=args.out, executor=ex, force=args.force,
                                 progress=not args.quiet,
                                 overrides={k: v for k, v in overrides.items() if v is not None},
                                 report_dir=args.report_dir, command=command)
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


COMMANDS = {"run": _cmd_run, "batch": _cmd_batch, "summarize": _cmd_summarize,
            "sensitivity": _cmd_sensitivity, "calibrate": _cmd_calibrate,
            "compare": _cmd_compare}


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``displacement-sim``; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
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
