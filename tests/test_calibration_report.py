"""docs/calibration.md from a tiny calibration: method, convergence, parameters, survey."""

from __future__ import annotations

import pandas as pd

from displacement_sim import api
from displacement_sim.studies import CalibrationFile


def test_calibrate_writes_the_page_with_its_sections_and_figures(tmp_path):
    cfg = CalibrationFile.model_validate({
        "name": "tiny_report", "base": "no_active_policy", "economies": ["USA"],
        "start_year": 2019, "end_year": 2023, "min_agents_per_economy": 400,
        "firms_per_sector": 3, "replicates": 2, "seed": 1, "popsize": 2, "maxiter": 1,
        "parameter": [{"name": "exit_rate_unemployed",
                       "path": "labour_market.exit_rate_unemployed", "bounds": [0.02, 0.2]}],
        "target": [{"series": "unemployment_rate"}, {"series": "share_C"},
                   {"series": "dws_unemployed"}, {"series": "dws_olf"}]})
    page = tmp_path / "docs" / "calibration.md"
    fitted = api.calibrate(cfg, out=tmp_path / "out", executor="sequential", progress=False,
                           docs=page, command="displacement-sim calibrate tiny.toml")
    text = page.read_text()
    for heading in ("## Method", "## Fitted parameters and their identification",
                    "## In-sample fit", "displaced workers (BLS survey, January 2024)",
                    "### United States"):
        assert heading in text, heading
    assert "displacement-sim calibrate tiny.toml" in text
    assert "cannot be told apart" in text  # the loss's own noise, from 2 replicates
    assert (tmp_path / "docs" / "calibration" / "convergence.png").stat().st_size > 1000
    assert (tmp_path / "docs" / "calibration" / "USA_fit.png").stat().st_size > 1000
    summary = pd.read_csv(tmp_path / "out" / "full" / "tables" / "USA_summary.csv")
    assert summary["loss"].iloc[0] == fitted["USA"].loss_ > 0
    # The survey row: the model's value in January 2024 against the BLS figure.
    fit = fitted["USA"].fit_
    dws = fit[fit["series"] == "dws_olf"]
    assert dws["year"].tolist() == [2024] and dws["observed"].iloc[0] == 18.2
    # Scales: the data's, widened by the simulated moment's noise across the 2 replicates.
    scales = pd.read_csv(tmp_path / "out" / "full" / "tables" / "USA_scales.csv")
    assert (scales["simulation_sd_pp"] > 0).all()
    expected = (scales["data_scale_pp"] ** 2 + scales["simulation_sd_pp"] ** 2 / 2) ** 0.5
    assert (scales["scale_pp"] - expected).abs().max() < 1e-9
    assert fitted["USA"].scales_ == dict(zip(scales["series"], scales["scale_pp"],
                                             strict=True))
