"""Read scenario files (TOML), resolve ``extends``, validate into a ``Scenario``.

A scenario file has top-level settings (``name``, ``years``, ...), parameter sections that apply
to every economy (``[automation]``, ``[labour_market]``, ``[training]``, ``[policy]``,
``[exposure]``), per-economy overrides (``[economy.VNM.policy.capacity_building]``) and
optionally ``extends = "baseline.toml"`` (a path relative to the file), whose tables it
overrides key by key; ``extends`` may also list several files, merged in order (the
calibrated parameters of each economy, for example). A value a file sets for every economy
(in a top-level section) replaces the per-economy values of the same key that it inherits, so
``fast_automation`` changes the cost decline of every economy, calibrated or not; the file's
own ``[economy.X]`` tables still win. This module knows nothing of Mesa.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from displacement_sim.config import (
    SECTIONS,
    EconomySettings,
    Scenario,
    deep_merge,
    derive_pieces,
    memo,
)
from displacement_sim.constants import ECONOMIES
from displacement_sim.errors import ScenarioError
from displacement_sim.inputs_safe import check_path, read_toml_file
from displacement_sim.resources import scenario_dir

SCENARIO_DIR = scenario_dir()
"""The shipped scenarios (:func:`displacement_sim.resources.scenario_dir`)."""


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ``ScenarioError`` naming the file.

    Parameters
    ----------
    path : Path
        The TOML file.

    Returns
    -------
    dict
        The parsed tables.

    Raises
    ------
    ScenarioError
        If the file is missing, not a regular file (a directory, FIFO or device), larger
        than :data:`~displacement_sim.inputs_safe.TOML_LIMIT`, not UTF-8, not valid TOML,
        nested too deeply, or its name is too long (:mod:`displacement_sim.inputs_safe`).
    """
    return read_toml_file(path, error=ScenarioError)


def resolve_path(ref: str | Path, base: Path | None = None) -> Path:
    """Find a scenario: the one rule for every file that names another.

    In order: an absolute path as given; else relative to ``base`` (the folder of the file
    that names it: a batch, comparison, sensitivity or calibration file, or a scenario's
    ``extends``); else relative to the working directory; else a file of the shipped
    ``scenarios/`` by path or by name (``baseline`` is ``scenarios/baseline.toml``).

    Returns the first candidate if none is a file (see :func:`not_found`).

    Parameters
    ----------
    ref : str or Path
        The path or name as written.
    base : Path, optional
        The folder of the file that names ``ref`` (default: none, so relative paths are tried
        in the working directory and ``scenarios/`` only).

    Returns
    -------
    Path
        The first candidate that is a file, else the first candidate.
    """
    p = Path(ref)
    candidates = [p] if p.is_absolute() else [
        *([base / p] if base is not None else []), p, SCENARIO_DIR / p,
        SCENARIO_DIR / f"{p}.toml",
    ]
    for c in candidates:
        if check_path(c) and c.is_file():  # a name too long for the system: one line
            return c
    return candidates[0]


def shipped_names() -> list[str]:
    """The names of the shipped scenarios (``baseline``, ``fast_automation``, ...)."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def not_found(ref: str | Path) -> ScenarioError:
    """The error for a scenario that is neither a file nor a shipped name, with the closest
    names (``no scenario 'basline'; did you mean 'baseline'?``).

    Parameters
    ----------
    ref : str or Path
        The scenario as it was named.

    Returns
    -------
    ScenarioError
        The error, to raise.
    """
    p = Path(ref)
    name = p.stem if p.suffix == ".toml" else p.name
    choices = dict.fromkeys(shipped_names())
    if p.parent != Path() and p.parent.is_dir():  # a path: also the files next to it
        choices.update({q.stem: None for q in p.parent.glob("*.toml")})
    close = difflib.get_close_matches(name, list(choices), n=3)
    hint = (f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else
            f" (shipped scenarios: {', '.join(shipped_names())})")
    return ScenarioError(f"{ref}: file not found, and no scenario {name!r}{hint}")


def _upper_economy_keys(raw: dict[str, Any]) -> None:
    """Upper-case the ISO3 codes of ``[economy.<ISO3>]`` tables (``vnm`` is ``VNM``), merging
    tables that differ only in case, so that a file's overrides meet the ones it extends."""
    economy = raw.get("economy")
    if not isinstance(economy, dict):
        return
    merged: dict[Any, Any] = {}
    for key, value in economy.items():
        code = key.upper() if isinstance(key, str) else key
        if isinstance(merged.get(code), dict) and isinstance(value, dict):
            value = deep_merge(merged[code], value)
        merged[code] = value
    raw["economy"] = merged


