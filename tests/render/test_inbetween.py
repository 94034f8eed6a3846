"""render.inbetween: intermediate flows, occlusion weights and the in-between blend.

Analytic cases (translation and zoom, whose in-between flows have closed forms) and real
photographs moved by a known camera (tests/motion_sequences.py), where every in-between
has its ground truth.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("skimage")

from render.errors import SettingsError
from render.flow import estimate_flow, warp
from render.inbetween import inbetween, intermediate_flows, occlusion_weights
from tests import motion_sequences as ms

H, W = 96, 128


def _texture(h: int = H, w: int = W, channels: int = 3) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    planes = [0.5 + 0.2 * np.sin(x / (5 + c) + c) * np.cos(y / (7 + c)) + 0.1 * np.sin((x + 2 * y) / 13 + c)
              for c in range(channels)]
    return np.stack(planes, axis=2).astype(np.float32)


def _const(v: tuple[float, float]) -> np.ndarray:
    return np.broadcast_to(np.array(v, np.float32), (H, W, 2)).copy()


# -- analytic: translation ------------------------------------------------------------
def test_translation_intermediate_flows_are_exact() -> None:
    d = (4.0, -2.0)
    ta, tb = intermediate_flows(_const(d), _const((-d[0], -d[1])), 0.25)
    np.testing.assert_allclose(ta, _const((-1.0, 0.5)), atol=1e-6)   # -t d
    np.testing.assert_allclose(tb, _const((3.0, -1.5)), atol=1e-6)   # (1 - t) d


def test_translation_inbetween_is_the_shifted_image() -> None:
    big = _texture(H + 16, W + 16)
    a = big[8:8 + H, 8:8 + W]
    b = big[8 + 2:8 + 2 + H, 8 - 4:8 - 4 + W]       # content moved (4, -2): b(x) = a(x - d)
    truth = big[8 + 1:8 + 1 + H, 8 - 2:8 - 2 + W]   # halfway: moved (2, -1)
    fab, fba = _const((4.0, -2.0)), _const((-4.0, 2.0))
    ta, tb = intermediate_flows(fab, fba, 0.5)
    va, vb = occlusion_weights(fab, fba, ta, tb)
    out = inbetween(a, b, ta, tb, 0.5, va, vb)
    # every pixel, edges included: what one frame does not see is taken from the other; but
    # two corners show content that neither frame has: row 0, columns 0-1 (left of a, above
    # b) and the last row, last two columns (below a, right of b)
    seen = np.ones((H, W), bool)
    seen[0, :2] = seen[-1, -2:] = False
    assert ((va + vb) > 0).sum() == seen.sum()
    np.testing.assert_allclose(out[seen], truth[seen], atol=1e-5)


@pytest.mark.parametrize("t", [0.0, 1.0])
def test_ends_are_the_frames(t: float) -> None:
    a, b = _texture(), _texture()[::-1].copy()
    fab, fba = _const((3.0, 1.0)), _const((-3.0, -1.0))
    ta, tb = intermediate_flows(fab, fba, t)
    va, vb = occlusion_weights(fab, fba, ta, tb)
    out = inbetween(a, b, ta, tb, t, va, vb)
    np.testing.assert_array_equal(out, a if t == 0 else b)


# -- analytic: zoom about the centre (flow varies across the frame) ---------------------
def test_zoom_intermediate_flows_solve_straight_motion() -> None:
    s, t = 1.04, 0.5
    c = np.array([(W - 1) / 2, (H - 1) / 2])
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    r = np.stack([x, y], axis=2) - c
    fab = ((s - 1) * r).astype(np.float32)             # a point at c + r moves to c + s r
    fba = ((1 / s - 1) * r).astype(np.float32)
    # at time t the point is at c + (1 + t (s - 1)) r: the exact flows back to a and on to b
    m = 1 + t * (s - 1)
    exact_ta = r * (1 / m - 1)
    exact_tb = r * (s / m - 1)
    ta, tb = intermediate_flows(fab, fba, t)
    inner = (slice(2, -2), slice(2, -2))  # b's flow is known inside b's frame only (edges replicated)
    assert np.abs(ta - exact_ta)[inner].max() < 2e-3 and np.abs(tb - exact_tb)[inner].max() < 2e-3
    ta0, _ = intermediate_flows(fab, fba, t, iterations=0)  # Jiang et al. eq. 4 alone
    assert np.abs(ta0 - exact_ta).max() > 0.02          # errs by t (1 - t) times the flow's change


# -- occlusion weights ------------------------------------------------------------------
def test_weights_drop_what_comes_from_outside_the_frame() -> None:
    fab, fba = _const((6.0, 0.0)), _const((-6.0, 0.0))  # content moves 6 px right
    ta, tb = intermediate_flows(fab, fba, 0.5)
    va, vb = occlusion_weights(fab, fba, ta, tb)
    # at t = 0.5 columns 0-2 show content that was left of a's frame: only b has it
    assert (va[:, :3] == 0).all() and (vb[:, :3] == 1).all()
    # columns W-3..W-1 show content that leaves b's frame: only a has it
    assert (vb[:, -3:] == 0).all() and (va[:, -3:] == 1).all()
    assert (va[:, 4:-4] == 1).all() and (vb[:, 4:-4] == 1).all()


def test_weights_drop_an_inconsistent_flow() -> None:
    fab, fba = _const((2.0, 0.0)), _const((-2.0, 0.0))
    fba[40:60, 40:60] = (5.0, 5.0)   # b's flow disagrees in a square: occlusion there
    ta, tb = intermediate_flows(fab, fba, 0.5, iterations=0)
    va, vb = occlusion_weights(fab, fba, ta, tb)
    assert vb[45:55, 43:55].max() == 0 and va[45:55, 40:50].max() == 0
    assert vb[10:30, 10:30].min() == 1 and va[10:30, 10:30].min() == 1


# -- channels and inputs ----------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 4, 5, 7])
def test_any_channel_count_and_inputs_untouched(channels: int) -> None:
    a = _texture(channels=channels)
    b = np.roll(a, 2, axis=1)
    a0, b0 = a.copy(), b.copy()
    ta, tb = intermediate_flows(_const((2.0, 0.0)), _const((-2.0, 0.0)), 0.5)
    out = inbetween(a, b, ta, tb, 0.5)
    assert out.dtype == np.float32 and out.shape == a.shape
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_allclose(out[:, 4:-4], np.roll(a, 1, axis=1)[:, 4:-4], atol=1e-5)  # each channel moved alike
    flat = inbetween(a[..., 0], b[..., 0], ta, tb, 0.5)
    np.testing.assert_array_equal(flat, out[..., 0])


def test_both_invalid_falls_back_to_time_weights() -> None:
    a, b = np.zeros((H, W, 1), np.float32), np.ones((H, W, 1), np.float32)
    zero = np.zeros((H, W, 2), np.float32)
    out = inbetween(a, b, zero, zero, 0.25, np.zeros((H, W), bool), np.zeros((H, W), bool))
    np.testing.assert_allclose(out, 0.25)
    out = inbetween(a, b, zero, zero, 0.25, np.ones((H, W)), np.zeros((H, W)))
    np.testing.assert_allclose(out, 0.0)


def test_bad_arguments() -> None:
    a = _texture()
    zero = np.zeros((H, W, 2), np.float32)
    with pytest.raises(SettingsError, match="t must be in"):
        inbetween(a, a, zero, zero, 1.5)
    with pytest.raises(SettingsError, match="differ"):
        inbetween(a, a[:-1], zero, zero, 0.5)
    with pytest.raises(SettingsError, match="valid_a"):
        inbetween(a, a, zero, zero, 0.5, valid_a=np.ones((H, W - 1)))
    with pytest.raises(SettingsError, match="differ in size"):
        intermediate_flows(zero, zero[:-1], 0.5)


# -- real photographs, known camera: pan (3, -2) px and 1% zoom per frame ------------------
def _measure(name: str, flows: str) -> dict[str, float]:
    """Mean PSNR (dB) of three halfway frames of ``name``: in-between, crossfade, nearest frame."""
    fr = ms.frames(name, [0, 0.5, 1, 1.5, 2, 2.5, 3])
    out: dict[str, list[float]] = {}
    for i in (0, 2, 4):
        a, truth, b = fr[i], fr[i + 1], fr[i + 2]
        if flows == "exact":
            fab, fba = ms.exact_flow(name, i / 2, i / 2 + 1), ms.exact_flow(name, i / 2 + 1, i / 2)
        else:
            fab, fba = estimate_flow(a, b), estimate_flow(b, a)
        ta, tb = intermediate_flows(fab, fba, 0.5)
        va, vb = occlusion_weights(fab, fba, ta, tb)
        out.setdefault("inbetween", []).append(ms.psnr(inbetween(a, b, ta, tb, 0.5, va, vb), truth))
        out.setdefault("half_flow", []).append(ms.psnr(warp(a, -0.5 * fab), truth))
        out.setdefault("crossfade", []).append(ms.psnr(0.5 * (a + b), truth))
        out.setdefault("nearest", []).append(ms.psnr(a, truth))
    return {k: float(np.mean(v)) for k, v in out.items()}


@pytest.mark.parametrize("name", ms.PHOTOS)
def test_photographs_beat_crossfade_by_10_db(name: str) -> None:
    m = _measure(name, "dis")
    # measured (DIS medium, 320x224): 38.0-40.5 dB against crossfades of 23.2-27.9 dB
    assert m["inbetween"] >= m["crossfade"] + 10.0, m
    assert m["inbetween"] > m["nearest"] + 10.0, m
    assert m["inbetween"] > m["half_flow"] + 4.0, m    # both frames and the weights beat a one-sided warp


def test_photograph_with_exact_flows() -> None:
    """With the camera's own flows, the in-between is limited only by the bilinear warp."""
    m = _measure("coffee", "exact")
    assert m["inbetween"] > 39.0, m
