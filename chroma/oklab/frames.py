"""Crossfades of images and sequences (written as EXR) and the blend compare figure."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Sequence

import numpy as np

from chroma.errors import ChromaError, ChromaValueError, closest
from chroma.image import Image
from chroma.oklab.blend import (
    add_opaque_alpha,
    apply_gamut,
    as_colours,
    check_blend,
    gradient,
    looks_like_color,
    mix,
    parse_color,
)
from chroma.oklab.convert import HueMethod, Space
from chroma.oklab.gamut import to_display

CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "smooth": lambda u: u * u * (3.0 - 2.0 * u),  # smoothstep
    "ease-in": lambda u: u * u,
    "ease-out": lambda u: 1.0 - (1.0 - u) ** 2,
    "ease-in-out": lambda u: np.where(u < 0.5, 4.0 * u**3, 1.0 - (-2.0 * u + 2.0) ** 3 / 2.0),
}


def crossfade_weights(count: int, curve: str = "smooth") -> np.ndarray:
    """Blend weights of a ``count``-frame crossfade: ``curve(i / (count - 1))``, from 0 (all
    A) on the first frame to 1 (all B) on the last; a single frame gets 0.5.

    Curves: linear, smooth (smoothstep 3u^2 - 2u^3), ease-in (u^2), ease-out, ease-in-out
    (cubic)."""
    if curve not in CURVES:
        hint = closest(str(curve), CURVES)
        raise ChromaValueError(f"unknown crossfade curve {curve!r}; choose {', '.join(CURVES)}" + (f" ({hint})" if hint else ""))
    if count < 1:
        raise ChromaValueError("a crossfade needs at least one frame")
    if count == 1:
        return np.array([0.5])
    return np.asarray(CURVES[curve](np.linspace(0.0, 1.0, count)), np.float64)


def mix_images(
    a: Any,
    b: Any,
    t: Any,
    space: Space = "oklab",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    gamut: Literal["working", "srgb"] | None = "working",
    config: str | os.PathLike | None = None,
) -> Image:
    """Blend two :class:`chroma.Image` (or an image and a colour) with :func:`mix`.

    Both are converted to ``colorspace`` (scene-linear working space) with OCIO. Alpha
    (``A``) is premultiplied, as in EXR; an image without alpha is opaque. Other channels
    both images have (depth, AOVs) are mixed linearly; the others are dropped with a
    :class:`BlendWarning` (blending with a colour, the image's pass through). Results
    are gamut mapped (``gamut``, default: no negative working-space channels).
    """
    from chroma import ocio
    from chroma.image import Image

    images = [x for x in (a, b) if isinstance(x, Image)]
    if not images:
        raise ChromaValueError("mix_images needs at least one image (the other may be a colour)")
    cs = ocio.resolve_colorspace(colorspace, config)
    shape = (images[0].height, images[0].width)
    for im in images:
        if (im.height, im.width) != shape:
            raise ChromaValueError(
                f"images differ in size ({images[0].width}x{images[0].height} and {im.width}x{im.height}); "
                "resize one first"
            )

    def layers(x: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if isinstance(x, Image):
            rgb = ocio.convert(x.rgb, x.colorspace, cs, config)
            extra = {c: x.pixels[:, :, i] for i, c in enumerate(x.channels) if c not in ("R", "G", "B", "Y")}
            alpha = extra.pop("A", None)
            rgba = np.concatenate([rgb, (np.ones(shape, np.float32) if alpha is None else alpha)[:, :, None]], axis=2)
            return rgba, extra
        col = as_colours(x, cs, config).astype(np.float32)
        if col.ndim != 1:
            raise ChromaValueError("the non-image side of an image blend must be a single colour")
        return (add_opaque_alpha(col) if col.shape[-1] == 3 else col) * np.ones(shape + (1,), np.float32), {}

    (pa, ea), (pb, eb) = layers(a), layers(b)
    any_alpha = any("A" in im.channels for im in images)
    out = mix(pa, pb, t, space, hue=hue, colorspace=cs, preserve_luminance=preserve_luminance, config=config)
    out = apply_gamut(out, gamut, cs, config)
    channels = ["R", "G", "B"] + (["A"] if any_alpha else [])
    planes = [out[:, :, i] for i in range(len(channels))]
    tt = np.asarray(t, np.float32)
    tt = tt[..., 0] if tt.ndim == 3 else tt
    if len(images) == 1:  # image and colour: a colour has no depth or AOVs, the image's pass through
        ea = eb = ea or eb
    dropped = [c for c in ea if c not in eb] + [c for c in eb if c not in ea]
    if dropped:
        warnings.warn(
            f"channel(s) {', '.join(dropped)} are in only one side of the blend and are dropped "
            "(both sides need them to be mixed)", BlendWarning, stacklevel=2)
    for name in [c for c in ea if c in eb]:
        channels.append(name)
        planes.append(ea[name] + (eb[name] - ea[name]) * tt)
    meta = dict(images[0].metadata)
    meta.update({"chroma/blend/space": space, "chroma/blend/hue": hue})
    if np.ndim(t) == 0:
        meta["chroma/blend/t"] = float(t)
    return Image(np.stack(planes, axis=2).astype(np.float32), channels, cs, meta)


def _source(x: Any, colorspace: str, config: Any) -> tuple[str, Any]:
    """('image', Image) | ('colour', rgb) | ('file', path) | ('sequence', Pattern)."""
    from chroma import sequence
    from chroma.image import Image

    if isinstance(x, Image):
        return "image", x
    if not isinstance(x, (str, os.PathLike)):
        return "colour", as_colours(x, colorspace, config)
    text = os.fspath(x)
    if looks_like_color(text):
        return "colour", parse_color(text, colorspace, config)
    pat = sequence.parse_pattern(text)
    if pat.is_sequence:
        return "sequence", pat
    if not os.path.exists(text):
        raise ChromaValueError(f"{text!r} is neither a colour nor an existing image or sequence pattern")
    return "file", text


class BlendWarning(UserWarning):
    """A blend that loses something the user may expect kept (a channel on one side only)."""


MAX_CROSSFADE_FRAMES = 100_000  # more is a typo'd range, not a shot


def crossfade(
    a: Any,
    b: Any,
    output: str | os.PathLike,
    frames: str | Iterable[int] | None = None,
    space: Space = "oklab",
    curve: str = "smooth",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    gamut: Literal["working", "srgb"] | None = "working",
    overwrite: bool = False,
    write_options: dict | None = None,
    progress: bool | None = None,
    create_folders: bool = False,
    failures: list | None = None,
    config: str | os.PathLike | None = None,
    span: str | Iterable[int] | None = None,
) -> list[Path]:
    """Crossfade A into B over a frame set, writing EXR (or any OIIO format) frames.

    Args:
        a, b: sequence patterns (``plate.####.exr``), still images (held), colours (a fade
            to or from a colour), or :class:`chroma.Image`; at least one must be a picture.
        output: output pattern (``fade.####.exr``); a single file for a single frame.
        frames: frame set (``1001-1024``); default: the frames on disk of the sequence
            input(s) (those both have). Frame ``f`` of a sequence input is read for output
            frame ``f``.
        space, hue, preserve_luminance: as :func:`mix`.
        curve: weight over the frames, :func:`crossfade_weights` (first frame all A, last
            all B).
        gamut: as :func:`mix_images`. write_options: keywords for :func:`chroma.io.write`
            (dtype, compression, on_invalid...). create_folders: create a missing output
            folder (else it is an error). failures: a list to collect (output, reason)
            of frames that fail (a corrupt input frame) while the others are written; by
            default the first failure raises. Every output goes through
            :func:`chroma.io.check_outputs` (an input is never replaced, by any spelling).
        span: the frames of the whole fade when ``frames`` is a part of it (a farm chunk):
            the weights run over ``span``, so the parts written separately equal the frames
            of one crossfade over ``span``. Default: ``frames``.
    Returns:
        The paths written. Each frame's header carries ``chroma/blend/*`` (space, hue, t,
        curve) and the two sources.
    Raises:
        ChromaError: bad input, missing input frames, or outputs that exist without
            ``overwrite`` -- all checked before any frame is written.
    """
    from chroma import io, ocio, sequence
    from chroma.errors import SequenceError
    from chroma.progress import Progress

    check_blend(space, hue)
    weights_check = crossfade_weights(1, curve)  # validates the curve name early
    del weights_check
    cs = ocio.resolve_colorspace(colorspace, config)
    srcs = [_source(x, cs, config) for x in (a, b)]
    if all(kind == "colour" for kind, _ in srcs):
        raise ChromaValueError("a crossfade needs at least one image or sequence (both sides are colours)")
    seqs = [v for kind, v in srcs if kind == "sequence"]
    if frames is None:
        if not seqs:
            raise ChromaValueError("no sequence among the inputs: give the frames to write (e.g. 1001-1024)")
        found = [set(sequence.discover(p).frames) for p in seqs]
        common = sorted(set.intersection(*found))
        if not common:
            raise SequenceError(
                "the input sequences have no frames in common on disk"
                if len(seqs) > 1 else f"no files match {seqs[0].text!r}"
            )
        frame_list = common
    else:
        wanted = sequence.frame_set(frames)  # ranges: a typo'd range costs nothing
        for p in seqs:
            on_disk = sequence.discover(p).frames
            present = [f for f in on_disk if f in wanted]
            if len(present) < len(wanted):
                lacks = wanted.without(present)
                has = f"; it has {sequence.format_frames(on_disk)}" if on_disk else ""
                raise SequenceError(f"{p.text!r} lacks frames {lacks} ({len(lacks):,} of {len(wanted):,}){has}")
        if len(wanted) > MAX_CROSSFADE_FRAMES:
            raise SequenceError(f"a crossfade of {len(wanted):,} frames ({wanted}): check the frame range")
        frame_list = list(wanted)
    out_pat = sequence.parse_pattern(output)
    if len(frame_list) > 1 and not out_pat.is_sequence:
        raise SequenceError(f"{len(frame_list)} frames but the output {os.fspath(output)!r} is one file: give a pattern like fade.####.exr")
    targets = [out_pat.path(f) if out_pat.is_sequence else os.fspath(output) for f in frame_list]
    inputs = [v.path(f) for v in seqs for f in frame_list] + [v for kind, v in srcs if kind == "file"]
    io.check_outputs(targets, inputs, overwrite=overwrite, create_folders=create_folders)

    stills: dict[int, Any] = {}

    def load(i: int, frame: int) -> Any:
        kind, v = srcs[i]
        if kind == "sequence":
            return io.read(v.path(frame), config=config)
        if kind == "file":
            if i not in stills:
                stills[i] = io.read(v, config=config)
            return stills[i]
        return v

    if span is None:
        weights = crossfade_weights(len(frame_list), curve)
    else:
        whole = list(sequence.frame_set(span))
        outside = [f for f in frame_list if f not in set(whole)]
        if outside:
            raise SequenceError(f"frame {outside[0]} is outside the fade's frames {sequence.format_frames(whole)}")
        at = dict(zip(whole, crossfade_weights(len(whole), curve)))
        weights = [at[f] for f in frame_list]
    names = [(v.text if kind == "sequence" else str(v) if kind == "file" else
              "colour " + ",".join(f"{c:.6g}" for c in np.ravel(v)) if kind == "colour" else "image")
             for kind, v in srcs]
    opts = dict(write_options or {})
    opts["overwrite"] = True
    opts.setdefault("config", config)
    written: list[Path] = []
    with Progress(len(frame_list), "crossfade", enabled=progress) as bar:
        for frame, tgt, w in zip(frame_list, targets, weights):
            try:
                img = mix_images(load(0, frame), load(1, frame), float(w), space, hue=hue, colorspace=cs,
                                 preserve_luminance=preserve_luminance, gamut=gamut, config=config)
                img.metadata["chroma/frame"] = frame
                meta = {"blend/curve": curve, "blend/a": names[0], "blend/b": names[1]}
                written.append(io.write(img, tgt, metadata=meta, **opts))
            except ChromaError as exc:
                if failures is None:
                    raise
                failures.append((tgt, str(exc)))
            bar.update()
    return written


# ------------------------------------------------------------------------ compare figure


def compare_strips(
    a: Any,
    b: Any,
    width: int = 512,
    height: int = 150,
    spaces: Sequence[str] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The same A -> B gradient blended in each of ``spaces``, as horizontal strips stacked
    top to bottom (first space on top): (height, width, 3) sRGB-encoded display values in
    [0, 1] (:func:`to_display`: gamut mapped, no tone mapping)."""
    if width < 2 or height < len(spaces):
        raise ChromaValueError(f"a compare figure needs width >= 2 and height >= {len(spaces)}")
    edges = np.linspace(0, height, len(spaces) + 1).round().astype(int)
    out = np.zeros((height, width, 3), np.float32)
    for i, space in enumerate(spaces):
        row = gradient([a, b], width, space, hue=hue, colorspace=colorspace, config=config)
        out[edges[i] : edges[i + 1]] = to_display(row[:, :3], colorspace, config)[None]
    return out


def write_compare(
    a: Any,
    b: Any,
    path: str | os.PathLike,
    width: int = 512,
    height: int = 150,
    spaces: Sequence[str] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    overwrite: bool = False,
    labels: bool = True,
    config: str | os.PathLike | None = None,
) -> Path:
    """Write :func:`compare_strips` as a display-referred image (PNG): one strip per blend
    space, labelled with its name when a font is available (OIIO ``render_text``); the
    strip order is also in the ``ImageDescription`` header."""
    from chroma import io
    from chroma.image import Image

    path = Path(path)
    if path.suffix.lower() == ".exr":
        raise ChromaValueError("the compare figure is display-referred: write a .png (or .jpg/.tif), not EXR")
    io.check_outputs([path], overwrite=overwrite)
    px = compare_strips(a, b, width, height, spaces, hue=hue, colorspace=colorspace, config=config)
    if labels:
        px = _label(px, spaces)
    desc = "chroma blend --compare, strips top to bottom: " + ", ".join(spaces)
    img = Image(px, ["R", "G", "B"], "sRGB Encoded Rec.709 (sRGB)", {"ImageDescription": desc})
    return io.write(img, path, overwrite=True, config=config)


def _label(px: np.ndarray, spaces: Sequence[str]) -> np.ndarray:
    try:
        import OpenImageIO as oiio

        h, w = px.shape[:2]
        buf = oiio.ImageBuf(np.ascontiguousarray(px))
        edges = np.linspace(0, h, len(spaces) + 1).round().astype(int)
        size = int(max(9, min(16, (edges[1] - edges[0]) * 0.35)))
        for i, name in enumerate(spaces):
            y = int(edges[i] + size + 3)
            oiio.ImageBufAlgo.render_text(buf, 7, y + 1, name, size, "", (0.0, 0.0, 0.0))
            if not oiio.ImageBufAlgo.render_text(buf, 6, y, name, size, "", (1.0, 1.0, 1.0)):
                return px  # no font: labels live in the header and docs
        return np.asarray(buf.get_pixels(oiio.FLOAT), np.float32).reshape(px.shape)
    except Exception:  # noqa: BLE001 - labels are a nicety, never a failure
        return px
