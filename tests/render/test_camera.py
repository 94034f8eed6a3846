"""Camera moves (render.camera) against Disco Diffusion's own numbers and analytic cases.

``warp_golden.npz`` was computed with DD v5's code (OpenCV's warpPerspective for 2D,
DD's transform_image_3d with pytorch3d for 3D); see the reference README.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from render.camera import (
    TRANSLATION_SCALE,
    apply_symmetry,
    euler_angles_to_matrix,
    fov_perspective_matrix,
    symmetry_steps,
    warp_2d,
    warp_3d,
)
from render.errors import RenderError, SettingsError

TOL = 1e-4  # the bound; the measured agreement is about 1e-5


@pytest.fixture(scope="module")
def golden(reference):
    return dict(np.load(reference / "warp_golden.npz"))


def nchw(a: np.ndarray) -> torch.Tensor:
    """(H, W, 3) or (B, H, W, 3) numpy -> (B, 3, H, W) torch."""
    t = torch.from_numpy(np.ascontiguousarray(a))
    return (t[None] if t.dim() == 3 else t).permute(0, 3, 1, 2)


# -- 2D against DD -----------------------------------------------------------------------
@pytest.mark.parametrize("size", ["48x80", "45x77"])
@pytest.mark.parametrize("case", range(6))
def test_warp_2d_matches_dd(golden, size, case):
    angle, zoom, tx, ty = golden["cases_2d"][case]
    out = warp_2d(nchw(golden[f"image_{size}"]), angle, zoom, tx, ty)
    ref = nchw(golden[f"warp2d_{size}"][case])
    assert out.shape == ref.shape and out.dtype == torch.float32
    err = (out - ref).abs().max().item()
    assert err < TOL, f"case {case} {golden['cases_2d'][case]}: max error {err}"


@pytest.mark.parametrize("size", ["48x80", "45x77"])
def test_warp_2d_batched_per_sample_parameters(golden, size):
    cases = golden["cases_2d"]
    img = nchw(golden[f"image_{size}"]).expand(len(cases), -1, -1, -1)
    # mixed parameter kinds: numpy arrays, a torch tensor, a list
    out = warp_2d(img, cases[:, 0], torch.tensor(cases[:, 1]), cases[:, 2], list(cases[:, 3]))
    assert (out - nchw(golden[f"warp2d_{size}"])).abs().max().item() < TOL


# -- 3D against DD -----------------------------------------------------------------------
GOLDEN_3D = [
    (depth, mode, pad)
    for depth in ("const", "ramp")
    for mode, pad in (("bicubic", "border"), ("bilinear", "border"), ("bilinear", "reflection"))
]


@pytest.mark.parametrize("depth,mode,pad", GOLDEN_3D)
@pytest.mark.parametrize("case", range(7))
def test_warp_3d_matches_dd(golden, depth, mode, pad, case):
    near, far, fov = golden["near_far_fov"]
    tx, ty, tz, rx, ry, rz = golden["cases_3d"][case]
    out = warp_3d(
        nchw(golden["image_3d"]), torch.from_numpy(golden[f"depth_{depth}"]), (tx, ty, tz), (rx, ry, rz),
        fov=fov, near=near, far=far, padding_mode=pad, sampling_mode=mode,
    )
    ref = nchw(golden[f"warp3d_{depth}_{mode}_{pad}"][case])
    err = (out - ref).abs().max().item()
    assert err < TOL, f"{depth} {mode} {pad} case {golden['cases_3d'][case]}: max error {err}"


def test_warp_3d_batched(golden):
    c = golden["cases_3d"]
    n = len(c)
    depth = torch.from_numpy(golden["depth_ramp"]).expand(n, -1, -1)
    out = warp_3d(nchw(golden["image_3d"]).expand(n, -1, -1, -1), depth, c[:, :3], (c[:, 3], c[:, 4], c[:, 5]))
    assert (out - nchw(golden["warp3d_ramp_bicubic_border"])).abs().max().item() < TOL


# -- identity ------------------------------------------------------------------------------
@pytest.mark.parametrize("border", ["wrap", "border", "reflect"])
@pytest.mark.parametrize("hw", [(48, 80), (45, 77), (1, 5), (768 // 8, 1280 // 8)])
def test_identity_2d_is_exact(border, hw):
    x = torch.randn(2, 3, *hw, generator=torch.Generator().manual_seed(0))
    assert torch.equal(warp_2d(x, 0.0, 1.0, 0.0, 0.0, border=border), x)
    assert torch.equal(warp_2d(x, border=border), x)


@pytest.mark.parametrize("mode", ["bicubic", "bilinear", "nearest"])
@pytest.mark.parametrize("pad", ["border", "reflection", "zeros"])
def test_identity_3d_is_exact(mode, pad):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 45, 77, generator=g)
    depth = 0.5 + 2 * torch.rand(2, 45, 77, generator=g)
    assert torch.equal(warp_3d(x, depth, padding_mode=pad, sampling_mode=mode), x)


def test_identity_3d_only_for_the_unmoved_sample():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 16, 24, generator=g)
    out = warp_3d(x, torch.full((16, 24), 1.5), translation=([0.0, 5.0], 0.0, 0.0))
    assert torch.equal(out[0], x[0])
    assert not torch.allclose(out[1], x[1], atol=1e-3)


# -- 3D on a plane == 2D translation -----------------------------------------------------------
@pytest.mark.parametrize("tx", [25.0, -40.0, 13.7])
@pytest.mark.parametrize("fov,z", [(40.0, 1.5), (60.0, 0.8)])
def test_3d_plane_x_translation_is_2d_translation(tx, fov, z):
    """A plane at depth z, camera moved by DD's translation_x = tx, no rotation.

    The point (x, y, z) is seen at NDC x' = x / (z tan(fov/2)) before and
    (x - tx/200) / (z tan(fov/2)) after (DD negates x), so the offset is
    -tx / (200 z tan(fov/2)) and the image is sampled at NDC x + tx / (200 z tan(fov/2)).
    With align_corners=False one NDC unit is W/2 pixels, so output(u) = input(u + s) with

        s = W tx / (400 z tan(fov/2))  pixels,

    which is DD's 2D move with translation_x = -s (2D output(u) = input(u - translation_x)).
    Both resample bilinearly and replicate the edge.
    """
    h, w = 36, 64
    x = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(3))
    s = w * tx * TRANSLATION_SCALE / (2 * z * math.tan(math.radians(fov) / 2))
    out3 = warp_3d(x, torch.full((h, w), z), (tx, 0.0, 0.0), fov=fov, padding_mode="border", sampling_mode="bilinear")
    out2 = warp_2d(x, 0.0, 1.0, -s, 0.0, border="border")
    assert (out3 - out2).abs().max().item() < 2e-5
    # and the move is real: a shift of several pixels
    assert abs(s) > 2 and (out2 - x).abs().max().item() > 0.1


@pytest.mark.parametrize("mode", ["bicubic", "bilinear", "nearest"])
def test_zero_depth_does_not_poison_the_frame(mode):
    x = torch.rand(1, 3, 8, 10, generator=torch.Generator().manual_seed(5))
    depth = torch.full((8, 10), 1.5)
    depth[3, 4] = 0.0
    out = warp_3d(x, depth, (5.0, 0.0, 0.0), sampling_mode=mode)
    assert bool(torch.isfinite(out).all())
    # the pixel without a projection keeps its place (for bilinear, the centre of pixel
    # (3, 4) exactly); the others moved
    if mode == "bilinear":
        torch.testing.assert_close(out[..., 3, 4], x[..., 3, 4], rtol=0, atol=1e-5)


def test_near_far_do_not_change_the_warp():
    x = torch.rand(1, 3, 20, 30, generator=torch.Generator().manual_seed(4))
    depth = torch.linspace(0.8, 2.5, 30).expand(20, 30)
    a = warp_3d(x, depth, (3.0, -2.0, 8.0), (1.0, 2.0, -3.0), near=200, far=10000)
    b = warp_3d(x, depth, (3.0, -2.0, 8.0), (1.0, 2.0, -3.0), near=0.5, far=50)
    assert (a - b).abs().max().item() < 1e-5


# -- 2D analytic cases: borders, direction, rotation ---------------------------------------------
ROW = torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 1, 1, 4)


@pytest.mark.parametrize(
    "border,tx,expected",
    [
        # translation_x = +1: output(x) = input(x - 1)
        ("wrap", 1.0, [3.0, 0.0, 1.0, 2.0]),
        ("border", 1.0, [0.0, 0.0, 1.0, 2.0]),
        ("reflect", 1.0, [1.0, 0.0, 1.0, 2.0]),
        # translation_x = -1.5: output(x) = input(x + 1.5), halfway between two taps
        ("wrap", -1.5, [1.5, 2.5, 1.5, 0.5]),
        ("border", -1.5, [1.5, 2.5, 3.0, 3.0]),
        ("reflect", -1.5, [1.5, 2.5, 2.5, 1.5]),
        # far outside: wrap is periodic (period 4), reflect has period 2 * (4 - 1) = 6
        ("wrap", 9.0, [3.0, 0.0, 1.0, 2.0]),
        ("reflect", 7.0, [1.0, 0.0, 1.0, 2.0]),
        ("border", -20.0, [3.0, 3.0, 3.0, 3.0]),
    ],
)
def test_border_modes_analytic(border, tx, expected):
    out = warp_2d(ROW, 0.0, 1.0, tx, 0.0, border=border)
    assert out.flatten().tolist() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("border", ["wrap", "border", "reflect"])
def test_position_a_hair_below_zero(border):
    """x - 1e-17 wraps to 4 - 1e-17, which rounds to exactly 4 in float64: still pixel 0."""
    img = torch.arange(8.0).view(1, 1, 2, 4)
    out = warp_2d(img, 0.0, 1.0, 1e-17, 1e-17, border=border)
    assert out.flatten().tolist() == pytest.approx(img.flatten().tolist(), abs=1e-6)


@pytest.mark.parametrize("border", ["wrap", "border", "reflect"])
def test_vertical_translation_analytic(border):
    col = ROW.transpose(-1, -2)  # 4 rows, 1 column
    out = warp_2d(col, 0.0, 1.0, 0.0, 2.0, border=border)
    expected = {"wrap": [2.0, 3.0, 0.0, 1.0], "border": [0.0, 0.0, 0.0, 1.0], "reflect": [2.0, 1.0, 0.0, 1.0]}[border]
    assert out.flatten().tolist() == pytest.approx(expected, abs=1e-6)


def test_rotation_is_counter_clockwise_about_w2_h2():
    """90 degrees about the centre (2, 2) of a 4x4 image: M maps (x, y) -> (y, 4 - x),
    so out[Y, X] = in[X, (4 - Y) mod 4] with wrap (in[row, column])."""
    img = torch.arange(16.0).view(1, 1, 4, 4)
    out = warp_2d(img, 90.0, 1.0, 0.0, 0.0)[0, 0]
    expected = torch.empty(4, 4)
    for yy in range(4):
        for xx in range(4):
            expected[yy, xx] = img[0, 0, xx, (4 - yy) % 4]
    assert torch.allclose(out, expected, atol=1e-5)


def test_zoom_about_w2_h2():
    """zoom 2 about (w//2, h//2) = (3, 2) on a 5x7 ramp: output x reads input 3 + (x - 3) / 2."""
    ramp = torch.arange(7.0).view(1, 1, 1, 7).expand(1, 1, 5, 7)
    out = warp_2d(ramp, 0.0, 2.0, 0.0, 0.0, border="border")[0, 0, 2]
    assert out.tolist() == pytest.approx([3 + (x - 3) / 2 for x in range(7)], abs=1e-6)


def test_translation_before_zoom():
    """DD's M = R @ T translates first, then zooms: a translation of 1 px at zoom 2 moves the
    picture by 2 px. Output x reads input 3 + (x - 3) / 2 - 1."""
    ramp = torch.arange(9.0).view(1, 1, 1, 9)
    out = warp_2d(ramp, 0.0, 2.0, 1.0, 0.0, border="border")[0, 0, 0]
    assert out.tolist() == pytest.approx([min(max(4 + (x - 4) / 2 - 1, 0), 8) for x in range(9)], abs=1e-6)


# -- 3D building blocks: pytorch3d's conventions ------------------------------------------------
def test_euler_xyz_is_the_product_of_axis_rotations():
    a, b, c = 0.3, -0.7, 1.1
    rx = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    ry = np.array([[math.cos(b), 0, math.sin(b)], [0, 1, 0], [-math.sin(b), 0, math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    got = euler_angles_to_matrix(torch.tensor([a, b, c], dtype=torch.float64), "XYZ").numpy()
    np.testing.assert_allclose(got, rx @ ry @ rz, atol=1e-12)
    got_zyx = euler_angles_to_matrix(torch.tensor([a, b, c], dtype=torch.float64), "ZYX").numpy()
    rz2 = np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])
    rx2 = np.array([[1, 0, 0], [0, math.cos(c), -math.sin(c)], [0, math.sin(c), math.cos(c)]])
    np.testing.assert_allclose(got_zyx, rz2 @ ry @ rx2, atol=1e-12)


def test_fov_matrix_maps_the_frustum_to_ndc():
    fov, near, far = 40.0, 200.0, 10000.0
    k = fov_perspective_matrix(*(torch.tensor([v], dtype=torch.float64) for v in (fov, near, far)))[0].numpy()
    t = math.tan(math.radians(fov) / 2)
    for z in (near, far, 1000.0):
        for corner in ((t * z, t * z), (-t * z, 0.0)):
            p = k @ np.array([corner[0], corner[1], z, 1.0])
            ndc = p[:3] / p[3]
            assert ndc[0] == pytest.approx(corner[0] / (t * z))
            assert ndc[1] == pytest.approx(corner[1] / (t * z))
    assert (k @ [0, 0, near, 1])[2] / near == pytest.approx(0.0, abs=1e-12)
    assert (k @ [0, 0, far, 1])[2] / far == pytest.approx(1.0)


# -- symmetry --------------------------------------------------------------------------------
@pytest.mark.parametrize("h,w", [(4, 6), (5, 7)])
def test_apply_symmetry(h, w):
    x = torch.arange(float(2 * h * w)).view(1, 2, h, w)
    hx = apply_symmetry(x, horizontal=True, vertical=False)
    for j in range(w):
        src = j if j < w - w // 2 else w - 1 - j
        assert torch.equal(hx[..., j], x[..., src])
    vx = apply_symmetry(x, horizontal=False, vertical=True)
    for i in range(h):
        src = i if i < h - h // 2 else h - 1 - i
        assert torch.equal(vx[..., i, :], x[..., src, :])
    both = apply_symmetry(x, True, True)
    assert torch.equal(both, torch.flip(both, [-1])) and torch.equal(both, torch.flip(both, [-2]))
    assert torch.equal(apply_symmetry(x, False, False), x)


@pytest.mark.parametrize(
    "percent,total,expected",
    [
        ([0.09], 250, {227}),  # DD's default: int(250 * 0.91) = int(227.5)
        ([0.09], 100, {91}),  # 250 steps with skip_steps 150 (frames_skip_steps "60%")
        ([0.5, 0.09, 0.5], 50, {25, 45}),
        ([0.0], 250, set()),  # index 250 is never reached
        ([1.0], 250, {0}),
        ([], 250, set()),
    ],
)
def test_symmetry_steps(percent, total, expected):
    assert symmetry_steps(percent, total) == expected


# -- errors ------------------------------------------------------------------------------------
def test_user_errors_are_render_errors():
    x = torch.zeros(1, 3, 8, 8)
    with pytest.raises(SettingsError, match="border"):
        warp_2d(x, border="mirror")
    with pytest.raises(SettingsError, match="zoom"):
        warp_2d(x, zoom=0.0)
    with pytest.raises(SettingsError, match="padding_mode"):
        warp_3d(x, torch.ones(8, 8), padding_mode="wrap")
    with pytest.raises(SettingsError, match="sampling_mode"):
        warp_3d(x, torch.ones(8, 8), sampling_mode="lanczos")
    with pytest.raises(SettingsError, match="near_plane"):
        warp_3d(x, torch.ones(8, 8), near=100, far=50)
    with pytest.raises(RenderError, match="transformation_percent"):
        symmetry_steps([9], 250)
    with pytest.raises(ValueError, match="one value per sample"):
        warp_2d(torch.zeros(2, 3, 8, 8), angle=[1.0, 2.0, 3.0])


# -- devices -------------------------------------------------------------------------------------
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(golden):
    img = nchw(golden["image_48x80"])
    cpu2 = warp_2d(img, 2.5, 1.02, 1.5, 2.0)
    gpu2 = warp_2d(img.cuda(), 2.5, 1.02, 1.5, 2.0)
    assert gpu2.device.type == "cuda" and (gpu2.cpu() - cpu2).abs().max().item() < 1e-5
    depth = torch.from_numpy(golden["depth_ramp"])
    cpu3 = warp_3d(nchw(golden["image_3d"]), depth, (2.0, 1.0, 6.0), (0.5, -1.0, 1.5))
    gpu3 = warp_3d(nchw(golden["image_3d"]).cuda(), depth.cuda(), (2.0, 1.0, 6.0), (0.5, -1.0, 1.5))
    assert (gpu3.cpu() - cpu3).abs().max().item() < 1e-4
    x = torch.randn(1, 3, 64, 96, device="cuda")
    assert torch.equal(warp_2d(x), x) and torch.equal(warp_3d(x, torch.ones(64, 96, device="cuda")), x)


# -- the documented example ----------------------------------------------------------------------
def test_docs_example_runs():
    """docs/camera.md's Python example runs as written."""
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "camera.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.S)
    assert blocks
    ns: dict = {}
    for block in blocks:
        exec(compile(block, str(doc), "exec"), ns)
    assert ns["moved"].shape == ns["moved3d"].shape == (1, 3, 96, 160)
    assert ns["zooms"].shape == (3, 3, 96, 160) and torch.equal(ns["zooms"][0], ns["frame"][0])
    assert ns["steps"] == {227}
