"""How well could any model of the v2 core's kind replay 2005-2023 unemployment?

Usage::

    .venv/bin/python benchmarks/replay_bounds.py [--start 2005] [--years 18]

Scores, per economy, statistical forecasts that are *more* favourable than the model: they are
handed the observed output path and turn it into unemployment with no friction at all.

- ``persistence``: the start year's rate kept.
- ``okun``: the start rate minus the Okun elasticity times the one-sided output gap, with the
  model's own Holt filter and the elasticity it estimates from 1991 to the start year; the whole
  gap reaches unemployment at once (the model damps it through vacancies, wages and exits).
- ``okun + natural rate``: as ``okun``, with the start rate's distance from the mean of the
  10 (or 15) years up to the start closing at 30% a year, as if that mean were the natural rate.

It prints the mean absolute error (percentage points) of each and how many economies are within
1 point: an upper bound on what the model's structure can reach with parameters that are not
fitted to the replayed years (docs/calibration.md). Nothing is fitted here either.
"""

from __future__ import annotations

import argparse

import numpy as np

from displacement_sim.data import load_histories
from displacement_sim.model import market
from displacement_sim.model.model import OKUN_BOUNDS

LEVEL_WEIGHT, GROWTH_WEIGHT = 0.3, 0.1  # the config defaults of the Holt filter
CLOSING = 0.3  # a year, the default absorption_per_year


def forecasts(history, start: int, years: int) -> dict[str, np.ndarray] | None:
    yrs = history.years
    k = int(np.searchsorted(yrs, start))
    log_y = np.log(history.real_gdp)
    u = history.unemployment_rate * 100.0
    window = slice(k, k + years + 1)
    g0 = float(np.mean(np.diff(log_y[max(k - 10, 0):k + 1])))
    gap = log_y[window] - market.holt_potential(log_y[window], g0, LEVEL_WEIGHT, GROWTH_WEIGHT)
    upto = (yrs >= 1991) & (yrs <= start)
    okun = market.okun_elasticity(log_y[upto], history.unemployment_rate[upto],
                                  float(np.mean(np.diff(log_y[upto][:11]))),
                                  LEVEL_WEIGHT, GROWTH_WEIGHT, OKUN_BOUNDS)
    t = np.arange(years + 1)
    out = {"observed": u[window], "persistence": np.full(years + 1, u[k]),
           "okun": u[k] - okun * gap * 100.0}
    for w in (10, 15):
        natural = float(np.nanmean(u[max(k - w + 1, 0):k + 1]))
        out[f"okun + natural rate ({w} y)"] = (natural + (u[k] - natural) * np.exp(-CLOSING * t)
                                               - okun * gap * 100.0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=2005)
    ap.add_argument("--years", type=int, default=18)
    args = ap.parse_args()
    rows = {}
    for iso, h in sorted(load_histories().items()):
        f = forecasts(h, args.start, args.years)
        obs = f.pop("observed")
        rows[iso] = {name: float(np.mean(np.abs(path[1:] - obs[1:]))) for name, path in f.items()}
    names = list(next(iter(rows.values())))
    print("| Economy | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for iso, r in rows.items():
        print(f"| {iso} | " + " | ".join(f"{r[n]:.2f}" for n in names) + " |")
    print("| within 1 point | " + " | ".join(
        f"{sum(r[n] <= 1.0 for r in rows.values())} of {len(rows)}" for n in names) + " |")


if __name__ == "__main__":
    main()
