"""chroma.ambient against analytic results and published constants, never its own output.

References: Ramamoorthi & Hanrahan 2001, "An Efficient Representation for Irradiance
Environment Maps" (eq. 3 basis constants, eq. 8-9 A_l); OpenImageIO's ``environment()``
lat-long lookup (the convention); the addition theorem / Funk-Hecke for a point source.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from chroma import ambient

SIZES = [(1024, 512), (256, 128)]


def unit_normals(n=4000, seed=5):
    v = np.random.default_rng(seed).normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_constants_match_ramamoorthi_hanrahan():
    # R&H 2001 eq. 3 (to the 6 digits printed there) and eq. 8-9
    assert ambient.K0 == pytest.approx(0.282095, abs=5e-7)
    assert ambient.K1 == pytest.approx(0.488603, abs=5e-7)
    assert ambient.K2 == pytest.approx(1.092548, abs=5e-7)
    assert ambient.K3 == pytest.approx(0.315392, abs=5e-7)
    assert ambient.K4 == pytest.approx(0.546274, abs=5e-7)
    assert ambient.A_L == pytest.approx((math.pi, 2 * math.pi / 3, math.pi / 4))


@pytest.mark.parametrize("size", SIZES)
def test_constant_environment_irradiance_is_pi_L(size):
    w, h = size
    L = np.array([0.7, 1.3, 2.9], np.float32)
    sh = ambient.project(np.broadcast_to(L, (h, w, 3)).copy())
    n = unit_normals()
    e = sh.irradiance(n)
    np.testing.assert_allclose(e, np.pi * np.broadcast_to(L, e.shape), rtol=1e-4)
    # and the radiance is L in every direction
    np.testing.assert_allclose(sh.radiance(n), np.broadcast_to(L, e.shape), rtol=1e-4)


@pytest.mark.parametrize("size", SIZES)
def test_solid_angles_are_exact(size):
    w, h = size
    omega = ambient.latlong_solid_angles(w, h)
    assert omega.sum() * w == pytest.approx(4 * np.pi, rel=1e-12)
    # a polar cap of rows down to latitude lat has solid angle 2 pi (1 - sin lat)
    k = h // 8
    lat = np.pi * (0.5 - k / h)
    assert omega[:k].sum() * w == pytest.approx(2 * np.pi * (1 - np.sin(lat)), rel=1e-12)


def _small_source(w, h, s, sigma_deg=1.0):
    """A tiny smooth source around direction ``s`` normalised to unit normal irradiance on
    the pixel grid (sum of radiance x exact pixel solid angle = 1)."""
    sig = math.radians(sigma_deg)
    lobe = ambient.equirect(lambda d: np.exp(-(1.0 - d @ s) / sig**2), w, h)
    lobe /= (lobe * ambient.latlong_solid_angles(w, h)[:, None]).sum()
    return np.repeat(lobe[..., None], 3, axis=2)


def test_point_source_irradiance_follows_clamped_cosine_within_order2_error():
    s = np.array([0.4, 0.6, -0.5])
    s /= np.linalg.norm(s)
    sh = ambient.project(_small_source(1024, 512, s))
    n = unit_normals(20000)
    c = n @ s
    e = sh.irradiance(n)[:, 1].astype(np.float64)
    # the order-2 approximation of the clamped cosine (R&H 2001 eq. 7-9, Funk-Hecke):
    # sum_l A_l (2l+1)/(4 pi) P_l(cos) = 1/4 + cos/2 + 5/32 (3 cos^2 - 1)
    order2 = 0.25 + 0.5 * c + 5.0 / 32.0 * (3 * c * c - 1)
    np.testing.assert_allclose(e, order2, atol=2e-3)  # finite source width (1 deg)
    err = np.abs(e - np.clip(c, 0, None))
    # the stated bound: 0.09375 of the normal irradiance, reached at grazing incidence
    assert err.max() <= ambient.POINT_SOURCE_MAX_ERROR + 2e-3
    assert err.max() > 0.09
    # facing the source: 1/4 + 1/2 + 5/16 = 1.0625
    assert sh.irradiance(s)[0] == pytest.approx(1.0625, abs=2e-3)


@pytest.mark.parametrize("size, bound", [((1024, 512), 1.5e-5), ((256, 128), 2.5e-4)])
def test_basis_is_orthonormal_under_projection(size, bound):
    """Projecting each basis function (sampled at pixel centres) gives the unit vector.
    The discretisation error (point sampling of the basis vs exact pixel integration) is
    O(1/height^2): 1.4e-4 at 256x128 and 8.7e-6 at 1024x512 measured."""
    w, h = size
    b = ambient.basis(ambient.latlong_directions(w, h))
    gram = np.stack([ambient.project(np.repeat(b[..., k : k + 1], 3, axis=2)).coefficients[:, 0] for k in range(9)])
    err = np.abs(gram - np.eye(9)).max()
    assert err <= bound


def test_orthonormality_error_is_second_order():
    errs = []
    for w, h in [(128, 64), (512, 256)]:
        b = ambient.basis(ambient.latlong_directions(w, h))
        gram = np.stack([ambient.project(np.repeat(b[..., k : k + 1], 3, axis=2)).coefficients[:, 0] for k in range(9)])
        errs.append(np.abs(gram - np.eye(9)).max())
    assert errs[0] / errs[1] == pytest.approx(16.0, rel=0.15)  # 4x the resolution: 16x smaller


def _env(d):
    s = np.array([0.3, 0.8, 0.52])
    s /= np.linalg.norm(s)
    sun = np.exp(6.0 * (d @ s - 1.0)) * 20.0
    return np.stack([sun + 1.0 + d[..., 0], sun + 0.5 + 0.3 * d[..., 1], 0.5 * sun + 0.2 + 0.1 * d[..., 2] ** 2], -1)


@pytest.mark.parametrize("ypr", [(30, 20, 10), (-120, 45, 0), (0, 0, 90), (200, -60, 33)])
def test_rotating_coefficients_equals_projecting_rotated_hdri(ypr):
    w, h = 1024, 512
    R = ambient.rotation_matrix(*ypr)
    sh = ambient.project(ambient.equirect(_env, w, h))
    # rotated environment: L'(d) = L(R^-1 d); rows of d @ R are R^T d
    rotated = ambient.project(ambient.equirect(lambda d: _env(d @ R), w, h))
    got = sh.rotated(*ypr).coefficients
    scale = np.abs(rotated.coefficients).max()
    assert np.abs(got - rotated.coefficients).max() / scale < 1e-4


def test_yaw_equals_sliding_the_latlong_image():
    """Sliding the image left by k columns is exactly a yaw of 360 k / width degrees."""
    w, h, k = 512, 256, 37
    img = ambient.equirect(_env, w, h)
    sh = ambient.project(img)
    slid = ambient.project(np.roll(img, -k, axis=1))
    np.testing.assert_allclose(sh.rotated(360.0 * k / w).coefficients, slid.coefficients, rtol=0, atol=2e-5)


def test_latlong_convention_matches_oiio_environment(tmp_path):
    """OIIO's environment() lookup (y up) returns the pixel our mapping says."""
    oiio = pytest.importorskip("OpenImageIO")
    w, h = 64, 32
    px = np.zeros((h, w, 3), np.float32)
    px[..., 0] = np.arange(w)[None, :]
    px[..., 1] = np.arange(h)[:, None]
    buf = oiio.ImageBuf(oiio.ImageSpec(w, h, 3, "float"))
    buf.set_pixels(oiio.ROI(), px)
    tex = str(tmp_path / "env.tx")
    assert oiio.ImageBufAlgo.make_texture(oiio.MakeTxEnvLatl, buf, tex, oiio.ImageSpec(w, h, 3, "float"))
    ts = oiio.TextureSystem()
    opt = oiio.TextureOpt()
    opt.interpmode = oiio.InterpMode.Closest
    opt.mipmode = oiio.MipMode.NoMIP
    dirs = ambient.latlong_directions(w, h)
    rng = np.random.default_rng(3)
    for row, col in zip(rng.integers(1, h - 1, 60), rng.integers(0, w, 60)):
        got = ts.environment(tex, opt, tuple(dirs[row, col]), (0, 0, 0), (0, 0, 0), 3)
        assert (round(got[0]), round(got[1])) == (col, row)
    # and the named axes
    for d, (col, row) in {(0, 0, 1): (w / 2, h / 2), (1, 0, 0): (w / 4, h / 2), (-1, 0, 0): (3 * w / 4, h / 2)}.items():
        u, v = ambient.direction_to_latlong(np.array(d, float))
        assert (u * w, v * h) == pytest.approx((col, row))


