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


# ------------------------------------------------------------------- the cache registry


def _write_config(path: Path, rgb_to_xyz: np.ndarray) -> None:
    """A minimal config, written with OCIO's own API: CIE XYZ-D65 as the reference and one
    scene-linear space ``test_linear`` whose primaries are the columns of ``rgb_to_xyz``."""
    import PyOpenColorIO as OCIO

    cfg = OCIO.Config.CreateRaw()
    xyz = OCIO.ColorSpace(OCIO.REFERENCE_SPACE_SCENE, "CIE XYZ-D65", encoding="scene-linear")
    m44 = np.eye(4)
    m44[:3, :3] = rgb_to_xyz
    lin = OCIO.ColorSpace(OCIO.REFERENCE_SPACE_SCENE, "test_linear", encoding="scene-linear",
                          toReference=OCIO.MatrixTransform(m44.ravel().tolist()))
    cfg.addColorSpace(xyz)
    cfg.addColorSpace(lin)
    cfg.setRole("cie_xyz_d65_interchange", "CIE XYZ-D65")
    cfg.setRole("scene_linear", "test_linear")
    path.write_text(cfg.serialize())


def test_clear_caches_forgets_every_matrix_derived_from_a_config(tmp_path):
    """Rewrite a config with other primaries: after clear_caches() every derived matrix follows."""
    from chroma import colorimetry, oklab, stops, whitebalance
    from chroma.colour_science import colour
    from chroma.lights.light import scene_linear_matrices

    c = colour()
    path = tmp_path / "config.ocio"
    a = np.asarray(c.RGB_COLOURSPACES["sRGB"].matrix_RGB_to_XYZ, np.float64)
    b = np.asarray(c.RGB_COLOURSPACES["ITU-R BT.2020"].matrix_RGB_to_XYZ, np.float64)
    d65 = c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    a_xy = (0.44757, 0.40745)  # illuminant A

    def derived() -> dict[str, np.ndarray]:
        cfg = str(path)
        return {
            "rgb_to_xyz_matrix": colorimetry.rgb_to_xyz_matrix("test_linear", cfg),
            "rgb_to_xyz_matrix D65": colorimetry.rgb_to_xyz_matrix("test_linear", cfg, white="D65"),
            "luminance": stops.luminance(np.array([0.2, 0.5, 0.8]), "test_linear", cfg),
            "adaptation_matrix": whitebalance.adaptation_matrix(a_xy, d65, "test_linear", "Bradford", cfg),
            "oklab": oklab.to_oklab(np.array([0.2, 0.5, 0.8]), "test_linear", config=cfg),
            "oklab float32": oklab.to_oklab(np.array([0.2, 0.5, 0.8], np.float32), "test_linear", config=cfg),
            "lights": scene_linear_matrices("test_linear", cfg)[1],
        }

    def expected(m: np.ndarray) -> dict[str, np.ndarray]:  # colour-science from the primaries
        cat = c.adaptation.matrix_chromatic_adaptation_VonKries(
            c.xy_to_XYZ(a_xy), c.xy_to_XYZ(d65), transform="Bradford")
        return {
            "rgb_to_xyz_matrix": m,
            "rgb_to_xyz_matrix D65": m,
            "luminance": m[1] @ [0.2, 0.5, 0.8],
            "adaptation_matrix": np.linalg.inv(m) @ cat @ m,
            "oklab": c.XYZ_to_Oklab(m @ [0.2, 0.5, 0.8]),
            "oklab float32": c.XYZ_to_Oklab(m @ [0.2, 0.5, 0.8]),
            "lights": np.linalg.inv(m),
        }

    # OKLab: chroma goes through Ottosson's refined sRGB -> LMS matrix, within 2e-4 of
    # colour-science's XYZ -> LMS; the two configs' OKLab values differ by 0.02 or more.
    atol = {"oklab": 2e-4, "oklab float32": 2e-4}
    try:
        _write_config(path, a)
        for key, value in derived().items():
            np.testing.assert_allclose(value, expected(a)[key], atol=atol.get(key, 2e-6), err_msg=key)
        _write_config(path, b)  # same path, other primaries
        ocio.clear_caches()
        for key, value in derived().items():
            np.testing.assert_allclose(value, expected(b)[key], atol=atol.get(key, 2e-6), err_msg=key)
            assert not np.allclose(value, expected(a)[key], atol=1e-2), key  # the configs differ there
    finally:
        ocio.clear_caches()


def test_register_cache_takes_caches_only():
    import functools

    from chroma import caches

    @functools.lru_cache(maxsize=2)
    def square(x: int) -> int:
        return x * x

    assert caches.register_cache(square) is square
    assert caches.register_cache(square) is square  # once, however often registered
    assert sum(c is square for c in caches.registered_caches()) == 1
    square(3)
    ocio.clear_caches()
    assert square.cache_info().currsize == 0
    table: dict[str, int] = {"a": 1}
    caches.register_cache(table)
    ocio.clear_caches()
    assert table == {}
    with pytest.raises(TypeError, match="not a cache"):
        caches.register_cache(42)


def test_colorimetry_names_still_import_from_ocio():
    from chroma import colorimetry
    from chroma.ocio import CHROMATICITIES, luminance_weights, rgb_to_xyz_matrix

    assert rgb_to_xyz_matrix is colorimetry.rgb_to_xyz_matrix
    assert luminance_weights is colorimetry.luminance_weights
    assert CHROMATICITIES is colorimetry.CHROMATICITIES
    assert "rgb_to_xyz_matrix" in dir(ocio)
    with pytest.raises(AttributeError):
        ocio.no_such_name  # noqa: B018


def test_derived_matrices_follow_a_changed_ocio_variable(tmp_path, monkeypatch):
    """config=None means "$OCIO now": a cache keyed by None would keep the old config's matrix."""
    from chroma import whitebalance
    from chroma.colour_science import colour

    c = colour()
    matrices = {}
    for name, space in (("a", "sRGB"), ("b", "ITU-R BT.2020")):
        matrices[name] = np.asarray(c.RGB_COLOURSPACES[space].matrix_RGB_to_XYZ, np.float64)
        _write_config(tmp_path / f"{name}.ocio", matrices[name])
    d65 = c.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]
    a_xy = (0.44757, 0.40745)
    cat = c.adaptation.matrix_chromatic_adaptation_VonKries(c.xy_to_XYZ(a_xy), c.xy_to_XYZ(d65), transform="Bradford")
    try:
        for name in ("a", "b"):
            monkeypatch.setenv("OCIO", str(tmp_path / f"{name}.ocio"))
            m = matrices[name]
            got = whitebalance.adaptation_matrix(a_xy, d65, "test_linear", "Bradford")
            np.testing.assert_allclose(got, np.linalg.inv(m) @ cat @ m, atol=2e-6, err_msg=name)
    finally:
        ocio.clear_caches()
