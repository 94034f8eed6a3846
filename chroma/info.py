"""What is on disk: an image, a sequence or a folder described without changing anything.

The API behind ``chroma info``: :func:`image_info` reads an image file, one frame of a
sequence or a pattern (``plate.####.exr``) and returns its header, the sequence's range and
holes, and every frame's exposure statistics in stops (:func:`chroma.stops.exposure_stats`);
:func:`folder_info` lists the sequences and single images in a folder, as ``lsseq`` does,
from their headers alone. Both return dataclasses whose ``to_dict`` is the JSON that
``chroma info --json`` prints.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from chroma.errors import ChromaError, ChromaIOError, SequenceError

if TYPE_CHECKING:
    from chroma.image import Image
    from chroma.stops import ExposureStats


@dataclass
class ImageHeader:
    """The header of the first readable image of a request.

    Attributes
    ----------
    path : str
        The file the header was read from.
    format : str or None
        OIIO's format name (``openexr``, ``png``...).
    width, height : int
        Size in pixels.
    datatype : str or None
        The stored sample type (``half``, ``float``, ``uint8``...).
    channels : list of str
        Channel names in file order.
    colorspace : str or None
        The colour space, found as :func:`chroma.io.read` finds it.
    chromaticities : tuple of float or None
        The EXR ``chromaticities`` attribute: CIE 1931 xy of R, G, B and white.
    compression : str or None
        The file's compression (``zip``, ``piz``...), where it has one.
    chroma_metadata : dict
        The header attributes under ``chroma/`` (what chroma wrote: prompts, settings...).
    """

    path: str
    format: str | None
    width: int
    height: int
    datatype: str | None
    channels: list[str]
    colorspace: str | None
    chromaticities: tuple[float, ...] | None
    compression: str | None
    chroma_metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_image(cls, image: Image, path: str) -> ImageHeader:
        """Build the header of an image read with :func:`chroma.io.read`.

        Parameters
        ----------
        image : Image
            The image; ``oiio:format``, ``oiio:datatype``, ``chromaticities`` and
            ``compression`` come from its metadata.
        path : str
            The file it was read from.

        Returns
        -------
        ImageHeader
            The fields ``chroma info`` shows.
        """
        meta = image.metadata
        return cls(
            path=path, format=meta.get("oiio:format"), width=image.width, height=image.height,
            datatype=meta.get("oiio:datatype"), channels=list(image.channels), colorspace=image.colorspace,
            chromaticities=meta.get("chromaticities"), compression=meta.get("compression"),
            chroma_metadata={k: v for k, v in meta.items() if k.startswith("chroma/")},
        )


@dataclass
class SequenceSpan:
    """The frames of a sequence on disk.

    Attributes
    ----------
    pattern : str
        The sequence as a ``####`` pattern.
    first, last : int or None
        The first and last frame numbers on disk.
    frames : int
        How many frames are on disk.
    missing : str
        Frames inside first..last that are not on disk, as ranges (``1003,1010-1012``).
    requested_absent : str or None
        Frames asked for (``frames=``) that are not on disk, as ranges; None when the
        request named one frame file rather than a pattern.
    """

    pattern: str
    first: int | None
    last: int | None
    frames: int
    missing: str
    requested_absent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict (``requested_absent`` only where it applies).

        Returns
        -------
        dict
            Field name -> value.
        """
        out = asdict(self)
        if self.requested_absent is None:
            del out["requested_absent"]
        return out


@dataclass
class FrameStats:
    """The exposure statistics of one image.

    Attributes
    ----------
    frame : int or None
        Its frame number (None for a file without one).
    path : str
        The file.
    exposure : ExposureStats
        Min, median and max luminance in stops from 0.18 mid-grey, NaN/Inf and
        non-positive counts (:func:`chroma.stops.exposure_stats`).
    """

    frame: int | None
    path: str
    exposure: ExposureStats

    def to_dict(self) -> dict[str, Any]:
        """Return ``frame``, ``path`` and the exposure fields in one flat JSON-ready dict.

        Returns
        -------
        dict
            ``{"frame", "path", "min_stops", "median_stops", ...}``.
        """
        return {"frame": self.frame, "path": self.path, **self.exposure.to_dict()}


@dataclass
class ImageInfo:
    """What :func:`image_info` found.

    Attributes
    ----------
    image : ImageHeader or None
        The header of the first image read (None when none could be read).
    sequence : SequenceSpan or None
        The sequence's range and holes (None for a single image).
    stats : list of FrameStats
        One entry per image read, in frame order.
    errors : list of tuple of (str, str)
        (path, why) for the frames of a sequence that could not be read.
    """

    image: ImageHeader | None
    sequence: SequenceSpan | None
    stats: list[FrameStats] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def requested(self) -> int:
        """Images asked for that are on disk: those read plus those that failed.

        Returns
        -------
        int
            ``len(stats) + len(errors)``.
        """
        return len(self.stats) + len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON that ``chroma info --json`` prints.

        Returns
        -------
        dict
            ``{"image", "sequence", "stats", "errors"}``.
        """
        return {
            "image": asdict(self.image) if self.image else None,
            "sequence": self.sequence.to_dict() if self.sequence else None,
            "stats": [s.to_dict() for s in self.stats],
            "errors": [{"path": p, "error": e} for p, e in self.errors],
        }


@dataclass
class FolderEntry:
    """One sequence or single image of a folder (:func:`folder_info`).

    Attributes
    ----------
    pattern : str
        The sequence as a ``####`` pattern, or the single image's path.
    frames : int
        Frames on disk (0 for a single image).
    first, last : int or None
        The first and last frame numbers (None for a single image).
    missing : str
        Frames inside first..last not on disk, as ranges.
    channels : list of str or None
        Channel names of the first file (None when its header is unreadable).
    colorspace : str or None
        Its colour space, found as :func:`chroma.io.header` finds it.
    width, height : int or None
        Its size in pixels.
    error : str or None
        Why the first file's header could not be read (None when it could).
    """

    pattern: str
    frames: int
    first: int | None
    last: int | None
    missing: str
    channels: list[str] | None = None
    colorspace: str | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-ready dict.

        Returns
        -------
        dict
            Field name -> value.
        """
        return asdict(self)


