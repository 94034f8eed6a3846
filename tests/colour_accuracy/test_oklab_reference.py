"""OKLab against published references.

* Ottosson, "A perceptual color space for image processing" (2020),
  https://bottosson.github.io/posts/oklab/ : the table "XYZ -> Oklab" of test values
  (3 decimals), and the linear sRGB -> LMS matrix of the article's reference code, whose
  stated purpose is that sRGB white maps to L = 1, a = b = 0.
* colour-science's independent implementation (``colour.XYZ_to_Oklab``).
* The ACES OCIO config's ACEScg -> CIE XYZ-D65 (Bradford) transform.
* IEC 61966-2-1 (sRGB transfer function), through colour-science.
"""

import numpy as np
import pytest

from chroma import ocio, oklab
from chroma.colour_science import colour

# Ottosson (2020), table of XYZ (D65) -> Oklab test values, published to 3 decimals.
OTTOSSON_TABLE = [
    ((0.950, 1.000, 1.089), (1.000, 0.000, 0.000)),
    ((1.000, 0.000, 0.000), (0.450, 1.236, -0.019)),
    ((0.000, 1.000, 0.000), (0.922, -0.671, 0.263)),
    ((0.000, 0.000, 1.000), (0.153, -1.415, -0.449)),
]


@pytest.mark.parametrize("xyz, lab", OTTOSSON_TABLE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ottosson_table(xyz, lab, dtype):
    got = oklab.xyz_to_oklab(np.array(xyz, dtype))
    assert np.max(np.abs(got - np.array(lab))) < 1e-3


def test_ottosson_table_fails_with_the_srgb_matrix_route_for_xyz_primaries():
    # The table is a property of the XYZ -> LMS matrix: a wrong matrix must miss it.
    wrong = oklab.to_oklab(np.array([1.0, 0.0, 0.0]), "ACEScg")
    assert np.max(np.abs(wrong - np.array(OTTOSSON_TABLE[1][1]))) > 1e-2


def test_agrees_with_colour_science_xyz_to_oklab():
    rng = np.random.default_rng(7)
    xyz = rng.uniform(0.0, 1.2, (10000, 3))
    ref = colour().XYZ_to_Oklab(xyz)
    assert np.max(np.abs(oklab.xyz_to_oklab(xyz) - ref)) < 1e-6
    assert np.max(np.abs(oklab.xyz_to_oklab(xyz.astype(np.float32)) - ref)) < 1e-6
    back = oklab.oklab_to_xyz(ref)
    assert np.max(np.abs(back - colour().Oklab_to_XYZ(ref))) < 1e-6


def test_working_space_route_is_colour_science_within_the_matrix_update():
    # ACEScg -> XYZ D65 (Bradford) -> Oklab in colour-science vs chroma's composed matrix
    # (Ottosson's updated sRGB -> LMS): they differ only by the M1 update, < 5e-4.
    c = colour()
    rng = np.random.default_rng(3)
    rgb = rng.uniform(0.0, 1.0, (2000, 3))
    d65 = c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    xyz = c.RGB_to_XYZ(rgb, c.RGB_COLOURSPACES["ACEScg"], d65, "Bradford")
    ref = c.XYZ_to_Oklab(xyz)
    ours = oklab.to_oklab(rgb, "ACEScg")
    assert np.max(np.abs(ours - ref)) < 5e-4


def test_updated_srgb_matrix_maps_white_to_neutral():
    # Ottosson's reference code: linear sRGB white -> L = 1, a = b = 0.
    lab = oklab.linear_srgb_to_oklab(np.ones(3))
    assert np.max(np.abs(lab - [1.0, 0.0, 0.0])) < 1e-7
    # ... and so are the neutrals of any working space (adapted to D65), unlike the XYZ M1.
    for cs in ("ACEScg", "ACES2065-1", "Linear Rec.2020"):
        lab = oklab.to_oklab(np.full(3, 0.18), cs)
        assert np.hypot(lab[1], lab[2]) < 1e-7, cs
    lab_xyz = oklab.xyz_to_oklab(colour().xy_to_XYZ([0.3127, 0.3290]))
    assert np.hypot(lab_xyz[1], lab_xyz[2]) > 1e-4


def test_acescg_to_xyz_matches_the_aces_ocio_config():
    cfg = ocio.get_config()
    proc = cfg.getProcessor("ACEScg", cfg.getColorSpace("cie_xyz_d65_interchange").getName())
    from_config = ocio.apply_cpu(proc.getDefaultCPUProcessor(), np.eye(3, dtype=np.float32)).astype(np.float64).T
    derived = ocio.rgb_to_xyz_matrix("ACEScg", white="D65")
    assert np.max(np.abs(from_config - derived)) < 1e-6
    # and ACEScg white lands on D65 (xy 0.3127, 0.3290)
    xyz = derived @ np.ones(3)
    assert np.allclose(xyz[:2] / xyz.sum(), [0.3127, 0.3290], atol=1e-6)


def test_srgb_transfer_matches_iec_61966_2_1():
    x = np.linspace(0.0, 1.0, 1001)
    ref = colour().cctf_encoding(x, function="sRGB")
    assert np.max(np.abs(oklab.srgb_encode(x) - ref)) < 1e-12
    assert np.max(np.abs(oklab.srgb_decode(ref) - x)) < 1e-12


def test_hex_white_and_kelvin_d65_are_neutral_in_acescg():
    assert np.allclose(oklab.parse_color("#ffffff"), 1.0, atol=1e-12)
    # 6504 K daylight is D65 to 4 decimals of xy: near-neutral in ACEScg (adapted to D65)
    assert np.allclose(oklab.parse_color("6504K"), 1.0, atol=1e-3)
    # illuminant A (2856 K Planckian), CIE 015: xy (0.4476, 0.4074)
    xyz = oklab.parse_color("2856K", "XYZ")
    assert np.allclose(xyz[:2] / xyz.sum(), [0.4476, 0.4074], atol=2e-4)


def _lab_samples(dtype):
    """Random OKLab values, plus the cases where a hue conversion can go wrong: the wrap at
    0/360 degrees (b a hair either side of 0, signed zeros, a < 0 with b = +-0) and
    achromatic colours (a = b = 0, chroma far below a float's resolution)."""
    rng = np.random.default_rng(13)
    n = 20_000
    lab = np.column_stack([rng.uniform(-0.1, 1.2, n), rng.normal(0.0, 0.2, n), rng.normal(0.0, 0.2, n)])
    tiny = [1e-300, 1e-30, 1e-17, 1e-9]
    special = [(0.5, a, b) for a in (0.3, -0.3) for t in tiny for b in (t, -t)]
    special += [(0.5, 0.3, 0.0), (0.5, 0.3, -0.0), (0.5, -0.3, 0.0), (0.5, -0.3, -0.0),
                (0.5, 0.0, 0.0), (0.5, -0.0, 0.0), (0.5, 0.0, -0.0), (0.5, -0.0, -0.0), (0.0, 0.0, 0.0),
                (1.0, 1e-12, -1e-12), (0.2, -1e-12, 1e-12), (0.7, 0.0, 0.2), (0.7, 0.0, -0.2)]
    return np.vstack([lab, np.array(special)]).astype(dtype)


def _hue_gap(h1, h2):
    """Circular difference of two hues in degrees (359.99... and 0 are close)."""
    return np.abs((np.asarray(h1, np.float64) - h2 + 180.0) % 360.0 - 180.0)


def test_oklab_to_oklch_is_colour_science_oklab_to_oklch():
    # chroma keeps its numpy version (per pixel, and `import chroma` stays free of
    # colour-science); it must be colour.Oklab_to_Oklch exactly, hue wrap and achromatic
    # colours included.
    import colour

    lab = _lab_samples(np.float64)
    ours = oklab.oklab_to_oklch(lab)
    ref = colour.Oklab_to_Oklch(lab)
    assert ours.dtype == np.float64
    assert np.array_equal(ours, ref)  # the same IEEE operations: equal to the last bit
    assert np.all((ours[:, 2] >= 0.0) & (ours[:, 2] <= 360.0))


def test_oklab_to_oklch_float32_is_colour_science_within_float32():
    import colour

    lab = _lab_samples(np.float32)
    ours = oklab.oklab_to_oklch(lab)
    ref = colour.Oklab_to_Oklch(lab.astype(np.float64))
    assert ours.dtype == np.float32
    assert np.array_equal(ours[:, 0], ref[:, 0].astype(np.float32))
    assert np.allclose(ours[:, 1], ref[:, 1], rtol=1e-6, atol=1e-30)
    chromatic = ref[:, 1] > 1e-4  # below that, float32 rounding of a and b moves the hue itself
    assert np.max(_hue_gap(ours[chromatic, 2], ref[chromatic, 2])) < 1e-3
    assert np.array_equal(ours[ref[:, 1] == 0, 2], ref[ref[:, 1] == 0, 2].astype(np.float32))


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-15), (np.float32, 1e-6)])
def test_oklch_to_oklab_is_colour_science_oklch_to_oklab(dtype, atol):
    import colour

    rng = np.random.default_rng(7)
    n = 20_000
    hues = np.concatenate([rng.uniform(-720.0, 1080.0, n), [0.0, 360.0, -360.0, 180.0, -0.0, 720.0, 359.9999999]])
    lch = np.column_stack([rng.uniform(-0.1, 1.2, hues.size), rng.uniform(0.0, 0.5, hues.size), hues])
    lch[:5, 1] = 0.0  # achromatic: any hue gives a = b = 0
    lch = lch.astype(dtype)
    ours = oklab.oklch_to_oklab(lch)
    ref = colour.Oklch_to_Oklab(lch.astype(np.float64))
    assert ours.dtype == dtype
    assert np.max(np.abs(ours - ref)) < atol
    assert np.all(ours[:5, 1:] == 0.0)
