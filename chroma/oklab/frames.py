"""Image mixes, crossfades of images and sequences (written as EXR) and the blend compare figure."""

from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal, Sequence

import numpy as np

from chroma.errors import ChromaError, ChromaValueError, SequenceError, closest
from chroma.frameplan import MAX_CROSSFADE_FRAMES, PlannedFrames, plan_frames
from chroma.image import Image
from chroma.oklab.blend import (
    BlendOptions,
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

if TYPE_CHECKING:
    from typing_extensions import Unpack

CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda u: u,
    "smooth": lambda u: u * u * (3.0 - 2.0 * u),  # smoothstep
    "ease-in": lambda u: u * u,
    "ease-out": lambda u: 1.0 - (1.0 - u) ** 2,
    "ease-in-out": lambda u: np.where(u < 0.5, 4.0 * u**3, 1.0 - (-2.0 * u + 2.0) ** 3 / 2.0),
}

Gamut = Literal["working", "srgb"]

__all__ = [
    "CURVES", "MAX_CROSSFADE_FRAMES", "BlendWarning", "Gamut", "compare_strips", "crossfade", "crossfade_weights",
    "mix_images", "write_compare",
]


def crossfade_weights(count: int, curve: str = "smooth") -> np.ndarray:
    """Blend weights of a ``count``-frame crossfade.

    Frame ``i`` gets ``curve(i / (count - 1))``: 0 (all A) on the first frame, 1 (all B)
    on the last; a single frame gets 0.5.

    Parameters
    ----------
    count : int
        Frames in the crossfade, at least 1.
    curve : str, optional
        ``"linear"``, ``"smooth"`` (smoothstep 3u^2 - 2u^3, the default), ``"ease-in"``
        (u^2), ``"ease-out"`` (1 - (1 - u)^2) or ``"ease-in-out"`` (cubic).

    Returns
    -------
    numpy.ndarray
        (count,) float64 weights in [0, 1], 0 = A and 1 = B.

    Raises
    ------
    ChromaValueError
        An unknown curve, or ``count`` below 1.
    """
    if curve not in CURVES:
        hint = closest(str(curve), CURVES)
        raise ChromaValueError(f"unknown crossfade curve {curve!r}; choose {', '.join(CURVES)}" + (f" ({hint})" if hint else ""))
    if count < 1:
        raise ChromaValueError("a crossfade needs at least one frame")
    if count == 1:
        return np.array([0.5])
    return np.asarray(CURVES[curve](np.linspace(0.0, 1.0, count)), np.float64)


# ---------------------------------------------------------------------------- image mix


def mix_images(
    a: Image | Any,
    b: Image | Any,
    t: float | np.ndarray,
    space: Space = "oklab",
    *,
    gamut: Gamut | None = "working",
    **options: Unpack[BlendOptions],
) -> Image:
    """Blend two :class:`chroma.Image` (or an image and a colour) with :func:`mix`.

    Both are converted to ``colorspace`` (scene-linear working space) with OCIO. Alpha
    (``A``) is premultiplied, as in EXR; an image without alpha is opaque. Other channels
    both images have (depth, AOVs) are mixed linearly; the others are dropped with a
    :class:`BlendWarning` (blending with a colour, the image's pass through).

    Parameters
    ----------
    a, b : Image or colour
        The two sides, the same size; one may be a colour (a string for
        :func:`parse_color`, or linear RGB/RGBA in ``colorspace``).
    t : float or numpy.ndarray
        Blend weight, 0 gives ``a`` and 1 gives ``b``: a number or a (height, width) map.
    space : {"oklab", "oklch", "linear", "srgb"}, optional
        Blend space, as :func:`mix` (default ``"oklab"``).
    gamut : {"working", "srgb"} or None, optional
        Gamut mapping of the result (:func:`chroma.oklab.blend.apply_gamut`): ``"working"``
        (default, no negative working-space channels), ``"srgb"`` or None (as blended).
    **options
        ``hue``, ``colorspace`` (the scene-linear working space, default ``"ACEScg"``),
        ``preserve_luminance`` and ``config``, as :func:`mix` (:class:`BlendOptions`).

    Returns
    -------
    Image
        Float32 pixels in ``colorspace``: R, G, B, A (when either side has alpha), then
        the shared extra channels; metadata of the first image plus ``chroma/blend/space``,
        ``chroma/blend/hue`` and (scalar ``t``) ``chroma/blend/t``.

    Raises
    ------
    ChromaValueError
        No image among ``a`` and ``b``, images of different sizes, or a non-image side
        that is not a single colour.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ ; W3C CSS Color Module Level 4, 12.3
    (premultiplied interpolation).
    """
    from chroma import ocio

    unknown = sorted(set(options) - set(BlendOptions.__annotations__))
    if unknown:
        raise TypeError(f"mix_images() got unexpected keyword argument(s) {', '.join(unknown)}")
    config = options.get("config")
    hue = options.get("hue", "shorter")
    images = _same_size_images(a, b)
    cs = ocio.resolve_colorspace(options.get("colorspace", "ACEScg"), config)
    shape = (images[0].height, images[0].width)
    (pa, ea), (pb, eb) = (_rgba_and_extras(x, shape, cs, config) for x in (a, b))
    out = mix(pa, pb, t, space, hue=hue, colorspace=cs, config=config,
              preserve_luminance=options.get("preserve_luminance", False))
    out = apply_gamut(out, gamut, cs, config)
    channels = ["R", "G", "B"] + (["A"] if any("A" in im.channels for im in images) else [])
    planes = [out[:, :, i] for i in range(len(channels))]
    if len(images) == 1:  # image and colour: a colour has no depth or AOVs, the image's pass through
        ea = eb = ea or eb
    extra_names, extra_planes = _mix_extras(ea, eb, t)
    meta = dict(images[0].metadata)
    meta.update({"chroma/blend/space": space, "chroma/blend/hue": hue})
    if np.ndim(t) == 0:
        meta["chroma/blend/t"] = float(t)
    return Image(np.stack(planes + extra_planes, axis=2).astype(np.float32), channels + extra_names, cs, meta)


