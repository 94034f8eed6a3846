"""What ``chroma blend`` does, as one call: gradients, compare figures, image mixes, crossfades.

:func:`make_blend` takes two operands as a user writes them (colours, image files, sequence
patterns) and does what the command does; the command only parses its options and reports
the :class:`BlendResult`. :func:`plan_blend` is its first step (what kind of blend, checked
before any work), also used by ``chroma blend --farm`` to learn that it is a crossfade;
:class:`FadeFrame` is one frame of a crossfade, the per-frame work that ``--farm`` hands to
the farm (:mod:`chroma.framerun`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from chroma.errors import ChromaIOError, ChromaValueError
from chroma.oklab.blend import gradient, looks_like_color, parse_color
from chroma.oklab.convert import HueMethod, Space, oklab_to_oklch, to_oklab
from chroma.oklab.frames import Gamut, crossfade, mix_images, write_compare
from chroma.oklab.gamut import to_display

BlendKind = Literal["compare", "table", "gradient", "crossfade", "mix"]
MAX_SIZE = 16384  #: largest gradient / compare image side, pixels
TABLE_STEPS = 7  #: steps of a gradient table when none are given


@dataclass
class BlendPlan:
    """What :func:`make_blend` will do with two operands, decided before any work.

    Attributes
    ----------
    kind : {"compare", "table", "gradient", "crossfade", "mix"}
        ``"compare"``: the compare figure of two colours; ``"table"``: a gradient of two
        colours, returned (no output); ``"gradient"``: that gradient as an image;
        ``"crossfade"``: frames of a fade (a sequence operand, a frame set or an output
        pattern); ``"mix"``: one blended image.
    colours : list of numpy.ndarray or None
        Each operand parsed as linear RGB in the working space, or None (a file or sequence).
    """

    kind: BlendKind
    colours: list[np.ndarray | None]


@dataclass
class BlendResult:
    """What :func:`make_blend` did, for a report.

    Attributes
    ----------
    kind : {"compare", "table", "gradient", "crossfade", "mix"}
        As :class:`BlendPlan`.
    paths : list of pathlib.Path
        The files written (none for a table).
    rows : list of dict
        A table's steps: ``t`` (weight, 0 = A), ``rgb`` (linear working-space values,
        6 decimals), ``hex`` (sRGB display value, gamut mapped) and ``oklch`` (OKLCh L in
        [0, 1], chroma, hue in degrees; 4 decimals).
    steps : int
        Gradient steps (table and gradient); 0 otherwise.
    size : tuple of int or None
        (width, height) in pixels of a gradient or compare image.
    failures : list of tuple
        ``(output, reason)`` of crossfade frames that failed while the others were written.
    folders : list of str
        Output folders that were created.
    """

    kind: BlendKind
    paths: list[Path] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0
    size: tuple[int, int] | None = None
    failures: list[tuple[str, str]] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def plan_blend(
    a: str | os.PathLike,
    b: str | os.PathLike,
    output: str | os.PathLike | None = None,
    *,
    frames: str | None = None,
    compare: bool = False,
    steps: int | None = None,
    t: float = 0.5,
    colorspace: str = "ACEScg",
    config: str | os.PathLike | None = None,
) -> BlendPlan:
    """Decide and check what :func:`make_blend` does with ``a`` and ``b``, before any work.

    Parameters
    ----------
    a, b : str or os.PathLike
        Colours (``#ff8000``, ``r,g,b`` linear in ``colorspace``, ``3200K``), image files
        or sequence patterns (``plate.####.exr``).
    output : str, os.PathLike or None, optional
        The file or frame pattern to write; None: a gradient table of two colours.
    frames : str or None, optional
        A frame set (``1001-1024``): makes the blend a crossfade.
    compare : bool, optional
        The compare figure of two colours (default False).
    steps : int or None, optional
        Gradient steps, at least 2 (None: the default of the kind).
    t : float, optional
        Weight of one image mix, from 0 (A) to 1 (B); default 0.5.
    colorspace : str, optional
        Scene-linear working space of the colours (default ``"ACEScg"``).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    BlendPlan
        The kind of blend and the parsed colours.

    Raises
    ------
    ChromaValueError
        A bad colour, an operand that is neither a colour nor on disk, fewer than 2 steps,
        a compare figure of images or without an output, images without an output, or a
        mix weight outside [0, 1].
    """
    from chroma import sequence

    texts = [os.fspath(a), os.fspath(b)]
    colours = [parse_color(x, colorspace, config) if looks_like_color(x) else None for x in texts]
    both = all(c is not None for c in colours)
    if steps is not None and steps < 2:
        raise ChromaValueError("steps must be at least 2")
    if compare:
        if not both:
            raise ChromaValueError("compare=True blends two colours (e.g. '#00ff00' '#ff00ff'), not images")
        if output is None:
            raise ChromaValueError("compare=True needs output=FIGURE.png")
        return BlendPlan("compare", colours)
    if both:
        return BlendPlan("table" if output is None else "gradient", colours)
    for operand in texts:
        if looks_like_color(operand):
            continue
        pat = sequence.parse_pattern(operand)
        on_disk = bool(sequence.discover(pat).frames) if pat.is_sequence else os.path.isfile(operand)
        if not on_disk:
            raise ChromaValueError(
                f"{operand!r} is neither a colour (#rrggbb, r,g,b in the working space, 3200K) "
                "nor an image or sequence on disk"
            )
    if output is None:
        raise ChromaValueError("blending images needs output=OUT (a file, or a pattern like fade.####.exr)")
    patterns = [x for x in texts + [os.fspath(output)] if not looks_like_color(x)]
    if frames or any(sequence.parse_pattern(x).is_sequence for x in patterns):
        return BlendPlan("crossfade", colours)
    if not 0.0 <= t <= 1.0:
        raise ChromaValueError(f"t={t}: the blend weight runs from 0 (A) to 1 (B)")
    return BlendPlan("mix", colours)


def make_blend(
    a: str | os.PathLike,
    b: str | os.PathLike,
    output: str | os.PathLike | None = None,
    space: Space = "oklab",
    *,
    hue: HueMethod = "shorter",
    colorspace: str = "ACEScg",
    preserve_luminance: bool = False,
    steps: int | None = None,
    size: tuple[int, int] | None = None,
    compare: bool = False,
    t: float = 0.5,
    frames: str | None = None,
    span: str | None = None,
    curve: str = "smooth",
    overwrite: bool = False,
    write_options: dict[str, Any] | None = None,
    progress: bool | None = None,
    config: str | os.PathLike | None = None,
) -> BlendResult:
    """Blend two colours, images or sequences, as ``chroma blend`` does.

    Two colours give a gradient: a table (no ``output``), an image (``.exr``: scene-linear
    in ``colorspace``, gamut mapped to no negative channels; any other type: sRGB display
    values, :func:`to_display`) or, with ``compare``, the figure of :func:`write_compare`.
    Images give one mix at ``t`` (:func:`mix_images`); sequences, a frame set or an output
    pattern give a crossfade (:func:`crossfade`). Missing output folders are created.

    Parameters
    ----------
    a, b : str or os.PathLike
        Colours (``#ff8000`` sRGB display values, ``r,g,b`` linear in ``colorspace``,
        ``3200K``), image files or sequence patterns (``plate.####.exr``).
    output : str, os.PathLike or None, optional
        The image, figure or frame pattern to write; None: a table of two colours.
    space : {"oklab", "oklch", "linear", "srgb"}, optional
        Blend space, as :func:`mix` (default ``"oklab"``).
    hue : {"shorter", "longer", "increasing", "decreasing"}, optional
        OKLCh hue interpolation, CSS Color 4 12.4 (default ``"shorter"``).
    colorspace : str, optional
        Scene-linear working space (OCIO name, default ``"ACEScg"``).
    preserve_luminance : bool, optional
        Blend at a common exposure and interpolate the exposure in stops (default False).
    steps : int or None, optional
        Gradient steps (default: 7 in a table, one per pixel column in an image).
    size : tuple of int or None, optional
        (width, height) in pixels of a gradient image (default 512 x 64) or of the compare
        figure (default 512 x 150).
    compare : bool, optional
        Write the compare figure of two colours (oklab, linear and srgb strips).
    t : float, optional
        Weight of an image mix, 0 = A, 1 = B (default 0.5).
    frames : str or None, optional
        Crossfade frame set (default: the frames the sequences have).
    span : str or None, optional
        The frames of the whole fade when ``frames`` is a part of it (a farm chunk).
    curve : str, optional
        Crossfade weight over the frames (:func:`crossfade_weights`, default ``"smooth"``).
    overwrite : bool, optional
        Replace outputs that exist (never an input). Default False.
    write_options : dict or None, optional
        Keywords for :func:`chroma.io.write` of scene-linear outputs (dtype, compression,
        dwa_level, on_invalid).
    progress : bool or None, optional
        A crossfade's progress bar (None: when stderr is a terminal).
    config : str, os.PathLike or None, optional
        OCIO config (default: ``$OCIO``, else chroma's bundled config).

    Returns
    -------
    BlendResult
        What was written (or the table), for a report.

    Raises
    ------
    ChromaValueError
        As :func:`plan_blend`, or a size out of range.
    ChromaIOError
        Outputs that exist without ``overwrite``, or that would replace an input.
    SequenceError
        Frames a crossfade input lacks.

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020,
    https://bottosson.github.io/posts/oklab/ ; W3C, CSS Color Module Level 4, 12.4 (hue
    interpolation) and 13.2 (gamut mapping).
    """
    plan = plan_blend(a, b, output, frames=frames, compare=compare, steps=steps, t=t,
                      colorspace=colorspace, config=config)
    blend: dict[str, Any] = dict(hue=hue, colorspace=colorspace, preserve_luminance=preserve_luminance, config=config)
    colours = plan.colours
    if plan.kind == "table":
        return _table(colours, steps or TABLE_STEPS, space, blend)
    if output is None:  # plan_blend refuses every other kind without an output
        raise ChromaValueError("blending needs output=OUT")
    opts = dict(write_options or {}, overwrite=True, config=config)
    if plan.kind == "compare":
        w, h = _check_size(size or (512, 150))
        folders = _check_outputs([output], (), overwrite)
        path = write_compare(colours[0], colours[1], output, w, h, hue=hue, colorspace=colorspace,
                             overwrite=overwrite, config=config)
        return BlendResult("compare", [path], size=(w, h), folders=folders)
    if plan.kind == "gradient":
        return _gradient_image(colours, [a, b], output, steps, size or (512, 64), space, overwrite, opts, blend)
    if plan.kind == "crossfade":
        folder = os.path.dirname(os.fspath(output)) or "."
        existed = os.path.isdir(folder)
        failed: list[tuple[str, str]] = []
        written = crossfade(a, b, output, frames, space, curve, **blend, overwrite=overwrite, create_folders=True,
                            write_options={k: v for k, v in opts.items() if k not in ("overwrite", "config")},
                            progress=progress, failures=failed, span=span)
        return BlendResult("crossfade", written, failures=failed, folders=[] if existed else [folder])
    return _mix(colours, [a, b], output, t, space, overwrite, opts, blend)


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = (int(v) for v in size)
    if not (2 <= w <= MAX_SIZE and 1 <= h <= MAX_SIZE):
        raise ChromaValueError(f"size {w}x{h}: width 2-{MAX_SIZE}, height 1-{MAX_SIZE}")
    return w, h


def _check_outputs(targets: list[str | os.PathLike], inputs: Any, overwrite: bool) -> list[str]:
    """:func:`chroma.io.check_outputs` of image outputs, creating missing folders; the folders created."""
    from chroma import io

    return io.check_outputs(targets, inputs, overwrite=overwrite, create_folders=True, images=True).folders


def _table(colours: list[Any], steps: int, space: Space, blend: dict[str, Any]) -> BlendResult:
    """A gradient of two colours as rows: t, working-space RGB, sRGB hex, OKLCh."""
    cs, config = blend["colorspace"], blend["config"]
    g = gradient(colours, steps, space, hue=blend["hue"], colorspace=cs,
                 preserve_luminance=blend["preserve_luminance"], config=config)
    disp = to_display(g, cs, config)
    lch = oklab_to_oklch(to_oklab(g, cs, config))
    rows = [{"t": float(t), "rgb": [round(float(v), 6) for v in c],
             "hex": "#" + "".join(f"{int(round(float(v) * 255)):02x}" for v in d),
             "oklch": [round(float(v), 4) for v in lc]}
            for t, c, d, lc in zip(np.linspace(0, 1, steps), g, disp, lch)]
    return BlendResult("table", rows=rows, steps=steps)


def _gradient_image(colours: list[Any], operands: list[str | os.PathLike], output: str | os.PathLike,
                    steps: int | None, size: tuple[int, int], space: Space, overwrite: bool,
                    opts: dict[str, Any], blend: dict[str, Any]) -> BlendResult:
    """A gradient of two colours written as bands across an image (EXR scene-linear, else display)."""
    from chroma import io
    from chroma.image import Image

    w, h = _check_size(size)
    folders = _check_outputs([output], (), overwrite)
    steps = steps or w
    cs, config = blend["colorspace"], blend["config"]
    exr = os.fspath(output).lower().endswith(".exr")
    gamut: Gamut | None = "working" if exr else None
    g = gradient(colours, steps, space, hue=blend["hue"], colorspace=cs,
                 preserve_luminance=blend["preserve_luminance"], gamut=gamut, config=config)
    row = g[np.minimum(np.arange(w) * steps // w, steps - 1)]
    meta = {"chroma/blend/space": space, "chroma/blend/hue": blend["hue"],
            "chroma/blend/a": os.fspath(operands[0]), "chroma/blend/b": os.fspath(operands[1])}
    if exr:
        img = Image(np.repeat(row[None], h, axis=0), ["R", "G", "B"], cs, meta)
        path = io.write(img, output, **opts)
    else:
        img = Image(np.repeat(to_display(row, cs, config)[None], h, axis=0), ["R", "G", "B"],
                    "sRGB Encoded Rec.709 (sRGB)", meta)
        path = io.write(img, output, overwrite=True)
    return BlendResult("gradient", [path], steps=steps, size=(w, h), folders=folders)


def _mix(colours: list[Any], operands: list[str | os.PathLike], output: str | os.PathLike, t: float,
         space: Space, overwrite: bool, opts: dict[str, Any], blend: dict[str, Any]) -> BlendResult:
    """One image blended at ``t`` from two images (or an image and a colour)."""
    from chroma import io

    texts = [os.fspath(x) for x in operands]
    folders = _check_outputs([output], [x for x, c in zip(texts, colours) if c is None], overwrite)
    pics: list[Any] = []
    for x, c in zip(texts, colours):
        if c is not None:
            pics.append(c)
        elif not os.path.exists(x):
            raise ChromaIOError(f"{x!r} is neither a colour nor an existing image")
        else:
            pics.append(io.read(x, config=blend["config"]))
    img = mix_images(pics[0], pics[1], t, space, hue=blend["hue"], colorspace=blend["colorspace"],
                     preserve_luminance=blend["preserve_luminance"], config=blend["config"])
    path = io.write(img, output, metadata={"blend/a": texts[0], "blend/b": texts[1]}, **opts)
    return BlendResult("mix", [path], folders=folders)


@dataclass(frozen=True)
class FadeFrame:
    """One frame of a crossfade weighed over the whole fade: per-frame work for :mod:`chroma.framerun`.

    Calling it writes frame ``frame`` of :func:`crossfade` (``a`` into ``b``, written to
    ``output``'s frame) with the weight it has in the crossfade over ``span``, so frames
    written apart (farm chunks) equal one crossfade bit for bit. An existing output frame is
    replaced; a failure raises.

    Attributes
    ----------
    a, b : str
        The two sides: sequence patterns, still images or colours.
    output : str
        The output pattern (``fade.####.exr``).
    span : str
        The frames of the whole fade (``1001-1024``).
    space : {"oklab", "oklch", "linear", "srgb"}
        Blend space (default ``"oklab"``).
    curve : str
        Weight over the frames (default ``"smooth"``).
    hue : {"shorter", "longer", "increasing", "decreasing"}
        OKLCh hue interpolation (default ``"shorter"``).
    colorspace : str
        Scene-linear working space (default ``"ACEScg"``).
    preserve_luminance : bool
        Blend at a common exposure (default False).
    write_options : dict or None
        Keywords for :func:`chroma.io.write` (dtype, compression, dwa_level, on_invalid).
    config : str or None
        OCIO config (default: ``$OCIO``, else chroma's bundled config).
    """

    a: str
    b: str
    output: str
    span: str
    space: Space = "oklab"
    curve: str = "smooth"
    hue: HueMethod = "shorter"
    colorspace: str = "ACEScg"
    preserve_luminance: bool = False
    write_options: dict[str, Any] | None = None
    config: str | None = None

    def __call__(self, frame: int | None, path: str, target: str) -> list[Path]:
        """Write frame ``frame`` of the crossfade.

        Parameters
        ----------
        frame : int or None
            The frame, one of ``span``.
        path : str
            Unused (the sides are ``a`` and ``b``).
        target : str
            Unused (``output`` names the frame's file).

        Returns
        -------
        list of pathlib.Path
            The file written.

        Raises
        ------
        ChromaError
            As :func:`crossfade`: a missing or unreadable input frame, a frame outside
            ``span``.
        """
        return crossfade(self.a, self.b, self.output, [] if frame is None else [frame], self.space, self.curve,
                         hue=self.hue, colorspace=self.colorspace, preserve_luminance=self.preserve_luminance,
                         overwrite=True, create_folders=True, write_options=self.write_options, progress=False,
                         config=self.config, span=self.span)
