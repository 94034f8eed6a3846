"""Shared benchmark inputs. Benchmarks run once as plain tests by default
(``--benchmark-disable`` in pyproject); measure with ``--benchmark-enable``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest


def oiiotool() -> str:
    return shutil.which("oiiotool") or str(Path(sys.executable).parent / "oiiotool")


@pytest.fixture(scope="session")
def uhd_half_exr(tmp_path_factory) -> Path:
    """A 3840x2160 half RGB ACEScg EXR (zip) with plate-like content: smooth gradients
    plus grain, so compression works as it does on real frames."""
    from chroma import Image, write

    rng = np.random.default_rng(1)
    h, w = 2160, 3840
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w, y / h, 0.5 * (x + y) / (w + h)], axis=2) * 2.0
    grain = rng.normal(0.0, 0.01, (h, w, 3)).astype(np.float32)
    img = Image((base + grain).astype(np.float32), ["R", "G", "B"], "ACEScg")
    path = tmp_path_factory.mktemp("uhd") / "plate.1001.exr"
    write(img, path)
    return path
