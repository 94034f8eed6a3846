"""The Grade: an ordered list of operations in a scene-linear working colour space.

Applying it, inverting it, exporting it (OCIO group/CTF/CLF, ASC CDL .cc/.cdl/.ccc, a baked
.cube over a log shaper) and saving it (TOML/JSON).

References
----------
ASC Color Decision List (ASC CDL) Transfer Functions and Interchange Syntax, v1.2 (2009);
OpenColorIO documentation, ``GroupTransform.write``, ``Baker`` (https://opencolorio.readthedocs.io).
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import PyOpenColorIO as ocio

from chroma import ocio as _ocio
from chroma.errors import ChromaError, ChromaIOError, ChromaValueError
from chroma.grade.compiled import CompiledGrade, Stage, linear_conversion
from chroma.grade.operations import CDL, Exposure, Operation, colorspace_transform, operation_from_dict
from chroma.image import Image
from chroma.io import write_text

LUT_WARN_STOPS = 0.1  #: bake_lut warns when its LUT errs by more than this (stops, max)


class GradeWarning(UserWarning):
    """An export that will not reproduce the grade exactly (a coarse LUT, a lost clamp)."""


@dataclasses.dataclass(frozen=True)
class LutError:
    """How far a baked LUT is from the exact grade (:meth:`Grade.lut_error`).

    Errors are in stops, relative to the brightest channel of the exact result.

    Attributes
    ----------
    max_stops : float
        Largest error over the probe colours, in stops.
    p99_stops : float
        99th percentile of the error, in stops.
    median_stops : float
        Median error, in stops.
    max_stops_above : float
        Largest error over colours whose brightest channel is at least :attr:`ABOVE`
        scene-linear, in stops.
    clamped_fraction : float
        Fraction of probe colours whose exact result is above the LUT's range (clamped), [0, 1].
    upper : float
        Top of the LUT's range, scene-linear (222.9 for the ACEScct shaper).
    n : int
        Number of probe colours.
    """

    max_stops: float
    p99_stops: float
    median_stops: float
    max_stops_above: float  #: max over colours whose brightest channel is >= ABOVE linear
    clamped_fraction: float
    upper: float
    n: int

    ABOVE = 0.02  #: linear: -3.2 stops below mid-grey; darker, the shaper's toe is coarse


def _probe_colours(n: int, seed: int = 20261129) -> np.ndarray:
    """Working-space colours to measure exports on: a third near-neutral, a third random,
    a third saturated (one or two channels near zero), luminance 2^-8..2^7.5 x 0.18."""
    rng = np.random.default_rng(seed)
    k = n // 3
    neutral = rng.uniform(0.7, 1.0, (k, 3))
    rand = rng.uniform(0.0, 1.0, (k, 3))
    sat = rng.uniform(0.0, 0.05, (n - 2 * k, 3))
    idx = rng.integers(0, 3, n - 2 * k)
    sat[np.arange(len(sat)), idx] = 1.0
    two = rng.random(len(sat)) < 0.5
    sat[two, (idx[two] + 1) % 3] = rng.uniform(0.3, 1.0, two.sum())
    chroma = np.concatenate([neutral, rand, sat])
    chroma /= chroma.max(axis=1, keepdims=True)
    scale = 0.18 * np.exp2(rng.uniform(-8.0, 7.5, (n, 1)))
    return (chroma * scale).astype(np.float32)


def cdl_clamp_threshold(cdl: CDL, ws: str, config: str | os.PathLike | None = None) -> float | None:
    """The smallest scene-linear value at which the ASC clamp of a CDL changes its result.

    Neutral values 2^-12 to 2^10 and then the probe colours of :meth:`Grade.lut_error` are
    graded by ``cdl`` with its clamp and with ``style="no_clamp"``; a difference above 1e-4
    relative counts.

    Parameters
    ----------
    cdl : CDL
        The CDL, usually with ``style="asc"``.
    ws : str
        The grade's working colour space (scene-linear).
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Returns
    -------
    float or None
        The brightest channel, scene-linear, of the darkest colour that differs; None when
        the clamp never changes a probed colour.

    References
    ----------
    ASC CDL v1.2, clamping of the SOP and saturation results to [0, 1].
    """
    neutrals = np.repeat(np.exp2(np.linspace(-12, 10, 2201))[:, None], 3, axis=1).astype(np.float32)
    free = dataclasses.replace(cdl, style="no_clamp")
    for x in (neutrals, _probe_colours(6000)):
        a = cdl.apply_rgb(x, ws, config)
        b = free.apply_rgb(x, ws, config)
        differ = np.abs(a - b).max(axis=1) > 1e-4 * np.maximum(np.abs(b).max(axis=1), 1e-3)
        if differ.any():
            lum = x.max(axis=1)
            return float(lum[differ].min())
    return None


def _clear_lut_caches(config: str | os.PathLike | None) -> None:
    """OCIO caches LUT files and processors by path: a rewritten file must be re-read."""
    ocio.ClearAllCaches()
    _ocio.get_config(config).clearProcessorCache()
    _ocio.clear_caches()  # chroma's one processor cache (operations' processors included)


class Grade:
    """An ordered list of operations in a scene-linear working colour space.

    ``apply`` is pure; exports give the same pixels through OCIO.

    Parameters
    ----------
    operations : iterable of Operation, optional
        The operations, applied in order. Default: none.
    colorspace : str, optional
        Working colour space; it must be scene-linear. Default ``"scene_linear"``: the config's
        role (ACEScg in chroma's bundled config).
    config : str or os.PathLike or None, optional
        OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

    Raises
    ------
    chroma.errors.ChromaValueError
        When an item of ``operations`` is not an :class:`Operation`.
    chroma.errors.ColorSpaceError
        When ``colorspace`` is unknown to the config.
    chroma.errors.SceneLinearError
        When ``colorspace`` is not scene-linear.

    Examples
    --------
    >>> from chroma.grade import Exposure, Grade, WhiteBalance
    >>> g = Grade([Exposure(1.5), WhiteBalance(3200, 6504)])
    >>> g.then(Exposure(-0.5)).describe().splitlines()[2]
    '3. exposure(stops=-0.5)'
    """

    def __init__(self, operations: Iterable[Operation] = (), colorspace: str = "scene_linear",
                 config: str | os.PathLike | None = None) -> None:
        ops = list(operations)
        for op in ops:
            if not isinstance(op, Operation):
                raise ChromaValueError(f"{op!r} is not a grade operation (use chroma.grade.Exposure, CDL, ...)")
        self.operations: list[Operation] = ops
        self.config = None if config is None else os.fspath(config)
        self.last_lut_error: LutError | None = None  # set by bake_lut: how far its LUT is off
        self.colorspace = _ocio.require_scene_linear(colorspace, self.config, "a grade's working colour space")

    def __repr__(self) -> str:
        return f"Grade([{', '.join(op.describe() for op in self.operations)}], colorspace={self.colorspace!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grade) and self.to_dict() == other.to_dict()

    def __len__(self) -> int:
        return len(self.operations)

    def then(self, *ops: Operation) -> "Grade":
        """A new grade with ``ops`` appended.

        Parameters
        ----------
        *ops : Operation
            Operations to add after this grade's.

        Returns
        -------
        Grade
            A new grade in the same working space and config; this one is unchanged.
        """
        return Grade([*self.operations, *ops], self.colorspace, self.config)

    # ---------------------------------------------------------------- applying

    def compile(self, src: str | None = None, dst: str | None = None) -> CompiledGrade:
        """Bind the grade to input and output colour spaces and fuse its affine steps.

        Consecutive affine steps (exposure, white balance, saturation, linear colour-space
        conversions) become one 3x3 matrix plus offset; identity steps are dropped.

        Parameters
        ----------
        src : str or None, optional
            Colour space of the pixels given to the compiled grade; default None: the working space.
        dst : str or None, optional
            Colour space of the result; default None: the working space.

        Returns
        -------
        CompiledGrade
            The grade bound to ``src`` and ``dst`` (picklable).
        """
        cfg = self.config
        path = _ocio.config_path(cfg)
        ws = self.colorspace
        src = _ocio.resolve_colorspace(src, cfg) if src else ws
        dst = _ocio.resolve_colorspace(dst, cfg) if dst else ws
        raw: list[Stage] = []
        conv_in = linear_conversion(path, src, ws)
        raw.append(Stage(affine=conv_in) if conv_in else Stage(convert=(src, ws)))
        for op in self.operations:
            aff = op.affine(ws, cfg)
            raw.append(Stage(affine=aff) if aff is not None else Stage(op=op))
        conv_out = linear_conversion(path, ws, dst)
        raw.append(Stage(affine=conv_out) if conv_out else Stage(convert=(ws, dst)))
        stages: list[Stage] = []
        for st in raw:
            if st.affine is not None and stages and stages[-1].affine is not None:
                m0, b0 = stages[-1].affine
                m1, b1 = st.affine
                stages[-1] = Stage(affine=(m1 @ m0, m1 @ b0 + b1))
            else:
                stages.append(st)
        stages = [s for s in stages if not (s.affine is not None and np.allclose(s.affine[0], np.eye(3), rtol=0, atol=1e-12)
                                            and not np.any(s.affine[1]))]
        return CompiledGrade(src, dst, ws, cfg, stages, self)

    def apply_rgb(self, rgb: np.ndarray, src: str | None = None, dst: str | None = None) -> np.ndarray:
        """Apply the grade to RGB pixels.

        Parameters
        ----------
        rgb : numpy.ndarray
            Pixels (..., 3), float32, in ``src``.
        src : str or None, optional
            Colour space of ``rgb``; default None: the working space (scene-linear).
        dst : str or None, optional
            Colour space of the result; default None: ``src``.

        Returns
        -------
        numpy.ndarray
            Graded pixels (..., 3), float32, in ``dst``.
        """
        return self.compile(src, dst or src).apply_rgb(rgb)

    def apply(self, image: Image, colorspace: str | None = None) -> Image:
        """The graded image.

        Colour channels are graded from the image's colour space, with the result in
        ``colorspace`` (default: the image's own); every other channel (A, Z, layers) and the
        metadata are kept, and the grade is recorded as JSON under ``chroma/grade``.

        Parameters
        ----------
        image : chroma.Image
            The image to grade.
        colorspace : str or None, optional
            Output colour space; default None: the image's.

        Returns
        -------
        chroma.Image
            A new image; ``image`` is unchanged.

        Raises
        ------
        chroma.errors.ChromaValueError
            When ``image`` is not a :class:`chroma.Image`.
        """
        if not isinstance(image, Image):
            raise ChromaValueError(f"Grade.apply takes a chroma.Image, not {type(image).__name__}")
        dst = colorspace or image.colorspace
        compiled = self.compile(image.colorspace, dst)
        out = image.with_rgb(compiled.apply_rgb(image.rgb), compiled.dst)
        out.metadata["chroma/grade"] = self.to_json()
        return out

    # --------------------------------------------------------------- inverse

    def inverse(self) -> "Grade":
        """The inverse grade: each operation inverted, in reverse order.

        Returns
        -------
        Grade
            The grade that undoes this one, in the same working space.

        Raises
        ------
        chroma.errors.ChromaValueError
            When an operation has no inverse (a clamping CDL, saturation 0, a LUT OCIO cannot
            invert...).
        """
        inv = []
        for op in reversed(self.operations):
            i = op.inverse()
            if i is None:
                raise ChromaValueError(f"{op.describe()} has no inverse")
            inv.append(i)
        return Grade(inv, self.colorspace, self.config)

    # --------------------------------------------------------------- exports

    def to_ocio(self, src: str | None = None, dst: str | None = None) -> ocio.GroupTransform:
        """An OCIO GroupTransform giving the same pixels as :meth:`apply_rgb`.

        [src -> working space] + the operations' transforms + [working space -> dst], the
        conversions only where the spaces differ.

        Parameters
        ----------
        src : str or None, optional
            Input colour space; default None: the working space.
        dst : str or None, optional
            Output colour space; default None: the working space.

        Returns
        -------
        PyOpenColorIO.GroupTransform
            The transforms, in order.
        """
        cfg = self.config
        ws = self.colorspace
        group = ocio.GroupTransform()
        if src and _ocio.resolve_colorspace(src, cfg) != ws:
            group.appendTransform(colorspace_transform(_ocio.resolve_colorspace(src, cfg), ws))
        for op in self.operations:
            for t in op.transforms(ws, cfg):
                group.appendTransform(t)
        if dst and _ocio.resolve_colorspace(dst, cfg) != ws:
            group.appendTransform(colorspace_transform(ws, _ocio.resolve_colorspace(dst, cfg)))
        return group

    def ocio_processor(self, src: str | None = None, dst: str | None = None,
                       optimization: "ocio.OptimizationFlags" = ocio.OPTIMIZATION_LOSSLESS) -> ocio.CPUProcessor:
        """The OCIO CPU processor of :meth:`to_ocio`.

        Parameters
        ----------
        src : str or None, optional
            Input colour space; default None: the working space.
        dst : str or None, optional
            Output colour space; default None: the working space.
        optimization : PyOpenColorIO.OptimizationFlags, optional
            Default ``OPTIMIZATION_LOSSLESS`` (exact maths); ``ocio.OPTIMIZATION_DEFAULT`` uses
            OCIO's fast approximate log/exp/pow.

        Returns
        -------
        PyOpenColorIO.CPUProcessor
            A processor for float32 RGB.

        Raises
        ------
        chroma.errors.ChromaError
            When OCIO cannot build the transform (e.g. a LUT file it cannot read).
        """
        cfg = _ocio.get_config(self.config)
        try:
            return cfg.getProcessor(self.to_ocio(src, dst)).getOptimizedCPUProcessor(optimization)
        except ocio.Exception as exc:
            raise ChromaError(f"OCIO cannot build this grade: {exc}") from None

    def write_ocio(self, path: str | os.PathLike, src: str | None = None, dst: str | None = None) -> Path:
        """Write the grade as an OCIO CTF or CLF file, self-contained.

        Colour-space conversions are baked into its ops by OCIO
        (``Processor.createGroupTransform().write``).

        Parameters
        ----------
        path : str or os.PathLike
            Output file; ``.ctf`` writes Color Transform Format, any other suffix the Academy/ASC
            Common LUT Format (CLF).
        src : str or None, optional
            Input colour space; default None: the working space.
        dst : str or None, optional
            Output colour space; default None: the working space.

        Returns
        -------
        pathlib.Path
            ``path``.

        References
        ----------
        OpenColorIO documentation, ``GroupTransform.write`` formats; Academy/ASC Common LUT
        Format v3 (S-2014-006).
        """
        path = Path(path)
        cfg = _ocio.get_config(self.config)
        proc = cfg.getProcessor(self.to_ocio(src, dst))
        fmt = "Color Transform Format" if path.suffix.lower() == ".ctf" else "Academy/ASC Common LUT Format"
        write_text(path, proc.createGroupTransform().write(formatName=fmt, config=cfg))
        return path

    def to_cdl(self) -> CDL:
        """The grade as ONE ASC CDL, when it is CDL-expressible.

        A single CDL, optionally after exposure operations when the CDL is applied in the
        working space (they fold into its slope); exposure operations alone become a no-clamp
        CDL whose slope is ``2**stops``.

        Returns
        -------
        CDL
            The equivalent CDL.

        Raises
        ------
        chroma.errors.ChromaValueError
            When the grade has other operations, several CDLs, an exposure after the CDL, or an
            exposure before a CDL applied in another colour space.

        References
        ----------
        ASC CDL v1.2 (slope, offset, power, saturation).
        """
        cdls = [op for op in self.operations if isinstance(op, CDL)]
        others = [op for op in self.operations if not isinstance(op, (CDL, Exposure))]
        if others or len(cdls) > 1:
            raise ChromaValueError(
                "this grade is not expressible as one ASC CDL (it has "
                + ", ".join(sorted({op.kind for op in others} | ({"several CDLs"} if len(cdls) > 1 else set())))
                + "); export it with --bake-lut or as an OCIO transform instead"
            )
        if not cdls:
            gain = 2.0 ** sum(op.stops for op in self.operations if isinstance(op, Exposure))
            return CDL((gain,) * 3, style="no_clamp", colorspace="")
        cdl = cdls[0]
        idx = self.operations.index(cdl)
        after = [op for op in self.operations[idx + 1:] if isinstance(op, Exposure)]
        before = self.operations[:idx]
        if after:
            raise ChromaValueError("an exposure after the CDL cannot fold into it; put exposure first")
        if before:
            if cdl.applied_in(self.colorspace, self.config) != self.colorspace:
                raise ChromaValueError(
                    f"exposure before a CDL applied in {cdl.colorspace!r} does not fold into it; "
                    "apply the CDL in the working space (colorspace='') or drop the exposure"
                )
            gain = 2.0 ** sum(op.stops for op in before if isinstance(op, Exposure))
            r, g, b = cdl.slope
            cdl = dataclasses.replace(cdl, slope=(r * gain, g * gain, b * gain))
        return cdl

    def write_cdl(self, path: str | os.PathLike, cc_id: str | None = None) -> Path:
        """Write the grade as ASC CDL XML.

        ``.cc`` (one ColorCorrection), ``.cdl`` (ColorDecisionList) or ``.ccc``
        (ColorCorrectionCollection). The colour space the CDL applies in is stated in its
        Description; a CDL that relies on the ASC clamp issues a :class:`GradeWarning`, since
        OCIO reads .cc/.cdl files unclamped.

        Parameters
        ----------
        path : str or os.PathLike
            Output file ending in .cc, .cdl or .ccc.
        cc_id : str or None, optional
            The ColorCorrection id; default None: the file's stem.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        chroma.errors.ChromaValueError
            When the grade is not CDL-expressible (:meth:`to_cdl`) or the suffix is not
            .cc/.cdl/.ccc.

        References
        ----------
        ASC CDL v1.2, XML interchange schema (ColorCorrection, ColorDecisionList,
        ColorCorrectionCollection).
        """
        path = Path(path)
        cdl = self.to_cdl()
        cc_id = cc_id or path.stem
        space = cdl.applied_in(self.colorspace, self.config)
        desc = f"chroma grade; apply in {space}; style {cdl.style}"
        if cdl.style == "asc":
            desc += ("; ASC v1.2 clamps to [0, 1]: OCIO reads a .cc/.cdl unclamped (CDL_NO_CLAMP) "
                     "unless its CDLTransform style is set to ASC")
            above = cdl_clamp_threshold(cdl, self.colorspace, self.config)
            if above is not None:
                warnings.warn(
                    f"{path.name}: this CDL relies on the ASC clamp (neutral values above {above:.3g} linear "
                    "come out different without it), but OCIO and most tools read .cc/.cdl files unclamped; "
                    "set the CDL style to ASC where it is applied, or export the exact transform as .ctf/.clf "
                    "(Grade.write_ocio)", GradeWarning, stacklevel=2)
        formats = {".cc": "ColorCorrection", ".cdl": "ColorDecisionList", ".ccc": "ColorCorrectionCollection"}
        fmt = formats.get(path.suffix.lower())
        if fmt is None:
            raise ChromaValueError(f"a CDL file ends in .cc, .cdl or .ccc, not {path.name!r}")
        write_text(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + cdl.xml(cc_id, desc, fmt))
        return path

    def bake_lut(self, path: str | os.PathLike, *, shaper: str = "ACEScct", size: int = 65) -> Path:
        """Bake the grade into a .cube 3D LUT over a log shaper, with OCIO's Baker.

        The LUT's input and output are ``shaper``-encoded (ACEScct by default: the scene-linear
        range -0.0069 to 222.9 in [0, 1], about 0.28 stops between nodes of a 65-cube), so for
        scene-linear input it is applied as ``working -> shaper``, the cube, ``shaper ->
        working`` (:meth:`baked_lut_transform` builds that OCIO group; in Nuke an
        OCIOColorSpace ACEScg->ACEScct, a Vectorfield, and back). OCIO's own in-file shaper
        (Resolve .cube) samples its 1D shaper uniformly in linear light, which loses whole stops
        in the shadows, so chroma keeps the shaper outside the file. The error measured by
        :meth:`lut_error` is written in the file's header and kept in ``last_lut_error``; above
        0.1 stops a :class:`GradeWarning` is issued. See docs/grade.md for the measured accuracy.

        Parameters
        ----------
        path : str or os.PathLike
            The .cube file to write (atomically).
        shaper : str, optional
            Log colour space the cube is sampled in; default ``"ACEScct"``.
        size : int, optional
            Nodes per axis, 2 to 129; default 65.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        chroma.errors.ChromaValueError
            When ``size`` is outside 2-129.
        chroma.errors.ChromaIOError
            When the folder of ``path`` does not exist.
        chroma.errors.ChromaError
            When OCIO cannot bake the grade.

        References
        ----------
        OpenColorIO documentation, ``Baker`` (format ``iridas_cube``); S-2016-001 ACEScct.
        """
        path = Path(path)
        if not 2 <= int(size) <= 129:
            raise ChromaValueError(f"cube size {size} is outside 2-129 (65 is usual)")
        if not path.parent.is_dir():
            raise ChromaIOError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
        ws = self.colorspace
        shaper_cs = _ocio.resolve_colorspace(shaper, self.config)
        text = self._bake_cube(shaper_cs, int(size))
        header = (f"# chroma grade baked by OCIO {ocio.__version__}: {self!r}\n"
                  f"# input and output: {shaper_cs}-encoded {ws}; for scene-linear {ws}: "
                  f"{ws} -> {shaper_cs}, this LUT, {shaper_cs} -> {ws}\n")
        write_text(path, header + text)
        _clear_lut_caches(self.config)
        err = self.lut_error(path, shaper)
        header += (f"# measured against the exact grade over {err.n} colours 0.0007-32 linear, saturated "
                   f"included: error max {err.max_stops:.3f} stops, p99 {err.p99_stops:.3f}, median "
                   f"{err.median_stops:.4f} of the brightest channel (max {err.max_stops_above:.3f} at "
                   f"{LutError.ABOVE} linear and above); above {err.upper:.4g} linear the LUT clamps. "
                   "Exact: the grade as .ctf/.clf\n")
        write_text(path, header + text)
        _clear_lut_caches(self.config)
        self.last_lut_error = err
        if err.max_stops > LUT_WARN_STOPS:
            warnings.warn(
                f"{path.name}: the baked LUT is off the exact grade by up to {err.max_stops:.2f} stops "
                f"(p99 {err.p99_stops:.2f}; {err.max_stops_above:.2f} at {LutError.ABOVE} linear and above) "
                "on some colours; for exact results export the grade as .ctf/.clf "
                "(Grade.write_ocio; chroma grade --export-ctf)", GradeWarning, stacklevel=2)
        return path

    def _bake_cube(self, shaper_cs: str, size: int) -> str:
        """The .cube text OCIO's Baker makes of the grade over ``shaper_cs``, in an editable config copy."""
        cfg = ocio.Config.CreateFromFile(_ocio.config_path(self.config))  # an editable copy
        ws = self.colorspace
        ref = cfg.getCanonicalName("aces_interchange") or "ACES2065-1"
        group = ocio.GroupTransform([colorspace_transform(ref, shaper_cs), colorspace_transform(shaper_cs, ws)])
        for t in self.to_ocio():
            group.appendTransform(t)
        group.appendTransform(colorspace_transform(ws, shaper_cs))
        graded = ocio.ColorSpace(name="chroma_graded_bake")
        graded.setTransform(group, ocio.COLORSPACE_DIR_FROM_REFERENCE)
        cfg.addColorSpace(graded)
        baker = ocio.Baker()
        baker.setConfig(cfg)
        baker.setFormat("iridas_cube")
        baker.setInputSpace(shaper_cs)
        baker.setTargetSpace("chroma_graded_bake")
        baker.setCubeSize(size)
        try:
            text = baker.bake()
        except ocio.Exception as exc:
            raise ChromaError(f"OCIO could not bake this grade: {exc}") from None
        return text

    def lut_error(self, path: str | os.PathLike, shaper: str = "ACEScct", n: int = 20000) -> "LutError":
        """How far the baked LUT at ``path`` (from :meth:`bake_lut`) is from the exact grade.

        Measured over ``n`` working-space colours (fixed seed): luminance 2^-8 to 2^7.5 x 0.18,
        neutral, random and saturated chromaticities. The error of a colour is the largest
        channel difference relative to the brightest channel of the exact result, in stops
        (log2(1 + e)); colours whose exact result is above the shaper's range (222.9 linear for
        ACEScct), where the LUT clamps, are counted apart.

        Parameters
        ----------
        path : str or os.PathLike
            A .cube written by :meth:`bake_lut`.
        shaper : str, optional
            The shaper it was baked with; default ``"ACEScct"``.
        n : int, optional
            Number of probe colours; default 20000.

        Returns
        -------
        LutError
            The error statistics, in stops.
        """
        cfg = _ocio.get_config(self.config)
        x = _probe_colours(n)
        exact = _ocio.apply_cpu(self.ocio_processor(), x)
        baked = _ocio.apply_cpu(cfg.getProcessor(self.baked_lut_transform(path, shaper))
                                .getOptimizedCPUProcessor(ocio.OPTIMIZATION_LOSSLESS), x)
        shaper_cs = _ocio.resolve_colorspace(shaper, self.config)
        top = float(_ocio.apply_cpu(cfg.getProcessor(colorspace_transform(shaper_cs, self.colorspace)).getDefaultCPUProcessor(),
                                    np.ones((1, 3), np.float32))[0].min())
        peak = np.abs(exact).max(axis=1)
        clamped = exact.max(axis=1) > top
        ok = ~clamped & (peak > 0) & np.all(np.isfinite(exact), axis=1)
        rel = np.abs(baked[ok] - exact[ok]).max(axis=1) / peak[ok]
        stops_err = np.log2(1.0 + rel)
        if not stops_err.size:
            return LutError(0.0, 0.0, 0.0, 0.0, float(clamped.mean()), top, int(len(x)))
        bright = x[ok].max(axis=1) >= LutError.ABOVE
        return LutError(float(stops_err.max()), float(np.quantile(stops_err, 0.99)), float(np.median(stops_err)),
                        float(stops_err[bright].max()) if bright.any() else 0.0,
                        float(clamped.mean()), top, int(len(x)))

    def baked_lut_transform(self, path: str | os.PathLike, shaper: str = "ACEScct") -> ocio.GroupTransform:
        """The OCIO transform that applies a LUT from :meth:`bake_lut` to working-space pixels.

        Parameters
        ----------
        path : str or os.PathLike
            The .cube file (made absolute: OCIO resolves relative paths against the config).
        shaper : str, optional
            The shaper it was baked with; default ``"ACEScct"``.

        Returns
        -------
        PyOpenColorIO.GroupTransform
            The group working -> shaper, the cube (tetrahedral interpolation), shaper -> working.
        """
        ws = self.colorspace
        shaper_cs = _ocio.resolve_colorspace(shaper, self.config)
        # absolute: OCIO resolves a relative path against the config's search path, not the cwd
        ft = ocio.FileTransform(src=os.path.abspath(path), interpolation=ocio.INTERP_TETRAHEDRAL)
        return ocio.GroupTransform([colorspace_transform(ws, shaper_cs), ft, colorspace_transform(shaper_cs, ws)])

    # --------------------------------------------------------------- serialisation

    def to_dict(self) -> dict[str, Any]:
        """The grade as plain data: its working space and its operations' dicts.

        Returns
        -------
        dict
            ``{"colorspace": str, "operations": [dict, ...]}``, JSON- and TOML-serialisable.
        """
        return {"colorspace": self.colorspace, "operations": [op.to_dict() for op in self.operations]}

    @classmethod
    def from_dict(cls, d: dict[str, Any], config: str | os.PathLike | None = None,
                  base: Path | None = None) -> Grade:
        """A grade from its dict form (:meth:`to_dict`).

        Parameters
        ----------
        d : dict
            ``{"colorspace": str, "operations": [...]}`` (``operation`` is accepted for
            ``operations``, as TOML's ``[[operation]]`` tables give it).
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).
        base : pathlib.Path or None, optional
            Folder that relative LUT paths are relative to; default None: the current folder.

        Returns
        -------
        Grade
            The grade.

        Raises
        ------
        chroma.errors.ChromaValueError
            When ``d`` is not a table, its operations not a list, or an operation is malformed.
        """
        if not isinstance(d, dict):
            raise ChromaValueError("a grade is a table with 'colorspace' and 'operations'")
        ops = d.get("operations", d.get("operation", []))
        if not isinstance(ops, list):
            raise ChromaValueError("a grade's operations must be a list")
        return cls([operation_from_dict(o, base) for o in ops], d.get("colorspace", "scene_linear"), config)

    def to_json(self) -> str:
        """The grade as compact JSON (:meth:`to_dict`), as stored in image metadata.

        Returns
        -------
        str
            JSON text on one line.
        """
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, config: str | os.PathLike | None = None) -> Grade:
        """A grade from JSON text (:meth:`to_json`).

        Parameters
        ----------
        text : str
            The JSON text.
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        Grade
            The grade.

        Raises
        ------
        chroma.errors.ChromaValueError
            When the text is not JSON or not a grade.
        """
        try:
            return cls.from_dict(json.loads(text), config)
        except json.JSONDecodeError as exc:
            raise ChromaValueError(f"not a grade in JSON: {exc}") from None

    def to_toml(self) -> str:
        """The grade as TOML text.

        Returns
        -------
        str
            ``colorspace`` and one ``[[operation]]`` table per operation, in order.
        """
        lines = ["# chroma grade: operations apply in order, in the working colour space", f"colorspace = {_toml(self.colorspace)}", ""]
        for op in self.operations:
            lines.append("[[operation]]")
            for k, v in op.to_dict().items():
                lines.append(f"{k} = {_toml(v)}")
            lines.append("")
        return "\n".join(lines)

    @classmethod
    def from_toml(cls, text: str, config: str | os.PathLike | None = None,
                  base: Path | None = None) -> Grade:
        """A grade from TOML text (:meth:`to_toml`).

        Parameters
        ----------
        text : str
            The TOML text.
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).
        base : pathlib.Path or None, optional
            Folder that relative LUT paths are relative to; default None: the current folder.

        Returns
        -------
        Grade
            The grade.

        Raises
        ------
        chroma.errors.ChromaValueError
            When the text is not valid TOML or not a grade.
        """
        try:
            import tomllib
        except ImportError:  # Python 3.10: the same parser, as the package tomli (a dependency there)
            import tomli as tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ChromaValueError(f"not a valid grade TOML: {exc}") from None
        return cls.from_dict(data, config, base)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the grade as TOML (``.toml``) or JSON (``.json``), atomically.

        Parameters
        ----------
        path : str or os.PathLike
            Output file; a ``.json`` suffix writes JSON, any other TOML.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        chroma.errors.ChromaIOError
            When the folder of ``path`` does not exist.
        """
        path = Path(path)
        if not path.parent.is_dir():
            raise ChromaIOError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
        text = json.dumps(self.to_dict(), indent=2) + "\n" if path.suffix.lower() == ".json" else self.to_toml()
        write_text(path, text)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, config: str | os.PathLike | None = None) -> Grade:
        """Read a grade saved with :meth:`save` (TOML or JSON).

        LUT paths in the file are relative to the file's folder.

        Parameters
        ----------
        path : str or os.PathLike
            A ``.json`` file, or TOML for any other suffix.
        config : str or os.PathLike or None, optional
            OCIO config path; default None: chroma's bundled config (or ``$OCIO``).

        Returns
        -------
        Grade
            The grade.

        Raises
        ------
        chroma.errors.ChromaIOError
            When the file does not exist.
        chroma.errors.ChromaValueError
            When the file is not valid JSON/TOML or not a grade.
        """
        path = Path(path)
        if not path.is_file():
            raise ChromaIOError(f"grade file {str(path)!r} does not exist")
        text = path.read_text()
        if path.suffix.lower() == ".json":
            try:
                return cls.from_dict(json.loads(text), config, path.parent)
            except json.JSONDecodeError as exc:
                raise ChromaValueError(f"{str(path)!r} is not valid JSON: {exc}") from None
        return cls.from_toml(text, config, path.parent)

    def describe(self) -> str:
        """The grade in words, one numbered line per operation.

        Returns
        -------
        str
            The operations and, last, the working space.
        """
        if not self.operations:
            return f"(no operations; working space {self.colorspace})"
        return "\n".join(f"{i + 1}. {op.describe()}" for i, op in enumerate(self.operations)) + f"\n(working space {self.colorspace})"


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return json.dumps(str(v))