def load_raw(path: Path, _seen: tuple[Path, ...] = (),
             origins: dict[tuple[str, ...], Path] | None = None) -> dict[str, Any]:
    """Read a scenario file with its ``extends`` chain merged (the file's own keys win).

    Parameters
    ----------
    path : Path
        The scenario file.
    _seen : tuple of Path
        The files whose ``extends`` led here (internal: detects circular chains; default
        empty).
    origins : dict, optional
        Filled with the file (resolved) that set each value, by key path
        (``("economy", "VNM", "training", "duration_months")``), so that an invalid value
        is reported against the file that holds it (default: not recorded).

    Returns
    -------
    dict
        The file's tables merged over those of the files it extends.

    Raises
    ------
    ScenarioError
        If a file is unreadable or not TOML, or ``extends`` is circular, malformed or names a
        missing file.
    """
    path = path.resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ScenarioError(f"{path}: key 'extends': circular ({chain})")
    raw = read_toml(path)
    _upper_economy_keys(raw)
    parents = raw.pop("extends", None)
    if parents is None:
        if origins is not None:
            origins.update(dict.fromkeys(_leaf_paths(raw), path))
        return raw
    if isinstance(parents, str):
        parents = [parents]
    if not isinstance(parents, list) or not all(isinstance(p, str) for p in parents):
        raise ScenarioError(f"{path}: key 'extends': expected a path or a list of paths, "
                            f"got {parents!r}")
    base: dict[str, Any] = {}
    for parent in parents:  # later parents win, then the file's own keys
        try:
            parent_path = resolve_path(parent, path.parent)
            found = check_path(parent_path)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: key 'extends': {exc}") from None
        if not found:
            raise ScenarioError(f"{path}: key 'extends': file not found: {parent}")
        layer_origins: dict[tuple[str, ...], Path] | None = {} if origins is not None else None
        layer = load_raw(parent_path, (*_seen, path), layer_origins)
        layer.pop("name", None)
        layer.pop("description", None)
        base = deep_merge(base, layer)
        if origins is not None and layer_origins is not None:
            layer_origins.pop(("name",), None)
            layer_origins.pop(("description",), None)
            origins.update(layer_origins)
    for section in SECTIONS:
        if isinstance(raw.get(section), dict):
            for keys in _leaf_paths(raw[section]):
                drop_economy_values(base, (section, *keys))
    if origins is not None:
        origins.update(dict.fromkeys(_leaf_paths(raw), path))
    return deep_merge(base, raw)


def _leaf_paths(table: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            out.extend(_leaf_paths(value, (*prefix, key)))
        else:
            out.append((*prefix, key))
    return out


def drop_economy_values(data: dict[str, Any], path: tuple[str, ...]) -> None:
    """Remove per-economy values at ``path`` (a setting for every economy made later wins
    over per-economy values it inherits, such as calibrated ones).

    Parameters
    ----------
    data : dict
        Scenario data in file layout; its ``economy`` tables are changed in place.
    path : tuple of str
        The key path inside an economy's table (``("policy", "benefits", "replacement_rate")``).
    """
    for override in (data.get("economy") or {}).values():
        node = override
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, dict):
            node.pop(path[-1], None)


def to_scenario_dict(raw: dict[str, Any]) -> dict[str, Any]:
    """Move the top-level parameter sections of a file into ``defaults``.

    Parameters
    ----------
    raw : dict
        Scenario data in file layout (top-level sections).

    Returns
    -------
    dict
        The same data with the sections under ``defaults``, as ``Scenario`` validates it.

    Raises
    ------
    ScenarioError
        If the data has both top-level sections and ``defaults``.
    """
    out = {k: v for k, v in raw.items() if k not in SECTIONS}
    sections = {k: raw[k] for k in SECTIONS if k in raw}
    if sections:
        if "defaults" in out:
            raise ScenarioError("use top-level sections or 'defaults', not both")
        out["defaults"] = sections
    return out


