import json
import os
import warnings

import numpy as np
import OpenEXR
import pytest

from chroma import Image, read, write
from chroma.errors import ChromaIOError, ChromaValueError
from chroma.io import ChromaWarning, write_display

# Published chromaticities: AP1 (SMPTE S-2014-004), AP0 (SMPTE ST 2065-1), Rec.709 (ITU-R BT.709-6)
AP1 = (0.713, 0.293, 0.165, 0.830, 0.128, 0.044, 0.32168, 0.33767)
AP0 = (0.7347, 0.2653, 0.0, 1.0, 0.0001, -0.0770, 0.32168, 0.33767)
REC709 = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)


def test_float_round_trip_is_exact(make_image, tmp_path):
    img = make_image()
    img.metadata.update({"chroma/shot": "sh010", "chroma/take": 3, "chroma/gain": 1.25})
    path = write(img, tmp_path / "a.exr", dtype="float")
    back = read(path)
    np.testing.assert_array_equal(back.pixels, img.pixels)
    assert back.channels == img.channels
    assert back.colorspace == "ACEScg"
    for key in ("chroma/shot", "chroma/take", "chroma/gain"):
        assert back.metadata[key] == img.metadata[key]


def test_half_round_trip_within_half_precision(make_image, tmp_path):
    img = make_image(channels=("R", "G", "B", "A", "Z"), scale=1000.0)
    back = read(write(img, tmp_path / "h.exr"))
    assert back.metadata["oiio:datatype"] == "half"
    # half has an 11-bit significand: relative error <= 2**-11 after rounding
    np.testing.assert_allclose(back.pixels, img.pixels, rtol=2.0**-11, atol=2.0**-24)
    assert back.channels == ["R", "G", "B", "A", "Z"]


def test_extra_metadata_goes_under_chroma_prefix(make_image, tmp_path):
    back = read(write(make_image(), tmp_path / "m.exr", metadata={"shot": "sh020", "chroma/frame": 1001}))
    assert back.metadata["chroma/shot"] == "sh020"
    assert back.metadata["chroma/frame"] == 1001


# DD draws seeds with random.randint(0, 2**32) and frame i uses seed + i; EXR's int is int32.
SEEDS = [2934575631, 2**32 + 4529, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1, 0, -1, 2**62 + 7]


@pytest.mark.parametrize("seed", SEEDS)
def test_any_integer_metadata_round_trips_exactly(make_image, tmp_path, seed):
    path = write(make_image(), tmp_path / "s.exr", metadata={"seed": seed, "frames": np.int64(seed)})
    back = read(path)
    assert back.metadata["chroma/seed"] == seed and type(back.metadata["chroma/seed"]) is int
    assert back.metadata["chroma/frames"] == seed
    # What Nuke and exrheader see (OpenEXR's own reader): an int where it fits, else the exact digits
    raw = OpenEXR.File(str(path)).header()["chroma/seed"]
    assert raw == (seed if -(2**31) <= seed < 2**31 else str(seed))


def test_strings_that_only_look_like_integers_stay_strings(make_image, tmp_path):
    values = {"a": "2934575631x", "b": "02934575631", "c": "+2934575631", "d": "123", "e": "1e10"}
    back = read(write(make_image(), tmp_path / "t.exr", metadata=values))
    assert {k: back.metadata[f"chroma/{k}"] for k in values} == values


def test_integer_lists_beyond_int32_are_kept_as_text(make_image, tmp_path):
    back = read(write(make_image(), tmp_path / "l.exr", metadata={"seeds": [2**32, 1], "small": (1, 2)}))
    assert json.loads(back.metadata["chroma/seeds"]) == [2**32, 1]
    assert back.metadata["chroma/small"] == (1, 2)


@pytest.mark.parametrize(
    "colorspace, expected",
    [("ACEScg", AP1), ("ACES2065-1", AP0), ("Linear Rec.709 (sRGB)", REC709), ("lin_srgb", REC709)],
)
def test_independent_reader_sees_chromaticities(make_image, tmp_path, colorspace, expected):
    path = write(make_image(colorspace=colorspace), tmp_path / "c.exr")
    header = OpenEXR.File(str(path)).header()
    np.testing.assert_allclose(header["chromaticities"], expected, atol=1e-6)
    back = read(path)
    assert back.colorspace == read(path, colorspace=colorspace).colorspace


