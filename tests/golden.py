"""Where the goldens live: ``tests/data/reference``, data computed with the published implementations
(Disco Diffusion, guided-diffusion, Deforum; its README says how). They are part of the repository, so
a plain clone runs every golden; a golden whose file is missing fails, it never skips."""

from __future__ import annotations

from pathlib import Path

REFERENCE = Path(__file__).resolve().parent / "data" / "reference"


def golden_path(name: str) -> Path:
    """Return ``tests/data/reference/NAME``; raise (a failing test, never a skip) where it is missing."""
    path = REFERENCE / name
    if not path.is_file():
        raise FileNotFoundError(f"golden {path} is missing; it is part of the repository (git checkout tests/data)")
    return path
