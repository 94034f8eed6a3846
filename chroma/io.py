"""Read and write images through OpenImageIO (EXR, DPX, TIFF, PNG, JPEG, ...).

EXR output is scene-linear with honest metadata: half (default) or float, a chosen
compression, ``chromaticities`` that match the colour space (AP1 for ACEScg, AP0 for
ACES2065-1, Rec.709 for linear sRGB), the colour space in ``oiio:ColorSpace`` (OIIO 3.2
stores the interop ID, e.g. ``lin_ap1_scene``, plus ``colorInteropID``), and user
metadata under ``chroma/``. Writes are atomic (temporary file + rename) and refuse to
replace the file an image was read from unless asked.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal, Mapping

import numpy as np
import OpenImageIO as oiio

from chroma import colorimetry
from chroma import ocio as _ocio
from chroma.errors import ChromaError, ChromaIOError, ChromaValueError, ColorSpaceError
from chroma.image import DEFAULT_COLORSPACE, Image

# chroma's atomic writes and temporary names are render's, one rule for both packages (render
# must not import chroma; render.atomic needs only the standard library)
from render.atomic import TEMP_MARK, atomic_path, temp_path_for

HALF_MAX = 65504.0
COMPRESSIONS = ("zip", "zips", "piz", "pxr24", "b44", "b44a", "dwaa", "dwab", "rle", "none")
OnInvalid = Literal["warn", "error", "clamp"]

# Header attributes that describe the file's structure, not the picture: they are
# recomputed on every write and not copied from an image's metadata.
_STRUCTURAL = {
    "compression", "chromaticities", "colorInteropID", "oiio:ColorSpace", "oiio:subimages",
    "oiio:RowsPerChunk", "openexr:chunkCount", "oiio:BitsPerSample", "openexr:lineOrder",
    "openexr:dwaCompressionLevel", "openexr:zipCompressionLevel", "tiledesc",
    "planarconfig", "oiio:UnassociatedAlpha", "oiio:Gamma", "oiio:ColorSpace:Params",
}


# OpenImageIO is a nanobind extension: every object of it still alive when its module is torn
# down at interpreter exit is reported on stderr ("nanobind: leaked 2 instances!", "leaked
# type ...", about 21 lines after every render, after the command's last line). The holders
# are modules that keep OIIO objects at module level: colour-science's colour.io keeps OIIO's
# ImageSpec type and its TypeDesc constants (MAPPING_BIT_DEPTH), and with torch loaded they
# outlive OIIO's module. They are released at exit, before the interpreter tears modules down.
_OIIO_HOLDERS = {
    "colour.io.image": ("MAPPING_BIT_DEPTH", "ImageSpec", "DOUBLE", "FLOAT", "HALF", "UINT8", "UINT16"),
    "colour.io.fichet2021": ("MAPPING_BIT_DEPTH",),
}


def _release_oiio_objects() -> None:
    """Drop the module-level references to OIIO objects of :data:`_OIIO_HOLDERS` (at exit)."""
    for name, attributes in _OIIO_HOLDERS.items():
        module = sys.modules.get(name)
        for attribute in attributes if module is not None else ():
            vars(module).pop(attribute, None)


atexit.register(_release_oiio_objects)


class ChromaWarning(UserWarning):
    """A problem chroma reports without stopping (e.g. NaN written to an EXR)."""


def _oiio_error(obj: Any = None) -> str:
    msg = ""
    if obj is not None and hasattr(obj, "geterror"):
        msg = obj.geterror()
    return (msg or oiio.geterror() or "unknown error").strip().replace("\n", " ")


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
"""The range of an EXR ``int`` attribute (OpenEXR has no 64-bit integer attribute type)."""

_WIDE_INT = re.compile(r"-?[1-9][0-9]{9,}")


def _wide_int(text: str) -> int | None:
    """The integer a string attribute holds when it is one :func:`write` stored as text: the
    canonical decimal spelling (no sign but ``-``, no leading zero) of a value outside int32."""
    if _WIDE_INT.fullmatch(text):
        number = int(text)
        if not INT32_MIN <= number <= INT32_MAX:
            return number
    return None


def attribute_value(attr: Any) -> Any:
    """Return the Python value of an OIIO ``ParamValue`` (an image header attribute).

    Integers outside int32 are written by :func:`write` as decimal strings (OpenEXR has no
    64-bit integer attribute); such a string (canonical spelling, beyond int32) is read back
    as the ``int`` it holds, so any integer round-trips exactly.

    Parameters
    ----------
    attr : OpenImageIO.ParamValue
        One attribute of an ``ImageSpec``'s ``extra_attribs``.

    Returns
    -------
    Any
        Its value; arrays become tuples, so headers compare and serialise plainly.
    """
    value = attr.value
    if isinstance(value, np.ndarray):
        value = tuple(value.tolist())
    elif isinstance(value, str):
        number = _wide_int(value)
        if number is not None:
            return number
    return value


def read(
    path: str | os.PathLike,
    colorspace: str | None = None,
    config: str | os.PathLike | None = None,
) -> Image:
    """Read an image file (any format OIIO reads) as float32 pixels.

    The colour space is, in order: ``colorspace`` if given; the file's own
    ``oiio:ColorSpace`` / ``colorInteropID`` attribute; its ``chromaticities`` when they are
    AP0, AP1 or Rec.709; the config's file rules (a colour-space name in the path; EXR
    defaults to ACEScg in chroma's bundled config).

    Parameters
    ----------
    path : str or os.PathLike
        The image file.
    colorspace : str or None, optional
        The file's colour space, overriding what its header says (any config name or alias).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    Image
        Height x width x channels float32 pixels as stored (no conversion), the channel
        names, the colour space, the header attributes (plus ``oiio:format`` and
        ``oiio:datatype``) and ``source``, the absolute path.

    Raises
    ------
    ChromaIOError
        The file does not exist, is a folder, or cannot be opened or read (corrupt,
        truncated).
    ColorSpaceError
        ``colorspace`` is not in the config.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ChromaIOError(f"{path!r} does not exist")
    if os.path.isdir(path):
        raise ChromaIOError(f"{path!r} is a folder, not an image file")
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ChromaIOError(f"cannot open {path!r}: {_oiio_error()}")
    try:
        spec = inp.spec()
        pixels = inp.read_image(0, 0, 0, spec.nchannels, "float")
        err = inp.geterror() if inp.has_error else ""
        if pixels is None or err:
            raise ChromaIOError(
                f"cannot read {path!r}: the file is corrupt or truncated ({(err or _oiio_error()).strip()})"
            )
        metadata = {a.name: attribute_value(a) for a in spec.extra_attribs}
        channels = list(spec.channelnames)
        fmt = inp.format_name()
    finally:
        inp.close()
    pixels = np.asarray(pixels, dtype=np.float32).reshape(spec.height, spec.width, spec.nchannels)
    metadata["oiio:format"] = fmt
    metadata["oiio:datatype"] = str(spec.format)
    if spec.channelformats:  # the sample type of each channel, where they differ (half colour, float vectors)
        metadata["oiio:channelformats"] = ",".join(str(f) for f in spec.channelformats)
    cs = colorspace and _ocio.resolve_colorspace(colorspace, config)
    if not cs:
        cs = colorspace_from_metadata(metadata, config) or _ocio.colorspace_from_path(path, config)
    return Image(pixels, channels, cs, metadata, source=os.path.abspath(path))