@pytest.mark.parametrize(
    "name, enum",
    [("zip", "ZIP_COMPRESSION"), ("piz", "PIZ_COMPRESSION"), ("dwaa", "DWAA_COMPRESSION"), ("none", "NO_COMPRESSION")],
)
def test_independent_reader_sees_compression(make_image, tmp_path, name, enum):
    path = write(make_image(), tmp_path / f"{name}.exr", compression=name, dwa_level=60)
    header = OpenEXR.File(str(path)).header()
    assert header["compression"] == getattr(OpenEXR.Compression, enum)


def test_colorspace_read_from_chromaticities_when_no_name(tmp_path):
    """An EXR with AP0 chromaticities and no colour-space attribute reads as ACES2065-1,
    although the file rules would say ACEScg."""
    import OpenImageIO as oiio

    spec = oiio.ImageSpec(4, 4, 3, "half")
    spec.attribute("chromaticities", oiio.TypeDesc("float[8]"), AP0)
    out = oiio.ImageOutput.create(str(tmp_path / "p.exr"))
    out.open(str(tmp_path / "p.exr"), spec)
    out.write_image(np.ones((4, 4, 3), np.float32))
    out.close()
    assert read(tmp_path / "p.exr").colorspace == "ACES2065-1"


@pytest.mark.parametrize("ext", ["png", "tif", "jpg", "dpx"])
def test_reads_other_formats(tmp_path, ext):
    img = Image(np.linspace(0, 1, 8 * 8 * 3, dtype=np.float32).reshape(8, 8, 3), colorspace="sRGB Encoded Rec.709 (sRGB)")
    path = write(img, tmp_path / f"x.{ext}")
    back = read(path)
    assert (back.width, back.height) == (8, 8)
    assert back.metadata["oiio:format"]
    tol = 0.05 if ext == "jpg" else 1 / 255
    np.testing.assert_allclose(back.rgb, img.rgb, atol=tol)


def test_nan_inf_and_half_overflow_are_reported(tmp_path):
    px = np.ones((4, 4, 3), np.float32)
    px[0, 0, 0] = np.nan
    px[0, 1, 1] = np.inf
    px[0, 2, 2] = 1e5
    img = Image(px)
    with pytest.warns(ChromaWarning, match="1 nan, 1 inf, 1 half overflow"):
        write(img, tmp_path / "w.exr")
    with pytest.raises(ChromaValueError, match="not writing"):
        write(img, tmp_path / "e.exr", on_invalid="error")
    assert not (tmp_path / "e.exr").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = read(write(img, tmp_path / "c.exr", on_invalid="clamp"))
    assert np.isfinite(back.pixels).all()
    assert back.pixels.max() == 65504.0
    # the clamp policy, read back with the OpenEXR library (not chroma's reader): NaN -> 0,
    # +Inf and 1e5 -> the half maximum 65504, -Inf -> -65504; the clean values untouched
    px[1, 0, 0] = -np.inf
    write(Image(px), tmp_path / "c2.exr", on_invalid="clamp")
    with OpenEXR.File(str(tmp_path / "c2.exr")) as f:
        rgb = f.channels()["RGB"].pixels.astype(np.float32)
    assert (rgb[0, 0, 0], rgb[0, 1, 1], rgb[0, 2, 2], rgb[1, 0, 0]) == (0.0, 65504.0, 65504.0, -65504.0)
    assert (rgb[2:] == 1.0).all()
    # float output has no overflow at 1e5
    with pytest.warns(ChromaWarning) as rec:
        write(img, tmp_path / "f.exr", dtype="float")
    assert "half overflow" not in str(rec[0].message)


def test_writes_are_atomic_and_leave_no_temp_files(make_image, tmp_path):
    write(make_image(), tmp_path / "a.exr")
    assert sorted(os.listdir(tmp_path)) == ["a.exr"]
    with pytest.raises(ChromaValueError):
        write(make_image(), tmp_path / "b.exr", compression="lzma")
    assert sorted(os.listdir(tmp_path)) == ["a.exr"]