def image_info(
    path: str | os.PathLike,
    frames: str | None = None,
    config: str | os.PathLike | None = None,
    *,
    progress: bool | None = None,
) -> ImageInfo:
    """Describe an image file, a frame of a sequence or a sequence pattern.

    Every image asked for is read: its header (the first one's is kept) and its exposure
    statistics in stops from 0.18 mid-grey. A frame file (``plate.1001.exr``) also reports
    the sequence it belongs to, when that has more than one frame. A frame of a pattern that
    cannot be read is listed in ``errors`` and the others are still described.

    Parameters
    ----------
    path : str or os.PathLike
        An image file, a frame file or a pattern (``plate.####.exr``, ``plate.%04d.exr``).
    frames : str or None, optional
        Only these frames of a pattern (a frame set: ``1001-1010``, ``1,5,7-9``); all the
        frames on disk when None.
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    progress : bool or None, optional
        Draw a progress bar: True, False, or None (default) only when stderr is a terminal.

    Returns
    -------
    ImageInfo
        The header, the sequence's span, per-image statistics and the frames that failed.

    Raises
    ------
    SequenceError
        A pattern that matches no file, ``frames`` with a single file, or a frame set with
        no (or mostly no) frames on disk.
    ChromaIOError
        A single file that does not exist or cannot be read.
    """
    from chroma import io, sequence, stops
    from chroma.progress import Progress

    path = os.fspath(path)
    pat = sequence.parse_pattern(path)
    span = None
    if pat.is_sequence:
        seq = sequence.discover(pat)
        if not seq.frames:
            raise SequenceError(f"no files match {path!r}")
        sel = sequence.select(pat.text, frames)
        items = sel.items
        span = SequenceSpan(pat.hashes(), seq.first, seq.last, len(seq.frames), sequence.format_frames(seq.missing),
                            str(sel.missing))
    else:
        if frames:
            raise SequenceError("--frames needs a sequence pattern like plate.####.exr")
        if not os.path.exists(path):
            raise ChromaIOError(f"{path!r} does not exist")
        found = sequence.pattern_from_frame_path(path)
        items = [(found[1] if found else None, path)]
        if found:
            seq = sequence.discover(found[0])
            if len(seq.frames) > 1:
                span = SequenceSpan(found[0].hashes(), seq.first, seq.last, len(seq.frames),
                                    sequence.format_frames(seq.missing))
    info = ImageInfo(None, span)
    with Progress(len(items), "reading", enabled=progress) as bar:
        for frame, file in items:
            try:
                img = io.read(file, config=config)
            except ChromaError as exc:
                if not pat.is_sequence:
                    raise  # the one file asked for
                info.errors.append((file, str(exc)))
                bar.update()
                continue
            if info.image is None:
                info.image = ImageHeader.from_image(img, file)
            info.stats.append(FrameStats(frame, file, stops.exposure_stats(img, config)))
            bar.update()
    return info


def folder_info(folder: str | os.PathLike, config: str | os.PathLike | None = None) -> list[FolderEntry]:
    """List the sequences and single images in a folder, as ``lsseq`` does.

    Each entry gives the frame range and the holes, and the channels, colour space and size
    of its first file, read from the header only (no pixels). A file whose header cannot be
    read is listed with its ``error``.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder (not searched recursively).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    list of FolderEntry
        Sorted by pattern (:func:`chroma.sequence.scan`).

    Raises
    ------
    SequenceError
        The folder does not exist.
    """
    from chroma import io, sequence

    rows = []
    for entry in sequence.scan(folder):
        first = entry.pattern.path(entry.first) if entry.frames else entry.pattern.text
        try:
            head: dict[str, Any] = io.header(first, config=config)
        except ChromaError as exc:
            head = {"error": str(exc)}
        rows.append(FolderEntry(
            pattern=entry.pattern.hashes() if entry.frames else entry.pattern.text, frames=len(entry.frames),
            first=entry.first, last=entry.last, missing=sequence.format_frames(entry.missing),
            channels=head.get("channels"), colorspace=head.get("colorspace"), width=head.get("width"),
            height=head.get("height"), error=head.get("error"),
        ))
    return rows


__all__ = ["image_info", "folder_info", "ImageInfo", "ImageHeader", "SequenceSpan", "FrameStats",
           "FolderEntry"]
