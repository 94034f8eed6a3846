import sys
from pathlib import Path

import numpy as np
import pytest

from chroma import ocio
from chroma.errors import ColorSpaceError

REPO = Path(__file__).resolve().parent.parent


def test_resolution_order(tmp_path, monkeypatch):
    bundled = ocio.bundled_config_path()
    assert bundled == REPO / "ocio_configs" / "chroma" / "config.ocio"
    assert ocio.config_path() == str(bundled)
    monkeypatch.setenv("OCIO", "ocio://cg-config-v4.0.0_aces-v2.0_ocio-v2.5")
    assert ocio.config_path() == "ocio://cg-config-v4.0.0_aces-v2.0_ocio-v2.5"
    assert ocio.get_config().getName().startswith("cg-config")
    assert ocio.config_path(str(bundled)) == str(bundled)  # explicit beats $OCIO


def test_missing_config_is_a_user_error(monkeypatch, tmp_path):
    monkeypatch.setenv("OCIO", str(tmp_path / "nope.ocio"))
    with pytest.raises(ColorSpaceError, match="does not exist"):
        ocio.get_config()


def test_names_aliases_roles_and_interop_ids_resolve():
    for name in ("ACEScg", "acescg", "lin_ap1_scene", "ACES - ACEScg", "scene_linear", "chroma_working"):
        assert ocio.resolve_colorspace(name) == "ACEScg"
    assert ocio.resolve_colorspace("aces_interchange") == "ACES2065-1"


def test_unknown_colorspace_lists_close_names():
    with pytest.raises(ColorSpaceError) as err:
        ocio.resolve_colorspace("ACEScgg")
    assert "'ACEScg'" in str(err.value) and "did you mean" in str(err.value)


def test_acescg_to_aces2065_matches_published_matrix(rng):
    # AP1 -> AP0, SMPTE S-2014-004 (ACEScg specification), section 4.1.2
    m = np.array(
        [[0.6954522414, 0.1406786965, 0.1638690622],
         [0.0447945634, 0.8596711185, 0.0955343182],
         [-0.0055258826, 0.0040252103, 1.0015006723]]
    )
    rgb = rng.random((64, 3)).astype(np.float32) * 8
    out = ocio.convert(rgb, "ACEScg", "ACES2065-1")
    np.testing.assert_allclose(out, rgb @ m.T, rtol=1e-5, atol=1e-6)
    back = ocio.convert(out, "ACES2065-1", "ACEScg")
    np.testing.assert_allclose(back, rgb, rtol=1e-6, atol=1e-6)


def test_large_buffers_match_small_ones(rng):
    big = rng.random((700, 800, 3)).astype(np.float32)  # threaded strips
    out = ocio.convert(big, "ACEScg", "Linear Rec.709 (sRGB)")
    ref = ocio.apply_cpu(ocio.processor("ACEScg", "Linear Rec.709 (sRGB)"), big[:10])
    np.testing.assert_array_equal(out[:10], ref)


def test_srgb_encoding_matches_iec_61966_2_1():
    lin = np.array([[0.0, 0.0031308, 0.18, 1.0]], np.float32).T.repeat(3, 1)
    enc = ocio.convert(lin, "Linear Rec.709 (sRGB)", "sRGB Encoded Rec.709 (sRGB)")[:, 0]
    ref = np.where(lin[:, 0] <= 0.0031308, 12.92 * lin[:, 0], 1.055 * lin[:, 0] ** (1 / 2.4) - 0.055)
    np.testing.assert_allclose(enc, ref, atol=2e-5)


def test_display_view_and_inverse(rng):
    rgb = rng.random((32, 3)).astype(np.float32) * 2
    disp = ocio.display_view(rgb, "ACEScg")
    assert disp.shape == rgb.shape and np.all(disp <= 1.0 + 1e-4)
    # ACES 2.0 compresses gamut, so scene -> display is not injective; display -> scene ->
    # display is, for display values inside the display's gamut.
    shown = (0.05 + 0.9 * rng.random((32, 3))).astype(np.float32)
    scene = ocio.display_view(shown, "ACEScg", inverse=True)
    np.testing.assert_allclose(ocio.display_view(scene, "ACEScg"), shown, atol=2e-3)
    with pytest.raises(ColorSpaceError, match="unknown view"):
        ocio.display_view(rgb, "ACEScg", view="Filmic")
    with pytest.raises(ColorSpaceError, match="unknown display"):
        ocio.display_view(rgb, "ACEScg", display="sRGB")


def test_default_view_follows_the_viewing_rules(rng):
    # scene-linear and log spaces are tone-mapped; an sRGB-encoded image is already display
    # code values: shown through the colorimetric view it reaches the sRGB display unchanged
    # (sRGB encoding = sRGB display EOTF inverse, IEC 61966-2-1), not tone-mapped again.
    assert ocio.default_view(None, "ACEScg").startswith("ACES 2.0 - SDR")
    assert ocio.default_view(None, "ACEScct").startswith("ACES 2.0 - SDR")
    assert ocio.default_view(None, "sRGB Encoded Rec.709 (sRGB)") == "Video (colorimetric)"
    code = rng.random((64, 3)).astype(np.float32)
    np.testing.assert_allclose(ocio.display_view(code, "sRGB Encoded Rec.709 (sRGB)"), code, atol=1e-4)
    tone_mapped = ocio.display_view(code, "sRGB Encoded Rec.709 (sRGB)", view=ocio.default_view(None, "ACEScg"))
    assert np.abs(tone_mapped - code).max() > 0.05  # the old default changed sRGB images


