"""Build step that ships the scenarios and data inside the package (pyproject.toml has the rest).

A wheel copies the checkout's ``scenarios/`` and ``calibration/`` trees, subfolders included, to
``displacement_sim/_shipped/scenarios/`` and ``displacement_sim/_shipped/calibration/``. The two
keep their relative layout, so paths inside scenario files (``../calibration/calibrated/USA.toml``)
hold in both, and :mod:`displacement_sim.resources` finds them. An editable install copies
nothing: it reads the checkout's folders. ``MANIFEST.in`` puts the same trees into the sdist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "calibration")
"""Top-level folders copied into ``displacement_sim/_shipped/``."""
SUFFIXES = (".toml", ".csv", ".md")
"""Files shipped from those folders; anything else (scripts, caches) stays out."""


def shipped_files() -> list[Path]:
    """The files to ship, relative to the checkout; a missing folder is an error."""
    files = []
    for folder in SHIPPED:
        if not (ROOT / folder).is_dir():
            raise FileNotFoundError(f"{ROOT / folder}: missing; the wheel must ship it")
        files += sorted(
            p.relative_to(ROOT) for p in (ROOT / folder).rglob("*")
            if p.is_file() and p.suffix in SUFFIXES
            and not any(part.startswith((".", "__")) for part in p.relative_to(ROOT).parts)
        )
    return files


class BuildPyWithData(build_py):
    """``build_py`` that also copies :func:`shipped_files` under ``displacement_sim/_shipped``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable installs read the checkout's folders
        target = Path(self.build_lib) / "displacement_sim" / "_shipped"
        for rel in shipped_files():
            dest = target / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, dest)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        target = Path(self.build_lib) / "displacement_sim" / "_shipped"
        return outputs + [str(target / rel) for rel in shipped_files()]


setup(cmdclass={"build_py": BuildPyWithData})
