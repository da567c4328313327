"""Read the cases of a scenario discovery from the stored output of a sweep or a sensitivity run.

A case is one combination of uncertain parameters: in a batch, a scenario variant that the
option leaves free (its scenario and the sweep parameters the option does not fix) in one
economy; in a sensitivity analysis, one sample point in one economy. Its outcome is the mean
over its replicates, and the reference's is the mean over the same replicates (the same seeds:
common random numbers) of the reference option in the same case.

The parameters are read from the study's own declarations, as the manifest stores them: a
batch's scenarios (their resolved settings, per economy) and sweeps, an analysis's factors
(names, labels, units). A setting is a parameter when it takes more than one value within an
economy across the cases; what differs only between economies is the ``economy`` column.
Outcomes are those of :data:`displacement_sim.outcomes.RUN_OUTCOMES`.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from displacement_sim.analysis.outputs import needed_columns, outcome
from displacement_sim.config import Scenario
from displacement_sim.errors import DisplacementSimError, StoreError
from displacement_sim.inputs_safe import check_path
from displacement_sim.outcomes import RUN_OUTCOMES, RunOutcome
from displacement_sim.workflows.store import ResultsStore

EXPECTED_FOLDER = ("expected the output folder of `displacement-sim batch` (manifest.json of a "
                   "batch file) or of `displacement-sim sensitivity` (runs/manifest.json of an "
                   "analysis file)")
"""What a results folder must be, for every message that refuses one."""


@dataclass(frozen=True)
class Cases:
    """The cases of a discovery, read from a results folder."""

    kind: str
    """``"batch"`` or ``"sensitivity"``."""
    study: str
    """The study's name."""
    root: Path
    """The results folder given."""
    option: str
    """The option, as written in reports."""
    reference: str | None
    """The reference option, or None when it was not needed."""
    outcome: RunOutcome
    """The outcome (its declaration)."""
    economy: str | None
    """The economy analysed, ``"all"`` (pooled), or None (each economy is a case)."""
    params: pd.DataFrame
    """One row per case, one column per uncertain parameter."""
    labels: dict[str, str]
    """Parameter -> label."""
    value: np.ndarray
    """The option's outcome per case (mean over replicates)."""
    reference_value: np.ndarray | None
    """The reference's outcome per case (mean over the same replicates), or None."""
    replicates: np.ndarray
    """Replicates averaged per case."""
    dropped: int
    """Cases left out because their outcome is missing (e.g. no displaced cohort yet)."""


def _value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def parse_option(text: str, what: str = "--option") -> dict[str, Any]:
    """Read an option of a batch: ``KEY=VALUE`` pairs separated by commas, or a scenario name.

    ``KEY`` is a sweep parameter (a config path) or ``scenario``; ``VALUE`` is a TOML value
    (anything that is not TOML is taken as a string). A word without ``=`` is a scenario.

    Parameters
    ----------
    text : str
        The option as given.
    what : str
        The command-line option, named by errors (default ``"--option"``).

    Returns
    -------
    dict
        Key -> value.

    Raises
    ------
    DisplacementSimError
        If a pair has no key.

    Examples
    --------
    >>> parse_option("policy.capacity_building.share_of_gdp=0.005")
    {'policy.capacity_building.share_of_gdp': 0.005}
    >>> parse_option("fast_automation")
    {'scenario': 'fast_automation'}
    """
    out: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if "=" not in part:
            out["scenario"] = part
            continue
        key, _, value = part.partition("=")
        if not key.strip():
            raise DisplacementSimError(f"{what}: {text!r}: expected KEY=VALUE or a scenario name")
        out[key.strip()] = _value(value.strip())
    if not out:
        raise DisplacementSimError(f"{what}: empty; expected KEY=VALUE or a scenario name")
    return out


def _read_manifest(root: Path) -> tuple[str, ResultsStore, dict[str, Any]]:
    if not check_path(root, StoreError) or not root.is_dir():
        raise DisplacementSimError(f"{root}: not a folder; {EXPECTED_FOLDER}")
    for kind, store in (("batch", ResultsStore(root)), ("sensitivity", ResultsStore(root / "runs"))):
        manifest = store.read_manifest()
        definition = manifest.get("definition") if manifest else None
        if not isinstance(definition, dict) or not isinstance(manifest.get("runs"), list):
            continue
        if kind == "batch" and "sweep" in definition and "scenarios" in definition:
            return kind, store, manifest
        if kind == "sensitivity" and "factor" in definition:
            return kind, store, manifest
    raise DisplacementSimError(f"{root}: not a sweep or sensitivity output; {EXPECTED_FOLDER}")


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    elif obj is None or isinstance(obj, bool | int | float | str):
        out[prefix[:-1]] = obj
    return out


