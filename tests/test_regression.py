"""Pinned results of one small seeded run: an unintended change of results cannot pass.

A change of the model that is meant to change results must update the pins, on purpose::

    .venv/bin/python tests/test_regression.py --update

and say in its commit why the numbers moved. The run is small (two economies, one year) and
goes through the same path as every workflow (``run_spec`` -> ``run_one``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

PINS = Path(__file__).parent / "data" / "regression_pins.json"
COLUMNS = ("labour_force", "employed", "unemployed", "in_training", "unemployment_rate",
           "employment_rate", "displaced", "displaced_cumulative", "vacancies",
           "labour_demand", "wage_index", "automated_share", "spending_total_usd")
STEPS = (0, 1, 6, 12)


def _run() -> dict[str, dict[str, list[float]]]:
    from displacement_sim.scenarios import load_scenario
    from displacement_sim.workflows.runs import make_specs, run_one

    scenario = load_scenario("baseline", economies=["VNM", "USA"], years=1,
                             workers_per_agent=1e9, min_agents_per_economy=800,
                             firms_per_sector=5, seed=1)
    spec = make_specs(scenario, replicates=1)[0]
    df = run_one(spec)
    out: dict[str, dict[str, list[float]]] = {"run_id": spec.run_id, "seed": spec.seed}
    for iso, g in df.groupby("economy"):
        g = g.set_index("step").loc[list(STEPS)]
        out[iso] = {c: [float(v) for v in g[c]] for c in COLUMNS}
    return out


def test_small_seeded_run_matches_its_pins() -> None:
    pinned = json.loads(PINS.read_text())
    got = _run()
    assert got["run_id"] == pinned["run_id"] and got["seed"] == pinned["seed"]
    for iso in ("VNM", "USA"):
        for c in COLUMNS:
            np.testing.assert_allclose(got[iso][c], pinned[iso][c], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{iso} {c} (steps {STEPS})")


if __name__ == "__main__":
    if "--update" in sys.argv:
        PINS.parent.mkdir(exist_ok=True)
        PINS.write_text(json.dumps(_run(), indent=1) + "\n")
        print(f"wrote {PINS}")