def header(path: str | os.PathLike, config: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read an image file's header without its pixels.

    Parameters
    ----------
    path : str or os.PathLike
        The image file.
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    dict
        ``format``, ``width`` and ``height`` (pixels), ``channels``, ``datatype`` and
        ``colorspace`` (found as :func:`read` finds it; None when none is known).

    Raises
    ------
    ChromaIOError
        The file cannot be opened.
    """
    path = os.fspath(path)
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ChromaIOError(f"cannot open {path!r}: {_oiio_error()}")
    try:
        spec = inp.spec()
        metadata = {a.name: attribute_value(a) for a in spec.extra_attribs}
        fmt = inp.format_name()
    finally:
        inp.close()
    try:
        cs = colorspace_from_metadata(metadata, config) or _ocio.colorspace_from_path(path, config)
    except ChromaError:
        cs = None
    return {"format": fmt, "width": spec.width, "height": spec.height, "channels": list(spec.channelnames),
            "datatype": str(spec.format), "colorspace": cs}


def colorspace_from_metadata(metadata: Mapping[str, Any], config: str | os.PathLike | None = None) -> str | None:
    """The colour space a file's header names, or None.

    Tried in order: ``oiio:ColorSpace``, ``colorInteropID`` (names the config knows), then
    the EXR ``chromaticities`` attribute matched to a known space's primaries and white.

    Parameters
    ----------
    metadata : Mapping[str, Any]
        Header attributes (``Image.metadata``).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    str or None
        The config's name for the colour space, or None when the header names none.
    """
    for key in ("oiio:ColorSpace", "colorInteropID"):
        name = metadata.get(key)
        if isinstance(name, str) and name:
            try:
                return _ocio.resolve_colorspace(name, config)
            except ColorSpaceError:
                continue
    chroma_attr = metadata.get("chromaticities")
    if isinstance(chroma_attr, tuple) and len(chroma_attr) == 8:
        return colorimetry.colorspace_from_chromaticities(chroma_attr)
    return None


def check_values(pixels: np.ndarray, half: bool) -> dict[str, int]:
    """Count the values an EXR cannot hold as they are: NaN, +/-Inf and half overflow.

    Parameters
    ----------
    pixels : numpy.ndarray
        The pixel values (any shape).
    half : bool
        The output is half float: finite values beyond +/-65504 overflow.

    Returns
    -------
    dict of str to int
        ``nan``, ``inf`` and ``half_overflow`` counts (values, not pixels).
    """
    px = np.asarray(pixels)
    lo, hi = float(px.min()), float(px.max())  # NaN propagates: one cheap pass for clean frames
    if np.isfinite(lo) and np.isfinite(hi) and (not half or max(-lo, hi) <= HALF_MAX):
        return {"nan": 0, "inf": 0, "half_overflow": 0}
    nan = int(np.count_nonzero(np.isnan(px)))
    inf = int(np.count_nonzero(np.isinf(px)))
    over = 0
    if half:
        with np.errstate(invalid="ignore"):
            over = int(np.count_nonzero(np.isfinite(px) & (np.abs(px) > HALF_MAX)))
    return {"nan": nan, "inf": inf, "half_overflow": over}


def _set_attribute(spec: oiio.ImageSpec, key: str, value: Any) -> None:
    """Set one header attribute from a Python value.

    An integer is an EXR ``int`` when it fits int32 and otherwise its decimal string
    (OpenEXR has no 64-bit integer type; OIIO raised ``std::bad_cast``): DD seeds reach
    2**32, and a viewer shows a string exactly where a ``double`` may show ``4.29497e+09``.
    :func:`attribute_value` reads such a string back as the int. A list of ints that does
    not fit int32 is written as JSON text, like other values without an EXR type.
    """
    if isinstance(value, (bool, np.bool_)):
        spec.attribute(key, int(value))
    elif isinstance(value, (int, np.integer)):
        number = int(value)
        spec.attribute(key, number if INT32_MIN <= number <= INT32_MAX else str(number))
    elif isinstance(value, (float, np.floating)):
        spec.attribute(key, float(value))
    elif isinstance(value, str):
        spec.attribute(key, value)
    elif isinstance(value, (tuple, list)) and value and all(isinstance(v, (int, float)) for v in value):
        if all(isinstance(v, int) for v in value) and not all(INT32_MIN <= v <= INT32_MAX for v in value):
            spec.attribute(key, json.dumps(list(value)))
        elif all(isinstance(v, int) for v in value):
            spec.attribute(key, oiio.TypeDesc(f"int[{len(value)}]"), tuple(value))
        else:
            spec.attribute(key, oiio.TypeDesc(f"float[{len(value)}]"), tuple(float(v) for v in value))
    else:
        spec.attribute(key, json.dumps(value, default=str))


def _is_exr(path: str) -> bool:
    return path.lower().endswith(".exr")


def write(
    image: Image,
    path: str | os.PathLike,
    *,
    dtype: Literal["half", "float"] = "half",
    compression: str = "zip",
    dwa_level: float | None = None,
    metadata: Mapping[str, Any] | None = None,
    overwrite: bool = True,
    replace_input: bool = False,
    on_invalid: OnInvalid = "warn",
    config: str | os.PathLike | None = None,
    channel_dtypes: Mapping[str, str] | None = None,
) -> Path:
    """Write an image to a file atomically (temporary file, then rename).

    EXR files are scene-linear with honest headers: the colour space in ``oiio:ColorSpace``
    and the matching ``chromaticities``. Other formats take the pixels as they are (convert
    to a display colour space first, see :func:`write_display`). ``image.metadata`` keys are
    written too, except those describing the file's structure. NaN, Inf and half overflow
    (beyond +/-65504) are counted in EXR output and handled as ``on_invalid`` says.

    Parameters
    ----------
    image : Image
        The pixels, channel names, colour space and metadata to write.
    path : str or os.PathLike
        The file to write; its extension picks the format (``.exr``, ``.png``, ``.tif``...).
    dtype : {"half", "float"}, optional
        EXR sample type: 16-bit half (default) or 32-bit float.
    compression : str, optional
        EXR compression, one of :data:`COMPRESSIONS` (default ``"zip"``).
    dwa_level : float or None, optional
        DWAA/DWAB quality level (OpenEXR's default, 45, when None).
    metadata : Mapping[str, Any] or None, optional
        Extra header attributes, written under the ``chroma/`` prefix.
    overwrite : bool, optional
        Replace an existing file (default True).
    replace_input : bool, optional
        Allow replacing the file ``image`` was read from (default False).
    on_invalid : {"warn", "error", "clamp"}, optional
        NaN/Inf/half overflow in EXR output: "warn" (default) writes them with a
        :class:`ChromaWarning`, "error" refuses, "clamp" writes 0 for NaN and clamps to
        +/-65504 for half (+/-FLT_MAX for float).
    config : str or os.PathLike or None, optional
        OCIO config resolving the colour space (default: $OCIO, else chroma's bundled one).
    channel_dtypes : Mapping[str, str] or None, optional
        EXR only: a sample type (``"half"`` or ``"float"``) for some channels by name,
        overriding ``dtype`` for them (OpenEXR stores a type per channel), e.g.
        ``{"forward.u": "float"}`` for motion vectors that need float's precision beside
        half colour. Default None: every channel ``dtype``.

    Returns
    -------
    Path
        ``path``, written.

    Raises
    ------
    ChromaIOError
        The folder is missing, the path is a folder or an existing file that may not be
        replaced, there is no writer for the extension, or OIIO failed to write.
    ChromaValueError
        A bad ``dtype``, ``on_invalid`` or ``compression``, a ``channel_dtypes`` entry
        naming no channel of the image or no type, or invalid values with
        ``on_invalid="error"``.
    """
    path = os.fspath(path)
    target = Path(path)
    _check_target(image, path, overwrite, replace_input)
    comp = _check_write_options(dtype, compression, on_invalid)
    exr = _is_exr(path)
    half = exr and dtype == "half"
    pixels = _invalid_values_policy(image.pixels, path, half, on_invalid) if exr else image.pixels
    spec = _output_spec(image, path, half, comp, dwa_level, metadata, config)
    if exr and channel_dtypes:
        _channel_formats(spec, image, dtype, channel_dtypes)
    writer_for(path)
    _write_pixels(path, spec, pixels)
    return target


def _check_target(image: Image, path: str, overwrite: bool, replace_input: bool) -> None:
    """Refuse a target in a missing folder, a folder, the image's own input or, without
    ``overwrite``, an existing file (:func:`write`'s first step)."""
    target = Path(path)
    if not target.parent.is_dir():
        raise ChromaIOError(f"cannot write {path!r}: folder {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise ChromaIOError(f"cannot write {path!r}: it is a folder")
    if target.exists():
        if image.source and same_file(path, image.source) and not replace_input:
            raise ChromaIOError(
                f"refusing to replace the input file {path!r}; write elsewhere or pass replace_input=True"
            )
        if not overwrite:
            raise ChromaIOError(f"{path!r} exists; pass overwrite=True to replace it")


def _check_write_options(dtype: str, compression: str, on_invalid: str) -> str:
    """Validate :func:`write`'s options; returns the compression in lower case."""
    if dtype not in ("half", "float"):
        raise ChromaValueError(f"EXR data type must be 'half' or 'float', not {dtype!r}")
    if on_invalid not in ("warn", "error", "clamp"):
        raise ChromaValueError(f"on_invalid must be warn, error or clamp, not {on_invalid!r}")
    comp = compression.lower()
    if comp not in COMPRESSIONS:
        raise ChromaValueError(
            f"unknown EXR compression {compression!r}; choose one of {', '.join(COMPRESSIONS)}"
        )
    return comp


def _invalid_values_policy(pixels: np.ndarray, path: str, half: bool, on_invalid: str) -> np.ndarray:
    """EXR pixels after the NaN/Inf/half-overflow policy: unchanged (a warning for "warn"),
    refused ("error") or with 0 for NaN and the container's limits for the rest ("clamp")."""
    counts = check_values(pixels, half)
    bad = {k: v for k, v in counts.items() if v}
    if not bad:
        return pixels
    what = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in bad.items())
    if on_invalid == "error":
        raise ChromaValueError(f"not writing {path!r}: {what} values (use on_invalid='clamp' to fix them)")
    if on_invalid == "clamp":
        limit = HALF_MAX if half else float(np.finfo(np.float32).max)
        return np.clip(np.nan_to_num(pixels, nan=0.0, posinf=limit, neginf=-limit), -limit, limit)
    warnings.warn(f"{path}: writing {what} values", ChromaWarning, stacklevel=3)  # at write()'s caller
    return pixels


def _output_spec(image: Image, path: str, half: bool, comp: str, dwa_level: float | None,
                 metadata: Mapping[str, Any] | None, config: str | os.PathLike | None) -> Any:
    """The OIIO ``ImageSpec`` (the header) :func:`write` writes: size, sample type, channel
    roles, the image's and ``metadata``'s attributes, and for EXR the compression, colour
    space and chromaticities."""
    exr = _is_exr(path)
    spec = oiio.ImageSpec(image.width, image.height, image.nchannels,
                          "half" if half else "float" if exr else _display_format(path))
    spec.channelnames = tuple(image.channels)
    if "A" in image.channels:
        spec.alpha_channel = image.channels.index("A")
    if "Z" in image.channels:
        spec.z_channel = image.channels.index("Z")
    for key, value in image.metadata.items():
        if key in _STRUCTURAL or key.startswith("oiio:"):
            continue
        _set_attribute(spec, key, value)
    for key, value in (metadata or {}).items():
        _set_attribute(spec, key if key.startswith("chroma/") else f"chroma/{key}", value)
    spec.attribute("Software", f"chroma {_version()}")
    if exr:
        if comp.startswith("dwa") and dwa_level is not None:
            spec.attribute("compression", f"{comp}:{int(dwa_level)}")
        else:
            spec.attribute("compression", comp)
        cs = _ocio.resolve_colorspace(image.colorspace or DEFAULT_COLORSPACE, config)
        spec.attribute("oiio:ColorSpace", cs)
        chroma_attr = colorimetry.chromaticities(cs, config)
        if chroma_attr is not None:
            spec.attribute("chromaticities", oiio.TypeDesc("float[8]"), chroma_attr)
    elif image.colorspace:
        spec.attribute("oiio:ColorSpace", image.colorspace)
    return spec


def _channel_formats(spec: Any, image: Image, dtype: str, channel_dtypes: Mapping[str, str]) -> None:
    """Give ``spec`` a sample type per channel (OIIO's ``channelformats``): ``dtype``, or
    the channel's own in ``channel_dtypes``."""
    for name, kind in channel_dtypes.items():
        if name not in image.channels:
            raise ChromaValueError(f"channel_dtypes names {name!r}, which is not a channel of the image "
                                   f"({', '.join(image.channels)})")
        if kind not in ("half", "float"):
            raise ChromaValueError(f"EXR data type of channel {name!r} must be 'half' or 'float', not {kind!r}")
    kinds = [channel_dtypes.get(c, dtype) for c in image.channels]
    spec.channelformats = tuple(oiio.TypeHalf if k == "half" else oiio.TypeFloat for k in kinds)


def _write_pixels(path: str, spec: Any, pixels: np.ndarray) -> None:
    """Write ``pixels`` with header ``spec`` to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        out = oiio.ImageOutput.create(str(tmp))
        if out is None:
            raise ChromaIOError(f"cannot write {path!r}: no writer for this file type ({_oiio_error()})")
        try:
            if not out.open(str(tmp), spec):
                raise ChromaIOError(f"cannot write {path!r}: {_oiio_error(out)}")
            data = np.ascontiguousarray(pixels, dtype=np.float32)
            if not out.write_image(data):
                raise ChromaIOError(f"cannot write {path!r}: {_oiio_error(out)}")
            if not out.close():
                raise ChromaIOError(f"cannot write {path!r}: {_oiio_error(out)}")
        except BaseException:
            try:
                out.close()
            except Exception:
                pass
            raise


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write text (UTF-8) to a file atomically (see :func:`atomic_path`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.
    text : str
        Its contents.

    Returns
    -------
    Path
        ``path``, written.

    Raises
    ------
    ChromaIOError
        The file could not be written (no such folder, no permission...).
    """
    target = Path(path)
    try:
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ChromaIOError(f"cannot write {os.fspath(path)!r}: {exc.strerror or exc}") from None
    return target


# ------------------------------------------------------------------ outputs vs inputs


def _identity(path: str | os.PathLike) -> tuple:
    """What names a file whatever its spelling: (device, inode) once it exists (hard links,
    symlinks), else its resolved absolute path (``./x``, ``a/../x``, symlinked folders)."""
    try:
        st = os.stat(path)
        return ("inode", st.st_dev, st.st_ino)
    except OSError:
        return ("path", os.path.normcase(os.path.realpath(path)))


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Tell whether two paths name the same file by any spelling.

    ``./x`` and ``x``, a symlink and its target, two hard links, a path through a
    symlinked folder all count; files that do not exist compare by resolved path.

    Parameters
    ----------
    a, b : str or os.PathLike
        The paths.

    Returns
    -------
    bool
        True when they are the same file.
    """
    if os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b)):
        return True
    ia, ib = _identity(a), _identity(b)
    return ia[0] == "inode" and ia == ib


@dataclass
class OutputCheck:
    """What :func:`check_outputs` found.

    Attributes
    ----------
    targets : list of str
        The outputs to write, in order.
    replaced : list of str
        Those of them that exist and will be replaced.
    skipped : list of str
        Outputs left out by ``skip_existing``.
    refused : list of str
        Outputs a real run would refuse (``dry_run`` only).
    folders : list of str
        The folders created (or, with ``dry_run``, to create).
    """

    targets: list[str]
    replaced: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)


def check_outputs(
    targets: Iterable[str | os.PathLike],
    inputs: Iterable[str | os.PathLike] = (),
    *,
    overwrite: bool = False,
    skip_existing: bool = False,
    create_folders: bool = False,
    dry_run: bool = False,
    images: bool = False,
    overwrite_hint: str = "pass overwrite=True to replace it",
) -> OutputCheck:
    """Check every output before anything is written: the one check all writers go through.

    Refuses, before any work: an output that is one of ``inputs`` by any spelling
    (:func:`same_file`; an input is never overwritten, even with ``overwrite``); two
    outputs that are the same file; an output that is a folder; outputs that exist, unless
    ``overwrite`` (or ``skip_existing``, which leaves them out); a missing output folder,
    unless ``create_folders`` (then it is created, as Nuke's Write node does, and listed in
    ``folders``). With ``dry_run`` nothing is created and existing outputs are listed in
    ``refused`` instead of raising.

    Parameters
    ----------
    targets : Iterable[str or os.PathLike]
        Paths to write (concrete files, one per frame).
    inputs : Iterable[str or os.PathLike], optional
        Paths read by the same job (files that may not exist are ignored).
    overwrite : bool, optional
        Replace outputs that exist (never an input). Default False.
    skip_existing : bool, optional
        Leave out outputs that exist (finish an interrupted run). Default False.
    create_folders : bool, optional
        Create missing output folders, after every check passed. Default False.
    dry_run : bool, optional
        Create nothing; list existing outputs in ``refused`` instead of raising.
    images : bool, optional
        The targets are images: each file type must have an OIIO writer. Default False.
    overwrite_hint : str, optional
        How to allow replacing, in the caller's words (API or CLI).

    Returns
    -------
    OutputCheck
        The targets to write and what was replaced, skipped, refused or created.

    Raises
    ------
    ChromaIOError
        For any of the refusals above.
    """
    result = OutputCheck([])
    existing: list[str] = []
    folders: dict[str, None] = {}
    ins = _identities(inputs)
    seen: dict[tuple, str] = {}
    for t in (os.fspath(t) for t in targets):
        _check_output(t, ins, seen, images)
        folder = _missing_folder(t, create_folders)
        if folder is not None:
            folders[folder] = None
        if os.path.exists(t):
            if skip_existing:
                result.skipped.append(t)
                continue
            existing.append(t)
        result.targets.append(t)
    if existing and not overwrite:
        if not dry_run:
            more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
            raise ChromaIOError(f"{existing[0]!r}{more} exists; {overwrite_hint}")
        result.refused = existing
    else:
        result.replaced = existing
    result.folders = list(folders)
    if not dry_run:
        _make_folders(result.folders)
    return result


def _keys(path: str) -> set[tuple]:
    """Both identities of ``path``: (device, inode) or its resolved path, and its resolved path."""
    return {_identity(path), ("path", os.path.normcase(os.path.realpath(path)))}


def _identities(inputs: Iterable[str | os.PathLike]) -> dict[tuple, str]:
    """Every identity of every input (:func:`_keys`) -> the input as it was spelled."""
    ins: dict[tuple, str] = {}
    for p in inputs:
        p = os.fspath(p)
        for k in _keys(p):
            ins.setdefault(k, p)
    return ins


def _check_output(t: str, ins: dict[tuple, str], seen: dict[tuple, str], images: bool) -> None:
    """Refuse an output that is an input, repeats another output, is a folder or (``images``)
    has no image writer; records ``t`` in ``seen``."""
    keys = _keys(t)
    hit = next((ins[k] for k in keys if k in ins), None)
    if hit is not None:
        same = "" if hit == t else f" (the same file as the input {hit!r})"
        raise ChromaIOError(f"the output {t!r} would replace an input{same}; write elsewhere")
    twin = next((seen[k] for k in keys if k in seen), None)
    if twin is not None:
        raise ChromaIOError(f"{twin!r} and {t!r} are the same file: give each output its own path")
    for k in keys:
        seen[k] = t
    if os.path.isdir(t):
        raise ChromaIOError(f"cannot write {t!r}: it is a folder")
    if images:
        writer_for(t)


def _missing_folder(t: str, create_folders: bool) -> str | None:
    """The folder of ``t`` when it must be created (None when it exists); refused when it is
    a file, or missing without ``create_folders``."""
    parent = os.path.dirname(t) or "."
    if os.path.isdir(parent):
        return None
    if os.path.exists(parent):
        raise ChromaIOError(f"cannot write {t!r}: {parent!r} is a file, not a folder")
    if not create_folders:
        raise ChromaIOError(f"output folder {parent!r} does not exist; create it first")
    return parent


def _make_folders(folders: Iterable[str]) -> None:
    """Create the output folders :func:`check_outputs` listed."""
    for folder in folders:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise ChromaIOError(f"cannot create the output folder {folder!r}: {exc.strerror}") from None


def writer_for(path: str | os.PathLike) -> str:
    """Find the OIIO format that writes a path, from its extension.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write.

    Returns
    -------
    str
        OIIO's format name (``openexr``, ``png``...).

    Raises
    ------
    ChromaIOError
        No image format writes this extension (or there is none).
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1]
    out = oiio.ImageOutput.create(f"probe{ext}") if ext else None
    if out is None:
        oiio.geterror()  # retrieved: the message below is ours
        raise ChromaIOError(
            f"cannot write {path!r}: no image format for {ext or 'a file without an extension'!r}; "
            "use .exr (scene-linear), or .png/.tif/.jpg/.dpx for display images"
        )
    return out.format_name()


def _display_format(path: str) -> str:
    ext = path.lower().rsplit(".", 1)[-1]
    return {"png": "uint16", "tif": "uint16", "tiff": "uint16", "dpx": "uint16"}.get(ext, "uint8")


def _version() -> str:
    from chroma import __version__

    return __version__


def write_display(
    image: Image,
    path: str | os.PathLike,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a display-referred preview (PNG/JPEG/TIFF) through an OCIO display/view.

    The default is the config's default display and view (sRGB, ACES 2.0 SDR in chroma's
    bundled config). Code values are clipped to [0, 1] and stored as 8 or 16 bits by the
    format (:func:`write`). Alpha, if present, is kept; other channels are dropped.

    Parameters
    ----------
    image : Image
        A scene-linear (or any config colour space) image.
    path : str or os.PathLike
        The preview to write (``.png``, ``.jpg``, ``.tif``...).
    display : str or None, optional
        OCIO display (default: the config's default display).
    view : str or None, optional
        View of ``display`` (default: the display's default view for the image's space).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    overwrite : bool, optional
        Replace an existing file (default True).

    Returns
    -------
    Path
        ``path``, written.

    Raises
    ------
    ColorSpaceError
        A display or view the config does not have.
    ChromaIOError
        The file cannot be written.
    """
    rgb = _ocio.display_view(image.rgb, image.colorspace, display, view, config=config)
    rgb = np.clip(rgb, 0.0, 1.0)
    channels = ["R", "G", "B"]
    if "A" in image.channels:
        rgb = np.concatenate([rgb, np.clip(image.pixels[:, :, [image.index("A")]], 0, 1)], axis=2)
        channels.append("A")
    cfg = _ocio.get_config(config)
    display = display or cfg.getDefaultDisplay()
    view = view or _ocio.default_view(display, image.colorspace, config)
    preview = Image(rgb, channels, display, {"chroma/view": view, "chroma/source_colorspace": image.colorspace})
    return write(preview, path, overwrite=overwrite)



# ------------------------------------------------------------------------------ convert


def convert_file(
    path: str | os.PathLike,
    target: str | os.PathLike,
    colorspace: str = DEFAULT_COLORSPACE,
    *,
    source: str | None = None,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    **write_options: Any,
) -> Path:
    """Convert an image file to another OCIO colour space and write it.

    The file is read (:func:`read`), its colour channels converted from its colour space to
    ``colorspace`` (:func:`chroma.ocio.convert`; a file already in ``colorspace`` passes
    through untouched) and written with :func:`write`. Channels other than R, G, B (alpha,
    depth, layers) pass through. With ``display`` or ``view`` the converted image is written
    through that OCIO display/view instead (:func:`write_display`, a preview).

    Parameters
    ----------
    path : str or os.PathLike
        The image to read.
    target : str or os.PathLike
        The file to write.
    colorspace : str, optional
        The colour space to convert to (default ACEScg); any name or alias of the config.
    source : str or None, optional
        The input's colour space; None (default) takes the file's own (see :func:`read`).
    display : str or None, optional
        Write a display-referred preview through this display (None: a scene-linear file).
    view : str or None, optional
        View of ``display`` (default: the display's default view); given alone, the
        config's default display.
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    **write_options : Any
        Keyword arguments of :func:`write` (``dtype``, ``compression``, ``overwrite``,
        ``on_invalid``...); with a display only ``overwrite`` applies.

    Returns
    -------
    Path
        ``target``, written.

    Raises
    ------
    ChromaIOError
        The input cannot be read or the output cannot be written.
    ColorSpaceError
        A colour space, display or view the config does not know.
    """
    img = read(path, colorspace=source, config=config)
    cs = _ocio.resolve_colorspace(colorspace, config)
    if img.colorspace != cs:  # same space: the pixels pass through untouched
        img = img.with_rgb(_ocio.convert(img.rgb, img.colorspace, cs, config), cs)
    if display or view:
        return write_display(img, target, display, view, config, overwrite=write_options.get("overwrite", True))
    return write(img, target, config=config, **write_options)


def convert_files(
    pairs: Iterable[tuple[str | os.PathLike, str | os.PathLike]],
    colorspace: str = DEFAULT_COLORSPACE,
    *,
    on_frame: Callable[[str, str | None], None] | None = None,
    **options: Any,
) -> list[tuple[str, str]]:
    """Convert many files (the frames of a sequence) with :func:`convert_file`, each in turn.

    A file that fails with a :class:`ChromaError` is recorded and the others still
    convert; any other exception (Ctrl-C included) stops the loop.

    Parameters
    ----------
    pairs : Iterable[tuple[str or os.PathLike, str or os.PathLike]]
        (input, output) paths, one pair per file.
    colorspace : str, optional
        The colour space to convert to (default ACEScg).
    on_frame : Callable[[str, str or None], None] or None, optional
        Called after each file with the input path and None, or the error message.
    **options : Any
        Keyword arguments of :func:`convert_file` (``source``, ``display``, ``view``,
        ``config``) and of :func:`write`.

    Returns
    -------
    list of tuple of (str, str)
        (input path, error message) for every file that failed; empty when all converted.
    """
    failures: list[tuple[str, str]] = []
    for path, target in pairs:
        path = os.fspath(path)
        try:
            convert_file(path, target, colorspace, **options)
        except ChromaError as exc:
            failures.append((path, str(exc)))
            if on_frame is not None:
                on_frame(path, str(exc))
            continue
        if on_frame is not None:
            on_frame(path, None)
    return failures

__all__ = [
    "read", "write", "write_display", "write_text", "atomic_path", "temp_path_for", "TEMP_MARK", "attribute_value",
    "colorspace_from_metadata",
    "check_values", "check_outputs", "same_file", "OutputCheck", "header", "ChromaWarning", "COMPRESSIONS",
    "HALF_MAX", "ChromaError", "convert_file", "convert_files",
]
