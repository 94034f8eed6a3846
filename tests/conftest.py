"""Shared test fixtures: every test runs with chroma's bundled OCIO config."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "tests" / "data" / "reference"  # the published implementations' goldens, in the repository


@pytest.fixture(autouse=True)
def _bundled_ocio(monkeypatch):
    monkeypatch.delenv("OCIO", raising=False)
    monkeypatch.delenv("CHROMA_MODELS", raising=False)
    from chroma import ocio

    ocio.clear_caches()
    yield
    ocio.clear_caches()


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)


@pytest.fixture
def make_image(rng):
    """Factory: a scene-linear ACEScg image with R G B A and a depth layer."""
    from chroma import Image

    def make(width=48, height=32, channels=("R", "G", "B", "A", "depth.Z"), scale=4.0, colorspace="ACEScg"):
        px = (rng.random((height, width, len(channels))) * scale).astype(np.float32)
        return Image(px, list(channels), colorspace, {})

    return make