def test_temp_names_differ_between_hosts_with_the_same_pid(tmp_path, monkeypatch):
    """Two farm machines writing one network folder may run the same pid: the host name
    tells their temporary files apart (the random token is held fixed here, so only the
    host can)."""
    import secrets
    import socket

    from chroma.io import temp_path_for

    monkeypatch.setattr(os, "getpid", lambda: 4242)
    monkeypatch.setattr(secrets, "token_hex", lambda n=None: "0" * 8)
    names = {}
    for host in ("node-a.farm", "node-b.farm"):
        monkeypatch.setattr(socket, "gethostname", lambda host=host: host)
        names[host] = temp_path_for(tmp_path / "frame.1001.exr")
    assert names["node-a.farm"] != names["node-b.farm"]
    assert names["node-a.farm"].name == ".frame.1001.exr.chroma-tmp-node-a.farm-4242-00000000.exr"
    # a host name that is no file name (a slash, spaces) stays in the target's folder
    monkeypatch.setattr(socket, "gethostname", lambda: "render/farm 01")
    odd = temp_path_for(tmp_path / "frame.1001.exr")
    assert odd.parent == tmp_path and odd.name == ".frame.1001.exr.chroma-tmp-render_farm_01-4242-00000000.exr"


def test_temp_names_differ_within_one_process(tmp_path):
    from chroma.io import temp_path_for

    names = {temp_path_for(tmp_path / "a.exr") for _ in range(100)}  # e.g. two threads, one target
    assert len(names) == 100
    assert all(n.parent == tmp_path and n.name.startswith(".a.exr.chroma-tmp-") and n.suffix == ".exr" for n in names)


def test_a_failed_write_leaves_no_temp_file_and_the_old_target(tmp_path):
    import render.atomic
    from chroma.io import atomic_path, write_text

    assert atomic_path is render.atomic.atomic_path  # one helper for chroma and render
    target = write_text(tmp_path / "notes.txt", "old")
    seen = []
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            seen.append(tmp)
            raise OSError("disk full")
    assert seen and not seen[0].exists()
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["notes.txt"]
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C too
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise KeyboardInterrupt
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_never_replaces_input_unless_asked(make_image, tmp_path):
    path = write(make_image(), tmp_path / "in.exr")
    img = read(path)
    before = path.read_bytes()
    with pytest.raises(ChromaIOError, match="refusing to replace the input"):
        write(img.with_rgb(img.rgb * 2), path)
    assert path.read_bytes() == before
    write(img.with_rgb(img.rgb * 2), path, replace_input=True)
    assert read(path).pixels[0, 0, 0] != img.pixels[0, 0, 0]
    with pytest.raises(ChromaIOError, match="exists"):
        write(make_image(), path, overwrite=False)


def test_bad_paths(tmp_path, make_image):
    with pytest.raises(ChromaIOError, match="does not exist"):
        read(tmp_path / "missing.exr")
    with pytest.raises(ChromaIOError, match="folder"):
        write(make_image(), tmp_path / "nope" / "a.exr")
    with pytest.raises(ChromaIOError, match="folder"):
        read(tmp_path)


