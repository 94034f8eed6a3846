"""The colour-math modules carry doctested Examples, as colour-science's modules do.

pyproject.toml's numpydoc config leaves EX01 (no Examples section) out for the whole project;
for the modules in :data:`MODULES` this test turns it on: (a) every doctest of theirs runs
and passes, (b) every public function and class of theirs has an ``Examples`` section
(``numpydoc.validate``'s EX01). Add a module here once its public API has Examples.

Arrays print as colour-science prints them (``np.set_printoptions(legacy="1.13")``, which
importing colour-science sets), so the doctests give the same text whatever ran before.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
from types import ModuleType

import numpy as np
import pytest
from numpydoc.validate import validate

#: The colour-math modules held to EX01, with doctested Examples on every public name.
MODULES = [
    "chroma.colorimetry",
    "chroma.whitebalance",
    "chroma.stops",
    "chroma.oklab.convert",
    "chroma.oklab.gamut",
    "chroma.oklab.blend",
    "chroma.lights.metrics",
    "chroma.lights.spectra",
]


def public_names(module: ModuleType) -> list[str]:
    """Functions and classes defined in ``module`` (not imported), not private, not deprecated
    aliases (those are documented by :func:`chroma.deprecation.deprecated_alias`)."""
    names = []
    for name, obj in vars(module).items():
        cached = hasattr(obj, "cache_info")  # a function behind functools.cache / lru_cache
        if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj) or cached):
            continue
        if getattr(obj, "__module__", None) != module.__name__:
            continue
        if "Deprecated alias" in (obj.__doc__ or ""):
            continue
        names.append(name)
    return names


@pytest.fixture(autouse=True)
def _colour_science_printing():
    from chroma.colour_science import colour

    colour()  # its import sets the legacy options; set them here too, and restore afterwards
    with np.printoptions(legacy="1.13"):
        yield


@pytest.mark.parametrize("name", MODULES)
def test_doctests_pass(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    assert tests, f"{name} has no doctests"
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} fail (see the output above)"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_has_examples(name):
    """numpydoc's EX01, on for these modules only."""
    module = importlib.import_module(name)
    names = public_names(module)
    assert names, f"{name} has no public names"
    missing = [n for n in names if any(code == "EX01" for code, _ in validate(f"{name}.{n}")["errors"])]
    assert not missing, f"{name}: no Examples section in {', '.join(missing)}"