def _same_size_images(a: Any, b: Any) -> list[Image]:
    """The images among ``a``, ``b`` (at least one), checked to share one size."""
    images = [x for x in (a, b) if isinstance(x, Image)]
    if not images:
        raise ChromaValueError("mix_images needs at least one image (the other may be a colour)")
    shape = (images[0].height, images[0].width)
    for im in images:
        if (im.height, im.width) != shape:
            raise ChromaValueError(
                f"images differ in size ({images[0].width}x{images[0].height} and {im.width}x{im.height}); "
                "resize one first"
            )
    return images


def _rgba_and_extras(x: Any, shape: tuple[int, int], cs: str, config: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(premultiplied RGBA in ``cs``, {extra channel: plane}) of an image or a colour."""
    from chroma import ocio

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


def _mix_extras(ea: dict[str, np.ndarray], eb: dict[str, np.ndarray], t: Any) -> tuple[list[str], list[np.ndarray]]:
    """The extra channels both sides have, mixed linearly; a :class:`BlendWarning` for the others."""
    tt = np.asarray(t, np.float32)
    tt = tt[..., 0] if tt.ndim == 3 else tt
    dropped = [c for c in ea if c not in eb] + [c for c in eb if c not in ea]
    if dropped:
        warnings.warn(
            f"channel(s) {', '.join(dropped)} are in only one side of the blend and are dropped "
            "(both sides need them to be mixed)", BlendWarning, stacklevel=3)
    names = [c for c in ea if c in eb]
    return names, [ea[name] + (eb[name] - ea[name]) * tt for name in names]


class BlendWarning(UserWarning):
    """A blend that loses something the user may expect kept (a channel on one side only)."""


# ---------------------------------------------------------------------------- crossfade


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
    gamut: Gamut | None = "working",
    overwrite: bool = False,
    write_options: dict[str, Any] | None = None,
    progress: bool | None = None,
    create_folders: bool = False,
    failures: list[tuple[str, str]] | None = None,
    config: str | os.PathLike | None = None,
    span: str | Iterable[int] | None = None,
) -> list[Path]:
    """Crossfade A into B over a frame set, writing EXR (or any OIIO format) frames.

    The steps: the sources are classified (sequence, still file, image, colour), the
    frames and their outputs planned and checked (:func:`plan_frames`, crossfade policy),
    the weights computed over the whole fade (:func:`crossfade_weights`), then each frame
    is blended (:func:`mix_images`) and written (:func:`chroma.io.write`).

    Parameters
    ----------
    a, b : str, os.PathLike, Image or colour
        Sequence patterns (``plate.####.exr``), still images (held), colours (a fade to or
        from a colour), or :class:`chroma.Image`; at least one must be a picture.
    output : str or os.PathLike
        Output pattern (``fade.####.exr``); a single file for a single frame.
    frames : str, iterable of int or None, optional
        Frame set (``1001-1024``); default: the frames on disk of the sequence input(s)
        (those both have). Frame ``f`` of a sequence input is read for output frame ``f``.
    space : {"oklab", "oklch", "linear", "srgb"}, optional
        Blend space, as :func:`mix` (default ``"oklab"``).
    curve : str, optional
        Weight over the frames, :func:`crossfade_weights` (first frame all A, last all B;
        default ``"smooth"``).
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, as :func:`mix` (default ``"shorter"``).
    colorspace : str, optional
        Scene-linear working space of the blend (OCIO name, default ``"ACEScg"``).
    preserve_luminance : bool, optional
        Blend at a common exposure and interpolate the exposure in stops, as :func:`mix`.
    gamut : {"working", "srgb"} or None, optional
        Gamut mapping of each frame, as :func:`mix_images` (default ``"working"``).
    overwrite : bool, optional
        Replace outputs that exist (never an input). Default False.
    write_options : dict, optional
        Keywords for :func:`chroma.io.write` (dtype, compression, on_invalid...).
    progress : bool or None, optional
        Show a progress bar (None: when stderr is a terminal).
    create_folders : bool, optional
        Create a missing output folder (else it is an error). Default False.
    failures : list or None, optional
        A list to collect ``(output, reason)`` of frames that fail (a corrupt input frame)
        while the others are written; by default (None) the first failure raises.
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).
    span : str, iterable of int or None, optional
        The frames of the whole fade when ``frames`` is a part of it (a farm chunk): the
        weights run over ``span``, so parts written separately equal the frames of one
        crossfade over ``span``. Default: ``frames``.

    Returns
    -------
    list of pathlib.Path
        The paths written. Each frame's header carries ``chroma/blend/*`` (space, hue, t,
        curve) and the two sources.

    Raises
    ------
    ChromaError
        Bad input, missing input frames, frames outside ``span``, or outputs that exist
        without ``overwrite`` -- all checked before any frame is written.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/
    """
    from chroma import ocio

    check_blend(space, hue)
    crossfade_weights(1, curve)  # validates the curve name early
    cs = ocio.resolve_colorspace(colorspace, config)
    srcs = [_source(x, cs, config) for x in (a, b)]
    if all(kind == "colour" for kind, _ in srcs):
        raise ChromaValueError("a crossfade needs at least one image or sequence (both sides are colours)")
    plan = plan_frames([v.text for kind, v in srcs if kind == "sequence"], output, frames, every_frame=True,
                       overwrite=overwrite, create_folders=create_folders,
                       reads=[v for kind, v in srcs if kind == "file"])
    weights = _weights_over_span(plan.frames, span, curve)
    opts = dict(write_options or {})
    opts["overwrite"] = True
    opts.setdefault("config", config)
    meta = {"blend/curve": curve, "blend/a": _source_name(*srcs[0]), "blend/b": _source_name(*srcs[1])}

    blend = functools.partial(mix_images, space=space, hue=hue, colorspace=cs,
                              preserve_luminance=preserve_luminance, gamut=gamut, config=config)
    return _write_frames(plan, _Sources(srcs, config), weights, blend, meta, opts, failures, progress)


def _source(x: Any, colorspace: str, config: Any) -> tuple[str, Any]:
    """('image', Image) | ('colour', rgb) | ('file', path) | ('sequence', Pattern)."""
    from chroma import sequence

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


def _source_name(kind: str, value: Any) -> str:
    """How a crossfade source is named in the output header (``blend/a``, ``blend/b``)."""
    if kind == "sequence":
        return str(value.text)
    if kind == "file":
        return str(value)
    if kind == "colour":
        return "colour " + ",".join(f"{c:.6g}" for c in np.ravel(value))
    return "image"


class _Sources:
    """The two sides of a crossfade, loaded frame by frame (a still file is read once)."""

    def __init__(self, srcs: list[tuple[str, Any]], config: Any) -> None:
        self.srcs, self.config = srcs, config
        self.stills: dict[int, Image] = {}

    def at(self, i: int, frame: int | None) -> Any:
        """Side ``i`` at ``frame``: a sequence's frame, the held still, an image or a colour."""
        from chroma import io

        kind, v = self.srcs[i]
        if kind == "sequence":
            return io.read(v.path(frame), config=self.config)
        if kind == "file":
            if i not in self.stills:
                self.stills[i] = io.read(v, config=self.config)
            return self.stills[i]
        return v