def test_ambient_kelvin_of_a_uniform_environment():
    """A uniform environment of the colour-science chromaticity of 3200 K (Planckian) has
    ambient CCT 3200 K and Duv 0."""
    from chroma import ocio
    from chroma.colour_science import colour

    c = colour()
    xy = np.asarray(c.UCS_uv_to_xy(c.temperature.CCT_to_uv_Ohno2013(np.array([3200.0, 0.0]))))
    xyz = np.array([xy[0] / xy[1], 1.0, (1 - xy.sum()) / xy[1]])
    rgb = np.linalg.solve(ocio.normalised_primary_matrix(ocio.chromaticities("ACEScg")), xyz)  # SMPTE RP 177
    sh = ambient.project(np.broadcast_to(rgb.astype(np.float32), (128, 256, 3)).copy())
    k, duv = sh.ambient_white()
    assert k == pytest.approx(3200.0, abs=1.0)
    assert duv == pytest.approx(0.0, abs=5e-5)


def test_dominant_direction_and_colour_of_a_single_source():
    s = np.array([-0.2, 0.7, 0.6])
    s /= np.linalg.norm(s)
    env = _small_source(512, 256, s, 1.5) * np.array([2.0, 1.0, 0.5], np.float32)
    d, colour = ambient.project(env).dominant_light()
    assert np.degrees(np.arccos(np.clip(d @ s, -1, 1))) < 0.5
    # the normal irradiance of the source, per channel (within the 1.5 deg source width)
    np.testing.assert_allclose(colour, [2.0, 1.0, 0.5], rtol=3e-3)