def load_validated[M: BaseModel](path: str | Path, schema: type[M],
                                 error: type[Exception] = ScenarioError) -> tuple[M, Path]:
    """Read a TOML file and validate it against ``schema`` (batch, analysis, calibration
    files); every problem becomes one ``error`` naming the file and the key.

    Parameters
    ----------
    path : str or Path
        The TOML file.
    schema : type of pydantic.BaseModel
        The model to validate against.
    error : type of Exception
        The exception raised for an invalid value (default ``ScenarioError``); an unreadable
        file raises ``ScenarioError``.

    Returns
    -------
    tuple of (model, Path)
        The validated file and its path.
    """
    path = Path(path)
    raw = read_toml(path)
    try:
        return schema.model_validate(raw), path
    except ValidationError as exc:
        raise error(format_validation_error(str(path), exc)) from None


def with_overrides[M: BaseModel](model: M, overrides: Mapping[str, Any], source: str,
                                 error: type[Exception] = ScenarioError) -> M:
    """A validated file (batch, analysis, calibration) with top-level keys replaced, validated
    like the file; ``None`` values are ignored. Errors name ``source`` and the key.

    Parameters
    ----------
    model : pydantic.BaseModel
        The validated file.
    overrides : mapping
        Top-level keys and their new values.
    source : str
        What the data came from (a file, ``--set``), named by every error message.
    error : type of Exception
        The exception raised for an invalid value (default ``ScenarioError``).

    Returns
    -------
    pydantic.BaseModel
        A new model of the same type (``model`` itself if no value is given).
    """
    values = {k: v for k, v in overrides.items() if v is not None}
    if not values:
        return model
    try:
        return type(model).model_validate({**model.model_dump(), **values})
    except ValidationError as exc:
        raise error(format_validation_error(source, exc)) from None


def _origin(origins: Mapping[tuple[str, ...], str | None], path: str) -> str | None:
    """The file that set the value at ``path`` (a dotted key path), if it is known and is not
    the file being validated: the file of the longest key prefix that was set, else the one
    file that set every value under ``path``."""
    keys = tuple(path.split("."))
    for n in range(len(keys), 0, -1):
        if keys[:n] in origins:
            return origins[keys[:n]]
    under = {f for k, f in origins.items() if k[:len(keys)] == keys}
    return under.pop() if len(under) == 1 else None


def format_validation_error(source: str, exc: ValidationError,
                            origins: Mapping[tuple[str, ...], str | None] | None = None) -> str:
    """One line per problem: file, key path (as written in the file), what was expected.

    Parameters
    ----------
    source : str
        What the data came from (a file, ``--set``), named by every error message.
    exc : pydantic.ValidationError
        The validation error.
    origins : mapping, optional
        For data merged from several files (``extends``): the file that set each key path,
        as it is to be named, or ``None`` for ``source`` itself. A problem with a value set
        by another file names that file, followed by ``(through 'extends' of <source>)``.

    Returns
    -------
    str
        The message, one line per problem.
    """
    lines = []
    errors = exc.errors()
    failed = {tuple(e["loc"]) for e in errors}
    for err in errors:
        if err["type"] == "too_short" and any(
                other[:len(err["loc"])] == tuple(err["loc"]) and len(other) > len(err["loc"])
                for other in failed):
            continue  # a tuple whose items failed is also "too short": say it once
        loc = [str(p) for p in err["loc"] if p != "[key]"]  # "[key]": a table's key failed
        if loc and loc[0] == "defaults":
            loc = loc[1:]
        path = ".".join(loc) or "(top level)"
        msg = err["msg"]
        head, sep, rest = msg.removeprefix("Value error, ").partition(": ")
        if not loc and sep and re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+", head):
            # A check across keys (an economy override, or sections of the settings): the
            # validator puts the key path first.
            path, msg = head, "Value error, " + rest
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see docs/scenarios.md for the keys)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "value_error":
            msg = msg.removeprefix("Value error, ")
        quiet = err["type"] in ("missing", "extra_forbidden") or isinstance(err["input"], dict)
        got = "" if quiet else f" (got {err['input']!r})"
        origin = _origin(origins, path) if origins else None
        where = source if origin is None else f"{origin}"
        through = "" if origin is None else f" (through 'extends' of {source})"
        lines.append(f"{where}: key '{path}': {msg}{got}{through}")
    return "\n".join(lines)


