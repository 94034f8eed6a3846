"""Tabulated illuminants' chromaticity against the CIE's published values.

CIE 15 computes XYZ by summation at the data's own interval (5 nm for FL1-FL12, FL3.x,
HP1-HP5 and the LED-* illuminants of CIE 15:2018). The published xy (CIE 15:2004 Table
T.8.1 / CIE 15:2018 Tables 10-11, four decimals) are taken from colour-science's
transcription ``CCS_ILLUMINANTS`` -- an independent table, not computed by chroma.
Resampling to 1 nm first misses them by up to 2.7e-4; summing at 5 nm meets them to the
published rounding (5e-5).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

colour = pytest.importorskip("colour")

from chroma.lights import Light  # noqa: E402

PUBLISHED = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]
NAMES = [f"FL{i}" for i in range(1, 13)] + [f"FL3.{i}" for i in range(1, 16)] + \
        [f"HP{i}" for i in range(1, 6)] + [f"LED-B{i}" for i in range(1, 6)] + ["LED-BH1", "LED-RGB1", "LED-V1", "LED-V2"]


@pytest.mark.parametrize("name", NAMES)
def test_5nm_illuminant_xy_matches_cie_15(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        light = Light.illuminant(name)
    xy = light.xy
    np.testing.assert_allclose(xy, PUBLISHED[name], atol=6e-5)  # published to 4 decimals
    assert light.with_intensity(stops=2).xy == pytest.approx(xy, abs=1e-15)


def test_fl2_cct_matches_cie_15():
    # CIE 15:2004 Table T.8.1: FL2 CCT 4230 K (published to 10 K)
    fl2 = Light.illuminant("FL2")
    assert abs(fl2.cct - 4230) < 10
    assert fl2.metrics().xy == pytest.approx(tuple(fl2.xy), abs=1e-12)  # one XYZ everywhere
    assert fl2.metrics().cct == pytest.approx(fl2.cct, abs=1e-9)