def test_truncated_and_corrupt_exr(make_image, tmp_path):
    good = write(make_image(256, 128), tmp_path / "good.exr", compression="none")
    data = good.read_bytes()
    (tmp_path / "trunc.exr").write_bytes(data[: len(data) // 2])
    with pytest.raises(ChromaIOError, match="trunc.exr"):
        read(tmp_path / "trunc.exr")
    (tmp_path / "junk.exr").write_bytes(b"v/1\x01" + b"\x00garbage" * 20)
    with pytest.raises(ChromaIOError, match="junk.exr"):
        read(tmp_path / "junk.exr")


def test_write_display_preview(make_image, tmp_path):
    img = make_image(channels=("R", "G", "B", "A"), scale=1.0)
    back = read(write_display(img, tmp_path / "p.png"))
    assert back.channels == ["R", "G", "B", "A"]
    assert 0.0 <= back.rgb.min() and back.rgb.max() <= 1.0


def test_convert_file_matches_colour_science_and_keeps_alpha(tmp_path):
    """ACEScg -> ACES2065-1 (AP1 -> AP0, the same ACES white: no adaptation) checked against
    colour-science's RGB_to_RGB, read back with the OpenEXR library; alpha passes through."""
    import colour

    from chroma.io import convert_file

    rng = np.random.default_rng(3)
    px = rng.uniform(0.0, 2.0, (4, 5, 4)).astype(np.float32)
    write(Image(px, ["R", "G", "B", "A"], "ACEScg"), tmp_path / "in.exr", dtype="float")
    out = convert_file(tmp_path / "in.exr", tmp_path / "out.exr", "ACES2065-1", dtype="float")
    with OpenEXR.File(str(out)) as f:
        rgba = f.channels()["RGBA"].pixels.astype(np.float64)
        interop = f.header()["colorInteropID"]
    ref = colour.RGB_to_RGB(px[..., :3].astype(np.float64), "ACEScg", "ACES2065-1")
    np.testing.assert_allclose(rgba[..., :3], ref, rtol=1e-5, atol=1e-6)
    assert (rgba[..., 3] == px[..., 3]).all() and interop == "lin_ap0_scene"
    # the same space: the pixels pass through bit for bit; --from overrides the file's space
    same = convert_file(tmp_path / "in.exr", tmp_path / "same.exr", "ACEScg", dtype="float")
    with OpenEXR.File(str(same)) as f:
        assert (f.channels()["RGBA"].pixels == px).all()
    srgb = convert_file(tmp_path / "in.exr", tmp_path / "709.exr", "ACEScg", source="Linear Rec.709 (sRGB)",
                        dtype="float")
    with OpenEXR.File(str(srgb)) as f:
        got = f.channels()["RGBA"].pixels[..., :3].astype(np.float64)
    ref709 = colour.RGB_to_RGB(px[..., :3].astype(np.float64), "sRGB", "ACEScg",
                               chromatic_adaptation_transform="Bradford")
    np.testing.assert_allclose(got, ref709, rtol=2e-3, atol=2e-4)


def test_convert_file_display_and_convert_files_failures(tmp_path):
    """A display preview equals OCIO's own DisplayViewTransform (PyOpenColorIO, the bundled
    config) in 16-bit code values; convert_files records a bad frame and goes on."""
    import PyOpenColorIO as OCIO

    from chroma import ocio
    from chroma.io import convert_file, convert_files

    px = np.linspace(0.0, 1.5, 4 * 6 * 3, dtype=np.float32).reshape(4, 6, 3)
    write(Image(px, ["R", "G", "B"], "ACEScg"), tmp_path / "in.exr", dtype="float")
    view = "Un-tone-mapped"  # not the default view, so a view that is dropped shows
    convert_file(tmp_path / "in.exr", tmp_path / "p.png", display="sRGB - Display", view=view)
    cfg = OCIO.Config.CreateFromFile(ocio.config_path(None))
    dvt = OCIO.DisplayViewTransform(src="ACEScg", display="sRGB - Display", view=view)
    ref = px.copy()
    cfg.getProcessor(dvt).getDefaultCPUProcessor().applyRGB(ref)
    import OpenImageIO as oiio

    png = oiio.ImageBuf(str(tmp_path / "p.png")).get_pixels(oiio.FLOAT)
    np.testing.assert_allclose(png, np.clip(ref, 0, 1), atol=1 / 65535 + 1e-6)
    (tmp_path / "bad.exr").write_bytes(b"not an exr")
    seen = []
    failures = convert_files([(tmp_path / "bad.exr", tmp_path / "o1.exr"), (tmp_path / "in.exr", tmp_path / "o2.exr")],
                             "ACES2065-1", on_frame=lambda p, e: seen.append((os.path.basename(p), e is None)))
    assert [os.path.basename(p) for p, _ in failures] == ["bad.exr"] and "cannot open" in failures[0][1]
    assert seen == [("bad.exr", False), ("in.exr", True)]
    assert (tmp_path / "o2.exr").exists() and not (tmp_path / "o1.exr").exists()


def test_channel_dtypes_write_float_channels_beside_half_colour(tmp_path) -> None:
    """Motion vectors need float: 123.4567 px survives as float32 but not as half (123.4375)."""
    import OpenImageIO as oiio

    px = np.full((4, 6, 4), 123.4567, np.float32)
    img = Image(px, ["R", "G", "B", "forward.u"], "ACEScg", {})
    write(img, tmp_path / "v.exr", channel_dtypes={"forward.u": "float"})
    spec = oiio.ImageInput.open(str(tmp_path / "v.exr")).spec()
    assert [str(f) for f in spec.channelformats] == ["half", "half", "half", "float"]
    back = read(tmp_path / "v.exr")
    assert back.pixels[0, 0, 3] == np.float32(123.4567) and back.pixels[0, 0, 0] == 123.4375
    with pytest.raises(ChromaValueError, match="not a channel"):
        write(img, tmp_path / "w.exr", channel_dtypes={"Z": "float"})
