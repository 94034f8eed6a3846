"""The image type that flows through chroma (see DESIGN.md, "The data that flows")."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from chroma.errors import ChromaValueError

DEFAULT_COLORSPACE = "ACEScg"


@dataclass
class Image:
    """
    A scene-referred image: float32 pixels (height x width x channels) and what they mean.

    Attributes
    ----------
    pixels : numpy.ndarray
        Float32 array of shape (height, width, channels); a 2-D array becomes one channel.
    channels : list of str
        Channel names, one per last-axis entry (``R G B A Z``, ``depth.Z``...); the
        default R, G, B becomes Y or R, G, B, A for 1- or 4-channel pixels.
    colorspace : str
        The OCIO colour space of the R, G, B channels (ACEScg by default). Other channels
        (alpha, depth, layers) are not colour and never converted.
    metadata : dict
        Header attributes (EXR attributes, ``chroma/...`` keys, frame number...).
    source : str or None
        The file this image was read from, kept by images derived from it (never
        written; used to refuse overwriting an input by surprise).

    Raises
    ------
    chroma.errors.ChromaValueError
        For pixels that are not 2-D or 3-D, or channel names that do not match them.
    """

    pixels: np.ndarray
    channels: list[str] = field(default_factory=lambda: ["R", "G", "B"])
    colorspace: str = DEFAULT_COLORSPACE
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        px = np.asarray(self.pixels)
        if px.ndim == 2:
            px = px[:, :, None]
        if px.ndim != 3:
            raise ChromaValueError(
                f"image pixels must be height x width x channels, got shape {px.shape}"
            )
        if px.dtype != np.float32:
            px = px.astype(np.float32)
        self.pixels = px
        self.channels = list(self.channels)
        if len(self.channels) != px.shape[2]:
            if px.shape[2] in (1, 3, 4) and self.channels == ["R", "G", "B"]:
                self.channels = {1: ["Y"], 3: ["R", "G", "B"], 4: ["R", "G", "B", "A"]}[
                    px.shape[2]
                ]
            else:
                raise ChromaValueError(
                    f"{len(self.channels)} channel names {self.channels} for "
                    f"{px.shape[2]} channels of pixels"
                )

    @property
    def height(self) -> int:
        """
        Height of the image.

        Returns
        -------
        int
            Rows, pixels.
        """
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        """
        Width of the image.

        Returns
        -------
        int
            Columns, pixels.
        """
        return int(self.pixels.shape[1])

    @property
    def nchannels(self) -> int:
        """
        Number of channels.

        Returns
        -------
        int
            The length of the pixels' last axis.
        """
        return int(self.pixels.shape[2])

    def index(self, name: str) -> int:
        """
        Return the index of a channel.

        Parameters
        ----------
        name : str
            Channel name, e.g. ``"A"`` or ``"depth.Z"``.

        Returns
        -------
        int
            Its position on the pixels' last axis.

        Raises
        ------
        chroma.errors.ChromaValueError
            For a channel the image lacks; the message lists the channels.
        """
        try:
            return self.channels.index(name)
        except ValueError:
            raise ChromaValueError(
                f"no channel {name!r} in this image (channels: {' '.join(self.channels)})"
            ) from None

    def color_indices(self) -> list[int]:
        """
        Return the indices of the colour channels.

        Returns
        -------
        list of int
            Indices of R, G, B, or of a single luminance channel ``Y``.

        Raises
        ------
        chroma.errors.ChromaValueError
            For an image with neither R, G, B nor Y.
        """
        if all(c in self.channels for c in ("R", "G", "B")):
            return [self.channels.index(c) for c in ("R", "G", "B")]
        if "Y" in self.channels:
            return [self.channels.index("Y")]
        raise ChromaValueError(
            f"image has no R, G, B channels (channels: {' '.join(self.channels)})"
        )

    @property
    def rgb(self) -> np.ndarray:
        """
        The colour channels (a Y channel repeated three times).

        Returns
        -------
        numpy.ndarray
            Float32 array of shape (height, width, 3), a copy, in :attr:`colorspace`.

        Raises
        ------
        chroma.errors.ChromaValueError
            For an image with neither R, G, B nor Y.
        """
        idx = self.color_indices()
        if len(idx) == 1:
            return np.repeat(self.pixels[:, :, idx], 3, axis=2)
        return self.pixels[:, :, idx]

    def with_rgb(self, rgb: np.ndarray, colorspace: str | None = None) -> "Image":
        """
        Return a new image whose colour channels are replaced.

        Other channels, the metadata and the source are kept as they are.

        Parameters
        ----------
        rgb : numpy.ndarray
            New colour, shape (height, width, 3) (its G channel for a Y image).
        colorspace : str, optional
            The colour space of ``rgb``; default this image's.

        Returns
        -------
        Image
            The new image.

        Raises
        ------
        chroma.errors.ChromaValueError
            For ``rgb`` of another height or width, or an image without colour channels.
        """
        idx = self.color_indices()
        rgb = np.asarray(rgb, dtype=np.float32)
        if rgb.shape[:2] != self.pixels.shape[:2]:
            raise ChromaValueError(
                f"rgb of shape {rgb.shape} does not fit an image of {self.width}x{self.height}"
            )
        px = self.pixels.copy()
        if len(idx) == 1:
            px[:, :, idx[0]] = rgb[:, :, 1] if rgb.ndim == 3 and rgb.shape[2] == 3 else rgb[..., 0]
        else:
            px[:, :, idx] = rgb
        return Image(px, list(self.channels), colorspace or self.colorspace, copy.deepcopy(self.metadata), self.source)

    def copy(self) -> "Image":
        """
        Return a deep copy (pixels and metadata).

        Returns
        -------
        Image
            The copy, with the same source.
        """
        return Image(self.pixels.copy(), list(self.channels), self.colorspace, copy.deepcopy(self.metadata), self.source)

    def __repr__(self) -> str:
        return (
            f"Image({self.width}x{self.height}, channels={' '.join(self.channels)}, "
            f"colorspace={self.colorspace!r}, {len(self.metadata)} metadata keys)"
        )
