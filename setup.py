"""The build compiles the gettext catalogs into the package (locales/*/LC_MESSAGES/*.mo).

Everything else about the package is in pyproject.toml; this file only adds that step, so an
installed bot never needs `make catalogs` and never writes into its own installation.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

sys.path.insert(0, str(Path(__file__).resolve().parent))
from locales import DOMAIN, compile_catalog  # the source tree's, not an installed one


class BuildWithCatalogs(build_py):
    """build_py, then each catalog compiled into the build (or, editable, next to its .po)."""

    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "locales"
        target = source if self.editable_mode else Path(self.build_lib) / "locales"
        for po_file in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
            relative = po_file.relative_to(source).with_suffix(".mo")
            compile_catalog(po_file, target / relative)


setup(cmdclass={"build_py": BuildWithCatalogs})