def validate(data: dict[str, Any], source: str = "<scenario>",
             origins: Mapping[tuple[str, ...], str | None] | None = None) -> Scenario:
    """Validate a scenario dict (file layout) into a ``Scenario``.

    Parameters
    ----------
    data : dict
        Scenario data in file layout (top-level sections, as :func:`load_raw` returns it).
    source : str
        What the data came from, named by every error message (default ``"<scenario>"``).
    origins : mapping, optional
        The file that set each key path, for data merged by ``extends``
        (:func:`format_validation_error`); default: every value is ``source``'s.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        With one line per problem.
    """
    try:
        return Scenario.model_validate(to_scenario_dict(data))
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(source, exc, origins)) from None


def load_scenario(ref: str | Path, base_dir: Path | None = None, **overrides: Any) -> Scenario:
    """Load and validate a scenario file; ``overrides`` replace top-level settings.

    Parameters
    ----------
    ref : str or path
        A path, or the name of a file in ``scenarios/``.
    base_dir : path, optional
        The folder of the file that names ``ref``: relative paths are tried there first
        (:func:`resolve_path`).
    **overrides
        Top-level settings to replace (``seed``, ``years``, ``economies``, ...); ``None``
        values are ignored.

    Raises
    ------
    ScenarioError
        With one message naming the file, the key and what was expected.
    """
    path = resolve_path(ref, base_dir)
    if not check_path(path):  # anything else than a regular file is refused as it is read
        raise not_found(ref)
    files: dict[tuple[str, ...], Path] = {}
    raw = load_raw(path, origins=files)
    values = {k: v for k, v in overrides.items() if v is not None}
    raw.update(values)
    top = path.resolve()
    origins = {keys: None if file == top or keys[0] in values else _shown(file)
               for keys, file in files.items()}
    return validate(raw, str(ref), origins)


def _shown(path: Path) -> str:
    """A file as messages name it: relative to the working directory when inside it."""
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def with_updates(scenario: Scenario, updates: dict[str, Any], source: str = "<update>"
                 ) -> Scenario:
    """A copy of ``scenario`` with dotted-path updates applied, validated again.

    ``updates`` maps paths such as ``"policy.capacity_building.share_of_gdp"`` (every
    economy: replaces per-economy values of that key too) or
    ``"economy.VNM.policy.capacity_building.share_of_gdp"`` (one economy; the code may be
    lower case) to values. Errors name ``source`` and the key.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    updates : dict
        Dotted key paths and their values.
    source : str
        What the updates came from, named by every error message (default ``"<update>"``).

    Returns
    -------
    Scenario
        A new validated scenario.

    Raises
    ------
    ScenarioError
        If a key or value is invalid.

    Notes
    -----
    The result is the scenario that validating the whole updated scenario gives (what
    :func:`validate` makes of its file layout with the updates set). Updates of parameter
    sections and of ``regional_centre`` take a short cut to it: only the models that hold an
    updated key are validated again, for the defaults and for each economy whose override
    reaches them, and the rest is shared with ``scenario``, so a sample point of a sensitivity
    analysis costs tens of microseconds. Any other update, or any invalid value, goes through
    whole validation (and its error messages). ``tests/test_specs.py`` checks that the two
    agree.
    """
    fast = _fast_updates(scenario, updates)
    if fast is not None:
        return fast
    return _validated_updates(scenario, updates, source)


