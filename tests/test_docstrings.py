"""The public API's docstrings follow numpydoc: every object has one, and its ``Parameters``
section names exactly the parameters of its signature (``numpydoc.validate``)."""

import dataclasses
import importlib
import inspect
import pkgutil

import pydantic
from numpydoc.validate import validate

MODULES = [
    "displacement_sim.api",
    "displacement_sim.scenarios",
    "displacement_sim.studies",
    "displacement_sim.data",
    "displacement_sim.drivers",
    "displacement_sim.seeding",
    "displacement_sim.outcomes",
    "displacement_sim.resources",
    "displacement_sim.files",
    "displacement_sim.model.market",
]
PACKAGES = ["displacement_sim.workflows", "displacement_sim.analysis", "displacement_sim.reporting"]
CLASSES = ["displacement_sim.model.model.DisplacementModel"]  # with its public methods

CODES = {
    "GL08": "no docstring",
    "PR01": "parameters not documented",
    "PR02": "documented parameters that do not exist",
    "PR10": "missing space before colon",
}


def _modules() -> list[str]:
    names = list(MODULES)
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        names += [f"{package}.{info.name}" for info in pkgutil.iter_modules(path)]
    return names


def _no_parameters_section(obj: object) -> bool:
    """Classes whose signature is not documented in a ``Parameters`` section, so PR01/PR02
    are not checked for the class itself: pydantic models and dataclasses document their
    fields by attribute docstrings, and a ``typing.Protocol`` is never instantiated (its
    signature is ``Protocol``'s ``(*args, **kwargs)``)."""
    return inspect.isclass(obj) and (issubclass(obj, pydantic.BaseModel)
                                     or dataclasses.is_dataclass(obj)
                                     or bool(getattr(obj, "_is_protocol", False)))


def public_api() -> list[tuple[str, object]]:
    """Qualified name and object of every public function and class of the API."""
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        public = getattr(module, "__all__", None)
        if public is None:
            public = [n for n in vars(module) if not n.startswith("_")]
        for attr in public:
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == name:
                found.append((f"{name}.{attr}", obj))
    for qualified in CLASSES:
        module_name, _, class_name = qualified.rpartition(".")
        cls = getattr(importlib.import_module(module_name), class_name)
        found.append((qualified, cls))
        found += [(f"{qualified}.{attr}", obj) for attr, obj in vars(cls).items()
                  if not attr.startswith("_") and inspect.isfunction(obj)]
    return found


def test_public_api_is_collected():
    names = [name for name, _ in public_api()]
    assert len(names) == len(set(names))
    assert len(names) > 150
    for expected in ("displacement_sim.api.run", "displacement_sim.workflows.batch.run_batch",
                     "displacement_sim.model.market.churn",
                     "displacement_sim.model.model.DisplacementModel.step"):
        assert expected in names


def test_public_api_docstrings_follow_numpydoc():
    offenders = []
    for name, obj in public_api():
        checked = set(CODES)
        if _no_parameters_section(obj):
            checked -= {"PR01", "PR02"}
        errors = [(code, message) for code, message in validate(name)["errors"]
                  if code in checked]
        if errors:
            offenders.append(f"{name}: " + "; ".join(f"{c} {m}" for c, m in errors))
    assert not offenders, (f"{len(offenders)} docstrings break numpydoc rules "
                           f"({', '.join(f'{c} {d}' for c, d in CODES.items())}):\n"
                           + "\n".join(offenders))