def _weights_over_span(frame_list: list[int | None], span: str | Iterable[int] | None, curve: str) -> list[float]:
    """Each frame's weight: :func:`crossfade_weights` over ``span`` (default: the frames themselves)."""
    from chroma import sequence

    if span is None:
        return [float(w) for w in crossfade_weights(len(frame_list), curve)]
    whole = list(sequence.frame_set(span))
    inside = set(whole)
    outside = [f for f in frame_list if f not in inside]
    if outside:
        raise SequenceError(f"frame {outside[0]} is outside the fade's frames {sequence.format_frames(whole)}")
    at = dict(zip(whole, crossfade_weights(len(whole), curve)))
    return [float(at[f]) for f in frame_list if f is not None]


def _write_frames(plan: PlannedFrames, sides: _Sources, weights: list[float], blend: Callable[..., Image],
                  meta: dict[str, str], write_options: dict[str, Any], failures: list[tuple[str, str]] | None,
                  progress: bool | None) -> list[Path]:
    """Blend and write each planned frame; a failed frame raises, or is collected in ``failures``."""
    from chroma import io
    from chroma.progress import Progress

    written: list[Path] = []
    with Progress(len(plan.frames), "crossfade", enabled=progress) as bar:
        for frame, target, weight in zip(plan.frames, plan.targets, weights):
            try:
                img = blend(sides.at(0, frame), sides.at(1, frame), weight)
                img.metadata["chroma/frame"] = frame
                written.append(io.write(img, target, metadata=dict(meta), **write_options))
            except ChromaError as exc:
                if failures is None:
                    raise
                failures.append((target, str(exc)))
            bar.update()
    return written