def test_luminance_weights_are_the_published_npm_rows():
    # AP1 NPM, S-2014-004 4.1.2; Rec.709 Y coefficients, ITU-R BT.709-6 item 3.2
    np.testing.assert_allclose(ocio.luminance_weights("ACEScg"), [0.2722287168, 0.6740817658, 0.0536895174], atol=1e-6)
    np.testing.assert_allclose(ocio.luminance_weights("lin_srgb"), [0.2126, 0.7152, 0.0722], atol=1e-4)


def test_file_rules_read_exr_as_acescg_unless_the_path_says_otherwise():
    assert ocio.colorspace_from_path("shot/plate.1001.exr") == "ACEScg"
    assert ocio.colorspace_from_path("shot/plate_ACES2065-1.1001.exr") == "ACES2065-1"
    assert ocio.colorspace_from_path("bg_lin_rec709.exr") == "Linear Rec.709 (sRGB)"
    assert ocio.colorspace_from_path("ref.png") == "sRGB Encoded Rec.709 (sRGB)"


def test_looks_and_the_warm_lut(rng):
    assert {"chroma_warm", "chroma_plus_one_stop"} <= set(ocio.list_looks())
    rgb = rng.random((16, 3)).astype(np.float32)
    np.testing.assert_allclose(ocio.apply_looks(rgb, "ACEScg", "chroma_plus_one_stop"), rgb * 2, rtol=1e-6)
    # the warm look is ACEScct + (0.02, 0, -0.02); check it against that definition
    cct = ocio.convert(rgb * 0.5 + 0.05, "ACEScg", "ACEScct")
    expected = ocio.convert(np.clip(cct + [0.02, 0.0, -0.02], 0, 1).astype(np.float32), "ACEScct", "ACEScg")
    np.testing.assert_allclose(ocio.apply_looks(rgb * 0.5 + 0.05, "ACEScg", "chroma_warm"), expected, rtol=1e-3, atol=1e-5)
    with pytest.raises(ColorSpaceError, match="unknown look"):
        ocio.apply_looks(rgb, "ACEScg", "chroma_worm")


def test_bundled_config_is_what_the_generator_writes():
    sys.path.insert(0, str(REPO / "ocio_configs"))
    try:
        import generate
    finally:
        sys.path.pop(0)
    assert generate.build().serialize() == (REPO / "ocio_configs" / "chroma" / "config.ocio").read_text()
    assert generate.warm_lut() == (REPO / "luts" / "chroma_warm.cube").read_text()


def test_oiiotool_reads_the_bundled_config():
    """OIIO's own OCIO (2.5) must read the pinned config: both tools then agree."""
    import shutil
    import subprocess

    tool = shutil.which("oiiotool") or str(Path(sys.executable).parent / "oiiotool")
    out = subprocess.run([tool, "--colorconfig", str(ocio.bundled_config_path()), "--colorconfiginfo"],
                         capture_output=True, text=True, check=True).stdout
    assert "ACEScg" in out and "chroma_warm" in out


def test_chromaticity_table_agrees_with_colour_science():
    from chroma.colour_science import colour

    for ocio_name, (cs_name, values) in ocio.CHROMATICITIES.items():
        space = colour().RGB_COLOURSPACES[cs_name]
        expected = [*np.ravel(space.primaries), *space.whitepoint]
        np.testing.assert_allclose(values, expected, atol=1e-9, err_msg=ocio_name)
        np.testing.assert_allclose(
            ocio.normalised_primary_matrix(values),
            colour().normalised_primary_matrix(space.primaries, space.whitepoint),
            atol=1e-12, err_msg=ocio_name,
        )
        assert ocio.resolve_colorspace(ocio_name) == ocio_name


def test_one_scene_linear_check():
    """White balance, grades, OKLab and lights refuse a non-linear space with the same error."""
    from chroma import oklab, whitebalance
    from chroma.errors import ChromaValueError, ColorSpaceError, SceneLinearError
    from chroma.grade import Grade
    from chroma.lights import Light

    assert ocio.require_scene_linear("lin_ap1_scene") == "ACEScg"
    calls = [lambda: whitebalance.white_balance_matrix(3200, colorspace="ACEScct"),
             lambda: Grade([], colorspace="ACEScct"),
             lambda: oklab.to_oklab(np.ones(3), "ACEScct"),
             lambda: Light.blackbody(3200).rgb("ACEScct")]
    for call in calls:
        with pytest.raises(SceneLinearError, match="'ACEScct' is not scene-linear") as exc:
            call()
        assert isinstance(exc.value, ColorSpaceError) and isinstance(exc.value, ChromaValueError)
