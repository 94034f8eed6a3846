"""The import layers (pyproject.toml ``[tool.importlinter]``, DESIGN.md "Import layers").

``lint-imports`` must pass on the code as it is, and must fail when a module imports a
layer above its own or closes a circle: the second half plants such imports in a copy of
the packages, so a contract that stops checking (a layer dropped, a module left out)
fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import importlinter  # noqa: F401  (the test extra installs it; a missing checker must fail, not skip)
import pytest

REPO = Path(__file__).resolve().parents[1]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages under ``root``, with the repository's contracts."""
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", code, "--config", str(REPO / "pyproject.toml"), "--no-cache"],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def test_the_import_contracts_are_kept() -> None:
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") == 3


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("layers")
    for package in ("chroma", "render"):
        shutil.copytree(REPO / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.mark.parametrize(("module", "bad_import", "says"), [
    # a feature reaching up to the farm (the circle #22 removed: grade -> farm -> grade)
    ("chroma/grade/frames.py", "from chroma import farm", "chroma.grade is not allowed to import chroma.farm"),
    # the farm running the CLI
    ("chroma/farm/frames.py", "from chroma.cli import main", "chroma.farm is not allowed to import chroma.cli"),
    # a function-local import counts as much as one at the top
    ("chroma/io.py", "def _late():\n    from chroma.grade import Grade", "chroma.io is not allowed to import chroma.grade"),
    # a circle inside a layer: core -> compiled -> core
    ("chroma/grade/compiled.py", "from chroma.grade.core import Grade", "No cycles are allowed in chroma.grade"),
    # the renderer never imports chroma
    ("render/camera.py", "import chroma", "render is not allowed to import chroma"),
])
def test_a_planted_bad_import_breaks_a_contract(copy: Path, module: str, bad_import: str, says: str) -> None:
    path = copy / module
    original = path.read_text()
    try:
        path.write_text(original + "\n\n" + bad_import + "  # planted by tests/test_layers.py\n")
        done = lint_imports(copy)
    finally:
        path.write_text(original)
    assert done.returncode != 0, f"lint-imports passed with {bad_import!r} in {module}"
    assert says in " ".join(done.stdout.split()), done.stdout