_TOP_SKIP = {"name", "description", "seed", "replicates", "economies", "economy", "defaults"}


def _settings(config: dict[str, Any], economy: str | None, cache: dict[tuple[str, str], Any],
              key: str) -> dict[str, Any]:
    """A scenario's effective settings in one economy (pooled: the defaults), flattened."""
    ck = (key, economy or "")
    if ck not in cache:
        scenario = Scenario.model_validate(config)
        settings = scenario.settings_for(economy) if economy else scenario.defaults
        flat = _flatten(settings.model_dump(mode="json"))
        flat.update({k: v for k, v in _flatten(
            {k: v for k, v in config.items() if k not in _TOP_SKIP}).items()})
        cache[ck] = flat
    return cache[ck]


def _check_outcome(name: str, economy: str | None) -> RunOutcome:
    if name not in RUN_OUTCOMES:
        close = difflib.get_close_matches(name, list(RUN_OUTCOMES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DisplacementSimError(f"--outcome: unknown outcome {name!r}{hint} (expected one "
                                   f"of {', '.join(RUN_OUTCOMES)})")
    o = RUN_OUTCOMES[name]
    if economy == "all" and not o.pools:
        raise DisplacementSimError(f"--economy all: outcome {name!r} is defined per economy "
                                   "only (expected an ISO3 code, or no --economy)")
    return o


def _economies(runs: list[dict[str, Any]], store: ResultsStore, economy: str | None
               ) -> list[str]:
    first = next(r["run_id"] for r in runs)
    present = sorted(store.read_run(first, columns=["economy"])["economy"].unique())
    if economy is None:
        return present
    if economy == "all":
        return ["all"]
    code = economy.upper()
    if code not in present:
        raise DisplacementSimError(f"--economy: {economy!r} is not simulated in this study "
                                   f"(expected one of {', '.join(present)}, or all)")
    return [code]


def _outcomes(store: ResultsStore, run_ids: set[str], name: str, economies: list[str]
              ) -> dict[tuple[str, str], float]:
    cols = needed_columns([name])
    done = store.done()
    values: dict[tuple[str, str], float] = {}
    for rid in sorted(run_ids & done):
        df = store.read_run(rid, columns=cols)
        for e in economies:
            values[(rid, e)] = outcome(df, name, e)
    return values


def load_cases(results: str | Path, outcome_name: str, option: str | None = None,
               reference: str | None = None, economy: str | None = None,
               need_reference: bool = True) -> Cases:
    """The cases of a discovery: uncertain parameters, the option's and the reference's outcome.

    Parameters
    ----------
    results : str or Path
        The output folder of a batch (``outputs/<batch>``) or of a sensitivity analysis
        (``outputs/<analysis>``, whose runs are in ``runs/``).
    outcome_name : str
        A run outcome (``outcomes.RUN_OUTCOMES``).
    option : str, optional
        Batch: ``KEY=VALUE`` pairs (sweep parameters, ``scenario``) or a scenario name
        (:func:`parse_option`); required. Sensitivity analysis: its name (the default) or its
        reference runs' (``<name>-ref``).
    reference : str, optional
        The option to compare with, in the same syntax and fixing the same keys. Default, in a
        batch: the first value of each of the option's keys (the first listed sweep value, the
        first scenario); in a sensitivity analysis: its reference runs.
    economy : str, optional
        An ISO3 code, or ``"all"`` to pool the economies (default: each economy a case).
    need_reference : bool
        Whether the reference's outcome is needed (a threshold relative to it).

    Returns
    -------
    Cases
        The cases.

    Raises
    ------
    DisplacementSimError
        One line naming what was expected, for a folder that is not such an output, an unknown
        outcome, option, reference or economy, or an option without stored runs.
    """
    root = Path(results)
    kind, store, manifest = _read_manifest(root)
    o = _check_outcome(outcome_name, economy)
    runs = [r for r in manifest["runs"] if isinstance(r, dict) and "run_id" in r]
    if not runs:
        raise DisplacementSimError(f"{root}: the manifest lists no runs; {EXPECTED_FOLDER}")
    economies = _economies(runs, store, economy)
    if kind == "batch":
        return _batch_cases(root, store, manifest, runs, o, option, reference, economy,
                            economies, need_reference)
    return _sensitivity_cases(root, store, manifest, runs, o, option, reference, economy,
                              economies, need_reference)


def _matches(run: dict[str, Any], keys: dict[str, Any]) -> bool:
    for k, v in keys.items():
        have = run["scenario"] if k == "scenario" else run.get("params", {}).get(k, None)
        if not _same(have, v):
            return False
    return True


def _option_values(definition: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, list]:
    values: dict[str, list] = {"scenario": list(dict.fromkeys(r["scenario"] for r in runs))}
    for k, v in (definition.get("sweep") or {}).get("parameters", {}).items():
        values[k] = list(v)
    return values


def _batch_cases(root: Path, store: ResultsStore, manifest: dict[str, Any],
                 runs: list[dict[str, Any]], o: RunOutcome, option: str | None,
                 reference: str | None, economy: str | None, economies: list[str],
                 need_reference: bool) -> Cases:
    values = _option_values(manifest["definition"], runs)
    keys_text = ", ".join(f"{k} ({', '.join(_fmt(v) for v in vs)})" for k, vs in values.items())
    expected = f"expected KEY=VALUE with KEY one of: {keys_text}; or a scenario name"
    if option is None:
        raise DisplacementSimError(f"--option: required for a batch; {expected}")
    opt = parse_option(option)
    for k, v in opt.items():
        if k not in values:
            raise DisplacementSimError(f"--option: unknown key {k!r} ({expected})")
        if not any(_same(v, w) for w in values[k]):
            raise DisplacementSimError(f"--option: {k}={_fmt(v)} is not in this batch "
                                       f"({expected})")
    ref: dict[str, Any] | None = None
    if need_reference:
        if reference is None:
            ref = {k: values[k][0] for k in opt}
        else:
            ref = parse_option(reference, "--reference")
            if set(ref) != set(opt):
                raise DisplacementSimError(f"--reference: fixes {sorted(ref)}; expected the "
                                           f"option's keys {sorted(opt)}")
            for k, v in ref.items():
                if not any(_same(v, w) for w in values[k]):
                    raise DisplacementSimError(f"--reference: {k}={_fmt(v)} is not in this "
                                               f"batch ({expected})")
        if all(_same(ref[k], opt[k]) for k in opt):
            raise DisplacementSimError(f"--reference: the option {option!r} is the reference; "
                                       "expected another value of its keys (--reference "
                                       "KEY=VALUE)")
    free = [k for k in values if k not in opt]

    def case_key(run: dict[str, Any]) -> tuple:
        return tuple(_fmt(run["scenario"] if k == "scenario" else run.get("params", {}).get(k))
                     for k in free)

    opt_runs = [r for r in runs if _matches(r, opt)]
    ref_runs = [r for r in runs if ref is not None and _matches(r, ref)]
    ref_by = {(case_key(r), r["replicate"]): r["run_id"] for r in ref_runs}
    wanted = {r["run_id"] for r in opt_runs} | set(ref_by.values())
    vals = _outcomes(store, wanted, o.name, economies)
    if not any(rid for rid, _ in vals):
        raise DisplacementSimError(f"--option: {option!r} has no stored runs in {root} "
                                   "(expected a finished batch: run the same batch command "
                                   "to finish it)")
    scenarios = manifest.get("scenarios", {})
    cache: dict[tuple[str, str], Any] = {}
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in opt_runs:
        groups.setdefault(case_key(r), []).append(r)
    rows, labels = [], {}
    for key, members in groups.items():
        for e in economies:
            own, theirs = [], []
            for r in members:
                v = vals.get((r["run_id"], e))
                if v is None:
                    continue
                if ref is not None:
                    rid = ref_by.get((key, r["replicate"]))
                    w = vals.get((rid, e)) if rid else None
                    if w is None:
                        continue
                    theirs.append(w)
                own.append(v)
            config = scenarios.get(members[0]["scenario_key"], {}).get("config", {})
            settings = _settings(config, None if e == "all" else e, cache,
                                 members[0]["scenario_key"])
            rows.append({"settings": settings, "economy": e, "scenario": members[0]["scenario"],
                         "value": np.mean(own) if own else np.nan,
                         "ref": np.mean(theirs) if theirs else np.nan, "n": len(own)})
    flat = pd.DataFrame([r["settings"] for r in rows])
    flat.insert(0, "economy", [r["economy"] for r in rows])
    varies = [c for c in flat.columns if c != "economy"
              and (flat.groupby("economy")[c].nunique(dropna=False) > 1).any()]
    params = flat[varies].copy()
    if not varies and "scenario" in free:
        params["scenario"] = [r["scenario"] for r in rows]
    if len(economies) > 1:
        params.insert(0, "economy", flat["economy"])
        labels["economy"] = "Economy"
    for c in varies:
        labels[c] = c
    return _finish(root, "batch", manifest, o,
                   ", ".join(f"{k}={_fmt(v)}" for k, v in opt.items()),
                   None if ref is None else ", ".join(f"{k}={_fmt(v)}" for k, v in ref.items()),
                   economy, params, labels, rows)


def _sensitivity_cases(root: Path, store: ResultsStore, manifest: dict[str, Any],
                       runs: list[dict[str, Any]], o: RunOutcome, option: str | None,
                       reference: str | None, economy: str | None, economies: list[str],
                       need_reference: bool) -> Cases:
    definition = manifest["definition"]
    name = str(definition.get("name", manifest.get("name", "")))
    labels_in = sorted({r["scenario"] for r in runs})
    expected = f"expected one of: {', '.join(labels_in)}"
    opt = option or name
    if opt not in labels_in:
        raise DisplacementSimError(f"--option: unknown option {opt!r} in this sensitivity "
                                   f"analysis ({expected})")
    ref = None
    if need_reference:
        ref = reference or f"{name}-ref"
        if ref not in labels_in or ref == opt:
            what = "has no reference runs (its outputs compare with none)" if reference is None \
                else f"has no option {ref!r}"
            raise DisplacementSimError(f"--reference: the analysis {what}; expected a number "
                                       f"as --threshold, or --reference one of "
                                       f"{', '.join(x for x in labels_in if x != opt)}")
    factors = [f for f in definition.get("factor", []) if isinstance(f, dict)]
    names = [f["name"] for f in factors]
    labels = {f["name"]: (f.get("label") or f["name"]) + (f" ({f['unit']})" if f.get("unit")
                                                          else "") for f in factors}

    def point(run: dict[str, Any], among: list[str] = names) -> tuple:
        return tuple(float(run.get("params", {}).get(n, np.nan)) for n in among)

    # A reference run sets the factors that its updates switch off, so sample points that
    # differ only in those share one reference run (stored once, with the first point's
    # values): reference runs are matched on the other factors.
    switched = set((definition.get("reference") or {}) if ref else ())
    paired = [f["name"] for f in factors if str(f.get("path", "")) not in switched]
    opt_runs = [r for r in runs if r["scenario"] == opt]
    ref_by = {(point(r, paired), r["replicate"]): r["run_id"] for r in runs
              if r["scenario"] == ref}
    vals = _outcomes(store, {r["run_id"] for r in opt_runs} | set(ref_by.values()), o.name,
                     economies)
    if not vals:
        raise DisplacementSimError(f"--option: {opt!r} has no stored runs in {root} (expected "
                                   "a finished analysis: run the same sensitivity command)")
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in opt_runs:
        groups.setdefault(point(r), []).append(r)
    rows = []
    for pt, members in groups.items():
        for e in economies:
            own, theirs = [], []
            for r in members:
                v = vals.get((r["run_id"], e))
                if v is None:
                    continue
                if ref is not None:
                    rid = ref_by.get((point(r, paired), r["replicate"]))
                    w = vals.get((rid, e)) if rid else None
                    if w is None:
                        continue
                    theirs.append(w)
                own.append(v)
            rows.append({"settings": dict(zip(names, pt, strict=True)), "economy": e,
                         "value": np.mean(own) if own else np.nan,
                         "ref": np.mean(theirs) if theirs else np.nan, "n": len(own)})
    params = pd.DataFrame([r["settings"] for r in rows], columns=names)
    params = params[[c for c in names if params[c].nunique() > 1]]
    if len(economies) > 1:
        params.insert(0, "economy", [r["economy"] for r in rows])
        labels["economy"] = "Economy"
    return _finish(root, "sensitivity", manifest, o, opt, ref, economy, params, labels, rows)


def _finish(root: Path, kind: str, manifest: dict[str, Any], o: RunOutcome, option: str,
            reference: str | None, economy: str | None, params: pd.DataFrame,
            labels: dict[str, str], rows: list[dict[str, Any]]) -> Cases:
    value = np.array([r["value"] for r in rows], float)
    ref = np.array([r["ref"] for r in rows], float)
    keep = np.isfinite(value) & (np.isfinite(ref) if reference is not None else True)
    return Cases(kind, str(manifest.get("name", root.name)), root, option, reference, o,
                 economy, params[keep].reset_index(drop=True),
                 {c: labels.get(c, c) for c in params.columns}, value[keep],
                 ref[keep] if reference is not None else None,
                 np.array([r["n"] for r in rows], int)[keep], int((~keep).sum()))


@dataclass(frozen=True)
class DiscoveryResult:
    """What :func:`displacement_sim.api.discover` found and wrote."""

    cases: Cases
    """The cases analysed."""
    threshold: Any
    """The threshold (:class:`displacement_sim.analysis.discovery.Threshold`)."""
    failing: np.ndarray
    """Whether each case fails."""
    discovery: Any
    """PRIM's trajectory and chosen box (:class:`displacement_sim.analysis.discovery.Discovery`)."""
    paths: list[Path]
    """The files written."""
