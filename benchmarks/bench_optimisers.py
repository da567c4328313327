"""Search methods for calibration compared by convergence per evaluation and per second.

The calibration issue asks that the search method be chosen "by measured convergence per unit
of time". This benchmark runs several optimisers on one calibration problem, through one
candidate-evaluation function, and gives each the same budget of candidate evaluations. The
function is :meth:`Calibrator._evaluate <displacement_sim.workflows.calibration.Calibrator>`,
so every candidate's replicates run through the project's store and executors with common
random numbers, as in a real fit. The methods:

``differential_evolution``
    ``scipy.optimize.differential_evolution`` as the Calibrator calls it: vectorised,
    ``updating="deferred"`` (a whole generation of ``--popsize`` x 2 candidates runs in
    parallel), Latin-hypercube start, ``polish=False``, ``tol=0`` (it stops only when the
    budget is spent).
``lhs_random_search``
    The naive benchmark, the one to beat: one Latin hypercube of ``--budget`` points
    (``scipy.stats.qmc.LatinHypercube``), evaluated in batches the size of a DE generation.
    Its first quarter is a random part of the hypercube, not a hypercube of its own.
``direct``
    ``scipy.optimize.direct`` (DIRECT-L: deterministic, no seed, so it runs once). It asks
    for one candidate at a time, so only the replicates of a candidate run in parallel: its
    wall time is the number to read when there are more workers than replicates.
``dual_annealing``
    ``scipy.optimize.dual_annealing`` with ``no_local_search=True`` (its default local search
    takes finite differences, which a loss from finite-population simulations does not
    support). Also one candidate at a time.

``optuna_tpe``
    optuna's Tree-structured Parzen Estimator (``optuna.samplers.TPESampler``), a surrogate
    (Bayesian) optimiser: it models the density of good and bad candidates and proposes
    where good ones are likely. Asked for a DE generation's worth of candidates at a time
    (``constant_liar=True``, so the candidates of one batch differ), so it keeps as many
    workers busy as differential evolution; its first ``n_startup_trials`` (a fifth of the
    budget, at least one batch) are random. optuna is the project's optional ``bench`` extra
    (``pip install -e ".[bench]"``); without it the method is skipped with a message.
    scikit-optimize is not compared: its last release dates from 2024 and its project is
    archived, while optuna is maintained.

The problem (default, synthetic): parameter recovery in the United States, 2006-2014. The
"observations" are simulated by the model itself (data seed 99) with ``okun_elasticity`` 0.5 and
``exit_rate_unemployed`` 0.05; the two are free within [0.1, 0.8] and [0.02, 0.2]. The targets
are the unemployment rate (its scale from the data) and ``dws_olf``, the share of long-tenured
job losers out of the labour force (the displaced-worker survey measure, a survey scale of 1.5
points). The unemployment rate alone barely moves with the exit rate, while ``dws_olf`` moves
from 19% to 39% across its bounds; participation does not move at all, since the model's flows
keep it on its observed path. Each candidate runs two replicates with seeds shared across
candidates (master seed 3), never the data seed, so even the truth has a positive loss: the
noise floor. ``--real ISO3`` fits the economy's observed series over the same years instead.
There is no truth then, and outside the United States the survey target does not apply,
leaving the exit rate identified only through unemployment.

Each method and optimiser seed has its own store (``<out>/runs/<method>/seed_<k>``). The store
is cleared before the search, so no candidate is read back from an earlier search, and the
timings are of runs executed. Before any clock starts, one evaluation at the truth (at the
centre of the bounds in ``--real`` mode) warms the workers and gives the reference loss and its
jackknife standard error.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_optimisers.py [--budget 120] [--seeds 3]
        [--min-agents 3000] [--executor processes] [--workers 2] [--popsize 5] [--real VNM]

Outputs in ``--out`` (default ``outputs/bench_optimisers``): ``summary.md`` (the table, the
settings and the reference loss), ``summary.csv``, ``history.csv`` (every evaluation: method,
optimiser seed, parameters, loss, best so far, wall seconds since the search started) and
``convergence.png`` (best loss against evaluations and against wall time).

How to read it: ``best loss @ 25% / 50% / 100%`` is the best loss found after that share of
the budget, median over optimiser seeds. A method is better if it gets lower sooner. Differences
smaller than the reference loss's standard error cannot be told apart, and a best loss below
the loss at the truth fits the replicate noise of the data, not the parameters.
``distance to truth`` is the Euclidean distance of the best point from the truth, each
parameter divided by the width of its bounds (0 = exact, 0.1 = a tenth of the box). It is
what a recovery test checks, and a low loss far from the truth means a flat or noisy loss
surface. ``evaluations/s`` sets convergence per evaluation against time: batched methods keep
every worker busy, while sequential ones keep only ``replicates`` of them busy. Other
processes on the machine slow every rate; the load average is printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy.optimize import differential_evolution, direct, dual_annealing
from scipy.stats import qmc

from displacement_sim.analysis.calibration import loss_standard_error, simulated
from displacement_sim.files import atomic_write_bytes, atomic_write_text, lock_scope
from displacement_sim.model import DisplacementModel
from displacement_sim.reporting.plots import png_bytes
from displacement_sim.scenarios import load_scenario, with_updates
from displacement_sim.seeding import tool_seed
from displacement_sim.studies import CalibrationFile
from displacement_sim.workflows.calibration import Calibrator
from displacement_sim.workflows.execute import execute
from displacement_sim.workflows.executors import Executor, make_executor

START_YEAR, END_YEAR = 2006, 2014
ECONOMY = "USA"
TRUTH = {"okun_elasticity": 0.5, "exit_rate_unemployed": 0.05}
"""The parameters of the synthetic data."""
PARAMETERS = [
    {"name": "okun_elasticity", "path": "labour_market.okun_elasticity",
     "bounds": [0.1, 0.8]},
    {"name": "exit_rate_unemployed", "path": "labour_market.exit_rate_unemployed",
     "bounds": [0.02, 0.2], "unit": "per month"},
]
TARGETS = [{"series": "unemployment_rate"}, {"series": "dws_olf"}]
DATA_SEED = 99
"""Seed of the synthetic observations (not the candidates' master seed)."""
MASTER_SEED = 3
"""Master seed of every candidate's runs: common random numbers across candidates and
methods."""
BENCH_SEED = 2024
"""Master seed of the optimiser seeds (``tool_seed(BENCH_SEED, "bench-optimisers-<k>")``)."""
METHODS = ("differential_evolution", "lhs_random_search", "direct", "dual_annealing",
           "optuna_tpe")
DETERMINISTIC = {"direct"}
"""Methods without a seed: run once."""
FRACTIONS = (0.25, 0.5, 1.0)


class BudgetSpent(Exception):
    """Raised by :class:`Objective` to stop a search when its budget is spent."""


class Objective:
    """The Calibrator's candidate evaluation, counted, recorded and cut at a budget.

    Parameters
    ----------
    cal : Calibrator
        Set up (``_setup`` called); its store holds the runs of this search only.
    executor : Executor
        Where the runs execute.
    budget : int
        Candidate evaluations allowed; the batch that reaches it is cut to fit, then the next
        call raises :class:`BudgetSpent`.
    """

    def __init__(self, cal: Calibrator, executor: Executor, budget: int) -> None:
        self.cal = cal
        self.executor = executor
        self.budget = budget
        self.rows: list[dict] = []
        self.started = time.perf_counter()

    def batch(self, population: np.ndarray) -> np.ndarray:
        """Losses of the candidates (rows) that fit in the budget."""
        left = self.budget - len(self.rows)
        if left <= 0:
            raise BudgetSpent
        take = population[:left]
        losses = self.cal._evaluate(take, self.cal.cfg_.seed, self.executor)
        wall = time.perf_counter() - self.started
        best = self.rows[-1]["best_so_far"] if self.rows else np.inf
        for x, loss in zip(take, losses, strict=True):
            best = min(best, float(loss))
            self.rows.append({**{p.name: float(v) for p, v in zip(
                self.cal.cfg_.parameter, x, strict=True)}, "loss": float(loss),
                "evaluation": len(self.rows) + 1, "best_so_far": best, "wall_s": wall})
        if len(take) < len(population):
            raise BudgetSpent
        return losses

    def one(self, x: np.ndarray) -> float:
        """The loss of one candidate."""
        return float(self.batch(np.atleast_2d(x))[0])


def run_de(obj: Objective, bounds: list[tuple[float, float]], seed: int,
           popsize: int) -> None:
    """Differential evolution as in ``Calibrator._optimise``, with enough generations for the
    budget."""
    size = max(5, popsize * len(bounds))  # scipy's population size
    differential_evolution(lambda xt: obj.batch(np.atleast_2d(xt.T)), bounds,
                           popsize=popsize, maxiter=math.ceil(obj.budget / size), tol=0.0,
                           rng=np.random.default_rng(seed), vectorized=True,
                           updating="deferred", polish=False, init="latinhypercube")


def run_lhs(obj: Objective, bounds: list[tuple[float, float]], seed: int,
            popsize: int) -> None:
    """One Latin hypercube of the whole budget, in batches of a DE generation's size."""
    lo, hi = np.array(bounds).T
    points = qmc.scale(qmc.LatinHypercube(d=len(bounds), rng=np.random.default_rng(seed))
                       .random(obj.budget), lo, hi)
    size = max(5, popsize * len(bounds))
    for start in range(0, obj.budget, size):
        obj.batch(points[start:start + size])


def run_direct(obj: Objective, bounds: list[tuple[float, float]], seed: int,
               popsize: int) -> None:
    """DIRECT-L (deterministic: ``seed`` is unused)."""
    direct(obj.one, bounds, maxfun=obj.budget)


def run_dual_annealing(obj: Objective, bounds: list[tuple[float, float]], seed: int,
                       popsize: int) -> None:
    """Generalised simulated annealing without local search."""
    dual_annealing(obj.one, bounds, maxfun=obj.budget, no_local_search=True,
                   rng=np.random.default_rng(seed))


def run_tpe(obj: Objective, bounds: list[tuple[float, float]], seed: int,
            popsize: int) -> None:
    """optuna's TPE, asked and told a DE generation's worth of candidates at a time."""
    import optuna  # the optional ``bench`` extra

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    size = max(5, popsize * len(bounds))
    sampler = optuna.samplers.TPESampler(
        seed=seed % 2**32, constant_liar=True,
        n_startup_trials=max(size, obj.budget // 5), multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(lo, hi)
             for i, (lo, hi) in enumerate(bounds)}
    while True:
        trials = [study.ask(dists) for _ in range(size)]
        x = np.array([[t.params[f"x{i}"] for i in range(len(bounds))] for t in trials])
        try:
            losses = obj.batch(x)
        except BudgetSpent:
            return
        for t, loss in zip(trials, losses, strict=True):
            study.tell(t, float(loss))


RUNNERS: dict[str, Callable[[Objective, list[tuple[float, float]], int, int], None]] = {
    "differential_evolution": run_de, "lhs_random_search": run_lhs, "direct": run_direct,
    "dual_annealing": run_dual_annealing, "optuna_tpe": run_tpe}


def problem(min_agents: int) -> CalibrationFile:
    """The calibration problem (free parameters, targets, years, replicates)."""
    return CalibrationFile.model_validate({
        "name": "bench_optimisers", "base": "no_active_policy", "economies": [ECONOMY],
        "start_year": START_YEAR, "end_year": END_YEAR, "min_agents_per_economy": min_agents,
        "firms_per_sector": 5, "replicates": 2, "seed": MASTER_SEED,
        "parameter": PARAMETERS, "target": TARGETS})


def synthetic(cfg: CalibrationFile) -> pd.DataFrame:
    """Observations simulated by the model at :data:`TRUTH` with :data:`DATA_SEED` (as
    ``tests/test_calibration.py``'s ``_synthetic``)."""
    s = load_scenario(cfg.base, economies=[ECONOMY], start_year=cfg.start_year,
                      years=cfg.end_year - cfg.start_year + 1,
                      workers_per_agent=cfg.workers_per_agent,
                      min_agents_per_economy=cfg.min_agents_per_economy,
                      firms_per_sector=cfg.firms_per_sector)
    s = with_updates(s, {f"economy.{ECONOMY}.{p['path']}": TRUTH[p["name"]]
                         for p in PARAMETERS})
    m = DisplacementModel(s, seed=DATA_SEED)
    m.run_months(12 * (cfg.end_year - cfg.start_year + 1) - 1)
    return simulated(m.results(), cfg.start_year)


def calibrator(cfg: CalibrationFile, economy: str, root: Path, ex: Executor,
               obs: pd.DataFrame | None) -> Calibrator:
    """A set-up Calibrator with an empty store of its own in ``root``."""
    shutil.rmtree(root, ignore_errors=True)  # the benchmark's own scratch store
    cal = Calibrator(cfg, economy, out=root, executor=ex, progress=False, observations=obs)
    cal._setup()
    return cal


def reference(cal: Calibrator, x: np.ndarray, ex: Executor) -> tuple[float, float]:
    """The loss at ``x`` and its jackknife standard error over replicates (warms the
    workers)."""
    loss = float(cal._evaluate(np.atleast_2d(x), cal.cfg_.seed, ex)[0])
    specs = cal._specs(x, cal.cfg_.seed)
    execute(specs, cal._store, ex, progress=False)
    per_run = [simulated(cal._read(s.run_id), cal.cfg_.start_year) for s in specs]
    se = loss_standard_error(per_run, cal._obs, cal._targets, cal._train_years, cal.scales_)
    return loss, se


def summarise(history: pd.DataFrame, cfg: CalibrationFile, budget: int,
              truth: dict[str, float] | None) -> pd.DataFrame:
    """One row per method: medians over optimiser seeds of the best loss at each fraction of
    the budget, the distance of the best point to the truth, the wall time and the rate."""
    names = [p.name for p in cfg.parameter]
    widths = np.array([p.bounds[1] - p.bounds[0] for p in cfg.parameter])
    per_search = []
    for (method, seed), h in history.groupby(["method", "optimiser_seed"], sort=False):
        row: dict = {"method": method, "optimiser_seed": seed, "evaluations": len(h)}
        best = h["best_so_far"].to_numpy()
        for f in FRACTIONS:
            row[f"best_loss_{int(100 * f)}pct"] = float(best[min(math.ceil(f * budget),
                                                                 len(best)) - 1])
        x = h.loc[h["loss"].idxmin(), names].to_numpy(float)
        row.update({f"best_{n}": float(v) for n, v in zip(names, x, strict=True)})
        if truth is not None:
            t = np.array([truth[n] for n in names])
            row["distance_to_truth"] = float(np.linalg.norm((x - t) / widths))
        row["wall_s"] = float(h["wall_s"].iloc[-1])
        row["evaluations_per_s"] = len(h) / row["wall_s"]
        per_search.append(row)
    df = pd.DataFrame(per_search)
    numeric = [c for c in df.columns if c not in ("method", "optimiser_seed")]
    out = df.groupby("method", sort=False)[numeric].median()
    out.insert(0, "searches", df.groupby("method", sort=False).size())
    return out.reset_index()


def markdown(summary: pd.DataFrame, settings: dict[str, str], ref_label: str, ref: float,
             ref_se: float, truth: bool) -> str:
    """The result table and the settings, in Markdown."""
    lines = ["# Calibration search methods at equal budgets", "",
             "| setting | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in settings.items()]
    lines += [f"| loss {ref_label} (jackknife SE) | {ref:.4g} ({ref_se:.2g}) |", ""]
    head = ["method", "searches", "evaluations", "best loss @25%", "@50%", "@100%"]
    head += ["distance to truth"] if truth else []
    head += ["wall s", "evaluations/s"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in summary.itertuples(index=False):
        cells = [r.method, f"{r.searches}", f"{r.evaluations:.0f}",
                 f"{r.best_loss_25pct:.4g}", f"{r.best_loss_50pct:.4g}",
                 f"{r.best_loss_100pct:.4g}"]
        cells += [f"{r.distance_to_truth:.3f}"] if truth else []
        cells += [f"{r.wall_s:.0f}", f"{r.evaluations_per_s:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Medians over optimiser seeds (DIRECT is deterministic: one search). "
              "Distance: Euclidean, each parameter in units of its bounds' width."]
    return "\n".join(lines) + "\n"


def figure(history: pd.DataFrame, ref_label: str, ref: float) -> Figure:
    """Best loss so far against evaluations and against wall time, one line per search."""
    fig = Figure(figsize=(10, 4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    colours = dict(zip(METHODS, ("#1b9e77", "#999999", "#d95f02", "#7570b3", "#e7298a"),
                       strict=True))
    for (method, _seed), h in history.groupby(["method", "optimiser_seed"], sort=False):
        first = not any(line.get_label() == method for line in axes[0].get_lines())
        for ax, x in zip(axes, ("evaluation", "wall_s"), strict=True):
            ax.step(h[x], h["best_so_far"], where="post", color=colours[method], lw=1.2,
                    alpha=0.8, label=method if first else "_nolegend_")
    for ax, xlabel in zip(axes, ("candidate evaluations", "wall seconds"), strict=True):
        ax.axhline(ref, color="black", ls="--", lw=0.8, label=f"loss {ref_label}")
        ax.set_xlabel(xlabel)
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("best loss so far")
    axes[0].legend(fontsize=8)
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=120,
                        help="candidate evaluations per search (default 120)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="optimiser seeds per seeded method (default 3)")
    parser.add_argument("--min-agents", type=int, default=3000,
                        help="min_agents_per_economy of every run (default 3000)")
    parser.add_argument("--executor", choices=("processes", "sequential"), default="processes")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default: one per core)")
    parser.add_argument("--popsize", type=int, default=5,
                        help="DE candidates per parameter and generation; also the LHS batch "
                             "(default 5: 10 a generation)")
    parser.add_argument("--real", metavar="ISO3", default=None,
                        help="fit this economy's observed series instead of synthetic data")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_optimisers"))
    args = parser.parse_args()
    if args.budget < 1 or args.seeds < 1:
        parser.error("--budget and --seeds must be at least 1")

    if "optuna_tpe" in args.methods and importlib.util.find_spec("optuna") is None:
        print('optuna_tpe skipped: optuna is not installed (pip install -e ".[bench]")')
        args.methods.remove("optuna_tpe")
    cfg = problem(args.min_agents)
    economy = args.real.upper() if args.real else ECONOMY
    obs = None if args.real else synthetic(cfg)
    truth = None if args.real else TRUTH
    bounds = [tuple(p.bounds) for p in cfg.parameter]
    seeds = [tool_seed(BENCH_SEED, f"bench-optimisers-{k}") for k in range(args.seeds)]
    rows: list[dict] = []
    with lock_scope(), make_executor(args.executor, args.workers) as ex:
        ref_cal = calibrator(cfg, economy, args.out / "runs" / "reference", ex, obs)
        if truth is not None:
            ref_x, ref_label = np.array([truth[p.name] for p in cfg.parameter]), "at the truth"
        else:
            ref_x, ref_label = np.array([sum(b) / 2 for b in bounds]), "at the centre"
        ref, ref_se = reference(ref_cal, ref_x, ex)
        print(f"loss {ref_label}: {ref:.4g} (SE {ref_se:.2g})", flush=True)
        for k, seed in enumerate(seeds):
            for method in args.methods:
                if method in DETERMINISTIC and k > 0:
                    continue
                cal = calibrator(cfg, economy, args.out / "runs" / method / f"seed_{k}", ex,
                                 obs)
                obj = Objective(cal, ex, args.budget)
                try:
                    RUNNERS[method](obj, bounds, seed, args.popsize)
                except BudgetSpent:
                    pass
                h = pd.DataFrame(obj.rows)
                print(f"{method:24s} seed {k}: {len(h)} evaluations in "
                      f"{h['wall_s'].iloc[-1]:.1f} s, best loss {h['loss'].min():.4g}",
                      flush=True)
                rows += h.assign(method=method, optimiser_seed=seed).to_dict("records")
    history = pd.DataFrame(rows)
    history = history[["method", "optimiser_seed", "evaluation",
                       *[p.name for p in cfg.parameter], "loss", "best_so_far", "wall_s"]]
    summary = summarise(history, cfg, args.budget, truth)
    settings = {
        "problem": (f"{economy} {START_YEAR}-{END_YEAR}, "
                    + ("observed series" if args.real else
                       "synthetic data, truth " + ", ".join(f"{k} = {v}"
                                                            for k, v in TRUTH.items()))),
        "free parameters": ", ".join(f"{p.name} {list(p.bounds)}" for p in cfg.parameter),
        "targets (scale)": ", ".join(f"{s} ({v:.3g})" for s, v in ref_cal.scales_.items()),
        "budget": f"{args.budget} candidate evaluations x {cfg.replicates} replicates",
        "runs": f"min_agents_per_economy {cfg.min_agents_per_economy}, firms_per_sector "
                f"{cfg.firms_per_sector}, master seed {cfg.seed} (common random numbers)",
        "DE / LHS batch": f"popsize {args.popsize} ({max(5, args.popsize * len(bounds))} "
                          "candidates a generation)",
        "executor": f"{args.executor}, {ex.n_workers} worker(s); load average "
                    + " ".join(f"{v:.1f}" for v in os.getloadavg()),
    }
    text = markdown(summary, settings, ref_label, ref, ref_se, truth is not None)
    atomic_write_text(args.out / "summary.md", text)
    atomic_write_text(args.out / "summary.csv", summary.to_csv(index=False))
    atomic_write_text(args.out / "history.csv", history.to_csv(index=False))
    atomic_write_bytes(args.out / "convergence.png", png_bytes(figure(history, ref_label, ref)))
    print(text)


if __name__ == "__main__":
    main()
