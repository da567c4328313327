"""docs/calibration.md from a tiny calibration: method, convergence, parameters, survey."""

from __future__ import annotations

import pandas as pd
import pytest

from displacement_sim import api
from displacement_sim.errors import CalibrationError
from displacement_sim.reporting.calibration_report import write_calibration_report
from displacement_sim.scenarios import load_scenario
from displacement_sim.studies import CalibrationFile


def test_calibrate_writes_the_page_with_its_sections_and_figures(tmp_path):
    cfg = CalibrationFile.model_validate({
        "name": "tiny_report", "base": "no_active_policy", "economies": ["USA"],
        "start_year": 2019, "end_year": 2023, "min_agents_per_economy": 400,
        "firms_per_sector": 3, "replicates": 2, "seed": 1, "popsize": 2, "maxiter": 1,
        "natural_rate": "fitted_line",
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
    # The natural rate's line over the fit years is part of the fitted parameters.
    toml = fitted["USA"].to_toml()
    assert "natural_rate_years = [2019, 2023]" in toml
    (tmp_path / "USA.toml").write_text(toml)
    scenario = load_scenario(tmp_path / "USA.toml")
    assert scenario.settings_for("USA").labour_market.natural_rate_years == (2019, 2023)

    # A replay's scores on the page, with its command; a folder without them is refused
    # before anything is fitted or written.
    replay = tmp_path / "replay"
    (replay / "figures").mkdir(parents=True)
    pd.DataFrame([{"economy": "USA", "first_year": 2006, "last_year": 2023, "years": 18,
                   "mae_pp": 0.8, "bias_pp": 0.1, "error_last_pp": -0.4,
                   "mae_persistence_pp": 1.7, "beats_persistence": True}]).to_csv(
        replay / "history_scores.csv", index=False)
    (replay / "history.md").write_text("# Replay\n\nMade with `displacement-sim run x`.\n")
    write_calibration_report(tmp_path / "out" / "full" / "tables", page, replay=replay)
    text = page.read_text()
    assert "## Replay of history with these parameters" in text
    assert "displacement-sim run x" in text and "| United States | 2006-2023 | 0.80 |" in text
    assert "at most 1 pp in 1 of 1 economies" in text
    with pytest.raises(CalibrationError, match="--replay"):
        api.calibrate(cfg, out=tmp_path / "other", executor="sequential", progress=False,
                      docs=tmp_path / "other.md", replay=tmp_path / "out")
    assert not (tmp_path / "other").exists() and not (tmp_path / "other.md").exists()