def _validated_updates(scenario: Scenario, updates: dict[str, Any], source: str) -> Scenario:
    """:func:`with_updates` by whole validation of the updated file layout."""
    data = scenario.model_dump(mode="json")
    file_layout = {k: v for k, v in data.items() if k != "defaults"}
    file_layout.update(data["defaults"])
    for path, value in updates.items():
        keys = path.split(".")
        if keys[0] == "economy" and len(keys) > 1:
            keys[1] = keys[1].upper()
        if keys[0] in SECTIONS:  # for every economy: replaces per-economy values too
            drop_economy_values(file_layout, tuple(keys))
        node = file_layout
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ScenarioError(f"{source}: key '{path}': '{k}' is not a table")
        node[keys[-1]] = value
    return validate(file_layout, source)


# ---------------------------------------------------------------- with_updates, the short cut


class _Slow(Exception):
    """The short cut does not apply: validate the whole scenario instead."""


def _model_at(model: BaseModel, path: tuple[str, ...]) -> BaseModel:
    for key in path:
        model = getattr(model, key)
    return model


@functools.lru_cache(maxsize=4096)
def _holder(keys: tuple[str, ...], root: type[BaseModel]) -> int:
    """How many leading keys name nested models of ``root``: the model they reach holds the
    key that follows (or the table that the remaining keys go into)."""
    model, n = root, 0
    for key in keys[:-1]:
        field = model.model_fields.get(key)
        ann = field.annotation if field is not None else None
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            break
        model, n = ann, n + 1
    return n