# ------------------------------------------------------------------------ compare figure


def compare_strips(
    a: Any,
    b: Any,
    width: int = 512,
    height: int = 150,
    spaces: Sequence[Space] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    config: str | os.PathLike | None = None,
) -> np.ndarray:
    """The same A -> B gradient blended in each of ``spaces``, as stacked horizontal strips.

    Parameters
    ----------
    a, b : str or array_like
        The two colours (strings for :func:`parse_color`, or linear RGB in ``colorspace``).
    width : int, optional
        Figure width in pixels, one gradient step per column (default 512, at least 2).
    height : int, optional
        Figure height in pixels, shared evenly by the strips (default 150).
    spaces : sequence of {"oklab", "oklch", "linear", "srgb"}, optional
        Blend spaces, one strip each, first on top (default oklab, linear, srgb).
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, as :func:`mix`.
    colorspace : str, optional
        Scene-linear working space of ``a``, ``b`` and the blends (default ``"ACEScg"``).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    numpy.ndarray
        (height, width, 3) float32 sRGB-encoded display values in [0, 1]
        (:func:`to_display`: gamut mapped, no tone mapping).

    Raises
    ------
    ChromaValueError
        ``width`` below 2 or ``height`` below the number of strips.
    """
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
    spaces: Sequence[Space] = ("oklab", "linear", "srgb"),
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    overwrite: bool = False,
    labels: bool = True,
    config: str | os.PathLike | None = None,
) -> Path:
    """Write :func:`compare_strips` as a display-referred image (PNG).

    One strip per blend space, labelled with its name when a font is available (OIIO
    ``render_text``); the strip order is also in the ``ImageDescription`` header.

    Parameters
    ----------
    a, b : str or array_like
        The two colours, as :func:`compare_strips`.
    path : str or os.PathLike
        The figure to write: a display-referred file (.png, .jpg, .tif), not EXR.
    width, height : int, optional
        Figure size in pixels (default 512 x 150).
    spaces : sequence of {"oklab", "oklch", "linear", "srgb"}, optional
        Blend spaces, one strip each, first on top.
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, as :func:`mix`.
    colorspace : str, optional
        Scene-linear working space of ``a`` and ``b`` (default ``"ACEScg"``).
    overwrite : bool, optional
        Replace ``path`` if it exists. Default False.
    labels : bool, optional
        Write each space's name on its strip (default True).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ChromaValueError
        An EXR path, or a size too small for the strips.
    ChromaIOError
        ``path`` exists without ``overwrite``.
    """
    from chroma import io

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
    except Exception:
        return px
