"""Colour coherence (chroma.coherence): a frame matched to a reference in OKLab, checked
with colour-science's OKLab (an independent conversion) and scikit-image's histograms."""

from __future__ import annotations

import numpy as np
import pytest

from chroma.coherence import Coherence, CoherenceSettings, match_frame, palette_drift
from chroma.guard import display_to_oklab
from tests import guard_sequences as seqs


def _lab(code: np.ndarray) -> np.ndarray:
    import colour

    return colour.XYZ_to_Oklab(colour.sRGB_to_XYZ(np.asarray(code, np.float64)))


def _stats(code):
    lab = _lab(code).reshape(-1, 3)
    return lab.mean(0), lab.std(0)


FRAME = seqs.texture(11, 40, palette=(0.55, 0.47, 0.4), amplitude=0.035)
REF = seqs.texture(12, 32, palette=(0.45, 0.5, 0.55), amplitude=0.06)


@pytest.mark.parametrize("mode", ["stats", "histogram"])
def test_strength_one_brings_mean_and_spread_to_the_reference(mode) -> None:
    out = match_frame(FRAME, display_to_oklab(REF), 1.0, mode)
    assert out.min() > 0 and out.max() < 1  # inside the display range: no clipping in this case
    (m, s), (rm, rs), (m0, _) = _stats(out), _stats(REF), _stats(FRAME)
    assert np.abs(m0 - rm).max() > 0.03  # they differed
    np.testing.assert_allclose(m, rm, atol=1e-3)
    np.testing.assert_allclose(s, rs, atol=1e-3)


def test_strength_zero_is_bit_identical_and_half_is_half_way() -> None:
    ref = display_to_oklab(REF)
    assert match_frame(FRAME, ref, 0.0) is FRAME
    c = Coherence(CoherenceSettings(reference="palette.png", strength=0.0), image=REF)
    out, info = c.apply(3, FRAME)
    assert out is FRAME and info["drift"] == info["drift_after"]
    half = match_frame(FRAME, ref, 0.5)
    (m, _), (rm, _), (m0, _) = _stats(half), _stats(REF), _stats(FRAME)
    np.testing.assert_allclose(m, (m0 + rm) / 2, atol=1e-3)


def test_gain_is_capped_for_a_nearly_flat_frame() -> None:
    flat = seqs.texture(3, 32, palette=(0.5, 0.5, 0.5), amplitude=0.005)
    out = match_frame(flat, display_to_oklab(REF), 1.0, "stats", max_gain=4.0)
    s0, s = _stats(flat)[1], _stats(out)[1]
    assert s[0] == pytest.approx(4.0 * s0[0], rel=0.02)  # not the reference's spread: gain 4 at most
    assert s[0] < _stats(REF)[1][0] / 2


def test_palette_drift_is_the_distance_of_the_oklab_means() -> None:
    d = palette_drift(display_to_oklab(FRAME).reshape(-1, 3).mean(0), display_to_oklab(REF).reshape(-1, 3).mean(0))
    assert d == pytest.approx(np.linalg.norm(_stats(FRAME)[0] - _stats(REF)[0]), abs=1e-3)


def test_a_frame_of_the_shot_as_reference_is_captured_and_saved() -> None:
    frames = seqs.varied(6, size=24)
    c = Coherence(CoherenceSettings(reference=2, strength=1.0))
    assert c.apply(0, frames[0]) == (frames[0], None) and c.apply(1, frames[1])[0] is frames[1]
    out2, info2 = c.apply(2, frames[2])
    assert out2 is frames[2] and info2["drift"] == 0.0
    saved = {k: v.copy() for k, v in c.to_arrays().items()}
    out3, info3 = c.apply(3, frames[3])
    np.testing.assert_allclose(_stats(out3)[0], _stats(frames[2])[0], atol=1e-3)
    assert info3["drift"] > 0.01 and info3["drift_after"] < 1e-3
    again = Coherence(CoherenceSettings(reference=2, strength=1.0))
    again.restore(saved)
    assert np.array_equal(again.apply(3, frames[3])[0], out3)


def test_plate_reference_matches_each_frame_to_its_own_plate_frame() -> None:
    plates = [seqs.texture(40 + i, 24, palette=(0.4 + 0.05 * i, 0.5, 0.5 - 0.05 * i), amplitude=0.04) for i in range(3)]
    frames = [seqs.texture(60 + i, 24, palette=(0.5, 0.45, 0.5), amplitude=0.04) for i in range(3)]
    c = Coherence(CoherenceSettings(reference="plate", strength=1.0), plate=lambda i: plates[i])
    for i in range(3):
        out, info = c.apply(i, frames[i])
        np.testing.assert_allclose(_stats(out)[0], _stats(plates[i])[0], atol=1e-3)
        assert info["reference"] == "plate" and info["drift_after"] < 1e-3
    assert c.to_arrays() == {}  # nothing to save: the plate is read again on resume