def _set_in(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise _Slow
    node[keys[-1]] = value


def _get_in(tree: Any, keys: tuple[str, ...]) -> Any:
    """The subtree of ``tree`` at ``keys`` (``None`` if a key is missing)."""
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def _copy_tree(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy_tree(v) for v in value]
    return value


def _json_overrides(scenario: Scenario) -> dict[str, Any]:
    """The scenario's per-economy overrides as whole validation keeps them (JSON values:
    lists, not tuples), computed once per scenario."""
    cache = memo(scenario)
    found = cache.get("json_overrides")
    if found is None:
        found = cache["json_overrides"] = scenario.model_dump(mode="json",
                                                              include={"economy"})["economy"]
    return found


@functools.lru_cache(maxsize=1024)
def _targets(paths: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """What each dotted path updates: ``("all", keys)`` (a parameter section, for every
    economy), ``(ISO3, keys)`` (one economy's) or ``("centre", keys)`` (``regional_centre``);
    ``None`` if a path is none of these, or one path lies inside another (then their order
    matters: whole validation)."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for path in paths:
        keys = tuple(path.split("."))
        if keys[0] in SECTIONS and len(keys) >= 2:
            out.append(("all", keys))
        elif keys[0] == "economy" and len(keys) >= 4 and keys[1].upper() in ECONOMIES \
                and keys[2] in SECTIONS:
            out.append((keys[1].upper(), keys[2:]))
        elif keys[0] == "regional_centre" and len(keys) >= 2:
            out.append(("centre", keys[1:]))
        else:
            return None
    for group in ([k for who, k in out if who != "centre"],
                  [k for who, k in out if who == "centre"]):
        ordered = sorted(group)
        if any(b[:len(a)] == a and len(b) > len(a)
               for a, b in zip(ordered, ordered[1:], strict=False)):
            return None
    return tuple(out)


def _fast_updates(scenario: Scenario, updates: dict[str, Any]) -> Scenario | None:
    """:func:`with_updates` for updates of parameter sections (every economy or one) and of
    ``regional_centre``, validating only the models that hold an updated key; ``None`` when
    the short cut does not apply or a value is invalid (whole validation then decides)."""
    targets = _targets(tuple(updates))
    if targets is None:
        return None
    ops = [(who, keys, value) for (who, keys), value in zip(targets, updates.values(),
                                                            strict=True)]
    if any(who not in ("all", "centre") and isinstance(value, dict) for who, _, value in ops):
        return None  # a table set for one economy merges into the defaults': whole path
    try:
        return _apply_ops(scenario, ops)
    except (_Slow, ValidationError, ValueError, TypeError, AttributeError, KeyError):
        return None


def _plan(root: type[BaseModel], keys: tuple[tuple[str, ...], ...],
          replaced: tuple[tuple[str, ...], ...]) -> tuple:
    """The models :func:`_set_keys` makes for these keys, innermost first: for each, its path,
    its sub-models made before it, the updates it holds (index, keys below it) and whether it
    is replaced whole."""
    plan = _PLANS.get((root, keys, replaced))
    if plan is not None:
        return plan
    by_holder: dict[tuple[str, ...], list[tuple[int, tuple[str, ...]]]] = {}
    for i, k in enumerate(keys):
        holder = k[:_holder(k, root)]
        by_holder.setdefault(holder, []).append((i, k[len(holder):]))
    nodes = {p[:i] for p in (*by_holder, *replaced) for i in range(len(p) + 1)}
    children: dict[tuple[str, ...], list[str]] = {}
    for p in sorted(nodes):
        if p:
            children.setdefault(p[:-1], []).append(p[-1])
    plan = tuple((path, tuple(children.get(path, ())), tuple(by_holder.get(path, ())),
                  path in replaced) for path in sorted(nodes, key=len, reverse=True))
    if len(_PLANS) >= 1024:
        _PLANS.clear()
    _PLANS[(root, keys, replaced)] = plan
    return plan


_PLANS: dict[tuple, tuple] = {}


def _set_keys(root: BaseModel, ops: list[tuple[tuple[str, ...], Any]],
              replace: dict[tuple[str, ...], BaseModel] | None = None,
              texts: bool = True) -> BaseModel:
    """``root`` with each key set (in order) and the sub-models at ``replace`` replaced
    (``texts``: seed the JSON text of the new models, which the settings hash reads).

    Each model that holds a key, and each model above a change, is validated once (the
    innermost first) from its fields as they are: its other values and sub-models are kept,
    valid already (no validator of a model reads its sub-models' values).
    """
    replace = replace or {}
    if not ops and not replace:
        return root
    plan = _plan(type(root), tuple(k for k, _ in ops), tuple(sorted(replace)))
    new: dict[tuple[str, ...], BaseModel] = {}
    for path, kids, slots, replaced in plan:
        if replaced:
            new[path] = replace[path]
            continue
        model = _model_at(root, path)
        subs = [(name, new[(*path, name)]) for name in kids]
        mine = [(rest, ops[i][1]) for i, rest in slots]
        try:  # the same change of the same model made before (a sample repeats values)
            sig = (id(model), *[id(m) for _, m in subs],
                   *[(rest, type(value), value) for rest, value in mine])
            done = _NODES.get(sig)
        except TypeError:  # a value that cannot be a key (a list): made again
            sig, done = None, None
        if done is not None:
            new[path] = done[-1]
            continue
        tree = dict(model.__dict__)  # the fields' values
        changed = set(kids)
        tree.update(subs)
        for rest, value in mine:
            if len(rest) > 1:  # into a table that is not a model (a per-sector dict)
                table = _copy_tree(tree.get(rest[0]))
                if not isinstance(table, dict):
                    raise _Slow
                _set_in(table, rest[1:], value)
                tree[rest[0]] = table
            else:
                tree[rest[0]] = value
            changed.add(rest[0])
        new[path] = type(model).model_validate(tree)
        if texts:
            derive_pieces(model, new[path], changed)
        if sig is not None:
            if len(_NODES) >= _NODES_MAX:
                del _NODES[next(iter(_NODES))]
            # The models in the key are held, so that their ids are not reused.
            _NODES[sig] = (model, subs, new[path])
    return new[()]


_NODES: dict[tuple, tuple] = {}
"""Models that :func:`_set_keys` made, by the model changed and the change (oldest first)."""
_NODES_MAX = 8192


def _relates(model: type[BaseModel]) -> bool:
    """Whether a model, or one of its sub-models, has a validator."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators:
        return True
    return any(isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel)
               and _relates(f.annotation) for f in model.model_fields.values())


_RELATED = frozenset(name for name, f in EconomySettings.model_fields.items()
                     if _relates(f.annotation))  # type: ignore[arg-type]
"""The parameter sections with a validator that relates values (``labour_market``)."""


def _layout(scenario: Scenario, ops: list[tuple[str, tuple[str, ...], Any]]) -> tuple:
    """What the updates do to the overrides, and which models of each economy with an
    override they change: the overrides after the updates (a setting for every economy
    removes the per-economy values of its key, a per-economy update sets one; copied where
    changed), the models of the defaults that hold a key, and per economy (``build``: its
    settings made again; ``check``: only its sections with a validator checked) the updates
    that reach it and the models it takes from the new defaults."""
    overrides = dict(_json_overrides(scenario))
    copied: set[str] = set()

    def own(iso: str) -> dict[str, Any]:
        if iso not in copied:
            overrides[iso] = _copy_tree(overrides.get(iso) or {})
            copied.add(iso)
        return overrides[iso]

    for who, keys, value in ops:
        if who == "all":
            for iso in list(overrides):
                parent = _get_in(overrides[iso], keys[:-1])
                if isinstance(parent, dict) and keys[-1] in parent:
                    _get_in(own(iso), keys[:-1]).pop(keys[-1])
        elif who != "centre":
            _set_in(own(who), keys, value)
    holders = {keys[:_holder(keys, EconomySettings)] for who, keys, _ in ops if who == "all"}
    economies: list[tuple[str, str, tuple[int, ...], tuple[tuple[str, ...], ...],
                          frozenset[str]]] = []
    for iso, override in overrides.items():
        if not override:
            continue
        if not isinstance(override, dict):
            raise _Slow
        # What an economy merges into the defaults is its old settings with the same keys
        # set, where its override reaches the model that holds the key (it no longer holds
        # a key set for every economy); elsewhere the new defaults' models.
        reached = {h for h in holders if _get_in(override, h) is not None}
        mine = tuple(i for i, (who, keys, _) in enumerate(ops)
                     if who == iso or who == "all" and keys[:_holder(keys, EconomySettings)]
                     in reached)
        if any(who == iso for who, _, _ in ops) or iso in scenario.economies:
            economies.append((iso, "build", mine, tuple(holders - reached), frozenset()))
        else:
            # Not simulated, and set for every economy only: each of its values is valid
            # (validated in the defaults), so only a section with a validator that relates
            # values is checked; its settings are made if they are asked for.
            sections = frozenset(ops[i][1][0] for i in mine) & _RELATED
            economies.append((iso, "check", mine, (), sections))
    return overrides, economies


def _apply_ops(scenario: Scenario, ops: list[tuple[str, tuple[str, ...], Any]]) -> Scenario:
    if any(who not in ("all", "centre") for who, _, _ in ops):
        overrides, economies = _layout(scenario, ops)
    else:  # the same for every value of the same keys (a sample): made once
        layouts = memo(scenario).setdefault("layouts", {})
        sig = tuple((who, keys) for who, keys, _ in ops)
        found = layouts.get(sig)
        if found is None:
            if len(layouts) >= 64:
                layouts.clear()
            found = layouts[sig] = _layout(scenario, ops)
        overrides, economies = found
    every = [(keys, value) for who, keys, value in ops if who == "all"]
    defaults = _set_keys(scenario.defaults, every) if every else scenario.defaults
    settings: dict[str, EconomySettings] = {}
    for iso, mode, mine_idx, from_defaults, sections in economies:
        old = scenario.settings_for(iso)
        mine = [(ops[i][1], ops[i][2]) for i in mine_idx]
        if mode == "build":
            settings[iso] = _set_keys(  # type: ignore[assignment]
                old, mine, {h: _model_at(defaults, h) for h in from_defaults})
        else:
            for section in sections:
                _set_keys(getattr(old, section),
                          [(k[1:], v) for k, v in mine if k[0] == section], texts=False)
    centre_ops = [(keys, value) for who, keys, value in ops if who == "centre"]
    centre = _set_keys(scenario.regional_centre, centre_ops) if centre_ops else \
        scenario.regional_centre
    new = scenario.model_copy(update={"defaults": defaults, "economy": overrides,
                                      "regional_centre": centre})
    memo(new)["settings"] = settings
    derive_pieces(scenario, new, {"defaults", "economy", "regional_centre"})
    return new
